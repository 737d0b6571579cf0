import { sealedError } from '../errors';
import type { Box } from './envelope';

/** First byte of the wrapped-key field of a box sealed under a data subject's key (AWS KMS uses 0x01). */
export const WRAPPED_SUBJECT = 0x02;
/** Bytes of a subject hash: HMAC-SHA-256, untruncated. */
export const SUBJECT_HASH_BYTES = 32;

/**
 * The wrapped-key field of a subject box: `0x02 | 32-byte subject hash`. It names the subject by
 * its keyed hash only; the subject key itself is not in the box but in the key store, so
 * destroying the store's row leaves nothing that opens the box.
 */
export function writeSubjectWrapped(subjectHash: Uint8Array): Uint8Array {
  if (subjectHash.length !== SUBJECT_HASH_BYTES) throw sealedError('SEALED_INVALID_OPTION', 'a subject hash is 32 bytes');
  const out = new Uint8Array(1 + SUBJECT_HASH_BYTES);
  out[0] = WRAPPED_SUBJECT;
  out.set(subjectHash, 1);
  return out;
}

/** True for the wrapped-key field of a subject box (tag 0x02; its length is checked by `readSubjectHash`). */
export function isSubjectWrapped(wrapped: Uint8Array | undefined): boolean {
  return wrapped !== undefined && wrapped.length > 0 && wrapped[0] === WRAPPED_SUBJECT;
}

/** The subject hash (base64url) a subject box names; `SEALED_MALFORMED` when the field is not `0x02` and 32 bytes. */
export function readSubjectHash(wrapped: Uint8Array): string {
  if (wrapped.length !== 1 + SUBJECT_HASH_BYTES || wrapped[0] !== WRAPPED_SUBJECT)
    throw sealedError('SEALED_MALFORMED', 'wrapped key is not a subject reference');
  return Buffer.from(wrapped.buffer, wrapped.byteOffset + 1, SUBJECT_HASH_BYTES).toString('base64url');
}

/**
 * The keyed hash of the data subject a box is sealed for (base64url, as `SubjectKeys.subjectHash`
 * gives it and stores keep it), or undefined for a box without a subject. For `scan` and audits:
 * it tells which boxes belong to a subject without revealing who.
 *
 * @example
 * ```ts
 * const wanted = subjectKeys.subjectHash('patient-1042');
 * const theirs = readEnvelope(sealed).boxes.filter((box) => subjectHashOf(box) === wanted);
 * ```
 */
export function subjectHashOf(box: Pick<Box, 'wrappedKey'>): string | undefined {
  return isSubjectWrapped(box.wrappedKey) ? readSubjectHash(box.wrappedKey as Uint8Array) : undefined;
}
