// Issue 13, end to end on the real dev server with the embedded (file) key store: runs of two data
// subjects A and B carry several payload kinds (workflow arguments, activity input and result, a
// signal, an update, a query, the result) under three purposes (phi, credential, contact) from a
// DTO with @DataSubjectId, a Secret with a subject and a zod schema with dataSubject(). One run of
// A stays open. Forgetting A is refused while that run is open; forced, it changes neither the
// histories nor the dev server's SQLite file, yet A's sealed fields open nowhere (a fresh worker
// and client get Erased tombstones, the codec server and the Web UI in Chromium show
// [erased:<purpose>]) while B's still do; A's closed runs decode with tombstones, A's open run
// replays on them and completes. No subject id and no sealed value is ever in a history or the file.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ForgetReport } from '../../src/cli/commands/forget';
import type { ScanReport, SubjectReport } from '../../src/cli/scan/report';
import type { SubjectKeys } from '../../src/codec';
import { FileSubjectKeyStore } from '../../src/keystore';
import { type AuditEvent, createCodecServer, type CodecServer } from '../../src/server';
import { launchChromium } from '../support/chromium';
import { freePort, startDevServer, type DevServer } from '../support/dev-server';
import { ensureBuilt } from '../support/dist';
import { codeOfAsync } from '../support/errors';
import { openRunInWebUi } from '../support/web-ui';
import * as activities from './erasure-fixtures/activities';
import { erasureIntake, finish, summary } from './erasure-fixtures/workflows';
import {
  argsOf,
  CLEAR,
  canariesOf,
  canonicalJson,
  expectOpened,
  expectTombstoned,
  runFor,
  sealedValues,
  valuesOf,
} from './support/erasure-scenario';
import {
  bundleErasureWorkflows,
  codecServerDecode,
  erasureClient,
  erasurePlugin,
  newErasureSecrets,
  erasureEnv,
  sealedFieldsBin,
  sealedPayloadsOf,
  subjectKeysOf,
  workflowShowJson,
} from './support/erasure';
import { allExecutions, eventBytes, findCanaries, leaksByEvent, rawHistory, readDatabaseBytes, type Execution } from './support/leak-scan';
import { registerTsRequire } from './support/sealed-temporal';

/** Every process's SubjectKeys forgets cached keys after this long; the tests wait past it, never on it. */
const CACHE_TTL_MS = 500;
const PAST_TTL_MS = 3 * CACHE_TTL_MS;
const TOKEN = 'erasure-dpo-token-0123456789abcdef';
const COOKIE = 'sealed_codec_token';

const A = valuesOf('A');
const B = valuesOf('B');
const everythingSecret = canariesOf({ A, B });

const secrets = newErasureSecrets();
const workDir = mkdtempSync(path.join(os.tmpdir(), 'sealed-erasure-'));
const storeDir = path.join(workDir, 'subject-keys');
const dbFilename = path.join(workDir, 'temporal.sqlite');
const taskQueue = `erasure-${randomUUID()}`;

let server: DevServer | undefined;
let codecServer: CodecServer;
let codecUrl: string;
let uiPort: number;
let bundle: WorkflowBundleWithSourceMap;
let worker: Worker | undefined;
let workerDone: Promise<void> | undefined;
let browser: Browser | undefined;
const runs = { a1: '', a2: '', b1: '' }; // workflow ids (random: no subject id in a workflow id)
let hashA = '';
let hashB = '';
const audit: AuditEvent[] = [];
const stores: FileSubjectKeyStore[] = [];
const before = new Map<string, { history: string[]; shown: string }>();

/** The environment of the data protection officer's shell: keyring, subject index key, the store. */
function cliEnv(): Record<string, string> {
  return { ...erasureEnv(secrets), SEALED_FIELDS_SUBJECT_STORE: `file:${storeDir}` };
}

/** Where `scan` and `forget` read histories: this dev server. */
function atServer(): string[] {
  return ['--address', devServer().address, '--namespace', devServer().namespace];
}

/** A separate process's SubjectKeys: its own store instance on the shared directory, its own cache. */
async function processKeys(): Promise<SubjectKeys> {
  const store = await FileSubjectKeyStore.create({ directory: storeDir });
  stores.push(store);
  return subjectKeysOf(secrets, store, CACHE_TTL_MS);
}

function devServer(): DevServer {
  if (server === undefined) throw new Error('dev server not running');
  return server;
}

/** The dev server on the suite's SQLite file, its Web UI calling the codec server (same UI port on a restart: one CORS origin). */
async function startServer(): Promise<DevServer> {
  server = await startDevServer({ dbFilename, uiPort, codecEndpoint: codecUrl });
  return server;
}

async function startWorker(keys: SubjectKeys): Promise<void> {
  worker = await Worker.create({
    connection: devServer().env.nativeConnection,
    namespace: devServer().namespace,
    taskQueue,
    workflowBundle: bundle,
    activities,
    plugins: [erasurePlugin(keys)],
  });
  workerDone = worker.run();
}

async function stopWorker(): Promise<void> {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerDone?.catch(() => undefined);
  worker = undefined;
  workerDone = undefined;
}

/** The file store's folder of a subject (`subjects/<2 hex>/<hash as hex>`): its file names. */
function subjectFolder(subjectHash: string): string[] {
  const hex = Buffer.from(subjectHash, 'base64url').toString('hex');
  return readdirSync(path.join(storeDir, 'subjects', hex.slice(0, 2), hex)).sort();
}

/** Every file name and every byte under a directory. */
function treeBytes(dir: string): Buffer {
  return Buffer.concat(
    readdirSync(dir, { withFileTypes: true }).map((entry) => {
      const full = path.join(dir, entry.name);
      return Buffer.concat([Buffer.from(entry.name), entry.isDirectory() ? treeBytes(full) : readFileSync(full)]);
    }),
  );
}

/** A run's history event by event, every field and every payload's bytes (base64), as the frontend serves it. */
async function eventsAsStored(client: Client, run: Execution): Promise<string[]> {
  const events = await rawHistory(client, run);
  return events.map((event) =>
    canonicalJson(
      temporal.api.history.v1.HistoryEvent.toObject(temporal.api.history.v1.HistoryEvent.create(event), { bytes: String, longs: String }),
    ),
  );
}

/** The codec server's view of every sealed payload of a run: data texts joined. */
async function codecServerView(workflowId: string): Promise<{ status: number; text: string }> {
  const events = await rawHistory(erasureClient(devServer(), await processKeys()), { workflowId });
  const { status, texts } = await codecServerDecode(codecUrl, TOKEN, devServer().namespace, sealedPayloadsOf(events));
  return { status, text: texts.join('\n') };
}

beforeAll(async () => {
  ensureBuilt(); // the sealed-fields bin runs from dist/: build it now (blocking) rather than inside a test
  registerTsRequire(); // the SDK require()s the suite's .ts converter module outside vitest's transform
  uiPort = await freePort();
  codecServer = await createCodecServer({
    keys: await processKeys(),
    auth: { staticTokens: [{ token: TOKEN, subject: 'dpo', purposes: '*', namespaces: '*' }], tokenCookie: COOKIE },
    cors: { origins: [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`], credentials: true },
    audit: (record) => void audit.push(record),
  });
  codecUrl = (await codecServer.listen()).url;
  const workerKeys = await processKeys();
  [bundle] = await Promise.all([bundleErasureWorkflows(erasurePlugin(workerKeys)), startServer()]);
  await startWorker(workerKeys);
}, 300_000); // a build, bundling, the dev server and the other processes, on a loaded 2-core box

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await stopWorker();
  await server?.teardown();
  await codecServer?.close();
  await Promise.all(stores.map((store) => store.close()));
  rmSync(workDir, { recursive: true, force: true });
});

describe('erasure with the embedded file store on a real dev server', () => {
  test('before forgetting: runs of A and B open in the worker, the client and the codec server', async () => {
    const clientKeys = await processKeys();
    const client = erasureClient(devServer(), clientKeys);
    const [a1, b1, a2] = await Promise.all([
      runFor(client, taskQueue, A, true),
      runFor(client, taskQueue, B, true),
      runFor(client, taskQueue, A, false),
    ]);
    Object.assign(runs, { a1: a1.workflowId, b1: b1.workflowId, a2: a2.workflowId });
    expectOpened(await a1.result(), A);
    expectOpened(await b1.result(), B);
    expectOpened(await a2.query(summary), A);
    expect((await a2.describe()).status.name).toBe('RUNNING');
    for (const v of [A, B]) {
      expect(activities.seen.get(`recordIntake:${v.subject}`)).toEqual({ jwt: v.jwt, ssn: v.ssn, email: v.email, notes: [v.visitNotes] });
      expect(activities.seen.get(`confirmConsent:${v.subject}`)).toEqual({ phone: v.phone });
    }
    // Three purposes, each under a key of the subject's own: the store holds three for A, three for B, named by hash.
    hashA = clientKeys.subjectHash(A.subject);
    hashB = clientKeys.subjectHash(B.subject);
    expect(subjectFolder(hashA)).toEqual(['contact.key', 'credential.key', 'phi.key']);
    expect(subjectFolder(hashB)).toEqual(['contact.key', 'credential.key', 'phi.key']);
    const { text } = await codecServerView(runs.a1);
    for (const value of sealedValues(A)) expect(text).toContain(value);
    expect(text).not.toContain('[sealed:');
  });

  test('no history holds a subject id or a sealed value in clear; the clear fields are readable', async () => {
    const client = erasureClient(devServer(), await processKeys());
    const histories = await Promise.all((await allExecutions(client)).map((run) => rawHistory(client, run)));
    expect(histories.length).toBeGreaterThanOrEqual(3);
    expect(histories.flatMap((events) => leaksByEvent(events, everythingSecret))).toEqual([]);
    const all = Buffer.concat(histories.map(eventBytes));
    expect(findCanaries(all, CLEAR).sort()).toEqual(Object.keys(CLEAR).sort());
  });

  test("sealed-fields scan --subject reports the open run of A (and only B's closed run for B); forget refuses while it is open and destroys nothing", async () => {
    const scanA = await sealedFieldsBin(['scan', ...atServer(), '--subject', '-', '--json', '--quiet'], {
      env: cliEnv(),
      input: `${A.subject}\n`,
    });
    expect(scanA.code).toBe(0);
    const ofA = (JSON.parse(scanA.stdout) as ScanReport).subject as SubjectReport;
    expect(ofA.subjectHash).toBe(hashA);
    expect(ofA.runs.map((run) => run.workflowId).sort()).toEqual([runs.a1, runs.a2].sort());
    expect(ofA.runs.filter((run) => run.open).map((run) => run.workflowId)).toEqual([runs.a2]);
    expect(ofA.unchecked.workflows).toBe(0);
    const scanB = await sealedFieldsBin(['scan', ...atServer(), '--subject', '-', '--json', '--quiet'], {
      env: cliEnv(),
      input: `${B.subject}\n`,
    });
    const ofB = (JSON.parse(scanB.stdout) as ScanReport).subject as SubjectReport;
    expect(ofB.subjectHash).toBe(hashB);
    expect(ofB.runs.map((run) => [run.workflowId, run.open])).toEqual([[runs.b1, false]]);

    const refused = await sealedFieldsBin(['forget', ...atServer(), '--subject', '-', '--actor', 'dpo@example.test', '--json', '--quiet'], {
      env: cliEnv(),
      input: `${A.subject}\n`,
    });
    expect(refused.code).toBe(1);
    const report = JSON.parse(refused.stdout) as ForgetReport;
    expect(report).toMatchObject({ subjectHash: hashA, outcome: 'refused', refusedBecause: ['open-runs'], record: null });
    expect(report.openRuns.map((run) => run.workflowId)).toEqual([runs.a2]);
    expect(report.closedRuns.map((run) => run.workflowId)).toEqual([runs.a1]);
    for (const output of [scanA, scanB, refused])
      expect(findCanaries(Buffer.from(output.stdout + output.stderr), everythingSecret)).toEqual([]);
    // Nothing destroyed: a fresh client still opens A's closed run.
    expectOpened(
      await erasureClient(devServer(), await processKeys())
        .workflow.getHandle<typeof erasureIntake>(runs.a1)
        .result(),
      A,
    );
  }, 180_000);

  test('forgetting A (forced) changes neither the raw histories nor the dev server SQLite file', async () => {
    const client = erasureClient(devServer(), await processKeys());
    const every: Execution[] = [{ workflowId: runs.a1 }, { workflowId: runs.a2 }, { workflowId: runs.b1 }];
    for (const run of every)
      before.set(run.workflowId, {
        history: await eventsAsStored(client, run),
        shown: canonicalJson(JSON.parse(await workflowShowJson(devServer(), run))),
      });

    // Stop everything that writes to the file, then forget while nothing else can touch it.
    await stopWorker();
    await devServer().teardown();
    server = undefined;
    const stored = readDatabaseBytes(dbFilename);
    expect(findCanaries(stored, everythingSecret)).toEqual([]);

    // What `sealed-fields forget --allow-open-runs` calls once it has read the histories (it needs the
    // frontend for that; the CLI's own forget runs in the PostgreSQL suite): the store alone changes.
    const dpo = await processKeys();
    const record = await dpo.forget(A.subject, { actor: 'dpo@example.test', reason: 'GDPR Art. 17, ticket 13' });
    expect(record).toMatchObject({ subjectHash: hashA, actor: 'dpo@example.test', keysDestroyed: 3 });
    expect(JSON.stringify(record)).not.toContain(A.subject);
    expect(readDatabaseBytes(dbFilename).equals(stored)).toBe(true);
    // The store: A's key files gone, its tombstone left; B's keys kept; no subject id or value in any file or name.
    expect(subjectFolder(hashA)).toEqual(['erased']);
    expect(subjectFolder(hashB)).toEqual(['contact.key', 'credential.key', 'phi.key']);
    expect(findCanaries(treeBytes(storeDir), everythingSecret)).toEqual([]);

    // The same file served again: every history byte for byte as before, through the frontend and the CLI.
    await startServer();
    const again = erasureClient(devServer(), await processKeys());
    for (const run of every) {
      expect(await eventsAsStored(again, run)).toEqual(before.get(run.workflowId)?.history);
      expect(canonicalJson(JSON.parse(await workflowShowJson(devServer(), run)))).toBe(before.get(run.workflowId)?.shown);
    }
  }, 180_000);

  test('after forgetting: a fresh worker and client get tombstones for A (reveal throws SEALED_ERASED) and values for B', async () => {
    await new Promise((resolve) => setTimeout(resolve, PAST_TTL_MS));
    await startWorker(await processKeys()); // a worker (re)started after the erasure: it replays A's runs on tombstones
    const client = erasureClient(devServer(), await processKeys());
    expectTombstoned(await client.workflow.getHandle<typeof erasureIntake>(runs.a1).result());
    expectOpened(await client.workflow.getHandle<typeof erasureIntake>(runs.b1).result(), B);
    // Queries of closed runs replay them in the worker: A's on tombstones, B's on values.
    expectTombstoned(await client.workflow.getHandle(runs.a1).query(summary));
    expectOpened(await client.workflow.getHandle(runs.b1).query(summary), B);
    // The open run of A replays on tombstones too, and closes.
    const a2 = client.workflow.getHandle<typeof erasureIntake>(runs.a2);
    expectTombstoned(await a2.query(summary));
    await a2.signal(finish);
    const closed = await a2.result();
    expectTombstoned(closed);
    expect(closed.status).toBe('finished');
  });

  test('after forgetting: nothing new is sealed for A (SEALED_ERASED, nothing started), while B takes new runs', async () => {
    const client = erasureClient(devServer(), await processKeys());
    const workflowId = `erasure-refused-${randomUUID()}`;
    const refused = await codeOfAsync(() =>
      client.workflow.start(erasureIntake, {
        taskQueue,
        workflowId,
        args: argsOf(A),
      }),
    );
    expect(refused).toBe('SEALED_ERASED');
    expect(
      (await client.workflow
        .getHandle(workflowId)
        .describe()
        .catch((e: unknown) => e)) as Error,
    ).toHaveProperty('name', 'WorkflowNotFoundError');
    expectOpened(await (await runFor(client, taskQueue, B, true)).result(), B);
  });

  test("after forgetting: sealed-fields decode of `temporal workflow show --output json` shows tombstones for A and B's values", async () => {
    for (const [workflowId, subject] of [
      [runs.a1, 'A'],
      [runs.a2, 'A'],
      [runs.b1, 'B'],
    ] as const) {
      const exported = path.join(workDir, `${workflowId}.json`);
      writeFileSync(exported, await workflowShowJson(devServer(), { workflowId }));
      const decoded = await sealedFieldsBin(['decode', exported, '--quiet'], { env: cliEnv() });
      expect(decoded.code).toBe(0);
      expect(decoded.stdout).toContain(CLEAR.clinic);
      if (subject === 'A') {
        for (const tombstone of ['[erased:phi]', '[erased:credential]', '[erased:contact]']) expect(decoded.stdout).toContain(tombstone);
        expect(findCanaries(Buffer.from(decoded.stdout + decoded.stderr), A)).toEqual([]);
      } else {
        for (const value of [B.subject, ...sealedValues(B)]) expect(decoded.stdout).toContain(value);
        expect(decoded.stdout).not.toContain('[erased:');
      }
    }
  }, 180_000);

  test("after forgetting: the codec server shows [erased:<purpose>] for each of A's values and B's values in clear", async () => {
    for (const workflowId of [runs.a1, runs.a2]) {
      const { status, text } = await codecServerView(workflowId);
      expect(status).toBe(200);
      for (const tombstone of ['[erased:phi]', '[erased:credential]', '[erased:contact]']) expect(text).toContain(tombstone);
      expect(findCanaries(Buffer.from(text), A)).toEqual([]);
      expect(text).toContain(CLEAR.clinic);
    }
    const { status, text } = await codecServerView(runs.b1);
    expect(status).toBe(200);
    for (const value of [B.subject, ...sealedValues(B)]) expect(text).toContain(value);
    expect(text).not.toContain('[erased:');
  });

  test("after forgetting: the Web UI in Chromium shows [erased:phi] for A's run and B's values for B's run", async () => {
    browser = await launchChromium();
    const client = erasureClient(devServer(), await processKeys());
    const open = async (workflowId: string) =>
      openRunInWebUi({
        browser: browser as Browser,
        uiUrl: devServer().uiUrl as string,
        namespace: devServer().namespace,
        workflowId,
        runId: (await client.workflow.getHandle(workflowId).describe()).runId,
        codecEndpoint: codecUrl,
        override: { endpoint: codecUrl, cookie: { name: COOKIE, value: TOKEN } },
        waitForText: CLEAR.clinic as string,
      });
    const a = await open(runs.a1);
    await expect.poll(() => a.text(), { timeout: 30_000 }).toContain('[erased:phi]');
    const shownA = await a.text();
    expect(shownA).toContain('[erased:credential]');
    expect(findCanaries(Buffer.from(shownA), A)).toEqual([]);
    expect(a.codecStatuses.every((status) => status === 200)).toBe(true);
    await a.close();

    const b = await open(runs.b1);
    await expect.poll(() => b.text(), { timeout: 30_000 }).toContain(B.ssn);
    const shownB = await b.text();
    for (const value of [B.jwt, B.visitNotes, B.phone]) expect(shownB).toContain(value);
    expect(shownB).not.toContain('[erased:');
    await b.close();
  }, 300_000);

  test('at the end no history and no byte of the SQLite file holds a subject id or a sealed value of A or B', async () => {
    const client = erasureClient(devServer(), await processKeys());
    const histories = await Promise.all((await allExecutions(client)).map((run) => rawHistory(client, run)));
    expect(histories.flatMap((events) => leaksByEvent(events, everythingSecret))).toEqual([]);
    await stopWorker();
    await devServer().teardown();
    server = undefined;
    expect(findCanaries(readDatabaseBytes(dbFilename), everythingSecret)).toEqual([]);
  });
});
