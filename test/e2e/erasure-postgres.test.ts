// Issue 13 with PostgreSQL as the shared key store (a throwaway cluster, test/support/postgres.ts), on
// the real dev server: a worker in this process, a worker in a process of its own and a codec server,
// each with its own SubjectKeys, pool and cache, share the store. Runs of subjects A and B go through
// both workers; one (subject, purpose) has one key however many processes used it. Forgetting A in
// one process is honoured by the others once their cacheTtlMs has passed: both workers replay A's
// runs on tombstones, clients decode tombstones, the codec server shows [erased:<purpose>]; B's values
// open everywhere. Then PostgreSQL is stopped mid-run: the workflow task fails with
// SEALED_KEYSTORE_UNAVAILABLE and retries, nothing is written in clear, the codec server answers 503;
// PostgreSQL started again on the same data dir, the run completes.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ForgetReport } from '../../src/cli/commands/forget';
import type { SubjectKeys } from '../../src/codec';
import { PostgresSubjectKeyStore } from '../../src/keystore';
import { createCodecServer, type CodecServer } from '../../src/server';
import { startDevServer, type DevServer } from '../support/dev-server';
import { ensureBuilt } from '../support/dist';
import { codeOfAsync } from '../support/errors';
import { type PostgresServer, startPostgres } from '../support/postgres';
import * as activities from './erasure-fixtures/activities';
import { type erasureIntake, finish, summary } from './erasure-fixtures/workflows';
import {
  bundleErasureWorkflows,
  codecServerDecode,
  erasureClient,
  erasureEnv,
  erasurePlugin,
  eventually,
  newErasureSecrets,
  sealedFieldsBin,
  sealedPayloadsOf,
  startWorkerProcess,
  subjectKeysOf,
  type WorkerProcess,
  workflowShowJson,
} from './support/erasure';
import {
  argsOf,
  CLEAR,
  canariesOf,
  expectOpened,
  expectTombstoned,
  runFor,
  sealedValues,
  startRun,
  valuesOf,
} from './support/erasure-scenario';
import { allExecutions, eventBytes, findCanaries, leaksByEvent, rawHistory, readDatabaseBytes } from './support/leak-scan';
import { registerTsRequire } from './support/sealed-temporal';

const EventType = temporal.api.enums.v1.EventType;
/** Every process's SubjectKeys forgets cached keys (and cached erasures) after this long; tests wait past it, never on it. */
const CACHE_TTL_MS = 500;
const PAST_TTL_MS = 3 * CACHE_TTL_MS;
const TOKEN = 'erasure-pg-dpo-token-0123456789abcdef';
const TABLES = ['sealed_fields_subject_keys', 'sealed_fields_subject_tombstones', 'sealed_fields_subject_audit'];

const A = valuesOf('PgA');
const B = valuesOf('PgB');
const C = valuesOf('PgC'); // the subject of the run that meets a stopped store
const everythingSecret = canariesOf({ A, B, C });

const secrets = newErasureSecrets();
const workDir = mkdtempSync(path.join(os.tmpdir(), 'sealed-erasure-pg-'));
const queue = {
  here: `erasure-pg-here-${randomUUID()}`,
  child: `erasure-pg-child-${randomUUID()}`,
  down: `erasure-pg-down-${randomUUID()}`,
};

let pg: PostgresServer;
let server: DevServer;
let bundle: WorkflowBundleWithSourceMap;
let codecServer: CodecServer;
let codecUrl: string;
let worker: Worker;
let workerDone: Promise<void>;
let childWorker: WorkerProcess | undefined;
/** The client process: starts runs and reads results, with its own SubjectKeys and cache. */
let client: Client;
let hashA = '';
const runs = { aHere: '', aChild: '', bHere: '', bChild: '' };
const stores: PostgresSubjectKeyStore[] = [];

/** A process's SubjectKeys: its own pool on the shared database, its own cache. */
async function processKeys(): Promise<SubjectKeys> {
  const store = await PostgresSubjectKeyStore.create({ connectionString: pg.url, connectTimeoutMs: 1000 });
  stores.push(store);
  return subjectKeysOf(secrets, store, CACHE_TTL_MS);
}

/** The environment of the data protection officer's shell: keyring, subject index key, the store's URL. */
function cliEnv(): Record<string, string> {
  return { ...erasureEnv(secrets), SEALED_FIELDS_SUBJECT_STORE: pg.url };
}

/** `SELECT count(*) FROM <from>`, as the superuser. */
async function count(from: string, values: unknown[] = []): Promise<number> {
  return (await pg.admin(`SELECT count(*)::int AS n FROM ${from}`, values)).rows[0].n as number;
}

/** Every row of the store's three tables, as text. */
async function storeRows(): Promise<string> {
  const texts: string[] = [];
  for (const table of TABLES) {
    const { rows } = await pg.admin(`SELECT * FROM ${table}`);
    texts.push(JSON.stringify(rows, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('base64') : v)));
  }
  return texts.join('\n');
}

async function codecServerView(workflowId: string): Promise<{ status: number; text: string }> {
  const events = await rawHistory(client, { workflowId });
  const { status, texts } = await codecServerDecode(codecUrl, TOKEN, server.namespace, sealedPayloadsOf(events));
  return { status, text: texts.join('\n') };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  ensureBuilt(); // the sealed-fields bin runs from dist/: build it now (blocking) rather than inside a test
  registerTsRequire(); // the SDK require()s the suite's .ts converter module outside vitest's transform
  pg = await startPostgres();
  const workerKeys = await processKeys();
  [server, bundle] = await Promise.all([
    startDevServer({ dbFilename: path.join(workDir, 'temporal.sqlite') }),
    bundleErasureWorkflows(erasurePlugin(workerKeys)),
  ]);
  const bundlePath = path.join(workDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  codecServer = await createCodecServer({
    keys: await processKeys(),
    auth: { staticTokens: [{ token: TOKEN, subject: 'dpo', purposes: '*', namespaces: '*' }] },
    audit: () => undefined,
  });
  codecUrl = (await codecServer.listen()).url;
  worker = await Worker.create({
    connection: server.env.nativeConnection,
    namespace: server.namespace,
    taskQueue: queue.here,
    workflowBundle: bundle,
    activities,
    plugins: [erasurePlugin(workerKeys)],
  });
  workerDone = worker.run();
  childWorker = await startWorkerProcess({
    server,
    taskQueue: queue.child,
    bundlePath,
    subjectKeysUrl: pg.url,
    secrets,
    cacheTtlMs: CACHE_TTL_MS,
  });
  client = erasureClient(server, await processKeys());
}, 300_000); // a build, bundling, the dev server and the other processes, on a loaded 2-core box

afterAll(async () => {
  await childWorker?.stop();
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerDone?.catch(() => undefined);
  await server?.teardown();
  await codecServer?.close();
  await Promise.all(stores.map((store) => store.close().catch(() => undefined)));
  await pg?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('erasure with a PostgreSQL key store shared by two workers, a client and a codec server', () => {
  test('runs of A and B on a worker here and on a worker process open everywhere, one key per subject and purpose', async () => {
    const [aHere, aChild, bHere, bChild] = await Promise.all([
      runFor(client, queue.here, A, true),
      runFor(client, queue.child, A, true),
      runFor(client, queue.here, B, true),
      runFor(client, queue.child, B, true),
    ]);
    Object.assign(runs, { aHere: aHere.workflowId, aChild: aChild.workflowId, bHere: bHere.workflowId, bChild: bChild.workflowId });
    expectOpened(await aHere.result(), A);
    expectOpened(await aChild.result(), A);
    expectOpened(await bHere.result(), B);
    expectOpened(await bChild.result(), B);
    // Queries of closed runs replay them in each worker, which opens the subject's values with the store's key.
    expectOpened(await client.workflow.getHandle(runs.aChild).query(summary), A);
    expectOpened(await client.workflow.getHandle(runs.aHere).query(summary), A);
    const view = await codecServerView(runs.aChild);
    expect(view.status).toBe(200);
    for (const value of sealedValues(A)) expect(view.text).toContain(value);

    // Four processes used A's and B's keys: the store holds one per (subject, purpose), and no subject id.
    hashA = (await processKeys()).subjectHash(A.subject);
    const { rows } = await pg.admin('SELECT subject_hash, purpose FROM sealed_fields_subject_keys ORDER BY subject_hash, purpose');
    expect(rows).toHaveLength(6);
    expect(rows.filter((row) => row.subject_hash === hashA).map((row) => row.purpose)).toEqual(['contact', 'credential', 'phi']);
    expect(findCanaries(Buffer.from(await storeRows()), everythingSecret)).toEqual([]);
  });

  test("forgetting A with sealed-fields forget (a process of its own): the others honour it past their cacheTtlMs (tombstones for A, B's values everywhere)", async () => {
    // The data protection officer's shell: `sealed-fields forget`, a process of its own, the store's URL
    // (password included) in SEALED_FIELDS_SUBJECT_STORE, the subject id on stdin.
    const forgot = await sealedFieldsBin(
      [
        'forget',
        '--address',
        server.address,
        '--namespace',
        server.namespace,
        '--subject',
        '-',
        '--actor',
        'dpo@example.test',
        '--reason',
        'GDPR Art. 17, ticket pg-13',
        '--json',
        '--quiet',
      ],
      { env: cliEnv(), input: `${A.subject}\n` },
    );
    expect(forgot.code).toBe(0);
    const report = JSON.parse(forgot.stdout) as ForgetReport;
    expect(report).toMatchObject({ subjectHash: hashA, outcome: 'erased', openRuns: [], record: { subjectHash: hashA, keysDestroyed: 3 } });
    expect(report.closedRuns.map((run) => run.workflowId).sort()).toEqual([runs.aHere, runs.aChild].sort());
    expect(findCanaries(Buffer.from(forgot.stdout + forgot.stderr), everythingSecret)).toEqual([]);
    expect(forgot.stdout + forgot.stderr).not.toContain(pg.password);

    // The store: A's keys gone, a tombstone and an audit row naming the hash only.
    expect(await count('sealed_fields_subject_keys WHERE subject_hash = $1', [hashA])).toBe(0);
    expect(await count('sealed_fields_subject_keys')).toBe(3);
    expect(await count('sealed_fields_subject_tombstones WHERE subject_hash = $1', [hashA])).toBe(1);
    const audit = await pg.admin('SELECT subject_hash, actor, reason, keys_destroyed FROM sealed_fields_subject_audit');
    expect(audit.rows).toEqual([
      { subject_hash: hashA, actor: 'dpo@example.test', reason: 'GDPR Art. 17, ticket pg-13', keys_destroyed: 3 },
    ]);
    expect(findCanaries(Buffer.from(await storeRows()), everythingSecret)).toEqual([]);

    await pause(PAST_TTL_MS); // every other process had A's keys cached; they expire now
    // The worker process and the worker here replay A's closed runs on tombstones; B's on values.
    expectTombstoned(await client.workflow.getHandle(runs.aChild).query(summary));
    expectTombstoned(await client.workflow.getHandle(runs.aHere).query(summary));
    expectOpened(await client.workflow.getHandle(runs.bChild).query(summary), B);
    expectOpened(await client.workflow.getHandle(runs.bHere).query(summary), B);
    // The client process, which sealed A's values, now decodes them as tombstones.
    expectTombstoned(await client.workflow.getHandle<typeof erasureIntake>(runs.aChild).result());
    expectOpened(await client.workflow.getHandle<typeof erasureIntake>(runs.bChild).result(), B);
    const refused = await codeOfAsync(() =>
      client.workflow.start('erasureIntake', { taskQueue: queue.child, workflowId: `never-${randomUUID()}`, args: argsOf(A) }),
    );
    expect(refused).toBe('SEALED_ERASED');
    // The codec server, which had opened A's values: tombstones for A, values for B.
    for (const workflowId of [runs.aHere, runs.aChild]) {
      const { status, text } = await codecServerView(workflowId);
      expect(status).toBe(200);
      for (const tombstone of ['[erased:phi]', '[erased:credential]', '[erased:contact]']) expect(text).toContain(tombstone);
      expect(findCanaries(Buffer.from(text), A)).toEqual([]);
      expect(text).toContain(CLEAR.clinic);
    }
    const viewB = await codecServerView(runs.bChild);
    expect(viewB.status).toBe(200);
    for (const value of [B.subject, ...sealedValues(B)]) expect(viewB.text).toContain(value);
    // `sealed-fields decode` on an export, with the same store: tombstones for A, values for B.
    for (const [workflowId, values] of [
      [runs.aChild, A],
      [runs.bChild, B],
    ] as const) {
      const exported = path.join(workDir, `${workflowId}.json`);
      writeFileSync(exported, await workflowShowJson(server, { workflowId }));
      const decoded = await sealedFieldsBin(['decode', exported, '--quiet'], { env: cliEnv() });
      expect(decoded.code).toBe(0);
      if (values === A) {
        for (const tombstone of ['[erased:phi]', '[erased:credential]', '[erased:contact]']) expect(decoded.stdout).toContain(tombstone);
        expect(findCanaries(Buffer.from(decoded.stdout), A)).toEqual([]);
      } else for (const value of [B.subject, ...sealedValues(B)]) expect(decoded.stdout).toContain(value);
    }
  }, 180_000);

  test('PostgreSQL stopped mid-run: the workflow task fails with SEALED_KEYSTORE_UNAVAILABLE and retries, nothing in clear, the codec server answers 503; started again, the run completes', async () => {
    // Started while the store answers (the client makes C's keys); the worker below starts with an empty cache.
    const handle = await startRun(client, queue.down, C);
    const downKeys = await processKeys();
    await pause(PAST_TTL_MS); // no process holds C's keys in memory any more
    await pg.halt();
    let restarted = false;
    try {
      const downWorker = await Worker.create({
        connection: server.env.nativeConnection,
        namespace: server.namespace,
        taskQueue: queue.down,
        workflowBundle: bundle,
        activities,
        plugins: [erasurePlugin(downKeys)],
      });
      const result = downWorker.runUntil(async () => {
        const failed = await eventually('a failed workflow task', async () =>
          (await rawHistory(client, { workflowId: handle.workflowId })).find(
            (e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
          ),
        );
        expect(failed.workflowTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type).toBe('SEALED_KEYSTORE_UNAVAILABLE');
        expect((await handle.describe()).status.name).toBe('RUNNING');
        const history = eventBytes(await rawHistory(client, { workflowId: handle.workflowId }));
        expect(findCanaries(history, canariesOf({ C }))).toEqual([]);
        expect(history.includes(pg.password)).toBe(false);
        const view = await codecServerView(handle.workflowId);
        expect(view.status).toBe(503);

        await pg.start();
        restarted = true;
        await handle.signal(finish);
        return handle.result();
      });
      expectOpened(await result, C, []);
      // The failed task was retried: a workflow task completed after the failure.
      const types = (await rawHistory(client, { workflowId: handle.workflowId })).map((e) => e.eventType);
      const firstFailure = types.indexOf(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
      expect(types.indexOf(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, firstFailure)).toBeGreaterThan(firstFailure);
      expect(activities.seen.get(`recordIntake:${C.subject}`)).toEqual({ jwt: C.jwt, ssn: C.ssn, email: C.email, notes: [C.visitNotes] });
      expect((await codecServerView(handle.workflowId)).status).toBe(200);
    } finally {
      if (!restarted) await pg.start();
    }
  }, 300_000);

  test('no history, no byte of the SQLite file and no row of the store holds a subject id or a sealed value', async () => {
    const histories = await Promise.all((await allExecutions(client)).map((run) => rawHistory(client, run)));
    expect(histories.length).toBeGreaterThanOrEqual(5);
    expect(histories.flatMap((events) => leaksByEvent(events, everythingSecret))).toEqual([]);
    expect(findCanaries(Buffer.from(await storeRows()), everythingSecret)).toEqual([]);
    await childWorker?.stop();
    worker.shutdown();
    await workerDone;
    await server.teardown();
    expect(findCanaries(readDatabaseBytes(server.dbFilename), everythingSecret)).toEqual([]);
  });
});
