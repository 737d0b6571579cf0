// Issue 11: NestJS-style DTOs (class-transformer @Type, class-validator, import 'reflect-metadata')
// used in a workflow, an activity, a signal, a query, an update, a child workflow and continue-as-new,
// on a real dev server, with the Worker's DEFAULT options and SealedFieldsPlugin only. Then the same
// DTOs with the plugin on bundleWorkflowCode and on replay workers, and with the SDK's external storage.
import './plugin-fixtures/one-protobufjs'; // before any @temporalio package: see the file
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { ExternalStorage, StorageDriverClaim, type Payload, type StorageDriver } from '@temporalio/common';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Secret, secret } from '../../src';
import { META } from '../../src/lib/metadata';
import { SealedFieldsPlugin } from '../../src/plugin';
import { startDevServer, type DevServer } from '../support/dev-server';
import * as activities from './plugin-fixtures/activities';
import { IntakeDto, NoteDto, SummaryDto, VisitDto } from './plugin-fixtures/dto';
import { addNote, amend, intakeWorkflow, reviewVisit, summary } from './plugin-fixtures/workflows';
import {
  allExecutions,
  canary,
  eventBytes,
  findCanaries,
  leaksByEvent,
  rawHistory,
  readDatabaseBytes,
  type Canaries,
} from './support/leak-scan';
import { keyringWith, registerTsRequire } from './support/sealed-temporal';
import { quietLogger } from '../support/quiet-logger';

const WORKFLOWS_PATH = path.join(__dirname, 'plugin-fixtures/workflows.ts');

const SECRET: Canaries = {
  ssn: canary('Ssn'),
  jwt: canary('Jwt'),
  visitNotes: canary('VisitNotes'),
  signalNote: canary('SignalNote'),
  updateNote: canary('UpdateNote'),
  bundledNotes: canary('BundledNotes'),
  offloadedNotes: canary('OffloadedNotes'),
};
const CLEAR: Canaries = { patientId: canary('PatientId'), clinic: canary('Clinic'), author: canary('Author'), date: canary('Date') };

let server: DevServer;
let client: Client;
const keyring = keyringWith('k1');
const sealed = new SealedFieldsPlugin({ keyring, purposes: ['phi', 'credential', 'failure'] });

function intake(): IntakeDto {
  return Object.assign(new IntakeDto(), {
    patientId: CLEAR.patientId,
    clinic: CLEAR.clinic,
    ssn: secret(SECRET.ssn as string, { purpose: 'phi' }),
    visits: [Object.assign(new VisitDto(), { date: CLEAR.date, notes: SECRET.visitNotes })],
  });
}

function note(text: string): NoteDto {
  return Object.assign(new NoteDto(), { author: CLEAR.author, text });
}

beforeAll(async () => {
  registerTsRequire(); // the SDK require()s the plugin's converter module, a .ts file when running from source
  server = await startDevServer();
  client = new Client({ connection: server.env.connection, namespace: server.namespace, plugins: [sealed] });
});

afterAll(async () => {
  await server?.teardown();
});

/** Drives one intake through signal, update, query, activity, child and continue-as-new; returns its workflow id. */
async function runIntake(taskQueue: string): Promise<string> {
  const workflowId = `intake-${randomUUID()}`;
  const jwt = secret(SECRET.jwt as string, { purpose: 'credential' });
  const handle = await client.workflow.start(intakeWorkflow, { args: [intake(), jwt], taskQueue, workflowId });
  await handle.signal(addNote, note(SECRET.signalNote as string));
  const amended = await handle.executeUpdate(amend, { args: [note(SECRET.updateNote as string)] });
  expect(amended).toBeInstanceOf(SummaryDto);
  expect(amended.notes.map((n) => n.text)).toEqual([SECRET.signalNote, SECRET.updateNote]);
  expect(amended.notes.every((n) => n instanceof NoteDto)).toBe(true);
  const result = await handle.result(); // follows continue-as-new
  expect(result).toBeInstanceOf(SummaryDto);
  expect(result.round).toBe(1);
  expect(Secret.isSecret(result.ssn) && result.ssn.reveal()).toBe(SECRET.ssn);
  expect(result.notes.every((n) => n instanceof NoteDto)).toBe(true);
  const queried = await client.workflow.getHandle(workflowId).query(summary);
  expect(queried).toBeInstanceOf(SummaryDto);
  expect(queried.notes[1]?.text).toBe(SECRET.updateNote);
  return workflowId;
}

describe('the plugin alone, Worker defaults (reuseV8Context)', () => {
  let firstId: string;
  let bundle: WorkflowBundleWithSourceMap;

  test('DTOs with @Type, class-validator and reflect-metadata work in workflow, activity, signal, query, update, child and continue-as-new', async () => {
    const taskQueue = `plugin-${randomUUID()}`;
    const worker = await Worker.create({
      connection: server.env.nativeConnection,
      namespace: server.namespace,
      taskQueue,
      workflowsPath: WORKFLOWS_PATH,
      activities,
      plugins: [sealed],
    });
    firstId = await worker.runUntil(runIntake(taskQueue));
  });

  test('the same DTOs with the plugin on bundleWorkflowCode', async () => {
    bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, plugins: [sealed], logger: quietLogger });
    const taskQueue = `plugin-bundle-${randomUUID()}`;
    const worker = await Worker.create({
      connection: server.env.nativeConnection,
      namespace: server.namespace,
      taskQueue,
      workflowBundle: bundle,
      activities,
      plugins: [sealed],
    });
    await worker.runUntil(async () => {
      const visit = Object.assign(new VisitDto(), { date: CLEAR.date, notes: SECRET.bundledNotes });
      const reviewed = await client.workflow.execute(reviewVisit, { args: [visit], taskQueue, workflowId: `review-${randomUUID()}` });
      expect(reviewed).toBeInstanceOf(VisitDto);
      expect(reviewed.notes).toBe(`${SECRET.bundledNotes}-reviewed`);
    });
  });

  test('replay workers with the plugin replay every run (bundle and workflowsPath)', async () => {
    const runs = (await allExecutions(client)).filter((run) => run.workflowId.startsWith(firstId));
    expect(runs.length).toBe(3); // two runs of the intake (continue-as-new) and the child
    for (const run of runs) {
      const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      await Worker.runReplayHistory({ workflowBundle: bundle, plugins: [sealed] }, history, run.workflowId);
    }
    const first = await client.workflow.getHandle(firstId).fetchHistory();
    await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH, plugins: [sealed] }, first, firstId);
  });
});

/** An in-memory driver standing in for S3 or GCS. */
class MemoryDriver implements StorageDriver {
  readonly name = 'memory';
  readonly type = 'memory';
  readonly stored = new Map<string, Payload>();
  async store(_context: unknown, payloads: Payload[]): Promise<StorageDriverClaim[]> {
    return payloads.map((payload) => {
      const key = randomUUID();
      this.stored.set(key, payload);
      return new StorageDriverClaim({ key });
    });
  }
  async retrieve(_context: unknown, claims: StorageDriverClaim[]): Promise<Payload[]> {
    return claims.map((claim) => this.stored.get(claim.claimData['key'] as string) as Payload);
  }
}

test('a sealed payload offloaded with DataConverter.externalStorage comes back and opens', async () => {
  const driver = new MemoryDriver();
  const externalStorage = new ExternalStorage({ drivers: [driver], payloadSizeThreshold: 1024 });
  const offloading = new Client({
    connection: server.env.connection,
    namespace: server.namespace,
    dataConverter: { externalStorage },
    plugins: [sealed],
  });
  const taskQueue = `plugin-ext-${randomUUID()}`;
  const worker = await Worker.create({
    connection: server.env.nativeConnection,
    namespace: server.namespace,
    taskQueue,
    workflowsPath: WORKFLOWS_PATH,
    activities,
    dataConverter: { externalStorage },
    plugins: [sealed],
  });
  const padding = 'x'.repeat(4096);
  await worker.runUntil(async () => {
    const visit = Object.assign(new VisitDto(), { date: `${CLEAR.date}${padding}`, notes: SECRET.offloadedNotes });
    const reviewed = await offloading.workflow.execute(reviewVisit, { args: [visit], taskQueue, workflowId: `offload-${randomUUID()}` });
    expect(reviewed).toBeInstanceOf(VisitDto);
    expect(reviewed.notes).toBe(`${SECRET.offloadedNotes}-reviewed`);
  });
  const stored = [...driver.stored.values()];
  expect(stored.length).toBeGreaterThan(0);
  expect(stored.every((payload) => payload.metadata?.[META.sealed] !== undefined)).toBe(true);
  const bytes = Buffer.concat(
    stored.flatMap((p) => [Buffer.from(p.data ?? []), ...Object.values(p.metadata ?? {}).map((v) => Buffer.from(v))]),
  );
  expect(findCanaries(bytes, SECRET)).toEqual([]);
  expect(findCanaries(bytes, { date: CLEAR.date as string })).toEqual(['date']);
});

test('leak scan: no sensitive canary in any history or in the database; every clear field readable', async () => {
  const runs = await allExecutions(client);
  const histories = await Promise.all(runs.map((run) => rawHistory(client, run)));
  expect(histories.flatMap((events) => leaksByEvent(events, SECRET))).toEqual([]);
  expect(findCanaries(Buffer.concat(histories.map(eventBytes)), CLEAR).sort()).toEqual(Object.keys(CLEAR).sort());
  expect(findCanaries(readDatabaseBytes(server.dbFilename), SECRET)).toEqual([]);
});
