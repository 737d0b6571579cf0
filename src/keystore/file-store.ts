import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, link, mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { SealedError, sealedError } from '../errors';
import { KEY_ID_PATTERN, PURPOSE_PATTERN } from '../lib/identifiers';
import {
  checkedAudit,
  checkedKey,
  checkPurpose,
  copyKey,
  erased,
  forgetRecord,
  malformed,
  type StoreOperation,
  subjectHashBytes,
  type UnavailableReason,
  unavailable,
} from './checks';
import type { ForgetRecord, ListKeysOptions, StoredSubjectKey, SubjectKeyLookup, SubjectKeyStore } from './subject-key-store';

/**
 * Options of {@link FileSubjectKeyStore.create}.
 *
 * @example
 * ```ts
 * const options: FileSubjectKeyStoreOptions = { directory: '/var/lib/sealed-fields/subject-keys' };
 * ```
 */
export interface FileSubjectKeyStoreOptions {
  /** The store's directory; created (mode 0700) when missing. An existing one must be accessible by its owner only, and owned by the process's user (or root). */
  directory: string;
  /**
   * Create the directory (and its `subjects` folder) when missing (default true). False for a
   * reader or an erasure tool that must never create a store, e.g. at a mistyped path: a missing
   * directory, or one that is not a store (no `subjects` folder), is then `SEALED_KEYSTORE_UNAVAILABLE`
   * with `reason: 'missing'`.
   */
  createDirectory?: boolean;
  /** The clock for tombstones and audit records (tests). Default: `() => new Date()`. */
  now?: () => Date;
}

const TOMBSTONE = 'erased';
const KEY_SUFFIX = '.key';
const TEMP_PREFIX = '.tmp-';
const AUDIT_LOG = 'forget-audit.jsonl';
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
/** A put that finds the winner's file gone without a tombstone tries again this often (it cannot happen unless the store is edited by hand). */
const PUT_ATTEMPTS = 3;

/**
 * The embedded {@link SubjectKeyStore}: a directory, no server, no native module. Processes on one
 * host (workers, a codec server, the CLI) share it by sharing the directory.
 *
 * Layout, names made only of the subject hash (as hex, so case-insensitive file systems keep
 * subjects apart) and the purpose: `subjects/<2 hex>/<hash as hex>/<purpose>.key` (one JSON file
 * per key: the hash, the purpose, the key id, the wrapped key, the creation time), `erased` in the
 * same folder (the tombstone: the hash and the time), and `forget-audit.jsonl` (one JSON line per
 * `forget`). Directories are created 0700 and files 0600.
 *
 * - `putIfAbsent` writes a temporary file, fsyncs it and hard-links it to the key's name: the
 *   link is atomic, so of two writers racing on one subject (threads or processes) exactly one
 *   creates the file and the other reads it. It then checks the tombstone and removes its own
 *   key again if the subject was forgotten meanwhile.
 * - `forget` writes the tombstone first, then unlinks the subject's key files (and any temporary
 *   file a writer left), then appends the audit line (fsync). Interrupted, it leaves the tombstone
 *   (reads already answer erased); run it again to finish. An audit line cut short by a crash is
 *   skipped by `forgetRecords`.
 * - Unlinking destroys a key as far as the file system goes: its blocks may survive on the disk
 *   and in backups (docs/ERASURE.md, "Key stores").
 * - Errors: a directory that cannot be read or written is `SEALED_KEYSTORE_UNAVAILABLE`; a file
 *   that cannot be parsed is `SEALED_MALFORMED`. Needs a POSIX file system with hard links.
 *
 * @example
 * ```ts
 * const store = await FileSubjectKeyStore.create({ directory: '/var/lib/sealed-fields/subject-keys' });
 * const lookup = await store.get(subjectHash, 'phi'); // StoredSubjectKey | { erasedAt } | undefined
 * await store.close();
 * ```
 */
export class FileSubjectKeyStore implements SubjectKeyStore {
  readonly #root: string;
  readonly #subjects: string;
  readonly #auditLog: string;
  readonly #now: () => Date;
  #closed = false;

  private constructor(root: string, now: () => Date) {
    this.#root = root;
    this.#subjects = path.join(root, 'subjects');
    this.#auditLog = path.join(root, AUDIT_LOG);
    this.#now = now;
  }

  /**
   * Opens the store in `directory`, creating it (and its `subjects` folder) when missing (with
   * `createDirectory: false`, a missing one is `SEALED_KEYSTORE_UNAVAILABLE`, reason `missing`).
   * Refuses (`SEALED_INVALID_OPTION`) a directory that others than its owner may access, or that
   * another user than the process's (or root) owns.
   *
   * @example
   * ```ts
   * const store = await FileSubjectKeyStore.create({ directory: process.env.SUBJECT_KEY_DIR ?? '.sealed-fields/subject-keys' });
   * ```
   */
  static async create(options: FileSubjectKeyStoreOptions): Promise<FileSubjectKeyStore> {
    if (options === null || typeof options !== 'object' || typeof options.directory !== 'string' || options.directory === '')
      throw sealedError('SEALED_INVALID_OPTION', 'FileSubjectKeyStore needs a directory', { option: 'directory' });
    const root = path.resolve(options.directory);
    const createDirectory = options.createDirectory ?? true;
    try {
      const info = await stat(root).catch(async (err: unknown) => {
        if (errnoOf(err) !== 'ENOENT') throw err;
        if (!createDirectory) throw unavailable('file', 'create', 'missing', { errno: 'ENOENT' });
        await mkdir(root, { recursive: true, mode: DIR_MODE });
        return stat(root);
      });
      if (!info.isDirectory())
        throw sealedError('SEALED_INVALID_OPTION', 'the subject key store directory is not a directory', { option: 'directory' });
      if (process.platform !== 'win32' && (info.mode & 0o077) !== 0)
        throw sealedError('SEALED_INVALID_OPTION', 'the subject key store directory must be accessible by its owner only (chmod 700)', {
          option: 'directory',
        });
      // And that owner must be us (or root): the owner of a directory can move or remove every name in it
      // (our tombstones, keys and audit log), whatever the modes of what we put there.
      const uid = process.getuid?.();
      if (uid !== undefined && info.uid !== uid && info.uid !== 0)
        throw sealedError('SEALED_INVALID_OPTION', 'the subject key store directory must belong to the user the process runs as (chown)', {
          option: 'directory',
        });
      if (createDirectory) await mkdirOnce(path.join(root, 'subjects'));
      else
        await stat(path.join(root, 'subjects')).catch((err: unknown) => {
          throw errnoOf(err) === 'ENOENT' ? unavailable('file', 'create', 'missing', { errno: 'ENOENT' }) : err;
        });
    } catch (err) {
      throw failure(err, 'create');
    }
    return new FileSubjectKeyStore(root, options.now ?? (() => new Date()));
  }

  /** {@inheritDoc SubjectKeyStore.get} */
  async get(subjectHash: string, purpose: string): Promise<SubjectKeyLookup> {
    this.#open('get');
    const folder = this.#folder(subjectHash);
    checkPurpose(purpose);
    try {
      // The key first, the tombstone after: a key read while `forget` runs still answers erased.
      const text = await readIfPresent(path.join(folder, purpose + KEY_SUFFIX));
      const erasedAt = await this.#erasedAt(folder, subjectHash, 'get');
      if (erasedAt !== undefined) return { erasedAt };
      if (text !== undefined) return parseKey(text, subjectHash, purpose);
      await stat(this.#subjects); // "no key" only from a store that is there (not a vanished or unmounted directory)
      return undefined;
    } catch (err) {
      throw failure(err, 'get');
    }
  }

  /** {@inheritDoc SubjectKeyStore.putIfAbsent} */
  async putIfAbsent(key: StoredSubjectKey): Promise<StoredSubjectKey> {
    this.#open('putIfAbsent');
    const candidate = checkedKey(key);
    const folder = this.#folder(candidate.subjectHash);
    const file = path.join(folder, candidate.purpose + KEY_SUFFIX);
    try {
      for (let attempt = 1; ; attempt++) {
        if ((await this.#erasedAt(folder, candidate.subjectHash, 'putIfAbsent')) !== undefined)
          throw erased(candidate.subjectHash, candidate.purpose);
        await mkdirOnce(path.dirname(folder));
        await mkdirOnce(folder);
        const outcome = await createFile(folder, path.basename(file), serializeKey(candidate));
        // Forgotten while we wrote: undo our own key (forget may already have), never keep a key beside a tombstone.
        if ((await this.#erasedAt(folder, candidate.subjectHash, 'putIfAbsent')) !== undefined) {
          if (outcome === 'created') await unlinkIfPresent(file);
          throw erased(candidate.subjectHash, candidate.purpose);
        }
        if (outcome === 'created') return copyKey(candidate);
        const text = await readIfPresent(file);
        if (text !== undefined) return parseKey(text, candidate.subjectHash, candidate.purpose);
        if (attempt === PUT_ATTEMPTS) throw malformed('file', 'putIfAbsent');
      }
    } catch (err) {
      throw failure(err, 'putIfAbsent');
    }
  }

  /** {@inheritDoc SubjectKeyStore.forget} */
  async forget(subjectHash: string, audit: { actor: string; reason?: string }): Promise<ForgetRecord> {
    this.#open('forget');
    const folder = this.#folder(subjectHash);
    const checked = checkedAudit(audit);
    const at = this.#now();
    try {
      await mkdirOnce(path.dirname(folder));
      await mkdirOnce(folder);
      const tombstone = `${JSON.stringify({ subjectHash, erasedAt: at.toISOString() })}\n`;
      // 'vanished' means a concurrent forget, past its own tombstone, removed our temporary file: the tombstone is there.
      await createFile(folder, TOMBSTONE, tombstone);
      let keysDestroyed = 0;
      for (const name of await readdir(folder)) {
        if (name === TOMBSTONE) continue;
        // Keys, and a concurrent writer's temporary file: nothing of the subject but its tombstone stays.
        if ((await unlinkIfPresent(path.join(folder, name))) && name.endsWith(KEY_SUFFIX)) keysDestroyed++;
      }
      await syncDirectory(folder);
      const record = forgetRecord(subjectHash, checked, at, keysDestroyed);
      await appendLine(this.#auditLog, JSON.stringify({ ...record, at: at.toISOString() }));
      return record;
    } catch (err) {
      throw failure(err, 'forget');
    }
  }

  /** {@inheritDoc SubjectKeyStore.forgetRecords} */
  async forgetRecords(): Promise<ForgetRecord[]> {
    this.#open('forgetRecords');
    try {
      const text = await readIfPresent(this.#auditLog);
      if (text === undefined) return [];
      // A line that is not JSON at all is an append cut short by a crash: it was never a record.
      const lines = text.split('\n').filter((line) => line !== '' && parseJson(line) !== undefined);
      return lines.map(parseRecord);
    } catch (err) {
      throw failure(err, 'forgetRecords');
    }
  }

  /**
   * {@link SubjectKeyStore.listKeys}: every key the store holds, wrapped; with `subjectHash`, that
   * subject's only. Reads the subjects' folders one at a time; one with a tombstone holds no key.
   */
  async *listKeys(options: ListKeysOptions = {}): AsyncIterable<StoredSubjectKey> {
    this.#open('listKeys');
    const folders = options.subjectHash === undefined ? await this.#subjectFolders() : [this.#folder(options.subjectHash)];
    for (const folder of folders) {
      let keys: StoredSubjectKey[];
      try {
        keys = await keysIn(folder);
      } catch (err) {
        throw failure(err, 'listKeys');
      }
      yield* keys;
    }
  }

  /**
   * {@link SubjectKeyStore.checkForgetAccess}: what `forget` must write that this process may not,
   * asked of `access(2)` (nothing written): the store's directory (the audit log is appended
   * there), its `subjects` folder and the folders under it (tombstones are written and keys
   * unlinked there), and the audit log when it exists. A read-only directory or file system
   * (`EACCES`, `EPERM`, `EROFS`) is missing access; paths are never named. A process running as
   * root passes wherever the file system is writable: root ignores the modes.
   *
   * @example
   * ```ts
   * const missing = await store.checkForgetAccess(); // e.g. [ 'write access to the store directory' ]
   * ```
   */
  async checkForgetAccess(): Promise<string[]> {
    this.#open('checkForgetAccess');
    const writable = constants.R_OK | constants.W_OK | constants.X_OK;
    const missing: string[] = [];
    try {
      if (!(await mayAccess(this.#root, writable))) missing.push('write access to the store directory');
      if (!(await mayAccess(this.#subjects, writable))) missing.push('write access to its subjects folder');
      let denied = 0;
      for (const shard of await readdirIfPresent(this.#subjects).catch(() => [])) {
        if (!/^[0-9a-f]{2}$/.test(shard)) continue;
        if (!(await mayAccess(path.join(this.#subjects, shard), writable))) denied++;
      }
      if (denied > 0) missing.push(`write access to ${denied} folders under its subjects folder`);
      if (!(await mayAccess(this.#auditLog, constants.W_OK, true))) missing.push(`write access to its audit log (${AUDIT_LOG})`);
    } catch (err) {
      throw failure(err, 'checkForgetAccess');
    }
    return missing;
  }

  /** {@link SubjectKeyStore.close}: nothing stays open; later calls fail with `SEALED_KEYSTORE_UNAVAILABLE`. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #open(operation: StoreOperation): void {
    if (this.#closed) throw unavailable('file', operation, 'closed');
  }

  /** The subject's folder; its name is the hash's bytes in hex, never anything the caller spelled. */
  #folder(subjectHash: string): string {
    const hex = subjectHashBytes(subjectHash).toString('hex');
    return path.join(this.#subjects, hex.slice(0, 2), hex);
  }

  /** Every subject folder (`subjects/<2 hex>/<hash as hex>`); names the store did not write are passed over. */
  async #subjectFolders(): Promise<string[]> {
    try {
      const folders: string[] = [];
      for (const shard of (await readdir(this.#subjects)).sort()) {
        if (!/^[0-9a-f]{2}$/.test(shard)) continue;
        for (const name of (await readdirIfPresent(path.join(this.#subjects, shard))).sort())
          if (/^(?:[0-9a-f]{2}){16,64}$/.test(name) && name.startsWith(shard)) folders.push(path.join(this.#subjects, shard, name));
      }
      return folders;
    } catch (err) {
      throw failure(err, 'listKeys');
    }
  }

  async #erasedAt(folder: string, subjectHash: string, operation: StoreOperation): Promise<Date | undefined> {
    const text = await readIfPresent(path.join(folder, TOMBSTONE));
    if (text === undefined) return undefined;
    const parsed = parseJson(text) as { subjectHash?: unknown; erasedAt?: unknown } | undefined;
    const erasedAt = typeof parsed?.erasedAt === 'string' ? new Date(parsed.erasedAt) : undefined;
    if (parsed?.subjectHash !== subjectHash || erasedAt === undefined || Number.isNaN(erasedAt.getTime()))
      throw malformed('file', operation);
    return erasedAt;
  }
}

/** The keys in one subject's folder; none when it holds a tombstone (a `forget` cut short may have left keys beside it). */
async function keysIn(folder: string): Promise<StoredSubjectKey[]> {
  const names = await readdirIfPresent(folder);
  if (names.includes(TOMBSTONE)) return [];
  const subjectHash = Buffer.from(path.basename(folder), 'hex').toString('base64url');
  const keys: StoredSubjectKey[] = [];
  for (const name of names.sort()) {
    const purpose = name.slice(0, -KEY_SUFFIX.length);
    if (!name.endsWith(KEY_SUFFIX) || !PURPOSE_PATTERN.test(purpose)) continue;
    const text = await readIfPresent(path.join(folder, name));
    if (text !== undefined) keys.push(parseKey(text, subjectHash, purpose, 'listKeys'));
  }
  return keys;
}

/** Whether `access(2)` lets this process do `mode` on `file` (a file that is not there passes with `absentIsFine`); other failures throw. */
async function mayAccess(file: string, mode: number, absentIsFine = false): Promise<boolean> {
  try {
    await access(file, mode);
    return true;
  } catch (err) {
    const errno = errnoOf(err);
    if (errno === 'ENOENT' && absentIsFine) return true;
    if (errno === 'EACCES' || errno === 'EPERM' || errno === 'EROFS') return false;
    throw err;
  }
}

async function readdirIfPresent(folder: string): Promise<string[]> {
  try {
    return await readdir(folder);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return [];
    throw err;
  }
}

/**
 * Writes `text` to a new file `name` in `folder` (temporary file, fsync, link): `created` by this
 * call, `exists` (another writer's), or `vanished` (a concurrent `forget` removed the temporary file).
 */
async function createFile(folder: string, name: string, text: string): Promise<'created' | 'exists' | 'vanished'> {
  const temp = path.join(folder, TEMP_PREFIX + randomBytes(12).toString('hex'));
  try {
    const handle = await open(temp, 'wx', FILE_MODE);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temp, path.join(folder, name));
    } catch (err) {
      if (errnoOf(err) === 'EEXIST') return 'exists';
      if (errnoOf(err) === 'ENOENT') return 'vanished';
      throw err;
    }
    await syncDirectory(folder);
    return 'created';
  } finally {
    await unlinkIfPresent(temp);
  }
}

/**
 * Appends one line in one write (O_APPEND: lines of concurrent writers on one host never
 * interleave) and fsyncs. A log that ends without a newline (an append cut short by a crash)
 * gets one first, so the torn line never swallows this one.
 */
async function appendLine(file: string, line: string): Promise<void> {
  const handle = await open(file, 'a+', FILE_MODE);
  try {
    const { size } = await handle.stat();
    const last = Buffer.alloc(1);
    if (size > 0) await handle.read(last, 0, 1, size - 1);
    await handle.write(`${size > 0 && last[0] !== 0x0a ? '\n' : ''}${line}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a directory whose parent must exist (the store's own folders never re-create a vanished store). */
async function mkdirOnce(folder: string): Promise<void> {
  try {
    await mkdir(folder, { mode: DIR_MODE });
  } catch (err) {
    if (errnoOf(err) !== 'EEXIST') throw err;
  }
}

/** Makes a link or unlink durable. Best effort where a directory cannot be opened for fsync. */
async function syncDirectory(folder: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch (err) {
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF'].includes(errnoOf(err) ?? '')) throw err;
  } finally {
    await handle?.close();
  }
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

async function unlinkIfPresent(file: string): Promise<boolean> {
  try {
    await unlink(file);
    return true;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return false;
    throw err;
  }
}

function serializeKey(key: StoredSubjectKey): string {
  const record = {
    version: 1,
    subjectHash: key.subjectHash,
    purpose: key.purpose,
    keyId: key.keyId,
    wrappedKey: Buffer.from(key.wrappedKey).toString('base64url'),
    createdAt: key.createdAt.toISOString(),
  };
  return `${JSON.stringify(record)}\n`;
}

function parseKey(text: string, subjectHash: string, purpose: string, operation: StoreOperation = 'get'): StoredSubjectKey {
  const record = parseJson(text) as Record<string, unknown> | undefined;
  const wrapped = typeof record?.wrappedKey === 'string' ? Buffer.from(record.wrappedKey, 'base64url') : undefined;
  const createdAt = typeof record?.createdAt === 'string' ? new Date(record.createdAt) : undefined;
  if (
    record?.version !== 1 ||
    record.subjectHash !== subjectHash ||
    record.purpose !== purpose ||
    typeof record.keyId !== 'string' ||
    !KEY_ID_PATTERN.test(record.keyId) ||
    wrapped === undefined ||
    wrapped.length === 0 ||
    wrapped.toString('base64url') !== record.wrappedKey ||
    createdAt === undefined ||
    Number.isNaN(createdAt.getTime())
  )
    throw malformed('file', operation);
  return { subjectHash, purpose, keyId: record.keyId, wrappedKey: new Uint8Array(wrapped), createdAt };
}

function parseRecord(line: string): ForgetRecord {
  const record = parseJson(line) as Record<string, unknown> | undefined;
  const at = typeof record?.at === 'string' ? new Date(record.at) : undefined;
  if (
    typeof record?.subjectHash !== 'string' ||
    typeof record.actor !== 'string' ||
    (record.reason !== undefined && typeof record.reason !== 'string') ||
    at === undefined ||
    Number.isNaN(at.getTime()) ||
    typeof record.keysDestroyed !== 'number'
  )
    throw malformed('file', 'forgetRecords');
  return forgetRecord(
    record.subjectHash,
    record.reason === undefined ? { actor: record.actor } : { actor: record.actor, reason: record.reason as string },
    at,
    record.keysDestroyed,
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const REASONS: Readonly<Record<string, UnavailableReason>> = {
  EACCES: 'denied',
  EPERM: 'denied',
  EROFS: 'denied',
  ENOENT: 'unreachable',
  ENOTDIR: 'unreachable',
  ESTALE: 'unreachable',
  ETIMEDOUT: 'timeout',
};

/** A file-system error as `SEALED_KEYSTORE_UNAVAILABLE`, naming the errno, never a path; `SealedError`s pass unchanged. */
function failure(err: unknown, operation: StoreOperation): SealedError {
  if (SealedError.is(err)) return err;
  const errno = errnoOf(err);
  const shown = errno !== undefined && /^E[A-Z0-9]{1,15}$/.test(errno) ? { errno } : {};
  return unavailable('file', operation, (errno !== undefined && REASONS[errno]) || 'failed', shown);
}
