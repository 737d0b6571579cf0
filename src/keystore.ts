/**
 * temporal-sealed-fields/keystore: Node only. Where per-data-subject keys live (docs/ERASURE.md):
 * a memory store for tests, the embedded file store (no server) and the PostgreSQL store (`pg`,
 * an optional peer dependency) for many processes sharing one store.
 * @packageDocumentation
 */
export type { SubjectKeyStore, StoredSubjectKey, SubjectKeyLookup, ForgetRecord, ListKeysOptions } from './keystore/subject-key-store';
export { MemorySubjectKeyStore, type MemorySubjectKeyStoreOptions } from './keystore/memory-store';
export { FileSubjectKeyStore, type FileSubjectKeyStoreOptions } from './keystore/file-store';
export {
  PostgresSubjectKeyStore,
  type PostgresSubjectKeyStoreOptions,
  type PostgresSubjectKeyTables,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryable,
} from './keystore/postgres-store';
