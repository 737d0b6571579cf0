// What every subject key store accepts, and the errors they share. Internal: nothing outside src/keystore imports it.
import { sealedError, type SealedError } from '../errors';
import { KEY_ID_PATTERN, PURPOSE_PATTERN } from '../lib/identifiers';
import type { ForgetRecord, StoredSubjectKey } from './subject-key-store';

/** Base64url without padding, 16 to 64 bytes (22 to 86 characters): a keyed hash, never an id in clear. */
const SUBJECT_HASH_PATTERN = /^[A-Za-z0-9_-]{22,86}$/;
/** A wrapped key is a small sealed box; anything larger is not one. */
const MAX_WRAPPED_KEY_BYTES = 4096;
/** `forget`'s actor and reason: short free text (a person or service, a ticket reference). */
const MAX_ACTOR_LENGTH = 256;
const MAX_REASON_LENGTH = 1024;

/** The store that failed and what it was doing, named in error details. */
export type StoreName = 'memory' | 'file' | 'postgres';
export type StoreOperation = 'create' | 'migrate' | 'get' | 'putIfAbsent' | 'forget' | 'forgetRecords' | 'listKeys' | 'checkForgetAccess';
/** Why a store did not answer; `detail.reason` of `SEALED_KEYSTORE_UNAVAILABLE`. */
export type UnavailableReason = 'unreachable' | 'timeout' | 'auth' | 'denied' | 'schema' | 'missing' | 'closed' | 'failed';

/**
 * The bytes of a subject hash, after checking it is canonical base64url (one spelling per hash,
 * so one file name and one row per subject). An invalid hash is never echoed: it may be a
 * subject id passed where its hash belongs.
 */
export function subjectHashBytes(subjectHash: unknown): Buffer {
  if (typeof subjectHash === 'string' && SUBJECT_HASH_PATTERN.test(subjectHash)) {
    const bytes = Buffer.from(subjectHash, 'base64url');
    if (bytes.toString('base64url') === subjectHash) return bytes;
  }
  throw sealedError('SEALED_INVALID_OPTION', 'a subject hash must be the base64url keyed hash of a subject (22 to 86 characters)', {
    option: 'subjectHash',
    ...lengthOf(subjectHash),
  });
}

export function checkSubjectHash(subjectHash: unknown): asserts subjectHash is string {
  subjectHashBytes(subjectHash);
}

export function checkPurpose(purpose: unknown): asserts purpose is string {
  if (typeof purpose === 'string' && PURPOSE_PATTERN.test(purpose)) return;
  throw sealedError('SEALED_INVALID_OPTION', 'a purpose must match ^[a-z][a-z0-9_-]{0,31}$', { option: 'purpose', ...lengthOf(purpose) });
}

/** A copy of `key` after checking every field, so a store keeps nothing the caller can change afterwards. */
export function checkedKey(key: StoredSubjectKey): StoredSubjectKey {
  if (key === null || typeof key !== 'object') throw invalid('key', 'putIfAbsent needs a StoredSubjectKey');
  checkSubjectHash(key.subjectHash);
  checkPurpose(key.purpose);
  if (typeof key.keyId !== 'string' || !KEY_ID_PATTERN.test(key.keyId))
    throw invalid('keyId', 'a subject key id must match ^[A-Za-z0-9._-]{1,64}$', lengthOf(key.keyId));
  if (!(key.wrappedKey instanceof Uint8Array) || key.wrappedKey.length === 0 || key.wrappedKey.length > MAX_WRAPPED_KEY_BYTES)
    throw invalid('wrappedKey', `a wrapped subject key must be 1 to ${MAX_WRAPPED_KEY_BYTES} bytes`);
  if (!(key.createdAt instanceof Date) || Number.isNaN(key.createdAt.getTime()))
    throw invalid('createdAt', 'createdAt must be a valid Date');
  return copyKey(key);
}

/** `forget`'s audit input after checking it: an actor (1 to 256 characters) and an optional reason (up to 1024). */
export function checkedAudit(audit: { actor: string; reason?: string }): { actor: string; reason?: string } {
  if (audit === null || typeof audit !== 'object') throw invalid('audit', 'forget needs { actor, reason? }');
  const { actor, reason } = audit;
  if (typeof actor !== 'string' || actor.length === 0 || actor.length > MAX_ACTOR_LENGTH)
    throw invalid('actor', `forget needs an actor of 1 to ${MAX_ACTOR_LENGTH} characters`);
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_REASON_LENGTH))
    throw invalid('reason', `a forget reason has at most ${MAX_REASON_LENGTH} characters`);
  return reason === undefined ? { actor } : { actor, reason };
}

export function copyKey(key: StoredSubjectKey): StoredSubjectKey {
  return {
    subjectHash: key.subjectHash,
    purpose: key.purpose,
    keyId: key.keyId,
    wrappedKey: Uint8Array.from(key.wrappedKey),
    createdAt: new Date(key.createdAt.getTime()),
  };
}

export function forgetRecord(
  subjectHash: string,
  audit: { actor: string; reason?: string },
  at: Date,
  keysDestroyed: number,
): ForgetRecord {
  return { subjectHash, actor: audit.actor, ...(audit.reason !== undefined && { reason: audit.reason }), at, keysDestroyed };
}

/** The subject was forgotten: its keys are gone and no new one is made. */
export function erased(subjectHash: string, purpose?: string): SealedError {
  return sealedError('SEALED_ERASED', 'this data subject was forgotten: its keys are destroyed and no new key is made', {
    subjectHash,
    ...(purpose !== undefined && { purpose }),
  });
}

/** The store did not answer. The detail names the store, the operation and a reason, never a path, a connection string or a message. */
export function unavailable(
  store: StoreName,
  operation: StoreOperation,
  reason: UnavailableReason,
  extra: { sqlstate?: string; errno?: string } = {},
): SealedError {
  return sealedError('SEALED_KEYSTORE_UNAVAILABLE', MESSAGES[reason], { store, operation, reason, ...extra });
}

/** Data a store read back has the wrong shape (a damaged file or row). */
export function malformed(store: StoreName, operation: StoreOperation): SealedError {
  return sealedError(
    'SEALED_MALFORMED',
    'the subject key store holds a record that cannot be read: it was damaged or not written by this library',
    {
      store,
      operation,
    },
  );
}

const MESSAGES: Readonly<Record<UnavailableReason, string>> = {
  unreachable: 'the subject key store did not answer: retry when it is back; nothing was sealed or opened without it',
  timeout: 'the subject key store timed out: retry when it is back; nothing was sealed or opened without it',
  auth: 'the subject key store refused the credentials: check the user and password of its connection',
  denied: 'the subject key store refused the operation: check the privileges of its role or the permissions of its directory',
  schema: 'the subject key store has no tables yet: run migrate() as the owner role, or let the store create them',
  missing:
    'the subject key store directory does not exist: check its path, or let a process that may create it (a worker, serve) create it',
  closed: 'the subject key store is closed',
  failed: 'the subject key store failed: retry; nothing was sealed or opened without it',
};

function invalid(option: string, message: string, extra: Record<string, number> = {}): SealedError {
  return sealedError('SEALED_INVALID_OPTION', message, { option, ...extra });
}

/** What an error may say about a refused value: its length, never the value. */
function lengthOf(value: unknown): Record<string, number> {
  return typeof value === 'string' ? { length: value.length } : {};
}
