import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './dev-server';
import { installedTool } from './installed-tool';

/**
 * A throwaway PostgreSQL cluster for one test file: `initdb` in a temp dir as a non-root user
 * (`postgres`, else `nobody`, when the tests run as root as CI does), `postgres` listening on
 * 127.0.0.1 only, on a free port, its unix socket inside the temp dir. Password authentication
 * over TCP (scram-sha-256) for the superuser `sealed_admin`, so tests can check that a password
 * never shows in errors.
 *
 * `halt()` stops the server (fast shutdown: sessions are ended) and keeps its data; `start()`
 * brings it back on the same port and data dir; `stop()` ends it and removes the temp dir.
 */
export interface PostgresServer {
  /** `postgres://sealed_admin:PASSWORD@127.0.0.1:PORT/sealed_test`: the superuser on the test database. */
  readonly url: string;
  readonly port: number;
  /** The superuser's password (random per cluster). */
  readonly password: string;
  /** The URL of `user` with `password` on `database` (default: the test database). */
  urlFor(user: string, password: string, database?: string): string;
  /** Runs SQL as the superuser on the test database (setup: roles, grants; reading rows back). */
  admin(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  /** Creates a database and returns its superuser URL. */
  createDatabase(name: string): Promise<string>;
  halt(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const SUPERUSER = 'sealed_admin';
const DATABASE = 'sealed_test';

/** PostgreSQL's bin dir: $POSTGRES_BIN_DIR, else what scripts/install-postgres.sh installs (or finds) and prints. */
export function postgresBinDir(): string {
  return installedTool('POSTGRES_BIN_DIR', 'install-postgres.sh', (dir) => path.join(dir, 'initdb'));
}

/** The user PostgreSQL runs as: itself when not root (initdb refuses root), else `postgres` or `nobody`. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      if (uid > 0) return { uid, gid };
    } catch {
      // no such user: try the next
    }
  }
  throw new Error('running as root, and neither the user postgres nor nobody exists to run PostgreSQL as');
}

/** Starts a cluster; call `stop()` in afterAll. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const owner = serverUser();
  const ownedDir = (dir: string): string => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
    return dir;
  };
  // os.tmpdir() is world-traversable (/tmp); the cluster's own dir is 0700 and owned by the server's user.
  const base = ownedDir(mkdtempSync(path.join(os.tmpdir(), 'sealed-pg-')));
  const dataDir = path.join(base, 'data');
  const socketDir = ownedDir(path.join(base, 'socket'));
  const password = randomBytes(18).toString('base64url');
  const asOwner = { ...(owner ?? {}), cwd: base, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } };

  const pwfile = path.join(base, 'pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner !== undefined) chownSync(pwfile, owner.uid, owner.gid);
  try {
    execFileSync(
      path.join(bin, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        SUPERUSER,
        `--pwfile=${pwfile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
      ],
      { ...asOwner, stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (err) {
    rmSync(base, { recursive: true, force: true });
    throw new Error(`initdb failed: ${String((err as { stderr?: unknown }).stderr ?? err)}`);
  } finally {
    rmSync(pwfile, { force: true });
  }

  const port = await freePort();
  const urlFor = (user: string, secret: string, database = DATABASE): string =>
    `postgres://${encodeURIComponent(user)}:${encodeURIComponent(secret)}@127.0.0.1:${port}/${database}`;
  let server: ChildProcess | undefined;
  let adminPool: pg.Pool | undefined;

  const cleanUpOnExit = (): void => {
    server?.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  };
  process.once('exit', cleanUpOnExit);

  const waitReady = async (child: ChildProcess, stderr: () => string): Promise<void> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`postgres exited (${child.exitCode}): ${stderr().slice(-2000)}`);
      const client = new pg.Client({ connectionString: urlFor(SUPERUSER, password, 'postgres'), connectionTimeoutMillis: 1000 });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.end();
        return;
      } catch {
        await client.end().catch(() => {});
        if (Date.now() > deadline) throw new Error(`postgres did not accept connections on port ${port}: ${stderr().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  const start = async (): Promise<void> => {
    if (server !== undefined) return;
    const child = spawn(
      path.join(bin, 'postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-k',
        socketDir,
        '-c',
        'listen_addresses=127.0.0.1',
        // A test cluster: nothing here must survive a power cut, and the machine is shared.
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'shared_buffers=16MB',
        '-c',
        'max_connections=100',
        '-c',
        'dynamic_shared_memory_type=mmap',
      ],
      { ...asOwner, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-8000);
    });
    child.unref();
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    server = child;
    await waitReady(child, () => stderr);
  };

  const halt = async (): Promise<void> => {
    const child = server;
    server = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT'); // fast shutdown: ends sessions, writes a checkpoint
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };

  const admin = (): pg.Pool => {
    if (adminPool === undefined) {
      adminPool = new pg.Pool({ connectionString: urlFor(SUPERUSER, password), max: 2, connectionTimeoutMillis: 5000 });
      adminPool.on('error', () => {});
    }
    return adminPool;
  };

  await start();
  const bootstrap = new pg.Client({ connectionString: urlFor(SUPERUSER, password, 'postgres') });
  await bootstrap.connect();
  await bootstrap.query(`CREATE DATABASE ${DATABASE}`);
  await bootstrap.end();

  let stopped: Promise<void> | undefined;
  return {
    url: urlFor(SUPERUSER, password),
    port,
    password,
    urlFor,
    admin: (text, values) => admin().query(text, values),
    createDatabase: async (name) => {
      await admin().query(`CREATE DATABASE ${name}`);
      return urlFor(SUPERUSER, password, name);
    },
    halt: async () => {
      await adminPool?.end().catch(() => {});
      adminPool = undefined;
      await halt();
    },
    start,
    stop: () =>
      (stopped ??= (async () => {
        await adminPool?.end().catch(() => {});
        adminPool = undefined;
        await halt();
        process.removeListener('exit', cleanUpOnExit);
        rmSync(base, { recursive: true, force: true });
      })()),
  };
}
