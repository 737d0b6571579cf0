/**
 * Where per-data-subject keys live (docs/ERASURE.md). A store keeps each subject's keys only
 * wrapped (sealed under the keyring's or the KMS's key by `SubjectKeys`, which the store never
 * sees unwrapped), names subjects only by their keyed hash, and destroys them on `forget`.
 *
 * Stores that ship (`temporal-sealed-fields/keystore`): `MemorySubjectKeyStore` (tests, one
 * process), `FileSubjectKeyStore` (embedded default, one directory, no server, no native module)
 * and `PostgresSubjectKeyStore` (many workers, codec servers and CLIs sharing one store). All
 * three pass one contract test suite (test/keystore/contract.test.ts). Failures are
 * `SealedError`s: `SEALED_KEYSTORE_UNAVAILABLE` (the store does not answer), `SEALED_ERASED`,
 * `SEALED_INVALID_OPTION` (a hash, purpose or key id outside its grammar), `SEALED_MALFORMED`
 * (a damaged record).
 *
 * @example
 * ```ts
 * const store: SubjectKeyStore = await FileSubjectKeyStore.create({ directory: '.sealed-fields/subject-keys' });
 * const lookup = await store.get(subjectHash, 'phi');
 * if (lookup !== undefined && 'erasedAt' in lookup) showTombstone(lookup.erasedAt);
 * ```
 */
export interface SubjectKeyStore {
  /** The subject's key for `purpose`; `{ erasedAt }` once the subject was forgotten; `undefined` if never created. */
  get(subjectHash: string, purpose: string): Promise<SubjectKeyLookup>;
  /**
   * Stores `key` unless the subject already has a key for `key.purpose`, and returns the key
   * that is stored: two writers racing on one subject converge on one key (the first insert
   * wins; the loser reads the winner's). Throws `SEALED_ERASED` if the subject was forgotten.
   */
  putIfAbsent(key: StoredSubjectKey): Promise<StoredSubjectKey>;
  /**
   * Destroys every key of the subject, leaves a tombstone (the hash and the time, nothing
   * else) so later writes and reads get `SEALED_ERASED`, and appends an audit record.
   */
  forget(subjectHash: string, audit: { actor: string; reason?: string }): Promise<ForgetRecord>;
  /** The audit records of `forget`, oldest first. */
  forgetRecords(): Promise<ForgetRecord[]>;
  /**
   * Optional: every key the store holds, wrapped (never one of a forgotten subject), in no set
   * order; with `subjectHash`, that subject's keys only. For audits and `sealed-fields scan`, which
   * counts the subject keys each keyring or KMS key wraps before one is retired. The three stores
   * that ship implement it; a store without it is reported as not checked.
   */
  listKeys?(options?: ListKeysOptions): AsyncIterable<StoredSubjectKey>;
  /**
   * Optional: whether this store's credentials may do what `forget` does, checked without writing
   * anything (`sealed-fields forget --dry-run` asks it). Resolves to what is missing, as short
   * human-readable strings naming the privilege and the table or folder (never a key or a subject):
   * empty when `forget` would be let through. The three stores that ship implement it (PostgreSQL:
   * the role's table privileges; file: write access to the store's folders; memory: nothing is
   * ever missing); a store without it is reported as not checked. A store that does not answer
   * rejects as its other methods do (`SEALED_KEYSTORE_UNAVAILABLE`).
   *
   * @example
   * ```ts
   * const missing = (await store.checkForgetAccess?.()) ?? [];
   * if (missing.length > 0) console.error(`forget would fail: missing ${missing.join(', ')}`);
   * // e.g. [ 'DELETE on "sealed_fields"."sealed_fields_subject_keys"', 'INSERT on "sealed_fields"."sealed_fields_subject_audit"' ]
   * ```
   */
  checkForgetAccess?(): Promise<string[]>;
  /** Releases what the store holds (a pool, nothing for files); later calls fail with `SEALED_KEYSTORE_UNAVAILABLE`. */
  close(): Promise<void>;
}

/**
 * Options of {@link SubjectKeyStore.listKeys}.
 *
 * @example
 * ```ts
 * for await (const key of store.listKeys({ subjectHash })) console.log(key.purpose, key.keyId);
 * ```
 */
export interface ListKeysOptions {
  /** Only this subject's keys (its keyed hash). */
  subjectHash?: string;
}

/**
 * A subject key as a store keeps it: wrapped, never in clear.
 *
 * @example
 * ```ts
 * const stored: StoredSubjectKey = await store.putIfAbsent({ subjectHash, purpose: 'phi', keyId: 'sk-4f9c2a7d1e0b', wrappedKey, createdAt: new Date() });
 * ```
 */
export interface StoredSubjectKey {
  /** The subject's keyed hash (base64url without padding, 16 to 64 bytes), never the subject id. */
  subjectHash: string;
  /** The purpose this key seals (`^[a-z][a-z0-9_-]{0,31}$`); a subject has one key per purpose. */
  purpose: string;
  /** Random id of this key (`sk-` and random characters), written in box headers. */
  keyId: string;
  /** The subject key sealed by `SubjectKeys` under the keyring's or the KMS's key; opaque to the store. */
  wrappedKey: Uint8Array;
  /** When the key was made (by the writer that won). */
  createdAt: Date;
}

/**
 * What `get` finds: the key, a tombstone (the subject was forgotten), or nothing yet.
 *
 * @example
 * ```ts
 * const lookup: SubjectKeyLookup = await store.get(subjectHash, 'phi');
 * const state = lookup === undefined ? 'none' : 'erasedAt' in lookup ? 'erased' : lookup.keyId;
 * ```
 */
export type SubjectKeyLookup = StoredSubjectKey | { erasedAt: Date } | undefined;

/**
 * What `forget` wrote to the audit trail: who, when, the keyed hash (never the id), how many keys were destroyed.
 *
 * @example
 * ```ts
 * const record: ForgetRecord = await store.forget(subjectHash, { actor: 'dpo@example.com', reason: 'GDPR Art. 17 request 2026-114' });
 * ```
 */
export interface ForgetRecord {
  /** The forgotten subject's keyed hash. */
  subjectHash: string;
  /** Who asked (a person or a service), as the caller named them. */
  actor: string;
  /** Why (a ticket, a legal basis), when given. Never the subject id. */
  reason?: string;
  /** When the keys were destroyed. */
  at: Date;
  /** How many keys this call destroyed (0 when the subject had none, or was forgotten before). */
  keysDestroyed: number;
}
