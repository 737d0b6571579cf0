import { randomBytes } from 'node:crypto';
import { sealedError } from '../errors';
import { equalBytes } from '../lib/bytes';
import { KEY_ID_PATTERN } from '../lib/identifiers';
import { ByteReader, ByteWriter } from './byte-io';
import { keyCheck, KEY_CHECK_BYTES } from './hash';
import type { KeySource } from './key-source';
import { NONCE_BYTES } from './nonce-pool';
import { loadSodium } from './sodium';

/**
 * How `SubjectKeys` keeps a subject key in a store: sealed with XChaCha20-Poly1305 under a data
 * key of the ordinary key source (a keyring key, or a KMS data key wrapped by KMS), chosen by the
 * subject key's purpose and no namespace (a subject's keys serve every namespace). Stores see
 * these bytes only:
 *
 *   version 0x01 | inner key id (u8 length, ascii) | inner wrapped key (u16 length; empty for a
 *   keyring) | inner key check (16 bytes) | nonce (24) | ciphertext (32-byte key + 16-byte tag)
 *
 * The AAD binds the subject hash, the purpose and the subject key id (and the inner key id), so
 * a row copied to another subject, purpose or key id does not open. The key check names the inner
 * key that wrapped it: a reader holding other bytes under that id gets `SEALED_KEY_MISMATCH`.
 */
const VERSION = 0x01;
const AAD_DOMAIN = 'temporal-sealed-fields/subject-key/v1';
const KEY_BYTES = 32;
const TAG_BYTES = 16;

/** What a subject key is bound to. */
export interface SubjectKeyBinding {
  subjectHash: string;
  purpose: string;
  keyId: string;
}

/** The subject key sealed under the inner source's data key for its purpose. */
export async function wrapSubjectKey(inner: KeySource, binding: SubjectKeyBinding, key: Uint8Array): Promise<Uint8Array> {
  const sodium = await loadSodium();
  const dataKey = await inner.sealingKey({ purpose: binding.purpose, namespace: '' });
  try {
    const nonce = new Uint8Array(randomBytes(NONCE_BYTES));
    const sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(key, aadOf(binding, dataKey.keyId), null, nonce, dataKey.key);
    const out = new ByteWriter();
    out.u8(VERSION);
    out.shortString(dataKey.keyId);
    out.u16(dataKey.wrapped.length);
    out.bytes(dataKey.wrapped);
    out.bytes(keyCheck(dataKey.key));
    out.bytes(nonce);
    out.bytes(sealed);
    return out.finish();
  } finally {
    dataKey.key.fill(0);
  }
}

/** The 32-byte subject key from its stored form; typed failures, never key material in a message. */
export async function unwrapSubjectKey(inner: KeySource, binding: SubjectKeyBinding, stored: Uint8Array): Promise<Uint8Array> {
  const parsed = parse(stored);
  const dataKey = await inner.openingKey({
    keyId: parsed.innerKeyId,
    wrapped: parsed.innerWrapped,
    purpose: binding.purpose,
    namespace: '',
  });
  const sodium = await loadSodium();
  try {
    if (!equalBytes(keyCheck(dataKey), parsed.check)) {
      throw sealedError('SEALED_KEY_MISMATCH', 'the key held under this key id is not the key that wrapped this subject key', {
        keyId: parsed.innerKeyId,
      });
    }
    let key: Uint8Array;
    try {
      key = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
        null,
        parsed.ciphertext,
        aadOf(binding, parsed.innerKeyId),
        parsed.nonce,
        dataKey,
      );
    } catch {
      throw sealedError('SEALED_TAMPERED', 'a stored subject key failed authentication: its record was altered or moved', {
        keyId: binding.keyId,
      });
    }
    if (key.length !== KEY_BYTES) throw malformedRecord();
    return key;
  } finally {
    dataKey.fill(0);
  }
}

/**
 * The key of the ordinary source that wrapped a stored subject key (without unwrapping anything):
 * its key id and, for a KMS data key, its wrapped form (which names the KMS key); empty for a
 * keyring key. For `scan`, which keeps keys that wrap subject keys from being retired.
 * `SEALED_MALFORMED` for bytes {@link wrapSubjectKey} did not write.
 */
export function wrappingKeyOf(stored: Uint8Array): { keyId: string; wrapped: Uint8Array } {
  const { innerKeyId, innerWrapped } = parse(stored);
  return { keyId: innerKeyId, wrapped: innerWrapped };
}

/** A fresh subject key id: `sk-` and 12 random base64url characters (72 bits), never derived from the key. */
export function newSubjectKeyId(): string {
  return `sk-${randomBytes(9).toString('base64url')}`;
}

function aadOf(binding: SubjectKeyBinding, innerKeyId: string): Uint8Array {
  const out = new ByteWriter();
  out.shortString(AAD_DOMAIN);
  out.shortString(binding.subjectHash);
  out.shortString(binding.purpose);
  out.shortString(binding.keyId);
  out.shortString(innerKeyId);
  return out.finish();
}

function parse(stored: Uint8Array): {
  innerKeyId: string;
  innerWrapped: Uint8Array;
  check: Uint8Array;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
} {
  try {
    const r = new ByteReader(stored);
    if (r.u8() !== VERSION) throw malformedRecord();
    const innerKeyId = r.shortString();
    if (!KEY_ID_PATTERN.test(innerKeyId)) throw malformedRecord();
    const innerWrapped = r.bytes(r.u16());
    const check = r.bytes(KEY_CHECK_BYTES);
    const nonce = r.bytes(NONCE_BYTES);
    const ciphertext = r.bytes(KEY_BYTES + TAG_BYTES);
    if (!r.done()) throw malformedRecord();
    return { innerKeyId, innerWrapped, check, nonce, ciphertext };
  } catch {
    throw malformedRecord();
  }
}

function malformedRecord(): Error {
  return sealedError('SEALED_MALFORMED', 'a stored subject key cannot be read: it was damaged or not written by this library');
}
