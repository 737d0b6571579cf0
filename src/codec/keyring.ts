import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sealedError } from '../errors';
import { decodeBase64, KEY_MATERIAL } from '../lib/base64';
import { KEY_ID_PATTERN, shownIdentifier } from '../lib/identifiers';
import { checkPurpose } from '../model/purpose';
import { NOT_WRAPPED, type KeyScope, type KeySource, type SealedKeyReference, type SealingKey } from './key-source';
import { WRAPPED_SUBJECT } from './subject-wrapped';

export const KEY_BYTES = 32;
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * Key material: raw 32 bytes, or their base64 (standard or URL-safe).
 *
 * @example
 * ```ts
 * const keyring = new Keyring({ active: 'k2', keys: { k1: process.env.OLD_KEY!, k2: randomBytes(32) } });
 * ```
 */
export type KeyMaterial = Uint8Array | string;

/**
 * Options of {@link Keyring}.
 *
 * @example
 * ```ts
 * const keyring = new Keyring({ active: 'k2', keys: { k1: oldKeyBase64, k2: newKeyBase64 }, purposes: { phi: 'k-phi' } });
 * ```
 */
export interface KeyringOptions {
  /** Key id that seals new payloads (for purposes without their own entry in `purposes`). */
  active: string;
  /** Every key that may open payloads, by key id. Key ids are chosen by operators or random, never derived from keys. */
  keys: Record<string, KeyMaterial>;
  /** Purpose to key id, for purposes sealed under their own key (e.g. `{ phi: 'phi-2026' }`). */
  purposes?: Record<string, string>;
}

/**
 * What a keyring holds, without key material.
 *
 * @example
 * ```ts
 * const { active, keyIds } = Keyring.fromEnv().describe(); // never the key bytes
 * ```
 */
export interface KeyringDescription {
  active: string;
  keyIds: string[];
  purposes: Record<string, string>;
}

/**
 * The keys a codec seals with and opens with. New payloads use the active key (or the
 * purpose's key); old payloads open with whichever key their envelope names by id.
 * Keys are never tried in turn (XChaCha20-Poly1305 does not commit to its key).
 *
 * @example
 * ```ts
 * const keyring = new Keyring({ active: 'k2', keys: { k1: process.env.K1!, k2: process.env.K2! } });
 * const keyring2 = Keyring.fromEnv(); // SEALED_FIELDS_KEYS="k1:BASE64,k2:BASE64" SEALED_FIELDS_ACTIVE_KEY=k2
 * ```
 */
export class Keyring implements KeySource {
  readonly #keys = new Map<string, Uint8Array>();
  readonly #active: string;
  readonly #purposes = new Map<string, string>();

  constructor(options: KeyringOptions) {
    for (const [id, material] of Object.entries(options.keys ?? {})) this.#keys.set(checkKeyId(id), decodeKey(id, material));
    this.#active = checkKeyId(options.active);
    for (const [purpose, id] of Object.entries(options.purposes ?? {})) this.#purposes.set(checkPurpose(purpose), checkKeyId(id));
    for (const id of [this.#active, ...this.#purposes.values()]) {
      if (!this.#keys.has(id))
        throw sealedError('SEALED_INVALID_OPTION', 'keyring names a key id it does not hold', { keyId: shownIdentifier(id) });
    }
  }

  /**
   * Reads `<PREFIX>_KEYS` ("id:base64,id:base64"), `<PREFIX>_ACTIVE_KEY` and optional
   * `<PREFIX>_PURPOSE_KEYS` ("phi:id,credential:id"). The prefix defaults to `SEALED_FIELDS`.
   */
  static fromEnv(env: Record<string, string | undefined> = process.env, prefix = 'SEALED_FIELDS'): Keyring {
    const keys = parsePairs(env[`${prefix}_KEYS`], `${prefix}_KEYS`);
    const active = env[`${prefix}_ACTIVE_KEY`] ?? (Object.keys(keys).length === 1 ? Object.keys(keys)[0] : undefined);
    if (active === undefined) throw sealedError('SEALED_INVALID_OPTION', `${prefix}_ACTIVE_KEY is not set`);
    return new Keyring({ active, keys, purposes: parsePairs(env[`${prefix}_PURPOSE_KEYS`], `${prefix}_PURPOSE_KEYS`, true) });
  }

  /** Reads a JSON file `{ "active": "k2", "keys": { "k1": "<base64>" }, "purposes": { "phi": "k1" } }`. */
  static fromFile(path: string): Keyring {
    let parsed: KeyringOptions;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8')) as KeyringOptions;
    } catch {
      throw sealedError('SEALED_INVALID_OPTION', 'keyring file is missing or not JSON', { file: path });
    }
    return new Keyring(parsed);
  }

  /** A fresh random 32-byte key. */
  static generateKey(): Uint8Array {
    return new Uint8Array(randomBytes(KEY_BYTES));
  }

  /** A fresh random key id, e.g. `k-5f2c9a1e`. */
  static generateKeyId(): string {
    return `k-${randomBytes(4).toString('hex')}`;
  }

  /** The key id that seals values of `purpose`. */
  keyIdFor(purpose: string): string {
    return this.#purposes.get(purpose) ?? this.#active;
  }

  /** The key with this id; `SEALED_KEY_UNKNOWN` when the ring does not hold it. */
  key(id: string): Uint8Array {
    const key = this.#keys.get(id);
    if (key === undefined) throw sealedError('SEALED_KEY_UNKNOWN', 'no key with this id in the keyring', { keyId: id });
    // A copy, so no caller can change the ring's key.
    return key.slice();
  }

  /** {@link KeySource}: the purpose's key (or the active key), not wrapped. */
  async sealingKey(scope: KeyScope): Promise<SealingKey> {
    return this.sealingKeyNow(scope);
  }

  /** {@link KeySource}: the key with this id. A box carrying a wrapped key was sealed by a KMS source: `SEALED_KEY_UNKNOWN` here. */
  async openingKey(box: SealedKeyReference): Promise<Uint8Array> {
    return this.openingKeyNow(box);
  }

  /** {@link KeySource}: a keyring's keys are always at hand. */
  sealingKeyNow(scope: KeyScope): SealingKey {
    const keyId = this.keyIdFor(scope.purpose);
    return { keyId, key: this.key(keyId), wrapped: NOT_WRAPPED };
  }

  /** {@link KeySource}: a keyring's keys are always at hand. */
  openingKeyNow(box: SealedKeyReference): Uint8Array {
    if (box.wrapped.length > 0) {
      const message =
        box.wrapped[0] === WRAPPED_SUBJECT
          ? 'this value was sealed under a data subject key: open it with SubjectKeys and the key store'
          : 'this value was sealed under a KMS-wrapped data key: open it with the KMS key source';
      throw sealedError('SEALED_KEY_UNKNOWN', message, { keyId: box.keyId });
    }
    return this.key(box.keyId);
  }

  /** {@link KeySource}: the purposes sealed under a key of their own (`purposes`). */
  configuredPurposes(): string[] {
    return [...this.#purposes.keys()];
  }

  has(id: string): boolean {
    return this.#keys.has(id);
  }

  describe(): KeyringDescription {
    return { active: this.#active, keyIds: [...this.#keys.keys()], purposes: Object.fromEntries(this.#purposes) };
  }

  toJSON(): KeyringDescription {
    return this.describe();
  }

  [INSPECT](): string {
    return `Keyring(${JSON.stringify(this.describe())})`;
  }
}

function checkKeyId(id: unknown): string {
  if (typeof id !== 'string' || !KEY_ID_PATTERN.test(id)) {
    throw sealedError('SEALED_INVALID_OPTION', `key ids must match ${KEY_ID_PATTERN}`);
  }
  return id;
}

function decodeKey(id: string, material: KeyMaterial): Uint8Array {
  const bytes =
    typeof material === 'string'
      ? decodeBase64(material, KEY_MATERIAL)
      : material instanceof Uint8Array
        ? new Uint8Array(material)
        : undefined;
  if (bytes === undefined || bytes.length !== KEY_BYTES) {
    throw sealedError('SEALED_KEY_INVALID', 'a key must be 32 bytes (raw, or base64)', { keyId: shownIdentifier(id) });
  }
  return bytes;
}

/** Why a keyring's keys are missing from the environment, and that a KMS-only setup needs none. */
function keysNotSet(name: string): string {
  return `${name} is not set: Keyring.fromEnv reads the keyring from it (sealed-fields keygen --format env). With keys from AWS KMS alone, no keyring is needed: staticKeys: Keyring.fromEnv() is only for a move to KMS, to open payloads sealed under the keyring before it`;
}

function parsePairs(text: string | undefined, name: string, optional = false): Record<string, string> {
  if (text === undefined || text.trim() === '') {
    if (optional) return {};
    throw sealedError('SEALED_INVALID_OPTION', keysNotSet(name));
  }
  const out = Object.create(null) as Record<string, string>;
  for (const pair of text.split(',')) {
    const at = pair.indexOf(':');
    if (at <= 0) throw sealedError('SEALED_INVALID_OPTION', `${name} must look like "id:value,id:value"`);
    const id = pair.slice(0, at).trim();
    if (Object.hasOwn(out, id)) throw sealedError('SEALED_INVALID_OPTION', `${name} lists an id twice`, { keyId: shownIdentifier(id) });
    out[id] = pair.slice(at + 1).trim();
  }
  return out;
}
