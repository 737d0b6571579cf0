import { createHmac } from 'node:crypto';
import { sealedError } from '../errors';
import { decodeBase64, encodeBase64, KEY_MATERIAL } from '../lib/base64';
import { checkPurpose } from '../model/purpose';
import type { KeyMaterial } from './keyring';

/** Index keys are at least this long (HMAC-SHA256 gains nothing from more than 64). */
export const INDEX_KEY_MIN_BYTES = 32;
export const BLIND_INDEX_DEFAULT_BYTES = 8;
const MIN_BYTES = 4;
const MAX_BYTES = 32;
const DOMAIN = 'temporal-sealed-fields/blind-index/v1';

/**
 * A value that can be indexed: strings as given (normalize them first), finite numbers, booleans.
 *
 * @example
 * ```ts
 * blindIndex('MRN-0042', options); blindIndex(42, options); blindIndex(true, options);
 * ```
 */
export type IndexableValue = string | number | boolean;

/**
 * Options of {@link blindIndex}.
 *
 * @example
 * ```ts
 * const idx = blindIndex(patientId, { purpose: 'patient', key: process.env.SEALED_FIELDS_INDEX_KEY!, bytes: 8 });
 * ```
 */
export interface BlindIndexOptions {
  /** Separates indexes of different kinds of value: the same value gives unrelated indexes under two purposes. */
  purpose: string;
  /** The index key: 32+ random bytes (raw or base64), separate from every sealing key. */
  key: KeyMaterial;
  /** Bytes of the HMAC kept (4..32, default 8). Fewer bytes: more collisions, less certainty for an attacker. */
  bytes?: number;
}

/**
 * A keyed blind index of a sensitive value, for a Keyword search attribute: the
 * HMAC-SHA256 of a canonical, length-prefixed encoding of (purpose, type, value) under
 * an index key, truncated and written as base64url. Equal inputs give equal indexes, so
 * anyone who can read visibility learns which workflows share a value and how often it
 * occurs (see docs/KEYS.md); without the key the value itself cannot be recovered or guessed offline.
 *
 * @example
 * ```ts
 * const PatientIndex = defineSearchAttributeKey('PatientIndex', SearchAttributeType.KEYWORD);
 * const idx = blindIndex(patientId, { purpose: 'patient', key: process.env.SEALED_FIELDS_INDEX_KEY! });
 * await client.workflow.start(intake, { typedSearchAttributes: [{ key: PatientIndex, value: idx }], ... });
 * await client.workflow.list({ query: `PatientIndex = "${idx}"` });
 * ```
 */
export function blindIndex(value: IndexableValue, options: BlindIndexOptions): string {
  const key = indexKey(options.key);
  const bytes = checkBytes(options.bytes ?? BLIND_INDEX_DEFAULT_BYTES);
  return encodeBase64(keyedHash(DOMAIN, checkPurpose(options.purpose), value, key).subarray(0, bytes), { url: true });
}

/**
 * The untruncated HMAC-SHA256 under `key` of the canonical encoding of (domain, purpose, value):
 * the blind index's construction, with a domain of the caller's own so that its hashes never
 * equal blind indexes even under the same key (data subject hashes use it).
 */
export function keyedHash(domain: string, purpose: string, value: IndexableValue, key: Uint8Array): Buffer {
  return createHmac('sha256', key)
    .update(canonical(domain, purpose, value))
    .digest();
}

/**
 * A blind-index key held once, for many values. Reads `SEALED_FIELDS_INDEX_KEY` with {@link BlindIndexer.fromEnv}.
 *
 * @example
 * ```ts
 * const indexer = BlindIndexer.fromEnv(); // SEALED_FIELDS_INDEX_KEY=<base64 of 32 random bytes>
 * const idx = indexer.index(patientId, 'patient');
 * ```
 */
export class BlindIndexer {
  readonly #key: Uint8Array;
  readonly #bytes: number;

  constructor(options: { key: KeyMaterial; bytes?: number }) {
    this.#key = indexKey(options.key);
    this.#bytes = checkBytes(options.bytes ?? BLIND_INDEX_DEFAULT_BYTES);
  }

  /** Reads `<PREFIX>_INDEX_KEY` (base64); the prefix defaults to `SEALED_FIELDS`. */
  static fromEnv(env: Record<string, string | undefined> = process.env, prefix = 'SEALED_FIELDS', bytes?: number): BlindIndexer {
    const key = env[`${prefix}_INDEX_KEY`];
    if (key === undefined || key.trim() === '') throw sealedError('SEALED_INVALID_OPTION', `${prefix}_INDEX_KEY is not set`);
    return new BlindIndexer(bytes === undefined ? { key } : { key, bytes });
  }

  index(value: IndexableValue, purpose: string): string {
    return blindIndex(value, { purpose, key: this.#key, bytes: this.#bytes });
  }

  toJSON(): { bytes: number } {
    return { bytes: this.#bytes };
  }
}

/** u8 domain length | domain | u16 purpose length | purpose | type tag | u32 value length | value (utf-8). */
function canonical(domainText: string, purpose: string, value: IndexableValue): Buffer {
  const [tag, text] = typedText(value);
  const domain = Buffer.from(domainText, 'utf8');
  const p = Buffer.from(purpose, 'utf8');
  const v = Buffer.from(text, 'utf8');
  const out = Buffer.alloc(1 + domain.length + 2 + p.length + 1 + 4 + v.length);
  let at = out.writeUInt8(domain.length, 0);
  at += domain.copy(out, at);
  at = out.writeUInt16BE(p.length, at);
  at += p.copy(out, at);
  at = out.writeUInt8(tag.charCodeAt(0), at);
  at = out.writeUInt32BE(v.length, at);
  v.copy(out, at);
  return out;
}

function typedText(value: IndexableValue): [string, string] {
  if (typeof value === 'string') return ['s', value];
  if (typeof value === 'boolean') return ['b', value ? 'true' : 'false'];
  if (typeof value === 'number' && Number.isFinite(value)) return ['n', JSON.stringify(value)];
  throw sealedError('SEALED_UNSUPPORTED_VALUE', 'blind indexes take strings, finite numbers and booleans');
}

function checkBytes(bytes: number): number {
  if (!Number.isInteger(bytes) || bytes < MIN_BYTES || bytes > MAX_BYTES) {
    throw sealedError('SEALED_INVALID_OPTION', 'blind index length must be an integer from 4 to 32 bytes');
  }
  return bytes;
}

/** Index key bytes: at least 32 (raw, or base64); `SEALED_KEY_INVALID` otherwise. */
export function indexKey(material: KeyMaterial): Uint8Array {
  const bytes = typeof material === 'string' ? decodeBase64(material, KEY_MATERIAL) : material instanceof Uint8Array ? material : undefined;
  if (bytes === undefined || bytes.length < INDEX_KEY_MIN_BYTES) {
    throw sealedError('SEALED_KEY_INVALID', 'a blind index key must be at least 32 bytes (raw, or base64)');
  }
  return new Uint8Array(bytes);
}
