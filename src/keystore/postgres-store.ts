import { SealedError, sealedError } from '../errors';
import { KEY_ID_PATTERN } from '../lib/identifiers';
import {
  checkedAudit,
  checkedKey,
  checkPurpose,
  checkSubjectHash,
  copyKey,
  erased,
  forgetRecord,
  malformed,
  type StoreOperation,
  type UnavailableReason,
  unavailable,
} from './checks';
import type { ForgetRecord, ListKeysOptions, StoredSubjectKey, SubjectKeyLookup, SubjectKeyStore } from './subject-key-store';

/**
 * What the store needs of a connection or a pooled client: `pg`'s `Pool`, `PoolClient` and
 * `Client` fit.
 *
 * @example
 * ```ts
 * const queryable: PostgresQueryable = new pg.Pool({ connectionString });
 * ```
 */
export interface PostgresQueryable {
  /** Runs one statement with `$1`-style parameters. */
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/**
 * A client checked out of a {@link PostgresPool}: `pg`'s `PoolClient` fits.
 *
 * @example
 * ```ts
 * const client: PostgresPoolClient = await pool.connect();
 * client.release();
 * ```
 */
export interface PostgresPoolClient extends PostgresQueryable {
  /** Gives the client back to the pool; `true` closes it (after a failure). */
  release(destroy?: boolean): void;
  /** `pg` emits `'error'` on a checked-out client whose connection ends; the store listens while it holds the client. */
  on?(event: 'error', listener: (err: Error) => void): unknown;
  /** Undoes `on`. */
  removeListener?(event: 'error', listener: (err: Error) => void): unknown;
}

/**
 * A connection pool the store may share with the application: `pg`'s `Pool` fits. Give it an
 * `'error'` listener (`pg` ends the process otherwise when an idle connection breaks) and set
 * `connectionTimeoutMillis` and `query_timeout`, so a store that does not answer fails instead of hanging.
 *
 * @example
 * ```ts
 * const pool = new pg.Pool({ connectionString, connectionTimeoutMillis: 2000, query_timeout: 5000 });
 * pool.on('error', () => {}); // a broken idle connection is dropped; the next query opens another
 * const store = await PostgresSubjectKeyStore.create({ pool });
 * ```
 */
export interface PostgresPool extends PostgresQueryable {
  /** Checks out a client, for a transaction. */
  connect(): Promise<PostgresPoolClient>;
  /** Closes every connection (the store calls it only on a pool it opened). */
  end(): Promise<void>;
}

/**
 * Options of {@link PostgresSubjectKeyStore.create}: a `connectionString` (the store opens and
 * closes its own pool) or a `pool` of yours (the store never ends it).
 *
 * @example
 * ```ts
 * const options: PostgresSubjectKeyStoreOptions = { connectionString: process.env.SUBJECT_KEYS_URL!, tablePrefix: 'billing_' };
 * ```
 */
export interface PostgresSubjectKeyStoreOptions {
  /** `postgres://user:password@host:5432/db?sslmode=verify-full`; never shown in errors. */
  connectionString?: string;
  /** A pool of yours instead of a connection string. */
  pool?: PostgresPool;
  /** Schema of the tables; default: the connection's `search_path`. */
  schema?: string;
  /** Prefix of the table names (`<prefix>keys`, `<prefix>tombstones`, `<prefix>audit`); default `sealed_fields_subject_`. */
  tablePrefix?: string;
  /** Create missing tables on first use (default true). Set false for a role that may not create tables; run `migrate()` as the owner. */
  createTables?: boolean;
  /** With `connectionString`: how long to wait for a connection, ms (default 2000). */
  connectTimeoutMs?: number;
  /** With `connectionString`: how long one statement may take, ms (default 5000); also the server's `statement_timeout`. */
  queryTimeoutMs?: number;
  /** With `connectionString`: the pool's size (default 10). */
  maxConnections?: number;
  /** The clock for tombstones and audit records (tests). Default: `() => new Date()`. */
  now?: () => Date;
}

/**
 * The tables a {@link PostgresSubjectKeyStore} uses, as quoted (schema-qualified when a schema is set) SQL names.
 *
 * @example
 * ```ts
 * const { keys, tombstones, audit } = store.tables;
 * // least privilege (docs/ERASURE.md): the app role never deletes; only forget's role does
 * await admin.query(`GRANT SELECT, INSERT ON ${keys} TO sealed_fields_app`);
 * await admin.query(`GRANT SELECT ON ${tombstones} TO sealed_fields_app`);
 * await admin.query(`GRANT SELECT, DELETE ON ${keys} TO sealed_fields_forget`);
 * await admin.query(`GRANT SELECT, INSERT ON ${tombstones}, ${audit} TO sealed_fields_forget`);
 * ```
 */
export interface PostgresSubjectKeyTables {
  /** `<prefix>keys`: the wrapped keys. */
  keys: string;
  /** `<prefix>tombstones`: forgotten subjects' hashes and erasure times. */
  tombstones: string;
  /** `<prefix>audit`: one row per `forget`. */
  audit: string;
}

type PgModule = typeof import('pg');

const NAME_PATTERN = /^[a-z_][a-z0-9_]{0,39}$/;
/** Rows per statement of `listKeys`. */
const LIST_PAGE_SIZE = 500;
const DEFAULT_PREFIX = 'sealed_fields_subject_';

/**
 * A {@link SubjectKeyStore} in PostgreSQL, shared by many workers, codec servers and CLIs. Uses
 * the `pg` package (an optional peer dependency: `npm install pg`).
 *
 * Three tables, created on first use (or by {@link PostgresSubjectKeyStore.migrate}):
 * `<prefix>keys` (subject_hash, purpose, key_id, wrapped_key, created_at; primary key
 * (subject_hash, purpose)), `<prefix>tombstones` (subject_hash, erased_at) and `<prefix>audit`
 * (id, subject_hash, actor, reason, at, keys_destroyed). Subjects appear only by keyed hash.
 *
 * - `putIfAbsent` inserts with `ON CONFLICT DO NOTHING` and reads back the key that won, after
 *   checking the tombstone, in one transaction: racing writers converge on one key.
 * - `forget` inserts the tombstone, deletes the keys and writes the audit row in one transaction.
 *   Both take a per-subject advisory lock (`put` shared, `forget` exclusive), so no key created
 *   while `forget` runs survives it.
 * - A deleted row stays on disk until VACUUM, in the WAL and in backups: docs/ERASURE.md, "Key stores".
 * - Unreachable, timed out, shutting down, credentials or privileges refused, tables missing:
 *   `SEALED_KEYSTORE_UNAVAILABLE` (`detail.reason`, `detail.sqlstate`), never the connection
 *   string or the server's message. The pool reconnects by itself once the server is back.
 *
 * @example
 * ```ts
 * const store = await PostgresSubjectKeyStore.create({ connectionString: process.env.SUBJECT_KEYS_URL! });
 * const key = await store.putIfAbsent({ subjectHash, purpose: 'phi', keyId, wrappedKey, createdAt: new Date() });
 * await store.close();
 * ```
 */
export class PostgresSubjectKeyStore implements SubjectKeyStore {
  /** The quoted names of the store's tables (for grants and backups). */
  readonly tables: PostgresSubjectKeyTables;
  readonly #pool: PostgresPool;
  readonly #ownsPool: boolean;
  readonly #createTables: boolean;
  readonly #lockSpace: string;
  readonly #now: () => Date;
  readonly #schema: string | undefined;
  #ready: Promise<void> | undefined;
  #closed = false;

  private constructor(pool: PostgresPool, ownsPool: boolean, options: PostgresSubjectKeyStoreOptions) {
    const prefix = options.tablePrefix ?? DEFAULT_PREFIX;
    const qualify = (name: string): string => (options.schema === undefined ? `"${name}"` : `"${options.schema}"."${name}"`);
    this.tables = { keys: qualify(`${prefix}keys`), tombstones: qualify(`${prefix}tombstones`), audit: qualify(`${prefix}audit`) };
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    this.#createTables = options.createTables ?? true;
    this.#lockSpace = `temporal-sealed-fields:${this.tables.keys}`;
    this.#now = options.now ?? (() => new Date());
    this.#schema = options.schema;
  }

  /**
   * Builds the store. Does not connect: the first operation does, so a worker starts while the
   * database is down and its tasks retry until it is back. Loads `pg` only for a connection string.
   *
   * @example
   * ```ts
   * const store = await PostgresSubjectKeyStore.create({ connectionString: 'postgres://sealed@db.internal/sealed', schema: 'erasure' });
   * ```
   */
  static async create(options: PostgresSubjectKeyStoreOptions): Promise<PostgresSubjectKeyStore> {
    if (options === null || typeof options !== 'object')
      throw sealedError('SEALED_INVALID_OPTION', 'PostgresSubjectKeyStore needs options', { option: 'options' });
    const hasUrl = options.connectionString !== undefined;
    if (hasUrl === (options.pool !== undefined))
      throw sealedError('SEALED_INVALID_OPTION', 'PostgresSubjectKeyStore needs either a connectionString or a pool', {
        option: 'connectionString',
      });
    if (hasUrl && (typeof options.connectionString !== 'string' || options.connectionString === ''))
      throw sealedError('SEALED_INVALID_OPTION', 'connectionString must be a non-empty string', { option: 'connectionString' });
    checkName(options.schema, 'schema');
    checkName(options.tablePrefix, 'tablePrefix');
    if (!hasUrl) return new PostgresSubjectKeyStore(options.pool as PostgresPool, false, options);
    const pg = await loadPg();
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: positive(options.maxConnections, 10, 'maxConnections'),
      connectionTimeoutMillis: positive(options.connectTimeoutMs, 2000, 'connectTimeoutMs'),
      query_timeout: positive(options.queryTimeoutMs, 5000, 'queryTimeoutMs'),
      statement_timeout: positive(options.queryTimeoutMs, 5000, 'queryTimeoutMs'),
      idleTimeoutMillis: 10_000,
      allowExitOnIdle: true,
      application_name: 'temporal-sealed-fields',
    });
    // A connection that breaks while idle is dropped by the pool; the next query opens another.
    pool.on('error', () => {});
    return new PostgresSubjectKeyStore(pool as unknown as PostgresPool, true, options);
  }

  /**
   * Creates the tables when missing (`CREATE TABLE IF NOT EXISTS`, under an advisory lock so
   * concurrent first uses do not collide). Needs a role that may create tables in the schema.
   *
   * @example
   * ```ts
   * // once, as the tables' owner; a NOLOGIN owner through an administrator's pool that switches role:
   * const pool = new pg.Pool({ connectionString: adminUrl, options: '-c role=sealed_fields_owner' });
   * await (await PostgresSubjectKeyStore.create({ pool, schema: 'sealed_fields' })).migrate();
   * ```
   */
  async migrate(): Promise<void> {
    this.#open('migrate');
    const { keys, tombstones, audit } = this.tables;
    await this.#transaction('migrate', async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1), 0)', [this.#lockSpace]);
      await client.query(`
        CREATE TABLE IF NOT EXISTS ${keys} (
          subject_hash text NOT NULL CHECK (subject_hash ~ '^[A-Za-z0-9_-]{22,86}$'),
          purpose text NOT NULL CHECK (purpose ~ '^[a-z][a-z0-9_-]{0,31}$'),
          key_id text NOT NULL,
          wrapped_key bytea NOT NULL,
          created_at timestamptz NOT NULL,
          PRIMARY KEY (subject_hash, purpose)
        );
        CREATE TABLE IF NOT EXISTS ${tombstones} (
          subject_hash text PRIMARY KEY CHECK (subject_hash ~ '^[A-Za-z0-9_-]{22,86}$'),
          erased_at timestamptz NOT NULL
        );
        CREATE TABLE IF NOT EXISTS ${audit} (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          subject_hash text NOT NULL,
          actor text NOT NULL,
          reason text,
          at timestamptz NOT NULL,
          keys_destroyed integer NOT NULL
        );`);
    });
  }

  /** {@link SubjectKeyStore.get}: one statement, so the key and the tombstone are read from one snapshot. */
  async get(subjectHash: string, purpose: string): Promise<SubjectKeyLookup> {
    this.#open('get');
    checkSubjectHash(subjectHash);
    checkPurpose(purpose);
    await this.#prepare('get');
    const result = await this.#query(
      'get',
      `SELECT t.erased_at, k.key_id, k.wrapped_key, k.created_at FROM (SELECT 1) AS one
       LEFT JOIN ${this.tables.tombstones} t ON t.subject_hash = $1
       LEFT JOIN ${this.tables.keys} k ON k.subject_hash = $1 AND k.purpose = $2`,
      [subjectHash, purpose],
    );
    const row = result.rows[0] as { erased_at: unknown; key_id: unknown } | undefined;
    if (row?.erased_at instanceof Date) return { erasedAt: row.erased_at };
    if (row === undefined || row.key_id === null) return undefined;
    return keyOf(row, subjectHash, purpose, 'get');
  }

  /** {@inheritDoc SubjectKeyStore.putIfAbsent} */
  async putIfAbsent(key: StoredSubjectKey): Promise<StoredSubjectKey> {
    this.#open('putIfAbsent');
    const candidate = checkedKey(key);
    const { subjectHash, purpose } = candidate;
    await this.#prepare('putIfAbsent');
    return this.#transaction('putIfAbsent', async (client) => {
      await client.query('SELECT pg_advisory_xact_lock_shared(hashtext($1), hashtext($2))', [this.#lockSpace, subjectHash]);
      const tombstone = await client.query(`SELECT 1 FROM ${this.tables.tombstones} WHERE subject_hash = $1`, [subjectHash]);
      if (tombstone.rows.length > 0) throw erased(subjectHash, purpose);
      const inserted = await client.query(
        `INSERT INTO ${this.tables.keys} (subject_hash, purpose, key_id, wrapped_key, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (subject_hash, purpose) DO NOTHING`,
        [subjectHash, purpose, candidate.keyId, Buffer.from(candidate.wrappedKey), candidate.createdAt],
      );
      if (inserted.rowCount === 1) return copyKey(candidate);
      // Another writer won (ON CONFLICT waited for it to commit): this statement's snapshot sees its key.
      const winner = await client.query(
        `SELECT key_id, wrapped_key, created_at FROM ${this.tables.keys} WHERE subject_hash = $1 AND purpose = $2`,
        [subjectHash, purpose],
      );
      return keyOf(winner.rows[0], subjectHash, purpose, 'putIfAbsent');
    });
  }

  /** {@link SubjectKeyStore.forget}: tombstone, key deletion and audit row in one transaction. */
  async forget(subjectHash: string, audit: { actor: string; reason?: string }): Promise<ForgetRecord> {
    this.#open('forget');
    checkSubjectHash(subjectHash);
    const checked = checkedAudit(audit);
    const at = this.#now();
    await this.#prepare('forget');
    return this.#transaction('forget', async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [this.#lockSpace, subjectHash]);
      await client.query(
        `INSERT INTO ${this.tables.tombstones} (subject_hash, erased_at) VALUES ($1, $2) ON CONFLICT (subject_hash) DO NOTHING`,
        [subjectHash, at],
      );
      const deleted = await client.query(`DELETE FROM ${this.tables.keys} WHERE subject_hash = $1`, [subjectHash]);
      const record = forgetRecord(subjectHash, checked, at, deleted.rowCount ?? 0);
      await client.query(`INSERT INTO ${this.tables.audit} (subject_hash, actor, reason, at, keys_destroyed) VALUES ($1, $2, $3, $4, $5)`, [
        subjectHash,
        record.actor,
        record.reason ?? null,
        at,
        record.keysDestroyed,
      ]);
      return record;
    });
  }

  /** {@inheritDoc SubjectKeyStore.forgetRecords} */
  async forgetRecords(): Promise<ForgetRecord[]> {
    this.#open('forgetRecords');
    await this.#prepare('forgetRecords');
    const result = await this.#query(
      'forgetRecords',
      `SELECT subject_hash, actor, reason, at, keys_destroyed FROM ${this.tables.audit} ORDER BY id`,
    );
    return result.rows.map((row) => recordOf(row));
  }

  /**
   * {@link SubjectKeyStore.listKeys}: every key the store holds, wrapped; with `subjectHash`, that
   * subject's only. Reads the keys table in pages of 500 rows (keyset pagination on the primary
   * key, one statement each); keys of subjects with a tombstone are left out.
   */
  async *listKeys(options: ListKeysOptions = {}): AsyncIterable<StoredSubjectKey> {
    this.#open('listKeys');
    if (options.subjectHash !== undefined) checkSubjectHash(options.subjectHash);
    await this.#prepare('listKeys');
    const { keys, tombstones } = this.tables;
    let after: [string, string] = ['', ''];
    for (;;) {
      const only = options.subjectHash === undefined ? '' : 'AND k.subject_hash = $4';
      const page = await this.#query(
        'listKeys',
        `SELECT k.subject_hash, k.purpose, k.key_id, k.wrapped_key, k.created_at FROM ${keys} k
         WHERE (k.subject_hash, k.purpose) > ($1, $2) ${only}
           AND NOT EXISTS (SELECT 1 FROM ${tombstones} t WHERE t.subject_hash = k.subject_hash)
         ORDER BY k.subject_hash, k.purpose LIMIT $3`,
        [...after, LIST_PAGE_SIZE, ...(options.subjectHash === undefined ? [] : [options.subjectHash])],
      );
      for (const row of page.rows) {
        const { subject_hash: subjectHash, purpose } = row as { subject_hash: unknown; purpose: unknown };
        if (typeof subjectHash !== 'string' || typeof purpose !== 'string') throw malformed('postgres', 'listKeys');
        yield keyOf(row, subjectHash, purpose, 'listKeys');
        after = [subjectHash, purpose];
      }
      if (page.rows.length < LIST_PAGE_SIZE) return;
    }
  }

  /**
   * {@link SubjectKeyStore.checkForgetAccess}: the privileges `forget` needs that the connected
   * role (`current_user`) lacks, asked of `has_schema_privilege` and `has_table_privilege` (read-only
   * queries: nothing written, no table created): `USAGE` on the schema (when one is set),
   * `SELECT, DELETE` on the keys table, `SELECT, INSERT` on the tombstones table and `INSERT` on the
   * audit table (its `SELECT` serves `forgetRecords` only). Each as `DELETE on "schema"."table"`,
   * the name a `GRANT` takes; a missing table as `table "schema"."table" (missing)`.
   *
   * @example
   * ```ts
   * const dpo = await PostgresSubjectKeyStore.create({ connectionString: forgetUrl, schema: 'sealed_fields', createTables: false });
   * const missing = await dpo.checkForgetAccess(); // [] with the grants of docs/ERASURE.md
   * ```
   */
  async checkForgetAccess(): Promise<string[]> {
    this.#open('checkForgetAccess');
    const { keys, tombstones, audit } = this.tables;
    const needs: Array<[string, string]> = [
      [keys, 'SELECT'],
      [keys, 'DELETE'],
      [tombstones, 'SELECT'],
      [tombstones, 'INSERT'],
      [audit, 'INSERT'],
    ];
    if (this.#schema !== undefined) {
      const usage = await this.#query('checkForgetAccess', "SELECT has_schema_privilege(current_user, $1, 'USAGE') AS granted", [
        this.#schema,
      ]);
      // Without USAGE the tables cannot even be named: that is all there is to report.
      if ((usage.rows[0] as { granted?: unknown } | undefined)?.granted !== true) return [`USAGE on schema "${this.#schema}"`];
    }
    const tables = [keys, tombstones, audit];
    const present = await this.#query(
      'checkForgetAccess',
      'SELECT to_regclass(t.name) IS NOT NULL AS present FROM unnest($1::text[]) WITH ORDINALITY AS t(name, n) ORDER BY t.n',
      [tables],
    );
    const missingTables = tables.filter((_, i) => (present.rows[i] as { present?: unknown } | undefined)?.present !== true);
    const checked = needs.filter(([table]) => !missingTables.includes(table));
    const granted = await this.#query(
      'checkForgetAccess',
      'SELECT has_table_privilege(current_user, need.name, need.privilege) AS granted FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS need(name, privilege, n) ORDER BY n',
      [checked.map(([table]) => table), checked.map(([, privilege]) => privilege)],
    );
    return [
      ...missingTables.map((table) => `table ${table} (missing)`),
      ...checked
        .filter((_, i) => (granted.rows[i] as { granted?: unknown } | undefined)?.granted !== true)
        .map(([table, privilege]) => `${privilege} on ${table}`),
    ];
  }

  /** {@link SubjectKeyStore.close}: ends the pool the store opened (a pool you passed stays yours); later calls fail with `SEALED_KEYSTORE_UNAVAILABLE`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsPool) await this.#pool.end().catch(() => undefined);
  }

  #open(operation: StoreOperation): void {
    if (this.#closed) throw unavailable('postgres', operation, 'closed');
  }

  /** Creates the tables on first use when they are missing (a least-privilege role finds them and creates nothing). */
  #prepare(operation: StoreOperation): Promise<void> {
    if (!this.#createTables) return Promise.resolve();
    this.#ready ??= (async () => {
      const { keys, tombstones, audit } = this.tables;
      const found = await this.#query(
        operation,
        'SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AND to_regclass($3) IS NOT NULL AS present',
        [keys, tombstones, audit],
      );
      if ((found.rows[0] as { present?: unknown } | undefined)?.present !== true) await this.migrate();
    })().catch((err: unknown) => {
      this.#ready = undefined; // try again on the next call
      throw err;
    });
    return this.#ready;
  }

  async #query(operation: StoreOperation, text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }> {
    try {
      return await this.#pool.query(text, values);
    } catch (err) {
      throw pgFailure(err, operation);
    }
  }

  async #transaction<T>(operation: StoreOperation, run: (client: PostgresPoolClient) => Promise<T>): Promise<T> {
    let client: PostgresPoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      throw pgFailure(err, operation);
    }
    // A connection that ends while the store holds the client (the server stopping) is an error of the
    // running statement, which fails with it; without a listener pg would also throw it at the process.
    const ignore = (): void => undefined;
    client.on?.('error', ignore);
    let broken = false;
    try {
      // READ COMMITTED whatever the session default: each statement must see what committed before it, after
      // the subject's advisory lock (a forget's tombstone for putIfAbsent, a first use's key for forget). Under
      // a REPEATABLE READ or SERIALIZABLE default, the snapshot of the first statement (taken before the lock)
      // would hide them, and a key would stay beside the tombstone.
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      const result = await run(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A SealedError (erased) leaves a healthy connection; anything else may not have.
      broken = !SealedError.is(err);
      await client.query('ROLLBACK').catch(() => undefined);
      throw pgFailure(err, operation);
    } finally {
      client.removeListener?.('error', ignore);
      client.release(broken);
    }
  }
}

async function loadPg(): Promise<PgModule> {
  let loaded: PgModule & { default?: PgModule };
  try {
    loaded = await import('pg');
  } catch {
    throw sealedError('SEALED_INVALID_OPTION', 'PostgresSubjectKeyStore needs the package pg: npm install pg', {
      option: 'connectionString',
    });
  }
  // pg is CommonJS: under ESM loaders its exports sit on `default`.
  return loaded.default ?? loaded;
}

function checkName(value: unknown, option: string): void {
  if (value === undefined || (typeof value === 'string' && NAME_PATTERN.test(value))) return;
  throw sealedError('SEALED_INVALID_OPTION', `${option} must match ^[a-z_][a-z0-9_]{0,39}$`, { option });
}

function positive(value: number | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (Number.isSafeInteger(value) && value > 0) return value;
  throw sealedError('SEALED_INVALID_OPTION', `${option} must be a positive integer`, { option });
}

function keyOf(row: unknown, subjectHash: string, purpose: string, operation: StoreOperation): StoredSubjectKey {
  const { key_id: keyId, wrapped_key: wrapped, created_at: createdAt } = (row ?? {}) as Record<string, unknown>;
  if (
    typeof keyId !== 'string' ||
    !KEY_ID_PATTERN.test(keyId) ||
    !(wrapped instanceof Uint8Array) ||
    wrapped.length === 0 ||
    !(createdAt instanceof Date)
  )
    throw malformed('postgres', operation);
  return { subjectHash, purpose, keyId, wrappedKey: Uint8Array.from(wrapped), createdAt };
}

function recordOf(row: unknown): ForgetRecord {
  const { subject_hash: subjectHash, actor, reason, at, keys_destroyed: keysDestroyed } = (row ?? {}) as Record<string, unknown>;
  if (
    typeof subjectHash !== 'string' ||
    typeof actor !== 'string' ||
    (reason !== null && typeof reason !== 'string') ||
    !(at instanceof Date) ||
    typeof keysDestroyed !== 'number'
  )
    throw malformed('postgres', 'forgetRecords');
  return forgetRecord(subjectHash, typeof reason === 'string' ? { actor, reason } : { actor }, at, keysDestroyed);
}

const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
  'ENOENT', // a unix socket that is not there
]);

/** The reason for a SQLSTATE (PostgreSQL error codes, appendix A), by code or class. */
function sqlstateReason(sqlstate: string): UnavailableReason {
  if (sqlstate === '57014' || sqlstate === '55P03' || sqlstate === '25P03') return 'timeout'; // statement, lock, idle-in-transaction timeout
  if (sqlstate === '42501') return 'denied';
  if (sqlstate === '42P01' || sqlstate === '3F000') return 'schema';
  if (sqlstate === '3D000') return 'unreachable'; // no such database
  const errorClass = sqlstate.slice(0, 2);
  if (errorClass === '28') return 'auth';
  if (errorClass === '08' || errorClass === '57' || errorClass === '53') return 'unreachable'; // connection, shutdown, resources
  return 'failed';
}

/**
 * A failed PostgreSQL call as `SEALED_KEYSTORE_UNAVAILABLE`; `SealedError`s pass unchanged. The
 * detail names a reason and the SQLSTATE or errno, never the server's or the driver's message
 * (they may name the user, the host or a value).
 */
function pgFailure(err: unknown, operation: StoreOperation): SealedError {
  if (SealedError.is(err)) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ETIMEDOUT') return unavailable('postgres', operation, 'timeout', { errno: code });
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return unavailable('postgres', operation, 'unreachable', { errno: code });
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code))
    return unavailable('postgres', operation, sqlstateReason(code), { sqlstate: code });
  // pg's own connection errors carry no code: "Connection terminated ...", "timeout exceeded when trying to connect", "Query read timeout".
  const message = (err as { message?: unknown } | null)?.message;
  if (typeof message === 'string' && /timeout/i.test(message)) return unavailable('postgres', operation, 'timeout');
  if (typeof message === 'string' && /connect|terminated|not queryable|ended|end on the pool/i.test(message))
    return unavailable('postgres', operation, 'unreachable');
  return unavailable('postgres', operation, 'failed');
}
