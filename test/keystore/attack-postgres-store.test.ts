// Attacks on the PostgreSQL subject key store beyond postgres-store.test.ts (docs/ERASURE.md, #13):
// a throwaway cluster per file (test/support/postgres.ts).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { Keyring, SubjectKeys } from '../../src/codec';
import type { StoredSubjectKey } from '../../src/keystore';
import { PostgresSubjectKeyStore, type PostgresSubjectKeyStoreOptions } from '../../src/keystore';
import { type PostgresServer, startPostgres } from '../support/postgres';

let server: PostgresServer;
let prefixes = 0;
const opened: PostgresSubjectKeyStore[] = [];
const clients: pg.Client[] = [];

beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await Promise.all(clients.splice(0).map((client) => client.end().catch(() => undefined)));
});

const newHash = (): string => randomBytes(32).toString('base64url');
const newPrefix = (): string => `pgattack_${++prefixes}_`;
const candidate = (subjectHash: string, purpose = 'phi'): StoredSubjectKey => ({
  subjectHash,
  purpose,
  keyId: `sk-${randomBytes(6).toString('hex')}`,
  wrappedKey: randomBytes(72),
  createdAt: new Date(),
});

async function open(options: PostgresSubjectKeyStoreOptions): Promise<PostgresSubjectKeyStore> {
  const store = await PostgresSubjectKeyStore.create(options);
  opened.push(store);
  return store;
}

async function session(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  clients.push(client);
  await client.connect();
  return client;
}

/** Waits until `count` sessions wait on a lock. */
async function lockWaiters(count: number): Promise<void> {
  await vi.waitFor(
    async () => {
      const result = await server.admin(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'`);
      expect(result.rows[0].n).toBeGreaterThanOrEqual(count);
    },
    { timeout: 10_000, interval: 25 },
  );
}

const codeOf = (err: unknown): unknown => (err as { code?: unknown } | null)?.code;

describe('PostgresSubjectKeyStore under attack', () => {
  // Finding (high for such deployments): with default_transaction_isolation = 'repeatable read' on
  // the database or role (a common hardening, or a pool that sets it), putIfAbsent's snapshot was
  // taken by its first statement, before it got the per-subject advisory lock. A forget that
  // committed while the first use waited for the lock was invisible to it: no tombstone seen, the
  // INSERT went through, and the first use got a key stored beside the tombstone. SubjectKeys then
  // sealed new values of the forgotten subject under a key that is still in the table (so anyone
  // with the table, a backup of it, and the keyring reads them). Fixed: the store's transactions
  // run READ COMMITTED whatever the session default.
  test('a first use racing forget under a REPEATABLE READ default gets SEALED_ERASED, and no key stays beside the tombstone', async () => {
    const url = await server.createDatabase('rr_default');
    await server.admin(`ALTER DATABASE rr_default SET default_transaction_isolation = 'repeatable read'`);
    const tablePrefix = newPrefix();
    const [store, other] = [await open({ connectionString: url, tablePrefix }), await open({ connectionString: url, tablePrefix })];
    await store.migrate();
    const subjectHash = newHash();
    // Another forget of this subject holds its lock: ours queues behind it, the first use behind both.
    const locker = await session(url);
    await locker.query('BEGIN');
    await locker.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [
      `temporal-sealed-fields:${store.tables.keys}`,
      subjectHash,
    ]);
    const forgotten = other.forget(subjectHash, { actor: 'dpo' });
    await lockWaiters(1);
    const use = store.putIfAbsent(candidate(subjectHash)).then(
      (key) => key.keyId,
      (err: unknown) => codeOf(err),
    );
    await lockWaiters(2);
    await locker.query('ROLLBACK');
    await forgotten;
    expect(await use).toBe('SEALED_ERASED');
    const reader = await session(url);
    expect((await reader.query(`SELECT count(*)::int AS n FROM ${store.tables.keys}`)).rows[0].n).toBe(0);
    expect(await store.get(subjectHash, 'phi')).toEqual({ erasedAt: expect.any(Date) });
  });

  test('a forget queued behind a first use under a REPEATABLE READ default destroys the key that first use stored', async () => {
    const url = await server.createDatabase('rr_default_forget');
    await server.admin(`ALTER DATABASE rr_default_forget SET default_transaction_isolation = 'repeatable read'`);
    const tablePrefix = newPrefix();
    const [store, other] = [await open({ connectionString: url, tablePrefix }), await open({ connectionString: url, tablePrefix })];
    await store.migrate();
    const subjectHash = newHash();
    const locker = await session(url);
    await locker.query('BEGIN');
    await locker.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [
      `temporal-sealed-fields:${store.tables.keys}`,
      subjectHash,
    ]);
    const use = store.putIfAbsent(candidate(subjectHash));
    await lockWaiters(1);
    const forgotten = other.forget(subjectHash, { actor: 'dpo' });
    await lockWaiters(2);
    await locker.query('ROLLBACK');
    await use;
    expect((await forgotten).keysDestroyed).toBe(1);
    const reader = await session(url);
    expect((await reader.query(`SELECT count(*)::int AS n FROM ${store.tables.keys}`)).rows[0].n).toBe(0);
  });

  test('the same through SubjectKeys: a value sealed while the subject is forgotten is refused, not sealed under a surviving key', async () => {
    const url = await server.createDatabase('rr_default_keys');
    await server.admin(`ALTER DATABASE rr_default_keys SET default_transaction_isolation = 'repeatable read'`);
    const tablePrefix = newPrefix();
    const [store, other] = [await open({ connectionString: url, tablePrefix }), await open({ connectionString: url, tablePrefix })];
    await store.migrate();
    const ring = new Keyring({ active: 'k1', keys: { k1: new Uint8Array(randomBytes(32)) } });
    const subjectIndexKey = new Uint8Array(randomBytes(32));
    const worker = new SubjectKeys({ keys: ring, store, subjectIndexKey });
    const dpo = new SubjectKeys({ keys: ring, store: other, subjectIndexKey });
    const subjectHash = dpo.subjectHash('patient-7');
    const locker = await session(url);
    await locker.query('BEGIN');
    await locker.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [
      `temporal-sealed-fields:${store.tables.keys}`,
      subjectHash,
    ]);
    const forgotten = dpo.forget('patient-7', { actor: 'dpo' });
    await lockWaiters(1);
    const sealing = worker.sealingKey({ purpose: 'phi', namespace: 'default', subject: 'patient-7' }).then(
      () => 'sealed',
      (err: unknown) => codeOf(err),
    );
    await lockWaiters(2);
    await locker.query('ROLLBACK');
    await forgotten;
    expect(await sealing).toBe('SEALED_ERASED');
    const reader = await session(url);
    expect((await reader.query(`SELECT count(*)::int AS n FROM ${store.tables.keys}`)).rows[0].n).toBe(0);
  });
});
