import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KeySource } from '../codec/key-source';
import { SubjectKeys } from '../codec/subject-keys';
import { SealedError, sealedError } from '../errors';
import { FileSubjectKeyStore } from '../keystore/file-store';
import { MemorySubjectKeyStore } from '../keystore/memory-store';
import { PostgresSubjectKeyStore } from '../keystore/postgres-store';
import type { SubjectKeyStore } from '../keystore/subject-key-store';
import { MAX_SUBJECT_LENGTH, subjectOrUndefined } from '../model/subject';
import { intFlag, stringFlag, type Parsed } from './args';
import { CliError, EXIT, usageError, type CliIo } from './io';

/**
 * The subject key store flags of `decode`, `serve`, `scan` and `forget` (the same on each). With a
 * store, the command's key source is wrapped in `SubjectKeys`: boxes of data subjects open (or show
 * `[erased:<purpose>]` once their subject was forgotten), and `scan` counts the subject keys each
 * keyring or KMS key wraps.
 *
 *   --subject-store STORE          file:DIRECTORY or postgres://... (else $<PREFIX>_SUBJECT_STORE)
 *   --subject-index-key-env NAME   the variable holding the subject index key (default <PREFIX>_SUBJECT_INDEX_KEY)
 *   --subject-store-schema NAME    PostgreSQL schema of the store's tables
 *   --subject-store-table-prefix P PostgreSQL table name prefix (default sealed_fields_subject_)
 *   --subject-cache-ttl-ms N       how long a subject key, or the news of its erasure, stays in memory
 */
export const SUBJECT_STORE_FLAGS = {
  'subject-store': { type: 'string' },
  'subject-index-key-env': { type: 'string' },
  'subject-store-schema': { type: 'string' },
  'subject-store-table-prefix': { type: 'string' },
  'subject-cache-ttl-ms': { type: 'string' },
} as const;

export const SUBJECT_STORE_FLAGS_HELP = `  --subject-store STORE         the data subject key store: file:DIRECTORY (the embedded
                                store) or postgres://USER@HOST:PORT/DB (default: the variable
                                SEALED_FIELDS_SUBJECT_STORE; the prefix follows --env-prefix).
                                Keep a PostgreSQL password out of the command line: put the URL in
                                that variable, or the password in PGPASSWORD. Never printed.
  --subject-index-key-env NAME  variable holding the subject index key (default
                                SEALED_FIELDS_SUBJECT_INDEX_KEY)
  --subject-store-schema NAME   PostgreSQL schema of the store's tables (default: search_path)
  --subject-store-table-prefix P  PostgreSQL table prefix (default sealed_fields_subject_)
  --subject-cache-ttl-ms N      how long a subject key, or the news of its erasure, stays in
                                memory (default 60000 for serve, 600000 for the other commands)`;

/** Where the subject key store is, as the flags (or the environment) name it. */
export type SubjectStoreSpec =
  | { kind: 'file'; directory: string }
  | { kind: 'postgres'; connectionString: string; schema?: string; tablePrefix?: string };

/** What a command runs with when a store was named: the store, the key source over it, and how to name it in output. */
export interface SubjectSetup {
  store: SubjectKeyStore;
  keys: SubjectKeys;
  /** The store for people: `file DIRECTORY` or the PostgreSQL URL without its password. */
  description: string;
  close(): Promise<void>;
}

/** How a command uses the store: only `serve` creates one; `probe` asks the store once before anything else. */
export interface SubjectSetupOptions {
  /**
   * Create the store when missing: the file store's directory, the PostgreSQL tables (`serve` only).
   * `decode`, `scan` and `forget` never create a store: a missing one (a mistyped path, a wrong
   * schema) is a usage error (exit 2), never an empty store that answers "no keys".
   */
  createTables: boolean;
  /** Ask the store once at start, so that one that does not answer ends the command (exit 3) before it reads histories. */
  probe: boolean;
  /** `--subject-cache-ttl-ms` when not given (default 60 s, as `SubjectKeys`). A command that warms keys before it opens them needs them to last. */
  defaultCacheTtlMs?: number;
}

/** The store the flags (or `<PREFIX>_SUBJECT_STORE`) name; undefined when none is named. Bad values are usage errors that never echo the value. */
export function subjectStoreSpecOf(parsed: Parsed, io: CliIo, prefix: string): SubjectStoreSpec | undefined {
  const given = stringFlag(parsed, 'subject-store') ?? io.env[`${prefix}_SUBJECT_STORE`];
  const schema = stringFlag(parsed, 'subject-store-schema');
  const tablePrefix = stringFlag(parsed, 'subject-store-table-prefix');
  if (given === undefined || given.trim() === '') {
    const stray = ['subject-store-schema', 'subject-store-table-prefix', 'subject-cache-ttl-ms'].find(
      (flag) => stringFlag(parsed, flag) !== undefined,
    );
    if (stray !== undefined) throw usageError(`--${stray} needs --subject-store (or ${prefix}_SUBJECT_STORE)`);
    return undefined;
  }
  const text = given.trim();
  if (/^postgres(ql)?:\/\//i.test(text)) {
    return {
      kind: 'postgres',
      connectionString: text,
      ...(schema !== undefined && { schema }),
      ...(tablePrefix !== undefined && { tablePrefix }),
    };
  }
  if (schema !== undefined || tablePrefix !== undefined)
    throw usageError('--subject-store-schema and --subject-store-table-prefix are for a PostgreSQL store');
  if (/^file:\/\//i.test(text)) {
    try {
      return { kind: 'file', directory: fileURLToPath(text) };
    } catch {
      throw usageError('--subject-store file:// URL is not a local path');
    }
  }
  if (/^file:/i.test(text) && text.length > 'file:'.length)
    return { kind: 'file', directory: path.resolve(io.cwd, text.slice('file:'.length)) };
  throw usageError('--subject-store must be file:DIRECTORY or postgres://USER@HOST:PORT/DATABASE');
}

/** The store for people: a directory, or the connection string with its password (and any password parameter) left out. */
export function describeSubjectStore(spec: SubjectStoreSpec): string {
  if (spec.kind === 'file') return `file ${spec.directory}`;
  let url: URL;
  try {
    url = new URL(spec.connectionString);
  } catch {
    return 'postgres (connection string not shown)';
  }
  const user = url.username === '' ? '' : `${url.username}${url.password === '' ? '' : ':***'}@`;
  const params = [...url.searchParams].map(([name, value]) => `${name}=${/pass|secret|key|token/i.test(name) ? '***' : value}`);
  const schema = spec.schema === undefined ? '' : ` (schema ${spec.schema})`;
  return `${url.protocol}//${user}${url.host}${url.pathname}${params.length > 0 ? `?${params.join('&')}` : ''}${schema}`;
}

function indexKeyVariableOf(parsed: Parsed, prefix: string): string {
  return stringFlag(parsed, 'subject-index-key-env') ?? `${prefix}_SUBJECT_INDEX_KEY`;
}

/** The subject index key from the environment; missing is a usage error naming the variable, never a value. */
function subjectIndexKeyOf(parsed: Parsed, io: CliIo, prefix: string): string {
  const name = indexKeyVariableOf(parsed, prefix);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw usageError('--subject-index-key-env takes an environment variable name');
  const value = io.env[name];
  if (value === undefined || value.trim() === '')
    throw usageError(`the subject index key is not set: ${name} is empty (the same value every worker and codec server uses)`);
  return value;
}

/** A store named by the flags, with the subject index key and cache TTL to use it with; nothing opened yet. */
export interface SubjectStoreConfig {
  spec: SubjectStoreSpec;
  subjectIndexKey: string;
  /** The variable the index key came from, to name it in errors. */
  indexKeyVariable: string;
  cacheTtlMs: number;
}

/** The store settings the flags (or the environment) give, checked; undefined when no store is named. Opens nothing. */
export function subjectStoreConfigOf(
  parsed: Parsed,
  io: CliIo,
  prefix: string,
  defaultCacheTtlMs = 60_000,
): SubjectStoreConfig | undefined {
  const spec = subjectStoreSpecOf(parsed, io, prefix);
  if (spec === undefined) return undefined;
  return {
    spec,
    subjectIndexKey: subjectIndexKeyOf(parsed, io, prefix),
    indexKeyVariable: indexKeyVariableOf(parsed, prefix),
    cacheTtlMs: intFlag(parsed, 'subject-cache-ttl-ms', defaultCacheTtlMs, 1, 24 * 60 * 60 * 1000),
  };
}

/**
 * The subject key store and `SubjectKeys` over `inner` (the keyring or KMS source; without one,
 * a source that opens nothing: the store and the index key still hash, scan headers and forget),
 * when the flags or the environment name a store; undefined otherwise.
 */
export async function subjectSetupOf(
  parsed: Parsed,
  io: CliIo,
  prefix: string,
  inner: KeySource | undefined,
  options: SubjectSetupOptions,
): Promise<SubjectSetup | undefined> {
  const config = subjectStoreConfigOf(parsed, io, prefix, options.defaultCacheTtlMs);
  return config === undefined ? undefined : openSubjectSetup(config, inner, options);
}

/** Opens the store of `config` and builds `SubjectKeys` over `inner`; with `probe`, asks the store once (exit 3 when it does not answer). */
export async function openSubjectSetup(
  config: SubjectStoreConfig,
  inner: KeySource | undefined,
  options: SubjectSetupOptions,
): Promise<SubjectSetup> {
  const store = await openSubjectStore(config.spec, options.createTables);
  let keys: SubjectKeys;
  try {
    keys = new SubjectKeys({ keys: inner ?? NO_KEYS, store, subjectIndexKey: config.subjectIndexKey, cacheTtlMs: config.cacheTtlMs });
  } catch (err) {
    await store.close();
    throw usageError(`the subject index key in ${config.indexKeyVariable} is not usable (${codeOf(err)}): 32+ random bytes, base64`);
  }
  if (options.probe) {
    try {
      await probeStore(store);
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  return { store, keys, description: describeSubjectStore(config.spec), close: () => store.close() };
}

/** Opens the store; a bad setting is a usage error (exit 2), a store that does not answer is exit 3. */
export async function openSubjectStore(spec: SubjectStoreSpec, createTables: boolean): Promise<SubjectKeyStore> {
  try {
    if (spec.kind === 'file') return await FileSubjectKeyStore.create({ directory: spec.directory, createDirectory: createTables });
    return await PostgresSubjectKeyStore.create({
      connectionString: spec.connectionString,
      ...(spec.schema !== undefined && { schema: spec.schema }),
      ...(spec.tablePrefix !== undefined && { tablePrefix: spec.tablePrefix }),
      createTables,
    });
  } catch (err) {
    throw storeError(err);
  }
}

/** One read of a hash no subject has: answers (nothing) when the store is there, else `SEALED_KEYSTORE_UNAVAILABLE` as exit 3. */
async function probeStore(store: SubjectKeyStore): Promise<void> {
  try {
    await store.get(randomBytes(32).toString('base64url'), 'probe');
  } catch (err) {
    throw storeError(err);
  }
}

/**
 * A store failure as a CLI error: the code and reason (and SQLSTATE or errno), never the store's
 * path or connection string. `SEALED_KEYSTORE_UNAVAILABLE` is exit 3 (cannot reach; `denied` reads
 * "permission denied"), but a store that is not there (reason `missing` or `schema`: a mistyped
 * path or schema) and a bad setting (a directory others may enter, a bad schema name, `pg`
 * missing) exit 2, anything else exit 1.
 */
export function storeError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  if (!SealedError.is(err)) return new CliError(EXIT.problems, 'the subject key store failed (unknown error)');
  const detail = (err.detail ?? {}) as Record<string, unknown>;
  const parts = ['reason', 'sqlstate', 'errno', 'option']
    .filter((name) => typeof detail[name] === 'string')
    .map((name) => `${name} ${String(detail[name])}`);
  const why = `${err.code}${parts.length > 0 ? `, ${parts.join(', ')}` : ''}`;
  if (err.code === 'SEALED_KEYSTORE_UNAVAILABLE' && (detail.reason === 'missing' || detail.reason === 'schema'))
    return usageError(
      `the subject key store is not there (${why}): ${
        detail.store === 'file'
          ? 'no store directory at that path'
          : 'its tables are not in that schema (the search_path when --subject-store-schema is not given)'
      }. Check --subject-store (or SEALED_FIELDS_SUBJECT_STORE), --subject-store-schema and --subject-store-table-prefix: they must name the store the workers use. This command never creates a store; a worker, sealed-fields serve or PostgresSubjectKeyStore.migrate() (as the owner) creates one (docs/ERASURE.md, "Key stores")`,
    );
  if (err.code === 'SEALED_KEYSTORE_UNAVAILABLE' && detail.reason === 'denied')
    return new CliError(
      EXIT.unreachable,
      `permission denied by the subject key store (${why}): ${
        detail.store === 'file'
          ? 'the store directory must be readable and writable by this user'
          : 'this role lacks a grant the command needs (docs/ERASURE.md, "PostgreSQL with least privilege": forget\'s role needs SELECT, DELETE on the keys table and SELECT, INSERT on the tombstones and audit tables)'
      }`,
    );
  if (err.code === 'SEALED_KEYSTORE_UNAVAILABLE') return new CliError(EXIT.unreachable, `cannot reach the subject key store (${why})`);
  if (err.code === 'SEALED_INVALID_OPTION') return usageError(`bad subject key store settings (${why})`);
  return new CliError(EXIT.problems, `the subject key store failed (${why})`);
}

function codeOf(err: unknown): string {
  return SealedError.is(err) ? err.code : 'unknown error';
}

/** The ordinary source of a command that holds no sealing key: opens nothing, seals nothing (subject keys it meets stay closed). */
const NO_KEYS: KeySource = {
  sealingKey: async () => {
    throw sealedError('SEALED_KEY_UNKNOWN', 'no keyring or KMS key source was given');
  },
  openingKey: async () => {
    throw sealedError('SEALED_KEY_UNKNOWN', 'no keyring or KMS key source was given');
  },
};

/**
 * The data subject id of `--subject ID`, or of the first line of stdin for `--subject -` (keeps the
 * id out of process listings and shell history). Never echoed: a bad one is a usage error naming
 * the rule only.
 */
export async function subjectOf(given: string, io: CliIo): Promise<string> {
  let text = given;
  if (given === '-') {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    } catch {
      throw new CliError(EXIT.unreachable, 'cannot read the subject id from stdin');
    }
    text = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  }
  // Ids are in NFC (model/subject): what a person typed or pasted in another spelling is the same id.
  const subject = subjectOrUndefined(text.normalize('NFC'));
  if (subject === undefined)
    throw usageError(`--subject must be a data subject id: 1 to ${MAX_SUBJECT_LENGTH} characters (or "-" to read it from stdin)`);
  return subject;
}

/** The keyed hash of `subject` under the index key the flags name: through the store's `SubjectKeys`, or (no store) a throwaway one. */
export function subjectHashFor(subject: string, setup: SubjectSetup | undefined, parsed: Parsed, io: CliIo, prefix: string): string {
  if (setup !== undefined) return setup.keys.subjectHash(subject);
  const subjectIndexKey = subjectIndexKeyOf(parsed, io, prefix);
  try {
    return new SubjectKeys({ keys: NO_KEYS, store: new MemorySubjectKeyStore(), subjectIndexKey }).subjectHash(subject);
  } catch (err) {
    throw usageError(
      `the subject index key in ${indexKeyVariableOf(parsed, prefix)} is not usable (${codeOf(err)}): 32+ random bytes, base64`,
    );
  }
}

/**
 * A copy of a report in which the subject id, wherever a workflow id or the visibility query
 * contains it (`intake-patient-1042`, `PatientId = "patient-1042"`), reads `<subject>`: output about
 * a subject names it by its hash only.
 */
export function withoutSubject<T>(report: T, subject: string): T {
  const walk = (node: unknown, key: string | undefined): unknown => {
    if (typeof node === 'string') return key === 'workflowId' || key === 'query' ? node.split(subject).join('<subject>') : node;
    if (Array.isArray(node)) return node.map((child) => walk(child, undefined));
    if (typeof node !== 'object' || node === null) return node;
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, k)]));
  };
  return walk(report, undefined) as T;
}

/**
 * Refuses a subject id with leading or trailing white space (exit 2): a paste or a file line that
 * carried a space names another subject, whose hash no history holds. Never echoes the id.
 */
export function checkSubjectSpacing(subject: string, flag = '--subject'): void {
  if (subject !== subject.trim())
    throw usageError(
      `${flag}: the subject id starts or ends with white space (a space, a tab, a line break): that is another subject than the one without it. Give the id exactly as the application names it`,
    );
}
