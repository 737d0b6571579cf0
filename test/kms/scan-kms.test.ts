// scan's per-KMS-key report, against moto's KMS API: histories sealed under KMS data keys (a
// stand-in frontend serves them, with run start times and status as visibility gives them).
// The KMS key of each box comes from its header, no KMS call; with a KMS source scan also opens
// the boxes to count those sealed inside sealed values, and one it cannot unwrap stays closed.
import type { Payload, SerializationContext } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SealedOpener } from '../../src/cli/history/open-sealed';
import { DEFAULT_KEY_RULES } from '../../src/cli/scan/classify';
import { Progress } from '../../src/cli/scan/progress';
import { buildReport, printReport, type ScanReport } from '../../src/cli/scan/report';
import { scanNamespace, type ScanOptions } from '../../src/cli/scan/scanner';
import { newState } from '../../src/cli/scan/state';
import { type AwsKmsKeySource, Keyring, SealingCodec } from '../../src/codec';
import { readEnvelope } from '../../src/codec/envelope';
import { createSealedPayloadConverter, secret } from '../../src/index';
import { META } from '../../src/lib/metadata';
import { cli } from '../cli/helpers';
import { findLeaks } from '../support/payloads';
import { kmsKeySourceOn, startKmsServer, type KmsServer } from '../support/kms-server';

let kms: KmsServer;
let phiKey: string;
let credentialKey: string;
const converter = createSealedPayloadConverter();
const VALUES = ['SSN-111-22-3333', 'OTP-998877', 'NOTE-ab12cd', 'SSN-OLD-4444'];
const T0 = Date.parse('2026-03-01T10:00:00Z');

beforeAll(async () => {
  kms = await startKmsServer();
  [phiKey, credentialKey] = [await kms.createKey('scan phi'), await kms.createKey('scan credential')];
});
afterAll(async () => {
  await kms?.teardown();
});

/** A KMS source choosing the KMS key by purpose: phi under one key, credential under another. */
function byPurpose(options: { dataKeyMaxUses?: number } = {}): Promise<AwsKmsKeySource> {
  return kmsKeySourceOn(kms, phiKey, { kmsKeyId: { default: phiKey, rules: { '*/credential': credentialKey } }, ...options });
}

interface Run {
  workflowId: string;
  start: number;
  open: boolean;
  payloads: Payload[];
}

async function seal(codec: SealingCodec, value: unknown, namespace = 'default'): Promise<Payload> {
  const context: SerializationContext = { type: 'workflow', namespace, workflowId: 'w' };
  const [sealed] = await codec.encode([converter.toPayload(value)], context);
  return sealed as Payload;
}

/** Scans the runs through a stand-in for the frontend; with `opener`, as `scan --kms-key-id ...` does. */
async function scanRuns(
  runs: Run[],
  options: { opener?: SealedOpener; retireKmsKeys?: string[]; oneEvent?: boolean } = {},
): Promise<ScanReport> {
  const service = {
    countWorkflowExecutions: async () => ({ count: runs.length }),
    listWorkflowExecutions: async () => ({
      executions: runs.map((run) => ({
        execution: { workflowId: run.workflowId, runId: `${run.workflowId}-run` },
        startTime: msToTs(run.start),
        status: run.open ? 1 : 2,
      })),
      nextPageToken: new Uint8Array(),
    }),
    getWorkflowExecutionHistory: async ({ execution }: { execution: { workflowId: string } }) => {
      const run = runs.find((r) => r.workflowId === execution.workflowId) as Run;
      // One event per payload, or (oneEvent) every payload as the input of one event.
      const events = options.oneEvent
        ? [{ eventId: 1, eventTime: msToTs(run.start), activityTaskScheduledEventAttributes: { input: { payloads: run.payloads } } }]
        : run.payloads.map((payload, i) => ({
            eventId: i + 1,
            eventTime: msToTs(run.start + i * 1000),
            activityTaskScheduledEventAttributes: { input: { payloads: [payload] } },
          }));
      return { history: { events }, nextPageToken: new Uint8Array() };
    },
  } as unknown as ScanOptions['service'];
  const outcome = await scanNamespace({
    service,
    namespace: 'default',
    query: null,
    concurrency: 2,
    rules: DEFAULT_KEY_RULES,
    opener: options.opener,
    state: newState('default', null),
    progress: new Progress({ write: () => true }, runs.length, false),
  });
  return buildReport({
    address: 'test',
    namespace: 'default',
    query: null,
    complete: outcome.complete,
    retire: [],
    retireKmsKeys: options.retireKmsKeys ?? [],
    totals: outcome.state.totals,
  });
}

function printed(report: ScanReport): string {
  let text = '';
  printReport({ write: (t: string) => (text += t) }, report);
  return text;
}

describe('scan per KMS key', () => {
  let runs: Run[];
  let generations: number;

  beforeAll(async () => {
    const writer = await byPurpose({ dataKeyMaxUses: 2 });
    const codec = await SealingCodec.create({ keys: writer });
    const staticCodec = await SealingCodec.create({ keyring: new Keyring({ active: 'k-old', keys: { 'k-old': Keyring.generateKey() } }) });
    runs = [
      // Before the move to KMS: a static key only.
      { workflowId: 'old', start: T0, open: false, payloads: [await seal(staticCodec, { ssn: secret(VALUES[3], { purpose: 'phi' }) })] },
      {
        workflowId: 'closed',
        start: T0 + 60_000,
        open: false,
        payloads: [
          await seal(codec, { ssn: secret(VALUES[0], { purpose: 'phi' }) }),
          await seal(codec, { note: secret(VALUES[2], { purpose: 'phi' }) }),
        ],
      },
      {
        workflowId: 'open',
        start: T0 + 120_000,
        open: true,
        payloads: [
          // A credential sealed inside a phi value: its box (under the credential KMS key) is in the phi box.
          await seal(codec, { portal: secret({ user: 'ana', otp: secret(VALUES[1], { purpose: 'credential' }) }, { purpose: 'phi' }) }),
          await seal(codec, { ssn: secret(VALUES[0], { purpose: 'phi' }) }, 'billing'),
        ],
      },
    ];
    generations = new Set(runs.slice(1).flatMap((run) => run.payloads.flatMap(headerKeyIds))).size;
    writer.destroy();
  });

  test('from the box headers alone (no KMS call): payloads, boxes, data keys, purposes, namespaces and the runs, the open one first', async () => {
    kms.resetCalls();
    const report = await scanRuns(runs, { retireKmsKeys: [phiKey] });
    expect(kms.calls()).toBe(0);
    expect(report.kmsKeys.map((k) => k.kmsKeyArn)).toEqual([phiKey]); // the credential box is inside a phi box: unseen
    const [phi] = report.kmsKeys;
    expect(phi).toMatchObject({
      payloads: 4,
      boxes: 4,
      dataKeys: generations,
      purposes: ['phi'],
      namespaces: ['billing', 'default'],
      workflows: 2,
      openWorkflows: 1,
      oldestRunStart: new Date(T0 + 60_000).toISOString(),
      newestRunStart: new Date(T0 + 120_000).toISOString(),
    });
    expect(generations).toBe(3); // default: two payloads per data key, then a new one; billing: its own
    expect(phi?.runs.map((r) => [r.workflowId, r.open])).toEqual([
      ['open', true],
      ['closed', false],
    ]);
    // The static key is reported as before, and never as a KMS key.
    expect(report.keys.filter((k) => !k.wrapped).map((k) => k.keyId)).toEqual(['k-old']);
    expect(report.keys.filter((k) => k.wrapped).every((k) => k.kmsKeyArn === phiKey && /^dk-/.test(k.keyId))).toBe(true);
    expect(report.unopened.boxes).toBe(5); // every box, the static one too: no keys at hand
    expect(report.retireKmsKeys[0]).toMatchObject({ kmsKeyId: phiKey, safeToRemove: false, reason: 'needed' });
    const text = printed(report);
    expect(text).toContain(`KMS key ${phiKey}`);
    expect(text).toContain(
      '4 payloads (4 boxes) in 2 workflow runs, 1 of them open; runs started 2026-03-01T10:01:00.000Z to 2026-03-01T10:02:00.000Z',
    );
    expect(text).toContain('purposes: phi; namespaces: billing, default');
    expect(text).toContain('e.g. open (run open-run) started 2026-03-01T10:02:00.000Z, OPEN');
    expect(text).not.toMatch(/^dk-/m); // data keys are listed under their KMS key, not in the key table
    expect(findLeaks(text + JSON.stringify(report), VALUES)).toEqual([]);
  });

  test('with a KMS source, scan opens the boxes: the credential KMS key sealed inside a phi value counts, one Decrypt per data key', async () => {
    const reader = await kmsKeySourceOn(kms, phiKey, { openKmsKeys: [credentialKey] });
    kms.resetCalls();
    const report = await scanRuns(runs, {
      opener: await SealedOpener.create(undefined, reader),
      retireKmsKeys: [credentialKey.split('/').pop() as string],
    });
    expect(report.unopened).toMatchObject({ boxes: 1, codes: { SEALED_KEY_UNKNOWN: 1 } }); // the static box: no keyring here
    expect(kms.calls('Decrypt')).toBe(generations + 1);
    const credential = report.kmsKeys.find((k) => k.kmsKeyArn === credentialKey);
    expect(credential).toMatchObject({
      payloads: 1,
      boxes: 1,
      dataKeys: 1,
      purposes: ['credential'],
      namespaces: ['default'],
      workflows: 1,
    });
    expect(report.kmsKeys.find((k) => k.kmsKeyArn === phiKey)).toMatchObject({ payloads: 4, boxes: 4 });
    expect(report.retireKmsKeys[0]).toMatchObject({ kmsKeyArn: credentialKey, safeToRemove: false, reason: 'needed' });
    expect(report.malformed.payloads).toBe(0);
    expect(findLeaks(printed(report) + JSON.stringify(report), VALUES)).toEqual([]);
    reader.destroy();
  });

  test('a box whose KMS key is disabled stays closed (counted unopened, not malformed), and no key is then called unused', async () => {
    const credentialKeyId = credentialKey.split('/').pop() as string;
    await kms.call('DisableKey', { KeyId: credentialKeyId });
    try {
      const reader = await kmsKeySourceOn(kms, phiKey, { openKmsKeys: [credentialKey] });
      const report = await scanRuns(runs.slice(1), { opener: await SealedOpener.create(undefined, reader), retireKmsKeys: ['mrk-unused'] });
      expect(report.malformed.payloads).toBe(0);
      expect(report.unopened).toMatchObject({ boxes: 1, payloads: 1, codes: { SEALED_KMS_KEY_DISABLED: 1 } });
      expect(printed(report)).toContain('fetching keys failed for some (SEALED_KMS_KEY_DISABLED: 1)');
      // Its header is seen once its container opened: the credential KMS key is still reported as needed.
      expect(report.kmsKeys.map((k) => k.kmsKeyArn).sort()).toEqual([phiKey, credentialKey].sort());
      expect(report.retireKmsKeys[0]).toMatchObject({ kmsKeyId: 'mrk-unused', safeToRemove: false, reason: 'unopened' });
      reader.destroy();
    } finally {
      await kms.call('EnableKey', { KeyId: credentialKeyId });
    }
  });
});

describe('scan examples', () => {
  test('the examples of an event with several payloads name each payload (payloadIndex), never the same entry twice', async () => {
    const reader = await kmsKeySourceOn(kms, phiKey); // does not trust the credential key
    const codec = await SealingCodec.create({ keys: await byPurpose() });
    const payloads = [
      await seal(codec, { otp: secret(VALUES[1], { purpose: 'credential' }) }),
      await seal(codec, { otp: secret(VALUES[1], { purpose: 'credential' }) }),
      await seal(codec, { otp: secret(VALUES[1], { purpose: 'credential' }) }),
    ];
    const report = await scanRuns([{ workflowId: 'many', start: T0, open: false, payloads }], {
      opener: await SealedOpener.create(undefined, reader),
      oneEvent: true,
    });
    expect(report.unopened).toMatchObject({ boxes: 3, payloads: 3, codes: { SEALED_KMS_KEY_NOT_ALLOWED: 3 } });
    expect(report.unopened.examples).toEqual(
      [0, 1, 2].map((payloadIndex) => ({
        workflowId: 'many',
        runId: 'many-run',
        eventId: '1',
        eventType: 'ActivityTaskScheduled',
        payloadIndex,
      })),
    );
    reader.destroy();
    // In text, the findings listed with examples (here clear keys matching the key rules) name the payload too.
    const clear = (value: unknown): Payload => ({
      metadata: { encoding: Buffer.from('json/plain') },
      data: Buffer.from(JSON.stringify(value)),
    });
    const rules = await scanRuns([{ workflowId: 'clear', start: T0, open: false, payloads: [clear({ a: 1 }), clear({ password: 'x' })] }], {
      oneEvent: true,
    });
    expect(rules.keyRules.examples).toEqual([expect.objectContaining({ eventId: '1', payloadIndex: 1, keys: ['password'] })]);
    expect(printed(rules)).toContain('e.g. clear (run clear-run) event 1 ActivityTaskScheduled payload #1');
  });
});

describe('scan flags for KMS keys', () => {
  test('an alias given to --retire-kms-key, or KMS flags without --kms-key-id, are usage errors (exit 2) before any connection', async () => {
    const unreachable = ['scan', '--address', '127.0.0.1:1', '--connect-timeout', '1', '--quiet'];
    expect((await cli([...unreachable, '--retire-kms-key', 'alias/sealed-old'])).code).toBe(2);
    expect((await cli([...unreachable, '--retire-kms-key', 'arn:aws:kms:us-east-1:111122223333:alias/old'])).code).toBe(2);
    expect((await cli([...unreachable, '--kms-endpoint', kms.endpoint])).code).toBe(2);
    expect((await cli([...unreachable, '--kms-key-id', phiKey], { env: {} })).code).toBe(2); // no region
    expect((await cli([...unreachable, '--retire-kms-key', phiKey])).code).toBe(3); // well-formed: fails only at the server
  });
});

/** The key ids a payload's clear header names (its top-level boxes). */
function headerKeyIds(payload: Payload): string[] {
  return readEnvelope(payload.metadata?.[META.sealed] as Uint8Array).boxes.map((box) => box.keyId);
}
