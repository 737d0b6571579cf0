// Keys from a KMS end to end: a client and a worker seal with AWS KMS data keys (moto's KMS API
// server on loopback, no mocked client) on a real dev server. Payload kinds round-trip, the leak
// scan is clean, and with the KMS paused mid-run the workflow task fails with the typed code,
// nothing is written in clear, and the workflow completes once the KMS answers again.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { type ActivityFailure, type ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { secret, Secret } from '../../src';
import type { AwsKmsKeySourceOptions } from '../../src/codec';
import { readEnvelope } from '../../src/codec/envelope';
import type { DevServer } from '../support/dev-server';
import { errorCode } from '../support/errors';
import { kmsKeySourceOn, startKmsServer, type KmsServer } from '../support/kms-server';
import * as activities from './fixtures/activities';
import { IntakeOutcome, makeVisit, PatientIntake, type LabOrder } from './fixtures/model';
import * as workflows from './fixtures/workflows';
import {
  allExecutions,
  canary,
  eventBytes,
  findCanaries,
  leaksByEvent,
  rawHistory,
  readDatabaseBytes,
  type Canaries,
  type Execution,
  waitForEvent,
} from './support/leak-scan';
import {
  createSealedClient,
  createSealedWorker,
  SealingCodec,
  type SealedDevServer,
  startSealedDevServer,
} from './support/sealed-temporal';

const EventType = temporal.api.enums.v1.EventType;

const SECRET: Canaries = {
  jwt: canary('KmsJwt'),
  fullName: canary('KmsFullName'),
  ssn: canary('KmsSsn'),
  visitNotes: canary('KmsVisitNotes'),
  labResult: canary('KmsLabResult'),
  memo: canary('KmsMemo'),
  failureMessage: canary('KmsFailureMessage'),
  failureDetail: canary('KmsFailureDetail'),
  paused: canary('KmsPausedSsn'),
};
const CLEAR: Canaries = { patientId: canary('KmsPatientClear'), orderId: canary('KmsOrderClear') };

let kms: KmsServer;
let kmsKey: string;
let sealed: SealedDevServer;
let server: DevServer;
let bundle: WorkflowBundleWithSourceMap;
let client: Client;
let worker: Worker;
let workerDone: Promise<void>;
const taskQueue = `kms-${randomUUID()}`;
const executions: Execution[] = [];

/** A codec as a separate process would have it: its own KMS source, its own caches. */
async function kmsCodec(options: Partial<AwsKmsKeySourceOptions> = {}): Promise<SealingCodec> {
  const keys = await kmsKeySourceOn(kms, kmsKey, { connectionTimeoutMs: 500, ...options });
  return SealingCodec.create({ keys });
}

beforeAll(async () => {
  kms = await startKmsServer();
  kmsKey = await kms.createKey('e2e');
  sealed = await startSealedDevServer({ taskQueue, codec: await kmsCodec(), workerCodec: await kmsCodec(), activities });
  ({ server, bundle, client, worker, workerDone } = sealed);
});

afterAll(async () => {
  await sealed?.teardown();
  await kms?.teardown();
});

describe('keys from AWS KMS on a real dev server', () => {
  test('a JWT Secret and a PatientIntake go through activity, local activity and child workflow with a memo, sealed under KMS data keys', async () => {
    const order: LabOrder = { orderId: CLEAR.orderId as string, test: 'hba1c', result: SECRET.labResult as string };
    const intake = Object.assign(new PatientIntake(), {
      patientId: CLEAR.patientId,
      clinic: 'north',
      fullName: SECRET.fullName,
      ssn: secret(SECRET.ssn as string, { purpose: 'phi' }),
      visits: [makeVisit('2026-01-02', SECRET.visitNotes as string)],
    });
    const workflowId = `kms-intake-${randomUUID()}`;
    const handle = await client.workflow.start(workflows.handleIntake, {
      taskQueue,
      workflowId,
      args: [secret(SECRET.jwt as string, { purpose: 'credential' }), intake, order],
      memo: { badge: secret(SECRET.memo as string, { purpose: 'credential' }) },
    });
    executions.push({ workflowId }, { workflowId: `${workflowId}-child` });
    const outcome = await handle.result();
    expect(outcome).toBeInstanceOf(IntakeOutcome);
    expect(outcome.labResult).toBe(SECRET.labResult);
    expect(activities.seen.get('bill')).toBe(SECRET.ssn);
    const started = (await rawHistory(client, { workflowId }))[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[1];
    const boxes = readEnvelope(started?.metadata?.['sealed-fields'] as Uint8Array).boxes;
    expect(boxes.every((box) => /^dk-/.test(box.keyId) && (box.wrappedKey?.length ?? 0) > 0)).toBe(true);
    expect(Buffer.from(started?.data ?? []).toString()).toMatch(/\[sealed:phi:dk-[A-Za-z0-9_-]{12}\]/);
  });

  test('a failure keeps its message and Secret details sealed under KMS data keys and comes back whole', async () => {
    const workflowId = `kms-failing-${randomUUID()}`;
    executions.push({ workflowId });
    const handle = await client.workflow.start(workflows.failing, {
      taskQueue,
      workflowId,
      args: [secret(SECRET.failureMessage as string), secret(SECRET.failureDetail as string)],
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const appFailure = ((err as WorkflowFailedError).cause as ActivityFailure).cause as ApplicationFailure;
    expect(appFailure.message).toContain(SECRET.failureMessage);
    const [detail] = appFailure.details ?? [];
    expect(Secret.isSecret(detail) && detail.reveal()).toBe(SECRET.failureDetail);
  });

  test('KMS paused mid-run: the client cannot start (typed code, nothing stored), a worker that must unwrap fails its workflow task with SEALED_KMS_UNAVAILABLE, and the run completes once the KMS answers', async () => {
    const pausedQueue = `kms-paused-${randomUUID()}`;
    const workflowId = `kms-paused-${randomUUID()}`;
    executions.push({ workflowId });
    // Started while the KMS answers, by a client process; the worker below is a fresh process with an empty cache.
    const handle = await client.workflow.start(workflows.echoSecret, {
      taskQueue: pausedQueue,
      workflowId,
      args: [secret(SECRET.paused as string)],
    });
    const freshClient = createSealedClient(server, await kmsCodec());
    kms.pause();
    let resumed = false;
    try {
      const refused = await freshClient.workflow
        .start(workflows.echoSecret, { taskQueue: pausedQueue, workflowId: `${workflowId}-never`, args: [secret('never-sent')] })
        .catch((e: unknown) => e);
      expect(errorCode(refused)).toBe('SEALED_KMS_UNAVAILABLE');
      const describeNever = await client.workflow
        .getHandle(`${workflowId}-never`)
        .describe()
        .catch((e: unknown) => e);
      expect((describeNever as Error).name).toBe('WorkflowNotFoundError');

      const pausedWorker = await createSealedWorker({ server, bundle, taskQueue: pausedQueue, codec: await kmsCodec(), activities });
      const result = pausedWorker.runUntil(async () => {
        const failed = await waitForEvent(client, workflowId, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
        expect(failed.workflowTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type).toBe('SEALED_KMS_UNAVAILABLE');
        expect((await handle.describe()).status.name).toBe('RUNNING');
        expect(findCanaries(eventBytes(await rawHistory(client, { workflowId })), { paused: SECRET.paused as string })).toEqual([]);
        kms.resume();
        resumed = true;
        return handle.result();
      });
      expect(await result).toBe(`opened:${SECRET.paused}`);
    } finally {
      if (!resumed) kms.resume();
    }
  });
});

describe('leak scan with KMS keys', () => {
  test('raw histories and the SQLite file hold no sensitive canary, and the clear fields are readable', async () => {
    // echoSecret returns its input in clear on purpose (its result proves the worker opened it): the
    // paused canary was scanned while the KMS was down, before that result existed.
    const { paused: _echoed, ...scanned } = SECRET;
    const runs = [...executions, ...(await allExecutions(client))];
    const histories = await Promise.all(runs.map((run) => rawHistory(client, run)));
    expect(histories.flatMap((events) => leaksByEvent(events, scanned))).toEqual([]);
    expect(findCanaries(Buffer.concat(histories.map(eventBytes)), CLEAR).sort()).toEqual(Object.keys(CLEAR).sort());
    worker.shutdown();
    await workerDone;
    await server.teardown();
    const stored = readDatabaseBytes(server.dbFilename);
    expect(findCanaries(stored, scanned)).toEqual([]);
  });
});
