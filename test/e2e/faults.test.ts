// Faults that must lose nothing and leak nothing: a missing key, a missing codec, Secrets aimed at search attributes and headers.
import { randomUUID } from 'node:crypto';
import { Client, WorkflowNotFoundError, type WorkflowClientInterceptor } from '@temporalio/client';
import { defineSearchAttributeKey } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sealedClientInterceptors, secret } from '../../src';
import { Keyring } from '../../src/codec';
import { startDevServer, type DevServer } from '../support/dev-server';
import { errorCode } from '../support/errors';
import { payloadConverter } from './fixtures/converter';
import { makeVisit } from './fixtures/model';
import * as workflows from './fixtures/workflows';
import { canary, eventBytes, findCanaries, leaksByEvent, rawHistory, waitForEvent } from './support/leak-scan';
import { bundleSealedWorkflows, createSealedClient, createSealedWorker, registerTsRequire, SealingCodec } from './support/sealed-temporal';

const EventType = temporal.api.enums.v1.EventType;
const PATIENT_IDX = defineSearchAttributeKey('PatientIdx', 'KEYWORD');

let server: DevServer;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  registerTsRequire();
  [server, bundle] = await Promise.all([startDevServer({ searchAttributes: { PatientIdx: 'KEYWORD' } }), bundleSealedWorkflows()]);
});

afterAll(async () => {
  await server?.teardown();
});

async function expectNotStarted(client: Client, workflowId: string): Promise<void> {
  const err = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowNotFoundError);
}

describe('the leak scan can fail', () => {
  test('a client without the sealed converter stores the canary in clear, and the scan finds it', async () => {
    const leaky = new Client({ connection: server.env.connection, namespace: server.namespace }); // Temporal's default converter
    const planted = { ssn: canary('NoCodecSsn') };
    const workflowId = `no-codec-${randomUUID()}`;
    const handle = await leaky.workflow.start(workflows.echoSecret, {
      taskQueue: `nobody-${randomUUID()}`,
      workflowId,
      args: [planted.ssn as never],
    });
    const events = await rawHistory(leaky, { workflowId });
    expect(findCanaries(eventBytes(events), planted)).toEqual(['ssn']);
    expect(leaksByEvent(events, planted)).toEqual(['WORKFLOW_EXECUTION_STARTED: ssn']);
    await handle.terminate('test done');
  });
});

describe('a worker without the key', () => {
  test('fails the workflow task naming the key id, keeps the workflow open, and a worker with the key completes it', async () => {
    const current = Keyring.generateKey();
    const planted = { ssn: canary('KeyFaultSsn') };
    const client = createSealedClient(
      server,
      await SealingCodec.create({ keyring: new Keyring({ active: 'k-current', keys: { 'k-current': current } }) }),
    );
    const stale = await SealingCodec.create({ keyring: new Keyring({ active: 'k-stale', keys: { 'k-stale': Keyring.generateKey() } }) });
    const taskQueue = `key-fault-${randomUUID()}`;
    const workflowId = `key-fault-${randomUUID()}`;
    const handle = await client.workflow.start(workflows.echoSecret, { taskQueue, workflowId, args: [secret(planted.ssn)] });

    const staleWorker = await createSealedWorker({ server, bundle, taskQueue, codec: stale });
    const failed = await staleWorker.runUntil(waitForEvent(client, workflowId, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED));
    const failure = failed.workflowTaskFailedEventAttributes?.failure;
    expect(failure?.applicationFailureInfo?.type).toBe('SEALED_KEY_UNKNOWN');
    const [detail] = failure?.applicationFailureInfo?.details?.payloads ?? [];
    expect(payloadConverter.fromPayload(detail!)).toEqual({ keyId: 'k-current' });
    expect((await handle.describe()).status.name).toBe('RUNNING');
    const keyForms = { current: Buffer.from(current).toString('base64'), currentHex: Buffer.from(current).toString('hex') };
    expect(findCanaries(eventBytes(await rawHistory(client, { workflowId })), { ...planted, ...keyForms })).toEqual([]);

    const goodCodec = await SealingCodec.create({ keyring: new Keyring({ active: 'k-current', keys: { 'k-current': current } }) });
    const goodWorker = await createSealedWorker({ server, bundle, taskQueue, codec: goodCodec });
    expect(await goodWorker.runUntil(handle.result())).toBe(`opened:${planted.ssn}`);
  });
});

describe('search attributes and headers never carry a Secret', () => {
  let client: Client;
  let codec: SealingCodec;
  const taskQueue = `guards-${randomUUID()}`;

  beforeAll(async () => {
    codec = await SealingCodec.create({ keyring: new Keyring({ active: 'k-guard', keys: { 'k-guard': Keyring.generateKey() } }) });
    client = createSealedClient(server, codec);
  });

  test('the client refuses a Secret in typed or legacy search attributes before anything is sent', async () => {
    const typed = `sa-typed-${randomUUID()}`;
    const legacy = `sa-legacy-${randomUUID()}`;
    const withStart = `sa-sws-${randomUUID()}`;
    const ref = secret(canary('SearchAttr'), { purpose: 'phi' });
    const refused = await Promise.all([
      client.workflow
        .start(workflows.echoSecret, {
          taskQueue,
          workflowId: typed,
          args: [ref],
          typedSearchAttributes: [{ key: PATIENT_IDX, value: ref as unknown as string }],
        })
        .catch(errorCode),
      client.workflow
        .start(workflows.echoSecret, {
          taskQueue,
          workflowId: legacy,
          args: [ref],
          searchAttributes: { PatientIdx: [ref as unknown as string] },
        })
        .catch(errorCode),
      client.workflow
        .signalWithStart(workflows.mailbox, {
          taskQueue,
          workflowId: withStart,
          args: [ref],
          signal: workflows.finish,
          signalArgs: [],
          typedSearchAttributes: [{ key: PATIENT_IDX, value: ref as unknown as string }],
        })
        .catch(errorCode),
    ]);
    expect(refused).toEqual(['SEALED_NOT_ALLOWED_HERE', 'SEALED_NOT_ALLOWED_HERE', 'SEALED_NOT_ALLOWED_HERE']);
    for (const workflowId of [typed, legacy, withStart]) await expectNotStarted(client, workflowId);
  });

  test("the client refuses a schedule whose action's search attributes hold a Secret", async () => {
    const scheduleId = `sa-schedule-${randomUUID()}`;
    const ref = secret('schedule-ref', { purpose: 'phi' });
    const err = await client.schedule
      .create({
        scheduleId,
        spec: { intervals: [{ every: '365d' }] },
        action: {
          type: 'startWorkflow',
          workflowType: workflows.reviewVisit,
          taskQueue,
          args: [makeVisit('d', 'n')],
          typedSearchAttributes: [{ key: PATIENT_IDX, value: ref as unknown as string }],
        },
      })
      .catch((e: unknown) => e);
    expect(errorCode(err)).toBe('SEALED_NOT_ALLOWED_HERE');
    const listed = await client.workflowService.listSchedules({ namespace: server.namespace });
    expect(listed.schedules?.some((s) => s.scheduleId === scheduleId)).toBe(false);
  });

  test('the client refuses a header that would carry a sensitive value past the codec', async () => {
    const addsSensitiveHeader: WorkflowClientInterceptor = {
      startWithDetails: (input, next) =>
        next({ ...input, headers: { ...input.headers, tenant: payloadConverter.toPayload(secret('tenant-secret')) } }),
    };
    const base = sealedClientInterceptors();
    const headerClient = createSealedClient(server, codec, {
      ...base,
      workflow: [addsSensitiveHeader, ...(base.workflow as WorkflowClientInterceptor[])],
    });
    const workflowId = `header-${randomUUID()}`;
    const err = await headerClient.workflow
      .start(workflows.echoSecret, { taskQueue, workflowId, args: [secret('x')] })
      .catch((e: unknown) => e);
    expect(errorCode(err)).toBe('SEALED_NOT_ALLOWED_HERE');
    await expectNotStarted(client, workflowId);
  });

  test('in a workflow, a child or continue-as-new with a Secret search attribute is refused and the workflow can handle it', async () => {
    const worker = await createSealedWorker({ server, bundle, taskQueue, codec });
    const workflowId = `wf-guard-${randomUUID()}`;
    const codes = await worker.runUntil(
      client.workflow.execute(workflows.secretSearchAttributes, { taskQueue, workflowId, args: [secret('child-ref', { purpose: 'phi' })] }),
    );
    expect(codes).toEqual(['SEALED_NOT_ALLOWED_HERE', 'SEALED_NOT_ALLOWED_HERE']);
    const types = (await rawHistory(client, { workflowId })).map((event) => event.eventType);
    expect(types).not.toContain(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED);
    expect(types).not.toContain(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
  });

  test('upsertSearchAttributes with a Secret (as text) fails the workflow task and the attribute is never stored', async () => {
    const upsertQueue = `${taskQueue}-upsert`;
    const worker = await createSealedWorker({ server, bundle, taskQueue: upsertQueue, codec });
    const workflowId = `upsert-guard-${randomUUID()}`;
    const handle = await client.workflow.start(workflows.upsertSecretSearchAttribute, {
      taskQueue: upsertQueue,
      workflowId,
      args: [secret('upsert-ref', { purpose: 'phi' })],
    });
    const failed = await worker.runUntil(waitForEvent(client, workflowId, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED));
    expect(failed.workflowTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type).toBe('SEALED_NOT_ALLOWED_HERE');
    const types = (await rawHistory(client, { workflowId })).map((event) => event.eventType);
    expect(types).not.toContain(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
    await handle.terminate('test done');
  });
});
