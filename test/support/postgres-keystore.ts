// What the PostgreSQL subject key store's own suites share (test/keystore/postgres-store.test.ts and
// attack-postgres-store.test.ts): a throwaway cluster per file (./postgres.ts), the stores and sessions
// a test opens closed after it, candidate keys, and the pieces of their lock races.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, expect, vi } from 'vitest';
import type { StoredSubjectKey } from '../../src/keystore';
import { PostgresSubjectKeyStore, type PostgresSubjectKeyStoreOptions } from '../../src/keystore';
import { type PostgresServer, startPostgres } from './postgres';

export interface PostgresKeyStoreSuite {
  /** The file's cluster, usable in tests and in hooks registered after `usePostgresKeyStores`. */
  readonly server: PostgresServer;
  /** A table prefix no other test of the file uses. */
  newPrefix(): string;
  /** A store on the test database unless `options` name another connection; closed after the test. */
  open(options?: Partial<PostgresSubjectKeyStoreOptions>): Promise<PostgresSubjectKeyStore>;
  /** Two stores (two pools) on the same tables, the tables made: for races across instances. */
  openPair(options?: Partial<PostgresSubjectKeyStoreOptions>): Promise<[PostgresSubjectKeyStore, PostgresSubjectKeyStore]>;
  /** A session of its own (not the store's pool), ended after the test. */
  session(url?: string): Promise<pg.Client>;
  /** Waits until `count` sessions wait on a lock (a statement of the store blocked where the test wants it). */
  lockWaiters(count: number): Promise<void>;
  /** Creates a database whose sessions default to REPEATABLE READ; returns its superuser URL. */
  repeatableReadDatabase(name: string): Promise<string>;
  /**
   * A session on `url` inside a transaction holding the store's per-subject advisory lock for
   * `subjectHash`: the store's putIfAbsent and forget of that subject queue behind it until ROLLBACK.
   */
  holdSubjectLock(url: string, store: PostgresSubjectKeyStore, subjectHash: string): Promise<pg.Client>;
  /** The rows of the store's keys table, read in a session of its own on `url`. */
  keyRows(url: string, store: PostgresSubjectKeyStore): Promise<number>;
}

export const newHash = (): string => randomBytes(32).toString('base64url');

/** A subject key as SubjectKeys would offer it to putIfAbsent. */
export function candidate(subjectHash: string, purpose = 'phi'): StoredSubjectKey {
  return { subjectHash, purpose, keyId: `sk-${randomBytes(6).toString('hex')}`, wrappedKey: randomBytes(72), createdAt: new Date() };
}

/**
 * Registers the file's hooks (start the cluster before all, stop it after all, close what a test
 * opened after each) and returns what its tests use. Call once, at the top level of a test file;
 * tables are named `<prefix>_<n>_`.
 */
export function usePostgresKeyStores(prefix: string): PostgresKeyStoreSuite {
  let started: PostgresServer | undefined;
  let prefixes = 0;
  const opened: PostgresSubjectKeyStore[] = [];
  const clients: pg.Client[] = [];

  beforeAll(async () => {
    started = await startPostgres();
  });
  afterAll(async () => {
    await started?.stop();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    await Promise.all(clients.splice(0).map((client) => client.end().catch(() => undefined)));
  });

  const server = new Proxy({} as PostgresServer, {
    get: (_target, key) => {
      if (started === undefined) throw new Error('the PostgreSQL cluster is not started yet (use it in tests and hooks)');
      return Reflect.get(started, key);
    },
  });

  const open = async (options: Partial<PostgresSubjectKeyStoreOptions> = {}): Promise<PostgresSubjectKeyStore> => {
    const store = await PostgresSubjectKeyStore.create({ connectionString: server.url, ...options });
    opened.push(store);
    return store;
  };

  const session = async (url = server.url): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {});
    clients.push(client);
    await client.connect();
    return client;
  };

  return {
    server,
    newPrefix: () => `${prefix}_${++prefixes}_`,
    open,
    openPair: async (options = {}) => {
      const pair: [PostgresSubjectKeyStore, PostgresSubjectKeyStore] = [await open(options), await open(options)];
      await pair[0].migrate();
      return pair;
    },
    session,
    lockWaiters: async (count) => {
      await vi.waitFor(
        async () => {
          const result = await server.admin(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'`);
          expect(result.rows[0].n).toBeGreaterThanOrEqual(count);
        },
        { timeout: 10_000, interval: 25 },
      );
    },
    repeatableReadDatabase: async (name) => {
      const url = await server.createDatabase(name);
      await server.admin(`ALTER DATABASE ${name} SET default_transaction_isolation = 'repeatable read'`);
      return url;
    },
    holdSubjectLock: async (url, store, subjectHash) => {
      const locker = await session(url);
      await locker.query('BEGIN');
      await locker.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [
        `temporal-sealed-fields:${store.tables.keys}`,
        subjectHash,
      ]);
      return locker;
    },
    keyRows: async (url, store) => {
      const reader = await session(url);
      return (await reader.query(`SELECT count(*)::int AS n FROM ${store.tables.keys}`)).rows[0].n;
    },
  };
}
