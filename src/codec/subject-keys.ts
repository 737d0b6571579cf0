import { randomBytes } from 'node:crypto';
import { SealedError, sealedError } from '../errors';
import type { ForgetRecord, StoredSubjectKey, SubjectKeyLookup, SubjectKeyStore } from '../keystore/subject-key-store';
import { checkPurpose } from '../model/purpose';
import { checkSubject, type DataSubject } from '../model/subject';
import { indexKey, keyedHash } from './blind-index';
import { isKeySource, type KeyScope, type KeySource, type SealedKeyReference, type SealingKey } from './key-source';
import type { KeyMaterial } from './keyring';
import { TtlLru } from './kms/ttl-lru';
import { newSubjectKeyId, unwrapSubjectKey, wrapSubjectKey } from './subject-key-wrap';
import { isSubjectWrapped, readSubjectHash, writeSubjectWrapped } from './subject-wrapped';

/**
 * Options of {@link SubjectKeys}.
 *
 * @example
 * ```ts
 * const keys = new SubjectKeys({ keys: Keyring.fromEnv(), store, subjectIndexKey: process.env.SEALED_FIELDS_SUBJECT_INDEX_KEY!, cacheTtlMs: 30_000 });
 * ```
 */
export interface SubjectKeysOptions {
  /**
   * The ordinary key source (a `Keyring`, an `AwsKmsKeySource`): it seals every value without a
   * data subject, exactly as without `SubjectKeys`, and wraps the subject keys the store keeps.
   */
  keys: KeySource;
  /** Where subject keys live, wrapped (`temporal-sealed-fields/keystore`). Every process that seals or opens a subject's values shares it. */
  store: SubjectKeyStore;
  /**
   * Keys the subject hashes that name subjects in box headers and in the store: 32 or more random
   * bytes (raw or base64, `sealed-fields keygen --index`), the same on every process sharing the
   * store, separate from every sealing key. Losing it loses the way from a subject id to its keys.
   */
  subjectIndexKey: KeyMaterial;
  /**
   * How long an unwrapped subject key, or the news that a subject was forgotten, is kept in memory,
   * ms (default 60 s). A `forget` through this instance acts at once; other processes sharing the
   * store honour it within this time.
   */
  cacheTtlMs?: number;
  /** Subject keys kept in memory, least recently used dropped first (default 10,000). */
  cacheMaxEntries?: number;
  /** @internal Clock, for tests. */
  now?: () => number;
}

/**
 * Store calls and cache use of one `SubjectKeys` since it was created.
 *
 * @example
 * ```ts
 * const { storeReads, keysCreated, cacheHits } = subjectKeys.stats();
 * ```
 */
export interface SubjectKeysStats {
  /** Keys looked up in the store (a first use, or a key whose cache entry expired). */
  storeReads: number;
  /** Keys offered to the store (`putIfAbsent`), the first use of a (subject, purpose) in any process. */
  storeWrites: number;
  /** Keys this instance made and the store kept (a writer that lost a race uses the winner's). */
  keysCreated: number;
  /** Keys served from memory, without the store. */
  cacheHits: number;
  /** Unwrapped subject keys held now. */
  cachedKeys: number;
}

interface SubjectKey {
  keyId: string;
  key: Uint8Array;
}

interface SubjectRef {
  /** The subject hash, base64url: how the store names the subject. */
  hash: string;
  /** The box's wrapped-key field: 0x02 and the hash's 32 bytes. */
  wrapped: Uint8Array;
}

const SUBJECT_HASH_DOMAIN = 'temporal-sealed-fields/data-subject/v1';
const SUBJECT_HASH_PURPOSE = 'subject';
const DEFAULT_TTL_MS = 60_000;
const DEFAULT_MAX_ENTRIES = 10_000;
const KEY_BYTES = 32;
const INSPECT = Symbol.for('nodejs.util.inspect.custom');
/** Longest delay setTimeout takes (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A key source for values that belong to a data subject (docs/ERASURE.md). It wraps the ordinary
 * source: values without a subject are sealed and opened exactly as by that source. Values of a
 * subject (`@DataSubjectId`, zod `dataSubject`, `secret(v, { subject })`) are sealed under a key of
 * their own per (subject, purpose):
 *
 * - The subject is named only by its **subject hash**: HMAC-SHA-256 of the subject id under the
 *   subject index key, in the box header (wrapped-key field `0x02 | hash`) and in the store. The
 *   subject id itself travels only inside boxes.
 * - The key (32 random bytes, id `sk-...`) is made on first use, wrapped under a data key of the
 *   ordinary source, and stored with `putIfAbsent`: processes racing on a new subject converge on
 *   one key. It is not in the box: destroying the store's row makes every box of the subject
 *   unreadable, wherever its copies are.
 * - `forget(subject)` destroys the subject's keys in the store and in this process at once;
 *   afterwards opening its boxes gives tombstones (`[erased:<purpose>]`, `Erased` in workers) and
 *   sealing new values for it fails with `SEALED_ERASED`.
 * - Unwrapped keys are cached (bounded, `cacheTtlMs`): the hot path does not call the store, and
 *   other processes honour a `forget` within `cacheTtlMs`.
 * - A store that does not answer fails the call (`SEALED_KEYSTORE_UNAVAILABLE`): nothing is sealed
 *   in clear or under another key in its place.
 *
 * @example
 * ```ts
 * const store = await FileSubjectKeyStore.create({ directory: '/var/lib/sealed-fields/subject-keys' });
 * const keys = SubjectKeys.fromEnv({ keys: Keyring.fromEnv(), store }); // SEALED_FIELDS_SUBJECT_INDEX_KEY
 * const codec = await SealingCodec.create({ keys });
 * // later, on an erasure request:
 * await keys.forget('patient-1042', { actor: 'dpo@example.com', reason: 'GDPR Art. 17, ticket 7781' });
 * ```
 */
export class SubjectKeys implements KeySource {
  readonly #inner: KeySource;
  readonly #store: SubjectKeyStore;
  readonly #indexKey: Uint8Array;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #keys: TtlLru<SubjectKey>;
  readonly #erased: TtlLru<true>;
  readonly #refs = new Map<string, SubjectRef>();
  readonly #purposes = new Set<string>();
  readonly #sealing = new Map<string, Promise<SubjectKey>>();
  readonly #opening = new Map<string, Promise<SubjectKey>>();
  readonly #stats = { storeReads: 0, storeWrites: 0, keysCreated: 0, cacheHits: 0 };
  readonly #dropListeners: Array<(keyId: string) => void> = [];

  constructor(options: SubjectKeysOptions) {
    if (options === null || typeof options !== 'object' || !isKeySource(options.keys))
      throw sealedError('SEALED_INVALID_OPTION', 'SubjectKeys needs keys (the ordinary KeySource: a Keyring or an AwsKmsKeySource)');
    if (!isStore(options.store)) throw sealedError('SEALED_INVALID_OPTION', 'SubjectKeys needs a store (a SubjectKeyStore)');
    if (options.subjectIndexKey === undefined) throw sealedError('SEALED_INVALID_OPTION', 'SubjectKeys needs a subjectIndexKey');
    this.#inner = options.keys;
    this.#store = options.store;
    this.#indexKey = indexKey(options.subjectIndexKey);
    this.#ttlMs = positive(options.cacheTtlMs, DEFAULT_TTL_MS, 'cacheTtlMs');
    this.#maxEntries = positive(options.cacheMaxEntries, DEFAULT_MAX_ENTRIES, 'cacheMaxEntries');
    this.#now = options.now ?? Date.now;
    this.#keys = new TtlLru<SubjectKey>(this.#maxEntries, this.#ttlMs, this.#now, (entry) => this.#drop(entry));
    this.#erased = new TtlLru<true>(this.#maxEntries, this.#ttlMs, this.#now);
  }

  /** Reads the subject index key from `<PREFIX>_SUBJECT_INDEX_KEY` (base64); the prefix defaults to `SEALED_FIELDS`. */
  static fromEnv(
    options: Omit<SubjectKeysOptions, 'subjectIndexKey'>,
    env: Record<string, string | undefined> = process.env,
    prefix = 'SEALED_FIELDS',
  ): SubjectKeys {
    const subjectIndexKey = env[`${prefix}_SUBJECT_INDEX_KEY`];
    if (subjectIndexKey === undefined || subjectIndexKey.trim() === '')
      throw sealedError('SEALED_INVALID_OPTION', `${prefix}_SUBJECT_INDEX_KEY is not set`);
    return new SubjectKeys({ ...options, subjectIndexKey });
  }

  /**
   * The keyed hash that names `subject` in box headers and in the store (base64url, 43
   * characters). `scan` compares it with the boxes of a history to find a subject's runs without
   * learning who any other subject is.
   */
  subjectHash(subject: DataSubject): string {
    return this.#refOf(checkSubject(subject, 'subject')).hash;
  }

  /**
   * Erases a data subject: destroys its keys in the store (which records who, when and why, with
   * the subject hash only) and in this process's memory at once. Its values can never be opened
   * again, anywhere; sealing new ones fails with `SEALED_ERASED`. Other processes sharing the store
   * honour it within their `cacheTtlMs`. Forgetting a subject again records again and destroys nothing more.
   */
  async forget(subject: DataSubject, audit: { actor: string; reason?: string }): Promise<ForgetRecord> {
    const id = checkSubject(subject, 'subject');
    // The audit record is kept for ever and names the subject by its hash only: never the id, also not by the caller's hand.
    const given = audit as { actor?: unknown; reason?: unknown } | null | undefined;
    if ([given?.actor, given?.reason].some((text) => typeof text === 'string' && namesId(text, id)))
      throw sealedError('SEALED_INVALID_OPTION', FORGET_NAMES_ID, { option: 'audit' });
    const { hash } = this.#refOf(id);
    const record = await this.#call('forget', () => this.#store.forget(hash, audit));
    this.#erased.set(hash, true);
    for (const purpose of this.#purposes) this.#keys.delete(slotOf(hash, purpose));
    this.#refs.delete(id);
    return record;
  }

  /** {@link KeySource}: the codec drops its key check (and its copy of the key) of every subject key this source drops. */
  onKeyDropped(listener: (keyId: string) => void): void {
    this.#dropListeners.push(listener);
    this.#inner.onKeyDropped?.(listener);
  }

  #drop(entry: SubjectKey): void {
    entry.key.fill(0);
    for (const listener of this.#dropListeners) listener(entry.keyId);
  }

  /** {@link KeySource}: a value without a subject gets the ordinary source's key; a subject's value its subject key, made on first use. */
  async sealingKey(scope: KeyScope): Promise<SealingKey> {
    if (scope.subject === undefined) return this.#inner.sealingKey(scope);
    const now = this.sealingKeyNow(scope);
    if (now !== undefined) return now;
    const ref = this.#refOf(checkSubject(scope.subject, 'subject'));
    const purpose = checkPurpose(scope.purpose);
    const entry = await this.#flight(this.#sealing, slotOf(ref.hash, purpose), () => this.#loadOrCreate(ref.hash, purpose));
    return { keyId: entry.keyId, key: entry.key.slice(), wrapped: ref.wrapped };
  }

  /** {@link KeySource}: the key at hand (the ordinary source's, or a cached subject key); `undefined` when it must be fetched. */
  sealingKeyNow(scope: KeyScope): SealingKey | undefined {
    if (scope.subject === undefined) return this.#inner.sealingKeyNow?.(scope);
    const ref = this.#refOf(checkSubject(scope.subject, 'subject'));
    this.#refuseErased(ref.hash, scope.purpose);
    const entry = this.#cached(ref.hash, scope.purpose);
    return entry === undefined ? undefined : { keyId: entry.keyId, key: entry.key.slice(), wrapped: ref.wrapped };
  }

  /** {@link KeySource}: a subject box's key from the store (unwrapped, cached); `SEALED_ERASED` once the subject was forgotten. Other boxes go to the ordinary source. */
  async openingKey(box: SealedKeyReference): Promise<Uint8Array> {
    if (!isSubjectWrapped(box.wrapped)) return this.#inner.openingKey(box);
    const now = this.openingKeyNow(box);
    if (now !== undefined) return now;
    const hash = readSubjectHash(box.wrapped);
    const purpose = checkPurpose(box.purpose);
    const entry = await this.#flight(this.#opening, slotOf(hash, purpose), () => this.#load(hash, purpose));
    return checkedKey(entry, box);
  }

  /** {@link KeySource}: the key at hand; `undefined` when it must be fetched. */
  openingKeyNow(box: SealedKeyReference): Uint8Array | undefined {
    if (!isSubjectWrapped(box.wrapped)) return this.#inner.openingKeyNow?.(box);
    const hash = readSubjectHash(box.wrapped);
    this.#refuseErased(hash, box.purpose);
    const entry = this.#cached(hash, box.purpose);
    return entry === undefined ? undefined : checkedKey(entry, box);
  }

  /** {@link KeySource}: the ordinary source's configured purposes. */
  configuredPurposes(): string[] {
    return this.#inner.configuredPurposes?.() ?? [];
  }

  /** Store calls and cache use so far. */
  stats(): SubjectKeysStats {
    return { ...this.#stats, cachedKeys: this.#keys.size };
  }

  /** Drops every cached subject key (zeroing it) and every cached erasure: the next use asks the store. */
  clearCache(): void {
    this.#keys.clear();
    this.#erased.clear();
    this.#refs.clear();
  }

  /** The configuration, without keys. */
  describe(): { cacheTtlMs: number; cacheMaxEntries: number } {
    return { cacheTtlMs: this.#ttlMs, cacheMaxEntries: this.#maxEntries };
  }

  toJSON(): ReturnType<SubjectKeys['describe']> {
    return this.describe();
  }

  [INSPECT](): string {
    return `SubjectKeys(${JSON.stringify(this.describe())})`;
  }

  #refOf(subject: string): SubjectRef {
    const known = this.#refs.get(subject);
    if (known !== undefined) return known;
    const bytes = keyedHash(SUBJECT_HASH_DOMAIN, SUBJECT_HASH_PURPOSE, subject, this.#indexKey);
    const ref = { hash: bytes.toString('base64url'), wrapped: writeSubjectWrapped(bytes) };
    if (this.#refs.size >= this.#maxEntries) this.#refs.clear();
    this.#refs.set(subject, ref);
    return ref;
  }

  #cached(hash: string, purpose: string): SubjectKey | undefined {
    const entry = this.#keys.get(slotOf(hash, purpose));
    if (entry !== undefined) this.#stats.cacheHits++;
    return entry;
  }

  #refuseErased(hash: string, purpose: string): void {
    if (this.#erased.get(hash) !== undefined) throw erased(hash, purpose);
  }

  /** One call per slot at a time: concurrent first uses of a subject share one store round trip. */
  async #flight(flights: Map<string, Promise<SubjectKey>>, slot: string, run: () => Promise<SubjectKey>): Promise<SubjectKey> {
    let flight = flights.get(slot);
    if (flight === undefined) {
      flight = run().finally(() => flights.delete(slot));
      flights.set(slot, flight);
    }
    return flight;
  }

  /** The subject's key for opening: from the store; none there is `SEALED_KEY_UNKNOWN`. */
  async #load(hash: string, purpose: string): Promise<SubjectKey> {
    const found = await this.#get(hash, purpose);
    if (found === undefined)
      throw sealedError('SEALED_KEY_UNKNOWN', 'the key store holds no key for this data subject and purpose', {
        subjectHash: hash,
        purpose,
      });
    return this.#unwrapped(found);
  }

  /** The subject's key for sealing: from the store, or made now and stored (the first writer's key wins a race). */
  async #loadOrCreate(hash: string, purpose: string): Promise<SubjectKey> {
    const found = await this.#get(hash, purpose);
    if (found !== undefined) return this.#unwrapped(found);
    const key = new Uint8Array(randomBytes(KEY_BYTES));
    const keyId = newSubjectKeyId();
    let stored: StoredSubjectKey;
    try {
      const wrappedKey = await wrapSubjectKey(this.#inner, { subjectHash: hash, purpose, keyId }, key);
      const candidate: StoredSubjectKey = { subjectHash: hash, purpose, keyId, wrappedKey, createdAt: new Date(this.#now()) };
      this.#stats.storeWrites++;
      stored = await this.#call('putIfAbsent', async () => storedKeyOf(await this.#store.putIfAbsent(candidate)), hash, purpose);
    } catch (err) {
      key.fill(0);
      throw err;
    }
    if (stored.keyId !== keyId) {
      key.fill(0); // another process stored its key first: use that one
      return this.#unwrapped(stored);
    }
    this.#stats.keysCreated++;
    return this.#remember(hash, purpose, { keyId, key });
  }

  async #get(hash: string, purpose: string): Promise<StoredSubjectKey | undefined> {
    this.#stats.storeReads++;
    const found: SubjectKeyLookup = await this.#call('get', async () => lookupOf(await this.#store.get(hash, purpose)), hash, purpose);
    if (found !== undefined && 'erasedAt' in found) {
      this.#erased.set(hash, true);
      throw erased(hash, purpose);
    }
    return found;
  }

  async #unwrapped(stored: StoredSubjectKey): Promise<SubjectKey> {
    const { subjectHash, purpose, keyId } = stored;
    const key = await unwrapSubjectKey(this.#inner, { subjectHash, purpose, keyId }, stored.wrappedKey);
    return this.#remember(subjectHash, purpose, { keyId, key });
  }

  /**
   * Caches a copy of a key, unless the subject was forgotten meanwhile (a `forget` that ran while
   * it was fetched). Returns the caller's own: the cache zeroes its copy when it drops it, which
   * must never touch a key a waiting caller is about to seal with.
   */
  #remember(hash: string, purpose: string, entry: SubjectKey): SubjectKey {
    if (this.#erased.get(hash) !== undefined) {
      entry.key.fill(0);
      throw erased(hash, purpose);
    }
    this.#purposes.add(purpose);
    const slot = slotOf(hash, purpose);
    this.#keys.set(slot, { keyId: entry.keyId, key: entry.key.slice() });
    // Dropped (and zeroed) once its TTL has passed, looked up again or not: cacheTtlMs bounds how long a key stays in memory.
    setTimeout(() => this.#keys.dropIfExpired(slot), Math.min(this.#ttlMs + 1, MAX_TIMER_MS)).unref?.();
    return entry;
  }

  /** A store call; a failure that is not a SealedError (a store of one's own) becomes `SEALED_KEYSTORE_UNAVAILABLE`. */
  async #call<T>(operation: 'get' | 'putIfAbsent' | 'forget', run: () => Promise<T>, hash?: string, purpose?: string): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (SealedError.is(err)) {
        if (err.code === 'SEALED_ERASED' && hash !== undefined) this.#erased.set(hash, true);
        throw err;
      }
      throw sealedError('SEALED_KEYSTORE_UNAVAILABLE', 'the subject key store failed: retry; nothing was sealed or opened without it', {
        store: 'custom',
        operation,
        reason: 'failed',
        ...(purpose !== undefined && { purpose }),
      });
    }
  }
}

/** The key of a box, once its key id is the one the store holds for the subject and purpose. */
function checkedKey(entry: SubjectKey, box: SealedKeyReference): Uint8Array {
  if (entry.keyId !== box.keyId) {
    throw sealedError('SEALED_KEY_UNKNOWN', 'the key store holds another key for this data subject and purpose', { keyId: box.keyId });
  }
  return entry.key.slice();
}

function erased(subjectHash: string, purpose: string): SealedError {
  return sealedError('SEALED_ERASED', 'this data subject was forgotten: its keys are destroyed and no new key is made', {
    subjectHash,
    purpose,
  });
}

const FORGET_NAMES_ID = 'forget: actor and reason must not contain the subject id: the audit record keeps only its keyed hash';
const WORD_CHARACTER = /[\p{L}\p{N}]/u;

/** True when `text` holds `id` as a word of its own (not inside a longer word or number: "A" is not in "Art. 17", "42" not in "4242"). */
function namesId(text: string, id: string): boolean {
  for (let at = text.indexOf(id); at !== -1; at = text.indexOf(id, at + 1)) {
    const before = text[at - 1];
    const after = text[at + id.length];
    if ((before === undefined || !WORD_CHARACTER.test(before)) && (after === undefined || !WORD_CHARACTER.test(after))) return true;
  }
  return false;
}

/**
 * A store's answer to `get`, held to the contract: `null` (a common "none" of one's own stores) reads
 * as none; anything else outside it throws, and `#call` makes that `SEALED_KEYSTORE_UNAVAILABLE`.
 */
function lookupOf(found: unknown): SubjectKeyLookup {
  if (found === undefined || found === null) return undefined;
  if (typeof found !== 'object') throw new TypeError('the store answered get outside its contract');
  return 'erasedAt' in found ? (found as { erasedAt: Date }) : storedKeyOf(found);
}

/** A stored key as a store returned it, checked for shape (its bytes are checked when unwrapped). */
function storedKeyOf(stored: unknown): StoredSubjectKey {
  const key = stored as Partial<StoredSubjectKey> | null;
  if (typeof key !== 'object' || key === null || typeof key.keyId !== 'string' || !(key.wrappedKey instanceof Uint8Array))
    throw new TypeError('the store answered outside its contract');
  return key as StoredSubjectKey;
}

function slotOf(hash: string, purpose: string): string {
  return `${hash}\u0000${purpose}`;
}

function isStore(value: unknown): value is SubjectKeyStore {
  const store = value as SubjectKeyStore | null;
  return (
    typeof store === 'object' &&
    store !== null &&
    typeof store.get === 'function' &&
    typeof store.putIfAbsent === 'function' &&
    typeof store.forget === 'function'
  );
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) throw sealedError('SEALED_INVALID_OPTION', `${name} must be a positive number`);
  return value;
}
