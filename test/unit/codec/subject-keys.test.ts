import { describe, expect, it } from 'vitest';
import { Keyring } from '../../../src/codec/keyring';
import type { KeyScope, SealedKeyReference } from '../../../src/codec/key-source';
import { SubjectKeys } from '../../../src/codec/subject-keys';
import { readSubjectHash, subjectHashOf, WRAPPED_SUBJECT } from '../../../src/codec/subject-wrapped';
import { blindIndex } from '../../../src/codec/blind-index';
import { MemorySubjectKeyStore } from '../../../src/keystore/memory-store';
import type { SubjectKeyStore } from '../../../src/keystore/subject-key-store';
import { codeOf, codeOfAsync } from '../../support/errors';

const indexKey = new Uint8Array(32).fill(7);
const keyring = (): Keyring => new Keyring({ active: 'k1', keys: { k1: new Uint8Array(32).fill(1) } });
const subjectKeys = (store: SubjectKeyStore = new MemorySubjectKeyStore(), extra: { now?: () => number; cacheTtlMs?: number } = {}) =>
  new SubjectKeys({ keys: keyring(), store, subjectIndexKey: indexKey, ...extra });
const scope = (subject: string, purpose = 'phi'): KeyScope => ({ purpose, namespace: 'default', subject });
const refOf = (sealing: { keyId: string; wrapped: Uint8Array }, purpose = 'phi'): SealedKeyReference => ({
  keyId: sealing.keyId,
  wrapped: sealing.wrapped,
  purpose,
  namespace: 'default',
});

describe('SubjectKeys: subject hashes', () => {
  it('name a subject by a keyed hash: 43 base64url characters, stable, one per subject, never the id', () => {
    const keys = subjectKeys();
    const a = keys.subjectHash('patient-1042');
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(keys.subjectHash('patient-1042')).toBe(a);
    expect(keys.subjectHash('patient-1043')).not.toBe(a);
    expect(a).not.toContain('patient');
    expect(
      new SubjectKeys({ keys: keyring(), store: new MemorySubjectKeyStore(), subjectIndexKey: new Uint8Array(32).fill(8) }).subjectHash(
        'patient-1042',
      ),
    ).not.toBe(a);
  });

  it('a safe integer and its decimal string are one subject', () => {
    const keys = subjectKeys();
    expect(keys.subjectHash(42)).toBe(keys.subjectHash('42'));
  });

  it('are not blind indexes of the id under the same key (own domain)', () => {
    const keys = subjectKeys();
    const asIndex = blindIndex('patient-1042', { purpose: 'subject', key: indexKey, bytes: 32 });
    expect(keys.subjectHash('patient-1042')).not.toBe(asIndex);
  });

  it('refuse an empty, non-string or lone-surrogate subject id, without echoing it', () => {
    const keys = subjectKeys();
    for (const bad of ['', 1.5, Number.MAX_SAFE_INTEGER + 2, '\uD800x', 'x'.repeat(1025), null]) {
      expect(codeOf(() => keys.subjectHash(bad as string))).toBe('SEALED_INVALID_OPTION');
    }
  });
});

describe('SubjectKeys: keys', () => {
  it('values without a subject get the ordinary source key, unchanged', async () => {
    const keys = subjectKeys();
    const plain = await keys.sealingKey({ purpose: 'phi', namespace: 'default' });
    expect(plain).toEqual(keyring().sealingKeyNow({ purpose: 'phi', namespace: 'default' }));
    expect(keys.sealingKeyNow({ purpose: 'phi', namespace: 'default' })?.keyId).toBe('k1');
    expect(await keys.openingKey({ keyId: 'k1', wrapped: new Uint8Array(), purpose: 'phi', namespace: '' })).toEqual(
      new Uint8Array(32).fill(1),
    );
  });

  it('a subject key is made on first use, stored wrapped, and named by sk- id and the 0x02 subject reference', async () => {
    const store = new MemorySubjectKeyStore();
    const keys = subjectKeys(store);
    expect(keys.sealingKeyNow(scope('A'))).toBeUndefined();
    const sealing = await keys.sealingKey(scope('A'));
    expect(sealing.keyId).toMatch(/^sk-[A-Za-z0-9_-]{12}$/);
    expect(sealing.key).toHaveLength(32);
    expect(sealing.wrapped[0]).toBe(WRAPPED_SUBJECT);
    expect(sealing.wrapped).toHaveLength(33);
    expect(readSubjectHash(sealing.wrapped)).toBe(keys.subjectHash('A'));
    const stored = await store.get(keys.subjectHash('A'), 'phi');
    expect(stored).toMatchObject({ keyId: sealing.keyId, purpose: 'phi' });
    const wrappedKey = (stored as { wrappedKey: Uint8Array }).wrappedKey;
    expect(Buffer.from(wrappedKey).includes(Buffer.from(sealing.key))).toBe(false);
    expect(keys.stats()).toMatchObject({ keysCreated: 1, storeWrites: 1 });
  });

  it('one key per (subject, purpose): the same key again, another subject or purpose another key', async () => {
    const keys = subjectKeys();
    const a = await keys.sealingKey(scope('A'));
    expect((await keys.sealingKey(scope('A'))).key).toEqual(a.key);
    const b = await keys.sealingKey(scope('B'));
    const aContact = await keys.sealingKey(scope('A', 'contact'));
    expect(b.key).not.toEqual(a.key);
    expect(aContact.key).not.toEqual(a.key);
    expect(aContact.keyId).not.toBe(a.keyId);
  });

  it('the hot path does not call the store: cached keys seal and open without a read', async () => {
    const keys = subjectKeys();
    const sealing = await keys.sealingKey(scope('A'));
    const reads = keys.stats().storeReads;
    for (let i = 0; i < 100; i++) {
      expect(keys.sealingKeyNow(scope('A'))?.keyId).toBe(sealing.keyId);
      expect(keys.openingKeyNow(refOf(sealing))).toEqual(sealing.key);
    }
    expect(keys.stats().storeReads).toBe(reads);
  });

  it('another process sharing the store opens with the same key, after one store read', async () => {
    const store = new MemorySubjectKeyStore();
    const writer = subjectKeys(store);
    const reader = subjectKeys(store);
    const sealing = await writer.sealingKey(scope('A'));
    expect(reader.openingKeyNow(refOf(sealing))).toBeUndefined();
    expect(await reader.openingKey(refOf(sealing))).toEqual(sealing.key);
    expect(reader.stats()).toMatchObject({ storeReads: 1, keysCreated: 0 });
  });

  it('many parallel first uses across instances sharing a store converge on one key', async () => {
    const store = new MemorySubjectKeyStore();
    const instances = Array.from({ length: 8 }, () => subjectKeys(store));
    const results = await Promise.all(instances.flatMap((keys) => Array.from({ length: 5 }, () => keys.sealingKey(scope('A')))));
    expect(new Set(results.map((r) => r.keyId)).size).toBe(1);
    expect(new Set(results.map((r) => Buffer.from(r.key).toString('hex'))).size).toBe(1);
    // Within one instance, concurrent first uses share one store round trip.
    expect(instances.every((keys) => keys.stats().storeReads === 1)).toBe(true);
  });

  it('opening a subject box the store has no key for is SEALED_KEY_UNKNOWN; a box naming another key id too', async () => {
    const keys = subjectKeys();
    const sealing = await subjectKeys(new MemorySubjectKeyStore()).sealingKey(scope('A'));
    expect(await codeOfAsync(() => keys.openingKey(refOf(sealing)))).toBe('SEALED_KEY_UNKNOWN');
    const own = await keys.sealingKey(scope('A'));
    expect(await codeOfAsync(() => keys.openingKey({ ...refOf(own), keyId: 'sk-AAAAAAAAAAAA' }))).toBe('SEALED_KEY_UNKNOWN');
    expect(codeOf(() => keys.openingKeyNow({ ...refOf(own), keyId: 'sk-AAAAAAAAAAAA' }))).toBe('SEALED_KEY_UNKNOWN');
  });

  it('a wrapped-key field with an unknown tag, or a subject tag of the wrong length, is refused', async () => {
    const keys = subjectKeys();
    const ref = (wrapped: Uint8Array): SealedKeyReference => ({ keyId: 'sk-x', wrapped, purpose: 'phi', namespace: '' });
    expect(await codeOfAsync(() => keys.openingKey(ref(Uint8Array.of(0x03, 1, 2, 3))))).toBe('SEALED_KEY_UNKNOWN');
    expect(await codeOfAsync(() => keys.openingKey(ref(Uint8Array.of(WRAPPED_SUBJECT, 1, 2, 3))))).toBe('SEALED_MALFORMED');
    expect(subjectHashOf({ wrappedKey: new Uint8Array() })).toBeUndefined();
    expect(subjectHashOf({})).toBeUndefined();
  });

  it('a stored key moved to another subject or purpose, or altered, does not unwrap', async () => {
    const store = new MemorySubjectKeyStore();
    const keys = subjectKeys(store);
    const sealing = await keys.sealingKey(scope('A'));
    const row = (await store.get(keys.subjectHash('A'), 'phi')) as { keyId: string; wrappedKey: Uint8Array };
    const target = new MemorySubjectKeyStore();
    await target.putIfAbsent({
      subjectHash: keys.subjectHash('B'),
      purpose: 'phi',
      keyId: row.keyId,
      wrappedKey: row.wrappedKey,
      createdAt: new Date(),
    });
    await target.putIfAbsent({
      subjectHash: keys.subjectHash('A'),
      purpose: 'contact',
      keyId: row.keyId,
      wrappedKey: row.wrappedKey,
      createdAt: new Date(),
    });
    const flipped = Uint8Array.from(row.wrappedKey);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
    await target.putIfAbsent({
      subjectHash: keys.subjectHash('C'),
      purpose: 'phi',
      keyId: row.keyId,
      wrappedKey: flipped,
      createdAt: new Date(),
    });
    const reader = subjectKeys(target);
    const box = (subject: string, purpose = 'phi'): SealedKeyReference => ({
      keyId: row.keyId,
      wrapped: refWrapped(reader, subject),
      purpose,
      namespace: '',
    });
    expect(await codeOfAsync(() => reader.openingKey(box('B')))).toBe('SEALED_TAMPERED');
    expect(await codeOfAsync(() => reader.openingKey(box('A', 'contact')))).toBe('SEALED_TAMPERED');
    expect(await codeOfAsync(() => reader.openingKey(box('C')))).toBe('SEALED_TAMPERED');
    expect(sealing.keyId).toBe(row.keyId);
  });

  it('a keyring holding other bytes under the wrapping key id: SEALED_KEY_MISMATCH', async () => {
    const store = new MemorySubjectKeyStore();
    const sealing = await subjectKeys(store).sealingKey(scope('A'));
    const other = new SubjectKeys({
      keys: new Keyring({ active: 'k1', keys: { k1: new Uint8Array(32).fill(9) } }),
      store,
      subjectIndexKey: indexKey,
    });
    expect(await codeOfAsync(() => other.openingKey(refOf(sealing)))).toBe('SEALED_KEY_MISMATCH');
  });
});

describe('SubjectKeys: forget', () => {
  it('destroys the subject keys at once in this process: opening and sealing are SEALED_ERASED, other subjects unaffected', async () => {
    const store = new MemorySubjectKeyStore();
    const keys = subjectKeys(store);
    const a = await keys.sealingKey(scope('A'));
    const aContact = await keys.sealingKey(scope('A', 'contact'));
    const b = await keys.sealingKey(scope('B'));
    const record = await keys.forget('A', { actor: 'dpo@example.com', reason: 'Art. 17 request' });
    expect(record).toMatchObject({
      subjectHash: keys.subjectHash('A'),
      actor: 'dpo@example.com',
      reason: 'Art. 17 request',
      keysDestroyed: 2,
    });
    expect(JSON.stringify(record)).not.toContain('"A"');
    expect(codeOf(() => keys.openingKeyNow(refOf(a)))).toBe('SEALED_ERASED');
    expect(await codeOfAsync(() => keys.openingKey(refOf(aContact, 'contact')))).toBe('SEALED_ERASED');
    expect(await codeOfAsync(() => keys.sealingKey(scope('A')))).toBe('SEALED_ERASED');
    expect(await codeOfAsync(() => keys.sealingKey(scope('A', 'billing')))).toBe('SEALED_ERASED');
    expect(await keys.openingKey(refOf(b))).toEqual(b.key);
    expect(await store.get(keys.subjectHash('A'), 'phi')).toHaveProperty('erasedAt');
    expect(await store.forgetRecords()).toHaveLength(1);
  });

  it('another process honours it within cacheTtlMs, and no later', async () => {
    let now = 0;
    const store = new MemorySubjectKeyStore();
    const admin = subjectKeys(store);
    const worker = subjectKeys(store, { now: () => now, cacheTtlMs: 30_000 });
    const a = await worker.sealingKey(scope('A'));
    await admin.forget('A', { actor: 'dpo' });
    now = 29_999;
    expect(worker.openingKeyNow(refOf(a))).toEqual(a.key); // still cached: the documented bound
    now = 30_000;
    expect(worker.openingKeyNow(refOf(a))).toBeUndefined();
    expect(await codeOfAsync(() => worker.openingKey(refOf(a)))).toBe('SEALED_ERASED');
    expect(await codeOfAsync(() => worker.sealingKey(scope('A')))).toBe('SEALED_ERASED');
  });

  it('a key fetched while the subject is forgotten is not cached', async () => {
    const store = new MemorySubjectKeyStore();
    const writer = subjectKeys(store);
    const a = await writer.sealingKey(scope('A'));
    let release: () => void = () => {};
    const slow: SubjectKeyStore = {
      get: async (hash, purpose) => {
        const found = await store.get(hash, purpose);
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return found;
      },
      putIfAbsent: (key) => store.putIfAbsent(key),
      forget: (hash, audit) => store.forget(hash, audit),
      forgetRecords: () => store.forgetRecords(),
      close: () => store.close(),
    };
    const reader = subjectKeys(slow);
    const opening = reader.openingKey(refOf(a));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await reader.forget('A', { actor: 'dpo' });
    release();
    expect(await codeOfAsync(() => opening)).toBe('SEALED_ERASED');
    expect(reader.stats().cachedKeys).toBe(0);
  });
});

describe('SubjectKeys: failures', () => {
  it('a store that does not answer fails the call with its code; a store of one own with untyped errors: SEALED_KEYSTORE_UNAVAILABLE', async () => {
    const closed = new MemorySubjectKeyStore();
    await closed.close();
    expect(await codeOfAsync(() => subjectKeys(closed).sealingKey(scope('A')))).toBe('SEALED_KEYSTORE_UNAVAILABLE');
    const broken: SubjectKeyStore = {
      get: async () => {
        throw new Error('ECONNREFUSED 10.0.0.5:5432 password=hunter2');
      },
      putIfAbsent: async () => {
        throw new Error('down');
      },
      forget: async () => {
        throw new Error('down');
      },
      forgetRecords: async () => [],
      close: async () => {},
    };
    const keys = subjectKeys(broken);
    const err = await keys.sealingKey(scope('A')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SEALED_KEYSTORE_UNAVAILABLE' });
    expect(JSON.stringify(err) + String(err)).not.toContain('hunter2');
    expect(await codeOfAsync(() => keys.forget('A', { actor: 'dpo' }))).toBe('SEALED_KEYSTORE_UNAVAILABLE');
    // values without a subject never touch the store
    expect((await keys.sealingKey({ purpose: 'phi', namespace: '' })).keyId).toBe('k1');
  });

  it('options are checked when it is built; fromEnv reads SEALED_FIELDS_SUBJECT_INDEX_KEY', () => {
    const store = new MemorySubjectKeyStore();
    expect(codeOf(() => new SubjectKeys({ keys: {} as Keyring, store, subjectIndexKey: indexKey }))).toBe('SEALED_INVALID_OPTION');
    expect(codeOf(() => new SubjectKeys({ keys: keyring(), store: {} as SubjectKeyStore, subjectIndexKey: indexKey }))).toBe(
      'SEALED_INVALID_OPTION',
    );
    expect(codeOf(() => new SubjectKeys({ keys: keyring(), store, subjectIndexKey: new Uint8Array(16) }))).toBe('SEALED_KEY_INVALID');
    expect(codeOf(() => new SubjectKeys({ keys: keyring(), store, subjectIndexKey: indexKey, cacheTtlMs: 0 }))).toBe(
      'SEALED_INVALID_OPTION',
    );
    expect(codeOf(() => SubjectKeys.fromEnv({ keys: keyring(), store }, {}))).toBe('SEALED_INVALID_OPTION');
    const fromEnv = SubjectKeys.fromEnv(
      { keys: keyring(), store },
      { SEALED_FIELDS_SUBJECT_INDEX_KEY: Buffer.from(indexKey).toString('base64') },
    );
    expect(fromEnv.subjectHash('A')).toBe(subjectKeys().subjectHash('A'));
    expect(JSON.stringify(fromEnv)).toBe('{"cacheTtlMs":60000,"cacheMaxEntries":10000}');
  });
});

function refWrapped(keys: SubjectKeys, subject: string): Uint8Array {
  const hash = Buffer.from(keys.subjectHash(subject), 'base64url');
  return Uint8Array.of(WRAPPED_SUBJECT, ...hash);
}
