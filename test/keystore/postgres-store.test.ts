// The PostgreSQL store beyond the shared contract (contract.test.ts): the server stopped mid-run and
// restarted, timeouts, credentials, a least-privilege role, schema and table names, forget against a
// first use in flight. A throwaway cluster per file (test/support/postgres-keystore.ts).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, test, vi } from 'vitest';
import type { PostgresPool, StoredSubjectKey } from '../../src/keystore';
import { PostgresSubjectKeyStore, type PostgresSubjectKeyStoreOptions } from '../../src/keystore';
import { codeOfAsync, errorCode } from '../support/errors';
import { candidate, newHash, usePostgresKeyStores } from '../support/postgres-keystore';

const ROOT = path.resolve(__dirname, '..', '..');
const { server, newPrefix, open, openPair, session, lockWaiters } = usePostgresKeyStores('pgtest');

function shown(err: unknown): string {
  return `${(err as Error).message} ${JSON.stringify((err as { detail?: unknown }).detail)}`;
}

describe('PostgresSubjectKeyStore', () => {
  test('an application pg.Pool serves the store, and close() leaves it open for the application', async () => {
    const pool: PostgresPool = new pg.Pool({ connectionString: server.url, max: 3 });
    (pool as pg.Pool).on('error', () => {});
    try {
      const store = await PostgresSubjectKeyStore.create({ pool, tablePrefix: newPrefix() });
      const key = candidate(newHash());
      await store.putIfAbsent(key);
      expect(((await store.get(key.subjectHash, 'phi')) as StoredSubjectKey).keyId).toBe(key.keyId);
      await store.close();
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });

  test('PostgreSQL stopped mid-run: SEALED_KEYSTORE_UNAVAILABLE, without the password; after a restart the store works again, with its data', async () => {
    const tablePrefix = newPrefix();
    const store = await open({ tablePrefix, connectTimeoutMs: 1000, queryTimeoutMs: 20_000 });
    const kept = candidate(newHash());
    await store.putIfAbsent(kept);

    // A first use in flight when the server goes: blocked behind a table lock, then its session is ended.
    const locker = await session();
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE "${tablePrefix}keys" IN ACCESS EXCLUSIVE MODE`);
    const inFlight = store.putIfAbsent(candidate(newHash())).catch((e: unknown) => e);
    await lockWaiters(1);
    let halted = true;
    try {
      await server.halt();
      // Fast shutdown ends the locker's session and the waiter's together: on a loaded machine the
      // waiter can get the lock and commit first. Either it failed typed, or its key was stored.
      const first = await inFlight;
      const failures: unknown[] = [];
      if (first instanceof Error) failures.push(first);
      else expect((first as StoredSubjectKey).keyId).toMatch(/^sk-/);

      const started = Date.now();
      const subjectHash = newHash();
      for (const run of [
        () => store.get(kept.subjectHash, 'phi'),
        () => store.putIfAbsent(candidate(subjectHash)),
        () => store.forget(subjectHash, { actor: 'cli' }),
        () => store.forgetRecords(),
      ])
        failures.push(await run().catch((e: unknown) => e));
      expect(Date.now() - started).toBeLessThan(10_000);
      for (const err of failures) {
        expect(errorCode(err)).toBe('SEALED_KEYSTORE_UNAVAILABLE');
        expect((err as { detail: Record<string, unknown> }).detail).toEqual(
          expect.objectContaining({ store: 'postgres', reason: 'unreachable' }),
        );
        expect(shown(err)).not.toContain(server.password);
        expect(shown(err)).not.toContain(String(server.port));
      }

      await server.start();
      halted = false;
      await vi.waitFor(async () => expect(((await store.get(kept.subjectHash, 'phi')) as StoredSubjectKey).keyId).toBe(kept.keyId), {
        timeout: 15_000,
        interval: 200,
      });
      const later = candidate(subjectHash);
      expect((await store.putIfAbsent(later)).keyId).toBe(later.keyId);
      expect((await store.forget(subjectHash, { actor: 'cli' })).keysDestroyed).toBe(1);
      expect(await store.get(subjectHash, 'phi')).toEqual({ erasedAt: expect.any(Date) });
    } finally {
      // A failed attempt leaves the server up for the retry and the tests after it.
      if (halted) await server.start();
    }
  });

  test('a statement that takes longer than queryTimeoutMs fails with SEALED_KEYSTORE_UNAVAILABLE (timeout)', async () => {
    const tablePrefix = newPrefix();
    const store = await open({ tablePrefix, queryTimeoutMs: 300 });
    await store.migrate();
    const locker = await session();
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE "${tablePrefix}keys" IN ACCESS EXCLUSIVE MODE`);
    const err = await store.get(newHash(), 'phi').catch((e: unknown) => e);
    expect(errorCode(err)).toBe('SEALED_KEYSTORE_UNAVAILABLE');
    expect((err as { detail: Record<string, unknown> }).detail.reason).toBe('timeout');
    await locker.query('ROLLBACK');
    expect(await store.get(newHash(), 'phi')).toBeUndefined();
  });

  test('a wrong password or nothing listening is SEALED_KEYSTORE_UNAVAILABLE, and neither the password nor the connection string is shown', async () => {
    const wrong = `wrong-${randomBytes(9).toString('hex')}`;
    const badPassword = await open({ connectionString: server.urlFor('sealed_admin', wrong), connectTimeoutMs: 2000 });
    const denied = await badPassword.get(newHash(), 'phi').catch((e: unknown) => e);
    expect(errorCode(denied)).toBe('SEALED_KEYSTORE_UNAVAILABLE');
    expect((denied as { detail: Record<string, unknown> }).detail).toEqual(expect.objectContaining({ reason: 'auth', sqlstate: '28P01' }));
    expect(shown(denied)).not.toContain(wrong);

    const secret = `pw-${randomBytes(9).toString('hex')}`;
    const nowhere = await open({ connectionString: `postgres://sealed_admin:${secret}@127.0.0.1:1/db`, connectTimeoutMs: 1000 });
    const unreachable = await nowhere.putIfAbsent(candidate(newHash())).catch((e: unknown) => e);
    expect(errorCode(unreachable)).toBe('SEALED_KEYSTORE_UNAVAILABLE');
    expect((unreachable as { detail: Record<string, unknown> }).detail).toEqual(
      expect.objectContaining({ reason: 'unreachable', errno: 'ECONNREFUSED' }),
    );
    expect(shown(unreachable)).not.toContain(secret);
    expect(shown(unreachable)).not.toContain('127.0.0.1');
  });

  test('the least-privilege roles of docs/ERASURE.md, as written there, suffice: workers use and create keys, the forget role forgets', async () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'ERASURE.md'), 'utf8');
    const sql = /```sql\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const password = randomBytes(12).toString('hex');
    const statements = sql
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('--'))
      .join('\n')
      .replaceAll("'...'", `'${password}'`)
      .split(';')
      .map((statement) => statement.trim())
      .filter((statement) => statement !== '');
    expect(statements.length).toBeGreaterThanOrEqual(8);
    // The doc's first statements make the owner and its schema; the tables come from migrate() as that owner; then the grants.
    const grantsFrom = statements.findIndex((statement) => statement.startsWith('CREATE ROLE sealed_fields_app'));
    for (const statement of statements.slice(0, grantsFrom)) await server.admin(statement);
    const asOwner = `${server.url}?options=${encodeURIComponent('-c role=sealed_fields_owner')}`;
    const owner = await open({ connectionString: asOwner, schema: 'sealed_fields' });
    await owner.migrate();
    for (const statement of statements.slice(grantsFrom)) await server.admin(statement);
    const tableOwners = await server.admin(`SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'sealed_fields'`);
    expect(tableOwners.rows).toEqual([{ tableowner: 'sealed_fields_owner' }]);

    const app = await open({ connectionString: server.urlFor('sealed_fields_app', password), schema: 'sealed_fields' });
    const dpo = await open({ connectionString: server.urlFor('sealed_fields_forget', password), schema: 'sealed_fields' });
    const [a, b] = [newHash(), newHash()];
    const key = candidate(a);
    expect((await app.putIfAbsent(key)).keyId).toBe(key.keyId);
    expect((await app.putIfAbsent(candidate(a))).keyId).toBe(key.keyId);
    expect(((await app.get(a, 'phi')) as StoredSubjectKey).keyId).toBe(key.keyId);
    await app.putIfAbsent(candidate(b));

    // Workers cannot forget; the forget role can, and workers then see the tombstone.
    const refused = await app.forget(b, { actor: 'worker' }).catch((e: unknown) => e);
    expect(errorCode(refused)).toBe('SEALED_KEYSTORE_UNAVAILABLE');
    expect((refused as { detail: Record<string, unknown> }).detail).toEqual(
      expect.objectContaining({ reason: 'denied', sqlstate: '42501' }),
    );
    expect(await app.get(b, 'phi')).not.toHaveProperty('erasedAt');
    expect((await dpo.forget(a, { actor: 'dpo' })).keysDestroyed).toBe(1);
    expect((await dpo.forgetRecords()).map((r) => r.actor)).toEqual(['dpo']);
    expect(await app.get(a, 'phi')).toEqual({ erasedAt: expect.any(Date) });
    expect(await codeOfAsync(() => app.putIfAbsent(candidate(a)))).toBe('SEALED_ERASED');

    // A role that may not create tables is told so when its tables are missing.
    const elsewhere = await open({ connectionString: server.urlFor('sealed_fields_app', password), tablePrefix: newPrefix() });
    const cannotCreate = await elsewhere.get(a, 'phi').catch((e: unknown) => e);
    expect((cannotCreate as { detail: Record<string, unknown> }).detail).toEqual(
      expect.objectContaining({ reason: 'denied', sqlstate: '42501' }),
    );
    const noTables = await open({
      connectionString: server.urlFor('sealed_fields_app', password),
      tablePrefix: newPrefix(),
      createTables: false,
    });
    const missing = await noTables.get(a, 'phi').catch((e: unknown) => e);
    expect((missing as { detail: Record<string, unknown> }).detail).toEqual(
      expect.objectContaining({ reason: 'schema', sqlstate: '42P01' }),
    );
  });

  test('checkForgetAccess: the forget grants of docs/ERASURE.md miss nothing; the app role misses DELETE on keys and INSERT on tombstones and audit', async () => {
    const password = randomBytes(12).toString('hex');
    const tablePrefix = newPrefix();
    await server.admin('CREATE SCHEMA check_access');
    const owner = await open({ schema: 'check_access', tablePrefix });
    await owner.migrate();
    const { keys, tombstones, audit } = owner.tables;
    for (const statement of [
      `CREATE ROLE check_app LOGIN PASSWORD '${password}'`,
      'GRANT USAGE ON SCHEMA check_access TO check_app',
      `GRANT SELECT, INSERT ON ${keys} TO check_app`,
      `GRANT SELECT ON ${tombstones} TO check_app`,
      `CREATE ROLE check_forget LOGIN PASSWORD '${password}'`,
      'GRANT USAGE ON SCHEMA check_access TO check_forget',
      `GRANT SELECT, DELETE ON ${keys} TO check_forget`,
      `GRANT SELECT, INSERT ON ${tombstones}, ${audit} TO check_forget`,
      `CREATE ROLE check_outsider LOGIN PASSWORD '${password}'`,
      `GRANT SELECT, DELETE ON ${keys} TO check_outsider`,
      `GRANT SELECT, INSERT ON ${tombstones}, ${audit} TO check_outsider`,
    ])
      await server.admin(statement);
    const as = (role: string, options: Partial<PostgresSubjectKeyStoreOptions> = {}) =>
      open({ connectionString: server.urlFor(role, password), schema: 'check_access', tablePrefix, createTables: false, ...options });

    expect(await owner.checkForgetAccess()).toEqual([]);
    const dpo = await as('check_forget');
    expect(await dpo.checkForgetAccess()).toEqual([]);
    const app = await as('check_app');
    expect(await app.checkForgetAccess()).toEqual([
      `DELETE on "check_access"."${tablePrefix}keys"`,
      `INSERT on "check_access"."${tablePrefix}tombstones"`,
      `INSERT on "check_access"."${tablePrefix}audit"`,
    ]);
    // The check agrees with the real thing: the app role's forget is denied, the forget role's goes through.
    const subjectHash = newHash();
    await app.putIfAbsent(candidate(subjectHash));
    expect((await app.forget(subjectHash, { actor: 'app' }).catch((e: unknown) => e)) as object).toHaveProperty('detail.sqlstate', '42501');
    expect((await dpo.forget(subjectHash, { actor: 'dpo' })).keysDestroyed).toBe(1);
    // Grants on the tables are not enough without USAGE on the schema.
    expect(await (await as('check_outsider')).checkForgetAccess()).toEqual(['USAGE on schema "check_access"']);

    // Tables that are not there are reported and not created (not even with createTables), schema set or not.
    const nowhere = newPrefix();
    expect(await (await as('check_forget', { tablePrefix: nowhere, createTables: true })).checkForgetAccess()).toEqual([
      `table "check_access"."${nowhere}keys" (missing)`,
      `table "check_access"."${nowhere}tombstones" (missing)`,
      `table "check_access"."${nowhere}audit" (missing)`,
    ]);
    expect(await (await open({ tablePrefix: nowhere })).checkForgetAccess()).toEqual([
      `table "${nowhere}keys" (missing)`,
      `table "${nowhere}tombstones" (missing)`,
      `table "${nowhere}audit" (missing)`,
    ]);
    const made = await server.admin('SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE $1', [`${nowhere}%`]);
    expect(made.rows[0].n).toBe(0);

    await dpo.close();
    expect(await codeOfAsync(() => dpo.checkForgetAccess())).toBe('SEALED_KEYSTORE_UNAVAILABLE');
  });

  test('schema and tablePrefix name the tables; names outside ^[a-z_][a-z0-9_]*$ and bad connection options are refused', async () => {
    await server.admin('CREATE SCHEMA IF NOT EXISTS erasure');
    const store = await open({ schema: 'erasure', tablePrefix: 'billing_' });
    expect(store.tables).toEqual({
      keys: '"erasure"."billing_keys"',
      tombstones: '"erasure"."billing_tombstones"',
      audit: '"erasure"."billing_audit"',
    });
    await store.putIfAbsent(candidate(newHash()));
    const tables = await server.admin(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'erasure' ORDER BY table_name`,
    );
    expect(tables.rows.map((r: { table_name: string }) => r.table_name)).toEqual(['billing_audit', 'billing_keys', 'billing_tombstones']);

    for (const options of [
      { connectionString: server.url, tablePrefix: 'x"; DROP TABLE y; --' },
      { connectionString: server.url, tablePrefix: 'Billing_' },
      { connectionString: server.url, schema: 'public.evil' },
      { connectionString: server.url, queryTimeoutMs: 0 },
      { connectionString: '' },
      {},
      { connectionString: server.url, pool: new pg.Pool() as PostgresPool },
    ] as PostgresSubjectKeyStoreOptions[])
      expect(
        await codeOfAsync(() => PostgresSubjectKeyStore.create(options)),
        JSON.stringify(options.tablePrefix ?? options.schema ?? ''),
      ).toBe('SEALED_INVALID_OPTION');
  });

  test('forget waits for a first use in flight, then destroys its key (no key is created beside a tombstone)', async () => {
    const tablePrefix = newPrefix();
    const [store, other] = await openPair({ tablePrefix });
    const subjectHash = newHash();
    // An uncommitted row for the same (subject, purpose) holds the first use inside its INSERT, after its tombstone check.
    const blocker = await session();
    await blocker.query('BEGIN');
    await blocker.query(
      `INSERT INTO "${tablePrefix}keys" (subject_hash, purpose, key_id, wrapped_key, created_at) VALUES ($1, 'phi', 'sk-blocker', '\\x01', now())`,
      [subjectHash],
    );
    const key = candidate(subjectHash);
    const use = store.putIfAbsent(key);
    await lockWaiters(1);
    const forgotten = other.forget(subjectHash, { actor: 'race' });
    await lockWaiters(2); // forget waits for the first use's transaction
    await blocker.query('ROLLBACK');
    expect((await use).keyId).toBe(key.keyId);
    expect((await forgotten).keysDestroyed).toBe(1);
    expect((await server.admin(`SELECT count(*)::int AS n FROM "${tablePrefix}keys"`)).rows[0].n).toBe(0);
    expect(await store.get(subjectHash, 'phi')).toEqual({ erasedAt: expect.any(Date) });
  });
});
