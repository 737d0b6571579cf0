// One contract, three stores: what SubjectKeys (and a user writing a store of their own) may rely on from
// every SubjectKeyStore. The memory store runs in process, the file store in a temp dir, the PostgreSQL
// store against a throwaway cluster (test/support/postgres.ts), each test on fresh storage.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { StoredSubjectKey, SubjectKeyStore } from '../../src/keystore';
import { FileSubjectKeyStore, MemorySubjectKeyStore, PostgresSubjectKeyStore } from '../../src/keystore';
import { codeOfAsync, errorCode } from '../support/errors';
import { type PostgresServer, startPostgres } from '../support/postgres';

/** Fresh, empty storage: a store on it, another instance on the same storage, and everything the storage holds at rest as text. */
interface Storage {
  store: SubjectKeyStore;
  another(): Promise<SubjectKeyStore>;
  /** File names and contents, or table rows; undefined for the memory store (nothing at rest). */
  atRest(): Promise<string | undefined>;
}

interface Kit {
  name: string;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  fresh(opened: SubjectKeyStore[]): Promise<Storage>;
}

let postgres: PostgresServer | undefined;
let prefixes = 0;
const tempDirs: string[] = [];

const kits: Kit[] = [
  {
    name: 'MemorySubjectKeyStore',
    fresh: async (opened) => {
      const store = new MemorySubjectKeyStore();
      opened.push(store);
      return { store, another: async () => store, atRest: async () => undefined };
    },
  },
  {
    name: 'FileSubjectKeyStore',
    fresh: async (opened) => {
      const directory = path.join(mkdtempSync(path.join(os.tmpdir(), 'sealed-keystore-')), 'keys');
      tempDirs.push(path.dirname(directory));
      const open = async (): Promise<SubjectKeyStore> => {
        const store = await FileSubjectKeyStore.create({ directory });
        opened.push(store);
        return store;
      };
      return { store: await open(), another: open, atRest: async () => filesAsText(directory) };
    },
  },
  {
    name: 'PostgresSubjectKeyStore',
    setup: async () => {
      postgres = await startPostgres();
    },
    teardown: async () => {
      await postgres?.stop();
    },
    fresh: async (opened) => {
      const server = postgres as PostgresServer;
      const tablePrefix = `contract_${++prefixes}_`;
      const open = async (): Promise<SubjectKeyStore> => {
        const store = await PostgresSubjectKeyStore.create({ connectionString: server.url, tablePrefix });
        opened.push(store);
        return store;
      };
      const store = await open();
      const atRest = async (): Promise<string> => {
        const rows: string[] = [];
        for (const table of ['keys', 'tombstones', 'audit']) {
          const found = await server.admin(`SELECT to_regclass($1) IS NOT NULL AS present`, [`${tablePrefix}${table}`]);
          if (found.rows[0].present !== true) continue;
          const result = await server.admin(`SELECT row_to_json(t)::text AS row FROM "${tablePrefix}${table}" t`);
          rows.push(...result.rows.map((r: { row: string }) => `${table}: ${r.row}`));
        }
        return rows.join('\n');
      };
      return { store, another: open, atRest };
    },
  },
];

function filesAsText(root: string): string {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) {
        out.push(`${path.relative(root, full)}/`);
        walk(full);
      } else out.push(`${path.relative(root, full)}: ${readFileSync(full, 'utf8')}`);
    }
  };
  walk(root);
  return out.join('\n');
}

const newHash = (): string => randomBytes(32).toString('base64url');

function candidate(subjectHash: string, purpose = 'phi'): StoredSubjectKey {
  return { subjectHash, purpose, keyId: `sk-${randomBytes(6).toString('hex')}`, wrappedKey: randomBytes(72), createdAt: new Date() };
}

/** Whether text holds the bytes in any encoding a store could write them in. */
function holdsBytes(text: string, bytes: Uint8Array): boolean {
  const b = Buffer.from(bytes);
  return [b.toString('hex'), b.toString('base64'), b.toString('base64url')].some((form) => text.includes(form));
}

function expectSameKey(actual: StoredSubjectKey, expected: StoredSubjectKey): void {
  expect(actual.subjectHash).toBe(expected.subjectHash);
  expect(actual.purpose).toBe(expected.purpose);
  expect(actual.keyId).toBe(expected.keyId);
  expect(Buffer.from(actual.wrappedKey).equals(Buffer.from(expected.wrappedKey))).toBe(true);
  expect(actual.createdAt.getTime()).toBe(expected.createdAt.getTime());
}

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

for (const kit of kits) {
  describe(kit.name, () => {
    const opened: SubjectKeyStore[] = [];
    const fresh = (): Promise<Storage> => kit.fresh(opened);

    beforeAll(async () => {
      await kit.setup?.();
    });
    afterAll(async () => {
      await kit.teardown?.();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    test('get finds nothing for a subject it never saw', async () => {
      const { store } = await fresh();
      expect(await store.get(newHash(), 'phi')).toBeUndefined();
    });

    test('putIfAbsent stores the key, and get returns it as stored, from another instance too', async () => {
      const { store, another } = await fresh();
      const key = candidate(newHash());
      expectSameKey(await store.putIfAbsent(key), key);
      const found = await store.get(key.subjectHash, 'phi');
      expectSameKey(found as StoredSubjectKey, key);
      expectSameKey((await (await another()).get(key.subjectHash, 'phi')) as StoredSubjectKey, key);
      expect(found).not.toHaveProperty('erasedAt');
    });

    test('the first key stays: a later putIfAbsent returns the stored key, not its own candidate', async () => {
      const { store } = await fresh();
      const subjectHash = newHash();
      const first = candidate(subjectHash);
      await store.putIfAbsent(first);
      expectSameKey(await store.putIfAbsent(candidate(subjectHash)), first);
      expectSameKey((await store.get(subjectHash, 'phi')) as StoredSubjectKey, first);
    });

    test('each subject and each purpose of a subject has its own key', async () => {
      const { store } = await fresh();
      const [a, b] = [newHash(), newHash()];
      const keys = [candidate(a, 'phi'), candidate(a, 'credential'), candidate(b, 'phi')];
      for (const key of keys) expectSameKey(await store.putIfAbsent(key), key);
      for (const key of keys) expectSameKey((await store.get(key.subjectHash, key.purpose)) as StoredSubjectKey, key);
      expect(await store.get(b, 'credential')).toBeUndefined();
    });

    test('a stored key does not change when the caller changes the bytes it passed or got back', async () => {
      const { store } = await fresh();
      const key = candidate(newHash());
      const original = Buffer.from(key.wrappedKey);
      const returned = await store.putIfAbsent(key);
      key.wrappedKey.fill(0);
      returned.wrappedKey.fill(0);
      ((await store.get(key.subjectHash, 'phi')) as StoredSubjectKey).wrappedKey.fill(0);
      const again = (await store.get(key.subjectHash, 'phi')) as StoredSubjectKey;
      expect(Buffer.from(again.wrappedKey).equals(original)).toBe(true);
    });

    test('forget destroys every key of the subject, leaves a tombstone, and spares other subjects', async () => {
      const { store, another } = await fresh();
      const [a, b] = [newHash(), newHash()];
      await store.putIfAbsent(candidate(a, 'phi'));
      await store.putIfAbsent(candidate(a, 'credential'));
      const kept = candidate(b, 'phi');
      await store.putIfAbsent(kept);

      const record = await store.forget(a, { actor: 'dpo@example.com', reason: 'request 114' });
      expect(record).toEqual({ subjectHash: a, actor: 'dpo@example.com', reason: 'request 114', at: expect.any(Date), keysDestroyed: 2 });
      for (const reader of [store, await another()]) {
        for (const purpose of ['phi', 'credential', 'never-used']) expect(await reader.get(a, purpose)).toEqual({ erasedAt: record.at });
        expectSameKey((await reader.get(b, 'phi')) as StoredSubjectKey, kept);
      }
    });

    test('a forgotten subject gets no new key: putIfAbsent fails with SEALED_ERASED, on every instance', async () => {
      const { store, another } = await fresh();
      const subjectHash = newHash();
      await store.putIfAbsent(candidate(subjectHash));
      await store.forget(subjectHash, { actor: 'cli' });
      const other = await another();
      for (const writer of [store, other]) {
        for (const purpose of ['phi', 'credential'])
          expect(await codeOfAsync(() => writer.putIfAbsent(candidate(subjectHash, purpose)))).toBe('SEALED_ERASED');
      }
      expect(await store.get(subjectHash, 'phi')).toEqual({ erasedAt: expect.any(Date) });
    });

    test('SEALED_ERASED names the subject by its hash only', async () => {
      const { store } = await fresh();
      const subjectHash = newHash();
      await store.forget(subjectHash, { actor: 'cli' });
      const err = await store.putIfAbsent(candidate(subjectHash)).catch((e: unknown) => e);
      expect(errorCode(err)).toBe('SEALED_ERASED');
      expect((err as { detail: unknown }).detail).toEqual({ subjectHash, purpose: 'phi' });
    });

    test('forgetting a subject never seen leaves a tombstone and destroys no key', async () => {
      const { store } = await fresh();
      const subjectHash = newHash();
      expect((await store.forget(subjectHash, { actor: 'cli' })).keysDestroyed).toBe(0);
      expect(await store.get(subjectHash, 'phi')).toEqual({ erasedAt: expect.any(Date) });
      expect(await codeOfAsync(() => store.putIfAbsent(candidate(subjectHash)))).toBe('SEALED_ERASED');
    });

    test('forgetting twice keeps the first erasure time and audits both', async () => {
      const { store } = await fresh();
      const subjectHash = newHash();
      await store.putIfAbsent(candidate(subjectHash));
      const first = await store.forget(subjectHash, { actor: 'first' });
      await new Promise((r) => setTimeout(r, 5));
      const second = await store.forget(subjectHash, { actor: 'second' });
      expect(second.keysDestroyed).toBe(0);
      expect(await store.get(subjectHash, 'phi')).toEqual({ erasedAt: first.at });
      expect((await store.forgetRecords()).map((r) => [r.actor, r.keysDestroyed])).toEqual([
        ['first', 1],
        ['second', 0],
      ]);
    });

    test('forgetRecords lists who, when, which hash and how many keys, oldest first; a reason only when given', async () => {
      const { store, another } = await fresh();
      expect(await store.forgetRecords()).toEqual([]);
      const [a, b] = [newHash(), newHash()];
      await store.putIfAbsent(candidate(a));
      const ra = await store.forget(a, { actor: 'alice', reason: 'GDPR Art. 17' });
      const rb = await store.forget(b, { actor: 'bob' });
      const records = await (await another()).forgetRecords();
      expect(records).toEqual([ra, rb]);
      expect(records[0]).toEqual({ subjectHash: a, actor: 'alice', reason: 'GDPR Art. 17', at: ra.at, keysDestroyed: 1 });
      expect(records[1]).not.toHaveProperty('reason');
    });

    test('hashes outside canonical base64url (paths, ids in clear, padding) are refused with SEALED_INVALID_OPTION and never echoed', async () => {
      const { store, atRest } = await fresh();
      const valid = newHash();
      const bad = [
        '',
        '../../../../etc/passwd',
        '..%2F..%2Fkeys',
        'patient-1042',
        'patient 1042 / mrn:0000-1042-7788-clinic-north',
        'patient.1042@clinic-north.example.org',
        `${valid.slice(0, 42)}/`,
        `${valid.slice(0, 42)}+`,
        `${valid}=`,
        `${valid.slice(0, 42)}\u00e9`,
        'A'.repeat(87),
        'A'.repeat(21),
        `${valid.slice(0, 42)}B`, // 43 characters whose last one has bits no encoder writes
      ];
      for (const hash of bad) {
        for (const run of [
          () => store.get(hash, 'phi'),
          () => store.putIfAbsent(candidate(hash)),
          () => store.forget(hash, { actor: 'cli' }),
        ]) {
          const err = await run().catch((e: unknown) => e);
          expect(errorCode(err), JSON.stringify(hash)).toBe('SEALED_INVALID_OPTION');
          if (hash.length >= 3)
            expect(`${(err as Error).message} ${JSON.stringify((err as { detail: unknown }).detail)}`).not.toContain(hash);
        }
      }
      expect(await store.forgetRecords()).toEqual([]);
      const stored = await atRest();
      if (stored !== undefined) expect(stored).not.toMatch(/passwd|patient/);
    });

    test('purposes, key ids, wrapped keys, times and actors outside their grammar are refused with SEALED_INVALID_OPTION', async () => {
      const { store } = await fresh();
      const subjectHash = newHash();
      for (const purpose of ['', 'PHI', '../phi', 'phi/..', 'a'.repeat(33), '1phi'])
        expect(await codeOfAsync(() => store.get(subjectHash, purpose))).toBe('SEALED_INVALID_OPTION');
      const bad: Array<Partial<Record<keyof StoredSubjectKey, unknown>>> = [
        { purpose: '../x' },
        { keyId: '' },
        { keyId: '../../k' },
        { keyId: 'k'.repeat(65) },
        { wrappedKey: new Uint8Array(0) },
        { wrappedKey: 'not bytes' },
        { wrappedKey: new Uint8Array(4097) },
        { createdAt: new Date(Number.NaN) },
        { createdAt: '2026-01-01' },
      ];
      for (const change of bad) {
        const key = { ...candidate(subjectHash), ...change } as StoredSubjectKey;
        expect(await codeOfAsync(() => store.putIfAbsent(key)), JSON.stringify(change)).toBe('SEALED_INVALID_OPTION');
      }
      for (const audit of [{ actor: '' }, { actor: 'x'.repeat(257) }, { actor: 'cli', reason: 'r'.repeat(1025) }, null])
        expect(await codeOfAsync(() => store.forget(subjectHash, audit as { actor: string }))).toBe('SEALED_INVALID_OPTION');
      expect(await store.get(subjectHash, 'phi')).toBeUndefined();
    });

    test('listKeys lists every key as stored, from another instance too, none of a forgotten subject; with subjectHash that subject only', async () => {
      const { store, another } = await fresh();
      const all = async (s: SubjectKeyStore, subjectHash?: string): Promise<StoredSubjectKey[]> => {
        const out: StoredSubjectKey[] = [];
        for await (const key of s.listKeys!(subjectHash === undefined ? {} : { subjectHash })) out.push(key);
        return out.sort((x, y) => x.keyId.localeCompare(y.keyId));
      };
      expect(await all(store)).toEqual([]);
      // More keys than one PostgreSQL page (500), so the listing pages on.
      const [a, b, gone] = [newHash(), newHash(), newHash()];
      const keys = [candidate(a, 'phi'), candidate(a, 'credential'), candidate(b, 'phi')];
      for (let i = 0; i < 510; i++) keys.push(candidate(newHash(), 'contact'));
      for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((key) => store.putIfAbsent(key)));
      await store.putIfAbsent(candidate(gone, 'phi'));
      await store.forget(gone, { actor: 'dpo' });
      const listed = await all(await another());
      expect(listed).toHaveLength(keys.length);
      const expected = [...keys].sort((x, y) => x.keyId.localeCompare(y.keyId));
      for (const [i, key] of listed.entries()) expectSameKey(key, expected[i] as StoredSubjectKey);
      expect((await all(store, a)).map((k) => k.purpose).sort()).toEqual(['credential', 'phi']);
      expect(await all(store, gone)).toEqual([]);
      expect(await all(store, newHash())).toEqual([]);
      expect(await codeOfAsync(() => all(store, 'patient-1042'))).toBe('SEALED_INVALID_OPTION');
      await store.close();
      expect(await codeOfAsync(() => all(store))).toBe('SEALED_KEYSTORE_UNAVAILABLE');
    });

    test('after close every operation fails with SEALED_KEYSTORE_UNAVAILABLE; closing again is harmless', async () => {
      const { store } = await fresh();
      const subjectHash = newHash();
      await store.putIfAbsent(candidate(subjectHash));
      await store.close();
      await store.close();
      for (const run of [
        () => store.get(subjectHash, 'phi'),
        () => store.putIfAbsent(candidate(subjectHash)),
        () => store.forget(subjectHash, { actor: 'cli' }),
        () => store.forgetRecords(),
      ])
        expect(await codeOfAsync(run)).toBe('SEALED_KEYSTORE_UNAVAILABLE');
    });

    test('at rest: the hash, purpose, key id, wrapped key, times, actor and reason; nothing of a forgotten key', async () => {
      const { store, atRest } = await fresh();
      const [gone, kept] = [newHash(), newHash()];
      const goneKeys = [candidate(gone, 'phi'), candidate(gone, 'credential')];
      for (const key of goneKeys) await store.putIfAbsent(key);
      const keptKey = candidate(kept);
      await store.putIfAbsent(keptKey);
      await store.forget(gone, { actor: 'dpo', reason: 'ticket 7' });
      const text = await atRest();
      if (text === undefined) return; // the memory store keeps nothing at rest
      for (const key of goneKeys) {
        expect(holdsBytes(text, key.wrappedKey), 'a forgotten wrapped key').toBe(false);
        expect(text).not.toContain(key.keyId);
      }
      expect(holdsBytes(text, keptKey.wrappedKey), 'a kept wrapped key').toBe(true);
      expect(text).toContain(keptKey.keyId);
      // Subjects appear by hash only (as stored, or as its hex in file names), and nothing else sits beside them.
      const hex = (hash: string): string => Buffer.from(hash, 'base64url').toString('hex');
      const scrubbed = [
        gone,
        kept,
        hex(gone),
        hex(kept),
        keptKey.keyId,
        ...['hex', 'base64', 'base64url'].map((f) => Buffer.from(keptKey.wrappedKey).toString(f as BufferEncoding)),
      ].reduce((acc, value) => acc.split(value).join('<v>'), text);
      expect(scrubbed).not.toMatch(/[A-Za-z0-9_-]{20,}/); // no other long token (an id, a key) at rest
    });

    test('50 concurrent first uses of one subject on two instances converge on exactly one key', async () => {
      const { store, another, atRest } = await fresh();
      const other = await another();
      const subjectHash = newHash();
      const candidates = Array.from({ length: 50 }, () => candidate(subjectHash));
      const results = await Promise.all(candidates.map((key, i) => (i % 2 === 0 ? store : other).putIfAbsent(key)));
      const winners = new Set(results.map((key) => key.keyId));
      expect(winners.size).toBe(1);
      const winner = candidates.find((key) => winners.has(key.keyId)) as StoredSubjectKey;
      for (const result of results) expectSameKey(result, winner);
      expectSameKey((await store.get(subjectHash, 'phi')) as StoredSubjectKey, winner);
      const text = await atRest();
      if (text !== undefined) expect(candidates.filter((key) => holdsBytes(text, key.wrappedKey))).toEqual([winner]);
    });

    test('forget racing first uses leaves no key behind: each use got the one key or SEALED_ERASED', async () => {
      const { store, another, atRest } = await fresh();
      const other = await another();
      // Rounds with forget starting at different moments among the uses, so it lands between a use's checks.
      for (let round = 0; round < 10; round++) {
        const subjectHash = newHash();
        const candidates = Array.from({ length: 20 }, (_, i) => candidate(subjectHash, i % 2 === 0 ? 'phi' : 'credential'));
        const uses = candidates.map(async (key, i) => {
          await new Promise((r) => setTimeout(r, i % 5));
          return (i % 2 === 0 ? store : other).putIfAbsent(key);
        });
        await new Promise((r) => setTimeout(r, round % 4));
        const forgotten = other.forget(subjectHash, { actor: 'race' });
        const settled = await Promise.allSettled(uses);
        await forgotten;
        for (const outcome of settled) if (outcome.status === 'rejected') expect(errorCode(outcome.reason)).toBe('SEALED_ERASED');
        for (const purpose of ['phi', 'credential']) expect(await store.get(subjectHash, purpose)).toEqual({ erasedAt: expect.any(Date) });
        const text = await atRest();
        if (text !== undefined)
          expect(
            candidates.filter((key) => holdsBytes(text, key.wrappedKey)),
            `round ${round}`,
          ).toEqual([]);
      }
    });
  });
}
