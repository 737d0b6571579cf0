// The embedded file store beyond the shared contract (contract.test.ts): modes, names, processes on one host,
// interrupted forgets, damaged files, a vanished directory.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import type { StoredSubjectKey } from '../../src/keystore';
import { FileSubjectKeyStore } from '../../src/keystore';
import { codeOfAsync, errorCode } from '../support/errors';

// Lets a test act at the moment a store creates a temporary file or links a file under its final name.
const hooks = vi.hoisted(() => ({ before: undefined as { call: 'open' | 'link'; run: (file: string) => Promise<void> } | undefined }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const hooked = async (call: 'open' | 'link', file: string): Promise<void> => {
    const hook = hooks.before;
    if (hook === undefined || hook.call !== call || (call === 'open' && !path.basename(file).startsWith('.tmp-'))) return;
    hooks.before = undefined;
    await hook.run(file);
  };
  const link = async (from: string, to: string): Promise<void> => {
    await hooked('link', to);
    return real.link(from, to);
  };
  const open = async (...args: Parameters<typeof real.open>): ReturnType<typeof real.open> => {
    await hooked('open', String(args[0]));
    return real.open(...args);
  };
  return { ...real, link, open, default: { ...real, link, open } };
});

const ROOT = path.resolve(__dirname, '..', '..');
const base = mkdtempSync(path.join(os.tmpdir(), 'sealed-filestore-'));
let dirs = 0;
const opened: FileSubjectKeyStore[] = [];

afterEach(async () => {
  hooks.before = undefined;
  await Promise.all(opened.splice(0).map((store) => store.close()));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const newDirectory = (): string => path.join(base, `store-${++dirs}`);
const newHash = (): string => randomBytes(32).toString('base64url');
const hexOf = (hash: string): string => Buffer.from(hash, 'base64url').toString('hex');
const folderOf = (directory: string, hash: string): string => path.join(directory, 'subjects', hexOf(hash).slice(0, 2), hexOf(hash));

async function open(directory: string): Promise<FileSubjectKeyStore> {
  const store = await FileSubjectKeyStore.create({ directory });
  opened.push(store);
  return store;
}

function candidate(subjectHash: string, purpose = 'phi'): StoredSubjectKey {
  return { subjectHash, purpose, keyId: `sk-${randomBytes(6).toString('hex')}`, wrappedKey: randomBytes(72), createdAt: new Date() };
}

/**
 * `checkForgetAccess` of the store in `directory` as a user the modes apply to. Root passes every
 * access(2) check whatever the modes, so as root (CI, containers) the directory is handed to `nobody`
 * and asked from a process running as `nobody`; as anyone else, from this process.
 */
async function checkForgetAccessAs(directory: string): Promise<string[]> {
  if (process.getuid?.() !== 0) return (await open(directory)).checkForgetAccess();
  const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim());
  chmodSync(base, 0o755);
  const chownAll = (dir: string): void => {
    chownSync(dir, uid, gid);
    if (statSync(dir).isDirectory()) for (const name of readdirSync(dir)) chownAll(path.join(dir, name));
  };
  chownAll(directory);
  const fixture = path.join(__dirname, 'fixtures', 'check-forget-access.ts');
  const out = execFileSync(nodeOthersMayRun(), ['--import', 'tsx', fixture, directory], {
    cwd: ROOT,
    uid,
    gid,
    encoding: 'utf8',
    env: { ...process.env, HOME: os.tmpdir() },
  });
  return JSON.parse(out) as string[];
}

/** True when users other than the owner may run `file`: it and every folder above it are executable by others. */
function othersMayRun(file: string): boolean {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === path.dirname(dir)) break;
  }
  return (statSync(file).mode & 0o001) !== 0;
}

/** This node, unless it sits where only root may enter (CI's Node 22 and 24 under /root/.cache): then the system's. */
function nodeOthersMayRun(): string {
  const found = [process.execPath, '/usr/bin/node', '/usr/local/bin/node'].find((file) => existsSync(file) && othersMayRun(file));
  if (found === undefined) throw new Error('no node binary the nobody user may run');
  return found;
}

/** Every path under `root`, relative, directories with a trailing slash. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const isDir = statSync(full).isDirectory();
      out.push(path.relative(root, full) + (isDir ? '/' : ''));
      if (isDir) walk(full);
    }
  };
  walk(root);
  return out;
}

describe('FileSubjectKeyStore', () => {
  test('directories are 0700 and files 0600, even under umask 0', async () => {
    const previous = process.umask(0);
    try {
      const directory = newDirectory();
      const store = await open(directory);
      const [a, b] = [newHash(), newHash()];
      await store.putIfAbsent(candidate(a));
      await store.putIfAbsent(candidate(b));
      await store.forget(b, { actor: 'cli' });
      const modes = [directory, ...tree(directory).map((p) => path.join(directory, p))].map((p) => ({
        path: path.relative(directory, p),
        dir: statSync(p).isDirectory(),
        mode: statSync(p).mode & 0o777,
      }));
      expect(modes.filter((m) => m.dir).every((m) => m.mode === 0o700)).toBe(true);
      expect(modes.filter((m) => !m.dir).every((m) => m.mode === 0o600)).toBe(true);
      expect(modes.filter((m) => !m.dir).length).toBe(3); // a's key, b's tombstone, the audit log
    } finally {
      process.umask(previous);
    }
  });

  test('an existing directory that others may enter, or a path that is a file, is refused with SEALED_INVALID_OPTION', async () => {
    const shared = newDirectory();
    mkdirSync(shared, { mode: 0o755 });
    chmodSync(shared, 0o755);
    expect(await codeOfAsync(() => FileSubjectKeyStore.create({ directory: shared }))).toBe('SEALED_INVALID_OPTION');
    const file = newDirectory();
    writeFileSync(file, 'not a directory');
    expect(await codeOfAsync(() => FileSubjectKeyStore.create({ directory: file }))).toBe('SEALED_INVALID_OPTION');
    expect(await codeOfAsync(() => FileSubjectKeyStore.create({ directory: '' }))).toBe('SEALED_INVALID_OPTION');
  });

  test('names are the hash as hex and the purpose: hashes differing only in letter case stay apart on any file system', async () => {
    const directory = newDirectory();
    const store = await open(directory);
    const rest = newHash().slice(1);
    const [upper, lower] = [`Q${rest}`, `q${rest}`];
    const [ku, kl] = [candidate(upper), candidate(lower)];
    await store.putIfAbsent(ku);
    await store.putIfAbsent(kl);
    expect(((await store.get(upper, 'phi')) as StoredSubjectKey).keyId).toBe(ku.keyId);
    expect(((await store.get(lower, 'phi')) as StoredSubjectKey).keyId).toBe(kl.keyId);
    const files = tree(directory).filter((p) => !p.endsWith('/'));
    expect(files.sort()).toEqual(
      [folderOf(directory, upper), folderOf(directory, lower)].map((f) => path.relative(directory, path.join(f, 'phi.key'))).sort(),
    );
    expect(files.every((f) => /^subjects\/[0-9a-f]{2}\/[0-9a-f]{64}\/phi\.key$/.test(f))).toBe(true);
  });

  for (const [moment, call] of [
    ['before its temporary file', 'open'],
    ['between its temporary file and its link', 'link'],
  ] as const) {
    test(`a subject forgotten while a first use is being written (${moment}) ends with no key, and the writer gets SEALED_ERASED`, async () => {
      const directory = newDirectory();
      const [store, other] = [await open(directory), await open(directory)];
      const subjectHash = newHash();
      // The writer checked the tombstone (none yet); forget runs to its end at this moment of the write.
      hooks.before = { call, run: () => other.forget(subjectHash, { actor: 'race' }).then(() => undefined) };
      const err = await store.putIfAbsent(candidate(subjectHash)).catch((e: unknown) => e);
      expect(hooks.before).toBeUndefined();
      expect(errorCode(err)).toBe('SEALED_ERASED');
      expect(readdirSync(folderOf(directory, subjectHash))).toEqual(['erased']);
      expect(await other.get(subjectHash, 'phi')).toEqual({ erasedAt: expect.any(Date) });
    });
  }

  test('two processes and this one, 60 concurrent first uses of one subject, converge on exactly one key', async () => {
    const directory = newDirectory();
    const store = await open(directory);
    const subjectHash = newHash();
    const fixture = path.join(__dirname, 'fixtures', 'first-use.ts');
    const children: ChildProcess[] = [0, 1].map(() =>
      spawn(process.execPath, ['--import', 'tsx', fixture, directory, subjectHash, '25'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] }),
    );
    const outputs = children.map((child) => {
      let out = '';
      let err = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        err += chunk.toString();
      });
      return { out: () => out, err: () => err };
    });
    // Both processes loaded and opened the store: start everyone at once.
    await Promise.all(
      children.map((_, i) => vi.waitFor(() => expect(outputs[i]!.out()).toContain('ready'), { timeout: 60_000, interval: 50 })),
    );
    for (const child of children) child.stdin?.write('go\n');
    const mine = await Promise.all(Array.from({ length: 10 }, () => store.putIfAbsent(candidate(subjectHash))));
    const codes = await Promise.all(children.map(async (child) => (child.exitCode ?? (await once(child, 'exit'))[0]) as number));
    expect(codes, outputs.map((o) => o.err()).join('\n')).toEqual([0, 0]);
    const theirs = outputs.flatMap((o) => JSON.parse(o.out().split('\n')[1]!) as string[]);
    expect(theirs).toHaveLength(50);
    expect(new Set([...theirs, ...mine.map((key) => key.keyId)]).size).toBe(1);
    expect(readdirSync(folderOf(directory, subjectHash))).toEqual(['phi.key']); // no temporary file left behind
  });

  test('a forget interrupted after its tombstone: reads answer erased, and forgetting again destroys the keys', async () => {
    const directory = newDirectory();
    const store = await open(directory);
    const subjectHash = newHash();
    await store.putIfAbsent(candidate(subjectHash));
    const erasedAt = new Date('2026-03-01T10:00:00.000Z');
    writeFileSync(path.join(folderOf(directory, subjectHash), 'erased'), `${JSON.stringify({ subjectHash, erasedAt })}\n`, { mode: 0o600 });
    expect(await store.get(subjectHash, 'phi')).toEqual({ erasedAt });
    expect(await codeOfAsync(() => store.putIfAbsent(candidate(subjectHash)))).toBe('SEALED_ERASED');
    expect((await store.forget(subjectHash, { actor: 'cli' })).keysDestroyed).toBe(1);
    expect(readdirSync(folderOf(directory, subjectHash))).toEqual(['erased']);
    expect(await store.get(subjectHash, 'phi')).toEqual({ erasedAt });
  });

  test('an audit line cut short by a crash is skipped, and records written after it still read', async () => {
    const directory = newDirectory();
    const store = await open(directory);
    const [a, b] = [newHash(), newHash()];
    const first = await store.forget(a, { actor: 'first' });
    appendFileSync(path.join(directory, 'forget-audit.jsonl'), '{"subjectHash":"torn');
    const second = await store.forget(b, { actor: 'second' });
    expect(await store.forgetRecords()).toEqual([first, second]);
  });

  test('a damaged key or tombstone file, or a key file copied from another subject, is SEALED_MALFORMED', async () => {
    const directory = newDirectory();
    const store = await open(directory);
    const [a, b, c] = [newHash(), newHash(), newHash()];
    await store.putIfAbsent(candidate(a));
    await store.putIfAbsent(candidate(b));
    writeFileSync(path.join(folderOf(directory, a), 'phi.key'), '{"version":1,');
    expect(await codeOfAsync(() => store.get(a, 'phi'))).toBe('SEALED_MALFORMED');
    expect(await codeOfAsync(() => store.putIfAbsent(candidate(a)))).toBe('SEALED_MALFORMED');
    // b's key moved into c's folder does not become c's key.
    mkdirSync(path.dirname(folderOf(directory, c)), { recursive: true, mode: 0o700 });
    mkdirSync(folderOf(directory, c), { mode: 0o700 });
    writeFileSync(path.join(folderOf(directory, c), 'phi.key'), readFileSync(path.join(folderOf(directory, b), 'phi.key'), 'utf8'));
    expect(await codeOfAsync(() => store.get(c, 'phi'))).toBe('SEALED_MALFORMED');
    writeFileSync(path.join(folderOf(directory, b), 'erased'), 'garbage');
    expect(await codeOfAsync(() => store.get(b, 'phi'))).toBe('SEALED_MALFORMED');
  });

  test('checkForgetAccess: nothing missing in a writable store; a read-only directory, subjects folder or audit log is reported, without a path', async () => {
    const directory = newDirectory();
    const store = await open(directory);
    const [a, b] = [newHash(), newHash()];
    await store.putIfAbsent(candidate(a));
    await store.forget(b, { actor: 'dpo' }); // the audit log and a folder under subjects/ exist
    expect(await store.checkForgetAccess()).toEqual([]);

    chmodSync(directory, 0o500);
    chmodSync(path.join(directory, 'subjects'), 0o500);
    chmodSync(path.dirname(folderOf(directory, a)), 0o500);
    chmodSync(path.join(directory, 'forget-audit.jsonl'), 0o400);
    try {
      const missing = await checkForgetAccessAs(directory);
      expect(missing).toEqual([
        'write access to the store directory',
        'write access to its subjects folder',
        'write access to 1 folders under its subjects folder',
        'write access to its audit log (forget-audit.jsonl)',
      ]);
      expect(JSON.stringify(missing)).not.toContain(directory);
      expect(JSON.stringify(missing)).not.toContain(hexOf(a).slice(0, 2));
    } finally {
      chmodSync(directory, 0o700);
      chmodSync(path.join(directory, 'subjects'), 0o700);
      chmodSync(path.dirname(folderOf(directory, a)), 0o700);
    }
    // Nothing was written by the check: the key is still there, the tombstone still the only other subject entry.
    expect(((await store.get(a, 'phi')) as StoredSubjectKey).subjectHash).toBe(a);
    expect((await store.forgetRecords()).length).toBe(1);

    await store.close();
    expect(await codeOfAsync(() => store.checkForgetAccess())).toBe('SEALED_KEYSTORE_UNAVAILABLE');
  });

  test('a store directory removed under a running store is SEALED_KEYSTORE_UNAVAILABLE and is not created again', async () => {
    const directory = newDirectory();
    const store = await open(directory);
    const subjectHash = newHash();
    rmSync(directory, { recursive: true });
    for (const run of [
      () => store.get(subjectHash, 'phi'),
      () => store.putIfAbsent(candidate(subjectHash)),
      () => store.forget(subjectHash, { actor: 'cli' }),
    ]) {
      const err = await run().catch((e: unknown) => e);
      expect(errorCode(err)).toBe('SEALED_KEYSTORE_UNAVAILABLE');
      expect((err as { detail: unknown }).detail).toEqual(
        expect.objectContaining({ store: 'file', reason: 'unreachable', errno: 'ENOENT' }),
      );
      expect((err as Error).message).not.toContain(directory);
    }
    expect(existsSync(directory)).toBe(false);
  });
});
