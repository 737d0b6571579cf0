import {
  checkedAudit,
  checkedKey,
  checkPurpose,
  checkSubjectHash,
  copyKey,
  erased,
  forgetRecord,
  type StoreOperation,
  unavailable,
} from './checks';
import type { ForgetRecord, ListKeysOptions, StoredSubjectKey, SubjectKeyLookup, SubjectKeyStore } from './subject-key-store';

/**
 * Options of {@link MemorySubjectKeyStore}.
 *
 * @example
 * ```ts
 * const store = new MemorySubjectKeyStore({ now: () => new Date('2026-01-02T00:00:00Z') });
 * ```
 */
export interface MemorySubjectKeyStoreOptions {
  /** The clock for tombstones and audit records (tests). Default: `() => new Date()`. */
  now?: () => Date;
}

/**
 * A {@link SubjectKeyStore} in this process's memory: for tests and examples. Keys live as long
 * as the object; two processes never share one. `forget` drops the wrapped keys from the map
 * (JavaScript cannot wipe memory; the unwrapped keys never reach a store).
 *
 * @example
 * ```ts
 * const store = new MemorySubjectKeyStore();
 * const key = await store.putIfAbsent({ subjectHash, purpose: 'phi', keyId: 'sk-1', wrappedKey, createdAt: new Date() });
 * await store.forget(subjectHash, { actor: 'dpo@example.com', reason: 'ticket 42' });
 * ```
 */
export class MemorySubjectKeyStore implements SubjectKeyStore {
  readonly #keys = new Map<string, Map<string, StoredSubjectKey>>();
  readonly #tombstones = new Map<string, Date>();
  readonly #audit: ForgetRecord[] = [];
  readonly #now: () => Date;
  #closed = false;

  constructor(options: MemorySubjectKeyStoreOptions = {}) {
    this.#now = options.now ?? (() => new Date());
  }

  /** {@inheritDoc SubjectKeyStore.get} */
  async get(subjectHash: string, purpose: string): Promise<SubjectKeyLookup> {
    this.#open('get');
    checkSubjectHash(subjectHash);
    checkPurpose(purpose);
    const erasedAt = this.#tombstones.get(subjectHash);
    if (erasedAt !== undefined) return { erasedAt: new Date(erasedAt.getTime()) };
    const key = this.#keys.get(subjectHash)?.get(purpose);
    return key === undefined ? undefined : copyKey(key);
  }

  /** {@inheritDoc SubjectKeyStore.putIfAbsent} */
  async putIfAbsent(key: StoredSubjectKey): Promise<StoredSubjectKey> {
    this.#open('putIfAbsent');
    const candidate = checkedKey(key);
    if (this.#tombstones.has(candidate.subjectHash)) throw erased(candidate.subjectHash, candidate.purpose);
    let purposes = this.#keys.get(candidate.subjectHash);
    if (purposes === undefined) {
      purposes = new Map();
      this.#keys.set(candidate.subjectHash, purposes);
    }
    const stored = purposes.get(candidate.purpose) ?? candidate;
    purposes.set(candidate.purpose, stored);
    return copyKey(stored);
  }

  /** {@inheritDoc SubjectKeyStore.forget} */
  async forget(subjectHash: string, audit: { actor: string; reason?: string }): Promise<ForgetRecord> {
    this.#open('forget');
    checkSubjectHash(subjectHash);
    const checked = checkedAudit(audit);
    const at = this.#now();
    if (!this.#tombstones.has(subjectHash)) this.#tombstones.set(subjectHash, at);
    const purposes = this.#keys.get(subjectHash);
    this.#keys.delete(subjectHash);
    const record = forgetRecord(subjectHash, checked, at, purposes?.size ?? 0);
    this.#audit.push(record);
    return { ...record, at: new Date(at.getTime()) };
  }

  /** {@inheritDoc SubjectKeyStore.forgetRecords} */
  async forgetRecords(): Promise<ForgetRecord[]> {
    this.#open('forgetRecords');
    return this.#audit.map((record) => ({ ...record, at: new Date(record.at.getTime()) }));
  }

  /** {@inheritDoc SubjectKeyStore.listKeys} */
  async *listKeys(options: ListKeysOptions = {}): AsyncIterable<StoredSubjectKey> {
    this.#open('listKeys');
    if (options.subjectHash !== undefined) checkSubjectHash(options.subjectHash);
    const subjects = options.subjectHash === undefined ? [...this.#keys.keys()] : [options.subjectHash];
    for (const subjectHash of subjects) {
      for (const key of [...(this.#keys.get(subjectHash)?.values() ?? [])]) yield copyKey(key);
    }
  }

  /** {@link SubjectKeyStore.checkForgetAccess}: nothing is ever missing in memory (a closed store fails with `SEALED_KEYSTORE_UNAVAILABLE`). */
  async checkForgetAccess(): Promise<string[]> {
    this.#open('checkForgetAccess');
    return [];
  }

  /** {@link SubjectKeyStore.close}: drops every key; later calls fail with `SEALED_KEYSTORE_UNAVAILABLE`. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#keys.clear();
  }

  #open(operation: StoreOperation): void {
    if (this.#closed) throw unavailable('memory', operation, 'closed');
  }
}
