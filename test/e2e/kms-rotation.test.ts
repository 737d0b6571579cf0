// Key rotation end to end with SealedFieldsPlugin on a real dev server and a real KMS API (moto):
// (a) from a static keyring to AWS KMS: readers first (`readingAlso(keyring, kms)`), then writers,
// the keyring kept for reading (`staticKeys`);
// (b) from KMS key A to KMS key B: readers first (a worker at `kmsKeyId: A, openKmsKeys: [B]`
// completes a run a client on B started, which a worker at A alone cannot), then new writes under B;
// history under A opens while A is trusted and enabled, `scan` shows which runs still need A; once
// those runs are gone it calls A unused, A is disabled, and a payload needing A then fails with
// SEALED_KMS_KEY_DISABLED, never in clear.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Secret, secret } from '../../src';
import type { ScanReport } from '../../src/cli/scan/report';
import { type AwsKmsKeySourceOptions, Keyring, type KeySource, readingAlso, SealingCodec } from '../../src/codec';
import { readEnvelope } from '../../src/codec/envelope';
import { readWrappedKey } from '../../src/codec/kms/wrapped-key';
import { META } from '../../src/lib/metadata';
import { SealedFieldsPlugin } from '../../src/plugin';
import { cli } from '../cli/helpers';
import { startDevServer, type DevServer } from '../support/dev-server';
import { errorCode } from '../support/errors';
import { kmsKeySourceOn, startKmsServer, type KmsServer } from '../support/kms-server';
import { findLeaks } from '../support/payloads';
import { eventBytes, rawHistory, waitForEvent } from './support/leak-scan';
import { registerTsRequire, WORKFLOWS_PATH } from './support/sealed-temporal';
import { quietLogger } from '../support/quiet-logger';

const PURPOSES = ['phi', 'credential', 'failure'];
const RUN = randomUUID().slice(0, 8);
const STATIC_KEY = Keyring.generateKey();
const staticKeyring = new Keyring({ active: 'k-static', keys: { 'k-static': STATIC_KEY } });
/** Values that must never be stored or printed in clear. */
const values: string[] = [];

let kms: KmsServer;
let kmsKeyA: string;
let kmsKeyB: string;
let server: DevServer;
let bundle: WorkflowBundleWithSourceMap;
let tmp: string;
let keyringFile: string;
const savedEnv = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  registerTsRequire();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sealed-rotation-'));
  keyringFile = path.join(tmp, 'keyring.json');
  writeFileSync(keyringFile, JSON.stringify({ active: 'k-static', keys: { 'k-static': Buffer.from(STATIC_KEY).toString('base64') } }));
  kms = await startKmsServer();
  [kmsKeyA, kmsKeyB] = [await kms.createKey('rotation A'), await kms.createKey('rotation B')];
  // `sealed-fields scan` reads AWS credentials through the SDK's default chain, as in production.
  process.env.AWS_ACCESS_KEY_ID = kms.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = kms.credentials.secretAccessKey;
  server = await startDevServer();
  bundle = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    plugins: [new SealedFieldsPlugin({ keyring: staticKeyring, purposes: PURPOSES })],
    logger: quietLogger,
  });
});

afterAll(async () => {
  await server?.teardown();
  await kms?.teardown();
  restoreEnv('AWS_ACCESS_KEY_ID', savedEnv.id);
  restoreEnv('AWS_SECRET_ACCESS_KEY', savedEnv.secret);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** One deployment: the plugin with its key source on a worker, and a client process with a source of its own. */
interface Deployment {
  client: Client;
  run<T>(taskQueue: string, work: () => Promise<T>): Promise<T>;
}

async function deploy(keys: () => Promise<KeySource> | KeySource): Promise<Deployment> {
  const clientPlugin = new SealedFieldsPlugin({ keys: await keys(), purposes: PURPOSES });
  const workerPlugin = new SealedFieldsPlugin({ keys: await keys(), purposes: PURPOSES });
  const client = new Client({ connection: server.env.connection, namespace: server.namespace, plugins: [clientPlugin] });
  return {
    client,
    run: async (taskQueue, work) => {
      const worker = await Worker.create({
        connection: server.env.nativeConnection,
        namespace: server.namespace,
        taskQueue,
        workflowBundle: bundle,
        plugins: [workerPlugin],
      });
      return worker.runUntil(work);
    },
  };
}

/** An AWS KMS key source on the test's KMS API, as every process of a deployment builds its own. */
function kmsKeys(kmsKeyId: string, options: Partial<AwsKmsKeySourceOptions> = {}): () => Promise<KeySource> {
  return () => kmsKeySourceOn(kms, kmsKeyId, { requestTimeoutMs: 5000, ...options });
}

function value(label: string): string {
  const made = `${label}-${RUN}-${randomUUID().slice(0, 6)}`;
  values.push(made);
  return made;
}

/** The first sealed input payload of each event of a type in a run's raw history (no codec). */
async function sealedPayloads(workflowId: string, type: temporal.api.enums.v1.EventType): Promise<Payload[]> {
  const events = (await rawHistory(server.env.client, { workflowId })).filter((event) => event.eventType === type);
  const found: Payload[] = [];
  for (const event of events) {
    const attributes = Object.values(event).find((v) => typeof v === 'object' && v !== null && 'input' in v) as
      | { input?: { payloads?: Payload[] } }
      | undefined;
    const payload = attributes?.input?.payloads?.find((p) => p.metadata?.[META.sealed]);
    if (payload !== undefined) found.push(payload);
  }
  return found;
}

/** The KMS key ARN and data key id each box of a sealed payload names in its header. */
function wrappingOf(payload: Payload): Array<{ keyId: string; kmsKeyArn: string | undefined }> {
  return readEnvelope(payload.metadata?.[META.sealed] as Uint8Array).boxes.map((box) => ({
    keyId: box.keyId,
    kmsKeyArn: box.wrappedKey?.length ? readWrappedKey(box.wrappedKey).kmsKeyArn : undefined,
  }));
}

/** Every data key id of a KMS key named in the clear headers of some runs' histories. */
async function dataKeysInHistories(workflowIds: string[], kmsKeyArn: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const workflowId of workflowIds) {
    const events = await rawHistory(server.env.client, { workflowId });
    for (const box of events.flatMap((event) => boxesIn(event)))
      if (box.wrappedKey?.length && readWrappedKey(box.wrappedKey).kmsKeyArn === kmsKeyArn) ids.add(box.keyId);
  }
  return ids;
}

function boxesIn(node: unknown): ReturnType<typeof readEnvelope>['boxes'] {
  if (typeof node !== 'object' || node === null || ArrayBuffer.isView(node)) return [];
  const sealed = (node as { metadata?: Record<string, Uint8Array> }).metadata?.[META.sealed];
  if (sealed instanceof Uint8Array) return readEnvelope(sealed).boxes;
  return Object.values(node).flatMap(boxesIn);
}

async function scan(args: string[]): Promise<{ code: number; report: ScanReport; stdout: string; stderr: string }> {
  const result = await cli(['scan', '--address', server.address, '--namespace', server.namespace, '--quiet', ...args]);
  return { ...result, report: args.includes('--json') ? (JSON.parse(result.stdout) as ScanReport) : ({} as ScanReport) };
}

const kmsFlags = (kmsKeyId: string, ...open: string[]): string[] => [
  '--kms-key-id',
  kmsKeyId,
  ...open.flatMap((key) => ['--kms-open-key', key]),
  '--kms-endpoint',
  kms.endpoint,
  '--kms-region',
  kms.region,
];

async function waitUntilListed(query: string, expected: number, seconds = 30): Promise<void> {
  let count = -1;
  for (const deadline = Date.now() + seconds * 1000; Date.now() < deadline; ) {
    count = (await server.env.client.workflow.count(query)).count;
    if (count === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`visibility showed ${count} runs, not ${expected}, for ${query}`);
}

function reveal(result: unknown): string {
  if (!Secret.isSecret(result)) throw new Error('expected a Secret');
  return result.reveal() as string;
}

const EventType = temporal.api.enums.v1.EventType;

describe('rotation from a static keyring to AWS KMS', () => {
  test('readers first (readingAlso), then writers (staticKeys): runs written under the keyring keep opening, new payloads carry KMS-wrapped data keys', async () => {
    const taskQueue = `static-to-kms-${RUN}-${randomUUID().slice(0, 6)}`;
    const closed = [value('static-closed-0'), value('static-closed-1')];
    const [greeting, early, later] = [value('static-greeting'), value('early-kms-note'), value('kms-note')];
    const openId = `static-open-${randomUUID()}`;

    const before = await deploy(() => staticKeyring);
    await before.run(taskQueue, async () => {
      for (const [i, carried] of closed.entries())
        await before.client.workflow.execute('countdown', {
          taskQueue,
          workflowId: `static-${i}-${taskQueue}`,
          args: [0, secret(carried, { purpose: 'phi' })],
        });
      // Still open at the switch: its history holds the greeting sealed under the static key.
      await before.client.workflow.start('mailbox', { taskQueue, workflowId: openId, args: [secret(greeting, { purpose: 'phi' })] });
    });
    const [started] = await sealedPayloads(openId, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
    expect(wrappingOf(started as Payload)).toEqual([{ keyId: 'k-static', kmsKeyArn: undefined }]);

    // Step one, readers first: the worker opens KMS-wrapped boxes but still seals with the keyring,
    // so a client already moved to KMS breaks nothing.
    const readers = await deploy(async () => readingAlso(staticKeyring, await kmsKeys(kmsKeyA)()));
    const movedEarly = await deploy(kmsKeys(kmsKeyA, { staticKeys: staticKeyring }));
    await readers.run(taskQueue, async () => {
      await movedEarly.client.workflow.getHandle(openId).signal('addNote', secret(early, { purpose: 'phi' }));
      expect(reveal(await before.client.workflow.getHandle(openId).query('lastNote'))).toBe(early); // sealed with the keyring
    });
    const memo = (await rawHistory(server.env.client, { workflowId: openId })).find(
      (event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
    )?.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields?.latestNote;
    expect(wrappingOf(memo as Payload)).toEqual([{ keyId: 'k-static', kmsKeyArn: undefined }]);

    // Step two, writers: every process seals under KMS data keys, the keyring kept to open what it sealed.
    const after = await deploy(kmsKeys(kmsKeyA, { staticKeys: staticKeyring }));
    await after.run(taskQueue, async () => {
      for (const [i, carried] of closed.entries())
        expect(reveal(await after.client.workflow.getHandle(`static-${i}-${taskQueue}`).result())).toBe(carried);
      const open = after.client.workflow.getHandle(openId);
      await open.signal('addNote', secret(later, { purpose: 'phi' })); // a fresh worker replays the static greeting first
      expect(reveal(await open.query('lastNote'))).toBe(later);
      await open.signal('finish');
      expect(((await open.result()) as unknown[]).map(reveal)).toEqual([greeting, early, later]);
    });
    const signals = await sealedPayloads(openId, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
    expect(signals.map((payload) => wrappingOf(payload).map((box) => box.kmsKeyArn))).toEqual([[kmsKeyA], [kmsKeyA]]);
    expect(signals.flatMap((payload) => wrappingOf(payload).map((box) => box.keyId))).toEqual([
      expect.stringMatching(/^dk-[A-Za-z0-9_-]{12}$/),
      expect.stringMatching(/^dk-[A-Za-z0-9_-]{12}$/),
    ]);

    // scan lists the static key as before and the KMS key by ARN, with the runs that need each.
    const query = `TaskQueue = '${taskQueue}'`;
    await waitUntilListed(query, 3);
    const { code, report } = await scan(['--query', query, '--json', '--keyring', keyringFile, ...kmsFlags(kmsKeyA)]);
    expect(code).toBe(0);
    expect(report.unopened.boxes).toBe(0);
    expect(report.keys.filter((k) => k.wrapped === undefined).map((k) => [k.keyId, k.workflows])).toEqual([['k-static', 3]]);
    expect(report.missingKeys).toEqual([]); // data keys are not keyring keys
    expect(report.kmsKeys.map((k) => [k.kmsKeyArn, k.workflows, k.openWorkflows, k.purposes, k.namespaces])).toEqual([
      [kmsKeyA, 1, 0, ['phi'], [server.namespace]],
    ]);
    expect(report.kmsKeys[0]?.runs.map((r) => r.workflowId)).toEqual([openId]);
    const histories = await Promise.all(
      [openId, ...closed.map((_, i) => `static-${i}-${taskQueue}`)].map((id) => rawHistory(server.env.client, { workflowId: id })),
    );
    expect(findLeaks(Buffer.concat(histories.map(eventBytes)), values)).toEqual([]);
  });
});

describe('rotation from KMS key A to KMS key B, and retiring A', () => {
  const taskQueue = `a-to-b-${RUN}`;
  const query = `TaskQueue = '${taskQueue}'`;
  const underA = [value('a-closed-0'), value('a-closed-1')];
  const openGreeting = value('a-open-greeting');
  const underB = value('b-closed');
  const openId = `a-open-${RUN}`;
  const closedA = underA.map((_, i) => `a-${i}-${RUN}`);
  const closedB = `b-0-${RUN}`;
  let needingA: ScanReport['kmsKeys'][number] | undefined;
  let payloadUnderA: Payload;
  let payloadUnderB: Payload;

  test('readers first: a worker at A alone fails the workflow tasks of a run a client on B started (SEALED_KMS_KEY_NOT_ALLOWED, naming B); at `kmsKeyId: A, openKmsKeys: [B]` it completes the run', async () => {
    const stepQueue = `a-to-b-step-one-${RUN}`;
    const workflowId = `b-client-${RUN}`;
    const carried = value('b-client-carried');
    // A client that moved to B before the workers trusted B.
    const onB = await deploy(kmsKeys(kmsKeyB, { openKmsKeys: [kmsKeyA] }));
    const handle = await onB.client.workflow.start('countdown', {
      taskQueue: stepQueue,
      workflowId,
      args: [0, secret(carried, { purpose: 'phi' })],
    });
    const [input] = await sealedPayloads(workflowId, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
    expect(wrappingOf(input as Payload).map((box) => box.kmsKeyArn)).toEqual([kmsKeyB]);

    // A worker that seals under A and trusts nothing else refuses B's payloads before any KMS call.
    const aAlone = await deploy(kmsKeys(kmsKeyA));
    const failed = await aAlone.run(stepQueue, () =>
      waitForEvent(server.env.client, workflowId, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED),
    );
    const failure = failed.workflowTaskFailedEventAttributes?.failure;
    expect(failure?.applicationFailureInfo?.type).toBe('SEALED_KMS_KEY_NOT_ALLOWED');
    // What the Web UI shows of it: the code, the KMS key the payload names and the data key id.
    const [detail] = failure?.applicationFailureInfo?.details?.payloads ?? [];
    expect(JSON.parse(Buffer.from(detail?.data ?? new Uint8Array()).toString('utf8'))).toEqual({
      kmsKeyId: kmsKeyB,
      keyId: expect.stringMatching(/^dk-/),
    });
    expect((await handle.describe()).status.name).toBe('RUNNING');

    // The middle setting: still sealing under A, opening B too. The task retried there completes the run.
    const middle = await deploy(kmsKeys(kmsKeyA, { openKmsKeys: [kmsKeyB] }));
    expect(reveal(await middle.run(stepQueue, () => handle.result()))).toBe(carried);
    const completed = (await rawHistory(server.env.client, { workflowId })).find(
      (event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    );
    const [result] = completed?.workflowExecutionCompletedEventAttributes?.result?.payloads ?? [];
    expect(wrappingOf(result as Payload).map((box) => box.kmsKeyArn)).toEqual([kmsKeyA]); // sealed under A, opened by the client on B
    const history = await rawHistory(server.env.client, { workflowId });
    expect(findLeaks(Buffer.concat([eventBytes(history), Buffer.from(JSON.stringify(failure))]), values)).toEqual([]);
  });

  test('writes move to B, history under A opens while A is trusted, and scan shows which runs still need A (the open one first)', async () => {
    // Under A; every process rotates its data key after each payload, so A has several data-key generations.
    const a = await deploy(kmsKeys(kmsKeyA, { dataKeyMaxUses: 1 }));
    await a.run(taskQueue, async () => {
      for (const [i, carried] of underA.entries())
        await a.client.workflow.execute('countdown', {
          taskQueue,
          workflowId: closedA[i] as string,
          args: [0, secret(carried, { purpose: 'phi' })],
        });
      await a.client.workflow.start('mailbox', { taskQueue, workflowId: openId, args: [secret(openGreeting, { purpose: 'phi' })] });
    });
    // Writers (step two; the test above walks step one): B seals, A is kept for opening.
    const b = await deploy(kmsKeys(kmsKeyB, { openKmsKeys: [kmsKeyA] }));
    const bNote = value('b-note');
    await b.run(taskQueue, async () => {
      for (const [i, carried] of underA.entries())
        expect(reveal(await b.client.workflow.getHandle(closedA[i] as string).result())).toBe(carried);
      await b.client.workflow.execute('countdown', { taskQueue, workflowId: closedB, args: [0, secret(underB, { purpose: 'phi' })] });
      const open = b.client.workflow.getHandle(openId);
      await open.signal('addNote', secret(bNote, { purpose: 'phi' })); // a fresh worker opens the A-sealed greeting to replay
      expect(reveal(await open.query('lastNote'))).toBe(bNote);
    });
    [payloadUnderA] = (await sealedPayloads(closedA[0] as string, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)) as [Payload];
    [payloadUnderB] = (await sealedPayloads(closedB, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)) as [Payload];
    expect(wrappingOf(payloadUnderA).map((box) => box.kmsKeyArn)).toEqual([kmsKeyA]);
    expect(wrappingOf(payloadUnderB).map((box) => box.kmsKeyArn)).toEqual([kmsKeyB]);
    const [signalled] = await sealedPayloads(openId, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
    expect(wrappingOf(signalled as Payload).map((box) => box.kmsKeyArn)).toEqual([kmsKeyB]);

    await waitUntilListed(query, 4);
    const { code, report, stderr } = await scan(['--query', query, '--json', ...kmsFlags(kmsKeyB, kmsKeyA), '--retire-kms-key', kmsKeyA]);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(report.problems).toEqual(['retire']);
    expect(report.unopened.boxes).toBe(0); // every box opened with the KMS flags: nothing under A hides inside
    expect(report.kmsKeys.map((k) => k.kmsKeyArn)).toEqual([kmsKeyA, kmsKeyB].sort());
    needingA = report.kmsKeys.find((k) => k.kmsKeyArn === kmsKeyA);
    expect(needingA).toMatchObject({ workflows: 3, openWorkflows: 1, purposes: ['phi'], namespaces: [server.namespace] });
    // The open run keeps A needed until it closes: it is listed first.
    expect(needingA?.runs.map((r) => [r.workflowId, r.open])).toEqual([[openId, true], ...[...closedA].reverse().map((id) => [id, false])]);
    const starts = await Promise.all(
      [closedA[0] as string, openId].map(async (id) => (await server.env.client.workflow.getHandle(id).describe()).startTime.toISOString()),
    );
    expect([needingA?.oldestRunStart, needingA?.newestRunStart]).toEqual(starts);
    // Data keys: every generation the headers name, counted once (each payload here under a data key of its own).
    const generations = await dataKeysInHistories([...closedA, openId], kmsKeyA);
    expect(generations.size).toBeGreaterThanOrEqual(4);
    expect(needingA?.dataKeys).toBe(generations.size);
    expect(needingA?.dataKeyIds).toEqual([...generations].sort());
    expect(needingA?.payloads).toBe(5); // three inputs, two results
    expect(report.kmsKeys.find((k) => k.kmsKeyArn === kmsKeyB)).toMatchObject({ workflows: 2, openWorkflows: 1 });
    expect(report.retireKmsKeys).toEqual([
      { kmsKeyId: kmsKeyA, kmsKeyArn: kmsKeyA, payloads: 5, workflows: 3, openWorkflows: 1, safeToRemove: false, reason: 'needed' },
    ]);

    // The same report in text, and without KMS access: the KMS keys come from the box headers alone.
    kms.resetCalls();
    const text = await scan(['--query', query, '--retire-kms-key', kmsKeyA]);
    expect(kms.calls()).toBe(0);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`KMS key ${kmsKeyA}`);
    expect(text.stdout).toContain('5 payloads (5 boxes) in 3 workflow runs, 1 of them open');
    expect(text.stdout).toContain(`e.g. ${openId} (run `);
    expect(text.stdout).toContain(`retire KMS key ${kmsKeyA}: NOT safe, still needed by 5 payloads in 3 workflow runs (1 open)`);
    const headersOnly = await scan(['--query', query, '--json', '--retire-kms-key', kmsKeyA]);
    expect(headersOnly.report.kmsKeys.find((k) => k.kmsKeyArn === kmsKeyA)).toMatchObject({ workflows: 3, dataKeys: generations.size });
    expect(findLeaks(text.stdout + JSON.stringify(report), values)).toEqual([]);
  });

  test('once the runs that need A are terminated and deleted, scan calls A unused; disabled, a payload needing A fails with SEALED_KMS_KEY_DISABLED, never in clear', async () => {
    expect(needingA).toBeDefined();
    const service = server.env.client.workflowService;
    await server.env.client.workflow
      .getHandle(openId)
      .terminate('retiring KMS key A')
      .catch((err: unknown) => {
        if ((err as Error).name !== 'WorkflowNotFoundError') throw err;
      });
    // The runs scan listed for A: those the retention period would otherwise remove.
    for (const run of needingA?.runs ?? []) {
      await service
        .deleteWorkflowExecution({ namespace: server.namespace, workflowExecution: { workflowId: run.workflowId, runId: run.runId } })
        .catch((err: unknown) => {
          if ((err as { code?: number }).code !== 5) throw err; // NOT_FOUND: deleted on an earlier attempt
        });
    }
    await waitUntilListed(query, 1, 120); // deletion runs in the background
    const unused = await scan(['--query', query, '--json', ...kmsFlags(kmsKeyB), '--retire-kms-key', kmsKeyA]);
    expect(unused.code).toBe(0);
    expect(unused.report.kmsKeys.map((k) => k.kmsKeyArn)).toEqual([kmsKeyB]);
    expect(unused.report.retireKmsKeys).toEqual([{ kmsKeyId: kmsKeyA, payloads: 0, workflows: 0, openWorkflows: 0, safeToRemove: true }]);
    const byKeyId = await scan(['--query', query, '--retire-kms-key', kmsKeyA.split('/').pop() as string, ...kmsFlags(kmsKeyB)]);
    expect(byKeyId.stdout).toContain('no scanned history needs it');

    // Disable (not delete) A: anything missed fails with a typed code and can be brought back.
    const keyA = kmsKeyA.split('/').pop() as string;
    await kms.call('DisableKey', { KeyId: keyA });
    try {
      // A fresh reader (a client, the codec server): its cache holds no data key of A.
      const codec = await SealingCodec.create({ keys: await kmsKeys(kmsKeyB, { openKmsKeys: [kmsKeyA] })() });
      const refused = await codec
        .decode([payloadUnderA], { type: 'workflow', namespace: server.namespace, workflowId: closedA[0] as string })
        .catch((err: unknown) => err);
      expect(errorCode(refused)).toBe('SEALED_KMS_KEY_DISABLED');
      expect(findLeaks(JSON.stringify(refused) + String((refused as Error).message), values)).toEqual([]);
      const [opened] = await codec.decode([payloadUnderB], { type: 'workflow', namespace: server.namespace, workflowId: closedB });
      expect(opened?.metadata?.[META.opened]).toBeDefined();
    } finally {
      await kms.call('EnableKey', { KeyId: keyA });
    }
    const again = await SealingCodec.create({ keys: await kmsKeys(kmsKeyB, { openKmsKeys: [kmsKeyA] })() });
    const [reopened] = await again.decode([payloadUnderA], {
      type: 'workflow',
      namespace: server.namespace,
      workflowId: closedA[0] as string,
    });
    expect(reopened?.metadata?.[META.opened]).toBeDefined();
  });
});

function restoreEnv(name: string, saved: string | undefined): void {
  if (saved === undefined) delete process.env[name];
  else process.env[name] = saved;
}
