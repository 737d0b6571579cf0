// Attacks on the PostgreSQL subject key store beyond postgres-store.test.ts (docs/ERASURE.md, #13):
// a throwaway cluster per file (test/support/postgres-keystore.ts).
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { Keyring, SubjectKeys } from '../../src/codec';
import { candidate, newHash, usePostgresKeyStores } from '../support/postgres-keystore';

const { newPrefix, openPair, lockWaiters, repeatableReadDatabase, holdSubjectLock, keyRows } = usePostgresKeyStores('pgattack');

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
    const url = await repeatableReadDatabase('rr_default');
    const [store, other] = await openPair({ connectionString: url, tablePrefix: newPrefix() });
    const subjectHash = newHash();
    // Another forget of this subject holds its lock: ours queues behind it, the first use behind both.
    const locker = await holdSubjectLock(url, store, subjectHash);
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
    expect(await keyRows(url, store)).toBe(0);
    expect(await store.get(subjectHash, 'phi')).toEqual({ erasedAt: expect.any(Date) });
  });

  test('a forget queued behind a first use under a REPEATABLE READ default destroys the key that first use stored', async () => {
    const url = await repeatableReadDatabase('rr_default_forget');
    const [store, other] = await openPair({ connectionString: url, tablePrefix: newPrefix() });
    const subjectHash = newHash();
    const locker = await holdSubjectLock(url, store, subjectHash);
    const use = store.putIfAbsent(candidate(subjectHash));
    await lockWaiters(1);
    const forgotten = other.forget(subjectHash, { actor: 'dpo' });
    await lockWaiters(2);
    await locker.query('ROLLBACK');
    await use;
    expect((await forgotten).keysDestroyed).toBe(1);
    expect(await keyRows(url, store)).toBe(0);
  });

  test('the same through SubjectKeys: a value sealed while the subject is forgotten is refused, not sealed under a surviving key', async () => {
    const url = await repeatableReadDatabase('rr_default_keys');
    const [store, other] = await openPair({ connectionString: url, tablePrefix: newPrefix() });
    const ring = new Keyring({ active: 'k1', keys: { k1: new Uint8Array(randomBytes(32)) } });
    const subjectIndexKey = new Uint8Array(randomBytes(32));
    const worker = new SubjectKeys({ keys: ring, store, subjectIndexKey });
    const dpo = new SubjectKeys({ keys: ring, store: other, subjectIndexKey });
    const subjectHash = dpo.subjectHash('patient-7');
    const locker = await holdSubjectLock(url, store, subjectHash);
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
    expect(await keyRows(url, store)).toBe(0);
  });
});
