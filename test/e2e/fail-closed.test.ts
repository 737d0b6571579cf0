// Issue 9, cases 1 and 2 on a real dev server: the library fails closed.
// Case 1: a client with the sealed converter but no SealingCodec in its process gets SEALED_NO_CODEC and
// nothing of the run reaches the server; a client whose process has a codec it did not register stores no
// plaintext either. Case 2: a zod value that arrived sealed and is forwarded to activities with no type
// hint (whole, or an object nested in it) is sealed again in the activity's input.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { secret } from '../../src';
import { META } from '../../src/lib/metadata';
import type { DevServer } from '../support/dev-server';
import * as activities from './fixtures/activities';
import type { CodeclessAttempt, CodeclessInput } from './fixtures/codecless-client';
import { makeVisit, PatientIntake, type LabOrder, type Referral } from './fixtures/model';
import * as workflows from './fixtures/workflows';
import {
  canary,
  eventBytes,
  findCanaries,
  leaksByEvent,
  rawHistory,
  readDatabaseBytes,
  type Canaries,
  waitForEvent,
} from './support/leak-scan';
import { createSealedClient, keyringWith, SealingCodec, type SealedDevServer, startSealedDevServer } from './support/sealed-temporal';

const EventType = temporal.api.enums.v1.EventType;
const ROOT = path.join(__dirname, '../..');
const CODECLESS_CLIENT = path.join(__dirname, 'fixtures/codecless-client.ts');

let sealed: SealedDevServer;
let server: DevServer;
let client: Client;
const taskQueue = `fail-closed-${randomUUID()}`;

beforeAll(async () => {
  const codec = await SealingCodec.create({ keyring: keyringWith('k-fail-closed') });
  sealed = await startSealedDevServer({ taskQueue, codec, activities });
  ({ server, client } = sealed);
});

afterAll(async () => {
  await sealed?.teardown();
});

function databaseLeaks(canaries: Canaries): string[] {
  return findCanaries(readDatabaseBytes(server.dbFilename), canaries);
}

/** The run's raw history, or undefined when the server has no workflow with that id. */
async function historyIfAny(workflowId: string): Promise<temporal.api.history.v1.IHistoryEvent[] | undefined> {
  const described = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch((err: unknown) => err);
  if (described instanceof WorkflowNotFoundError) return undefined;
  if (described instanceof Error) throw described;
  return rawHistory(client, { workflowId });
}

describe('case 1: a client without the codec', () => {
  // Sensitive canaries the codec-less child process tries to send; none may reach the server.
  const CHILD: CodeclessInput['secrets'] = {
    jwt: canary('NoCodecJwt'),
    fullName: canary('NoCodecFullName'),
    ssn: canary('NoCodecSsn'),
    visitNotes: canary('NoCodecVisitNotes'),
    labResult: canary('NoCodecLabResult'),
    visitOnlyNotes: canary('NoCodecVisitOnly'),
    referralToken: canary('NoCodecReferralToken'),
    referralSsn: canary('NoCodecReferralSsn'),
    referralAllergy: canary('NoCodecReferralAllergy'),
    referralLab: canary('NoCodecReferralLab'),
  };
  const ids = {
    intake: `no-codec-intake-${randomUUID()}`,
    visit: `no-codec-visit-${randomUUID()}`,
    referral: `no-codec-referral-${randomUUID()}`,
  };
  let attempts: CodeclessAttempt[];
  let childOutput: string;

  beforeAll(async () => {
    // Its own process: this file's process holds a SealingCodec (the worker's), the child must have none.
    const input: CodeclessInput = {
      address: server.address,
      namespace: server.namespace,
      taskQueue: `no-codec-${randomUUID()}`,
      ids,
      secrets: CHILD,
    };
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CODECLESS_CLIENT], {
      cwd: ROOT,
      env: { ...process.env, CODECLESS_INPUT: JSON.stringify(input) },
      timeout: 90_000,
      maxBuffer: 1 << 20,
    });
    childOutput = `${stdout}\n${stderr}`;
    const lines = stdout.trim().split('\n');
    attempts = JSON.parse(lines[lines.length - 1] ?? '[]') as CodeclessAttempt[];
  });

  test('start and execute with a Secret JWT, a @Sensitive DTO or a zod value fail with SEALED_NO_CODEC, and the error names no value', () => {
    expect(attempts.map(({ run, outcome, code }) => ({ run, outcome, code }))).toEqual([
      { run: 'intake', outcome: 'refused', code: 'SEALED_NO_CODEC' },
      { run: 'visit', outcome: 'refused', code: 'SEALED_NO_CODEC' },
      { run: 'referral', outcome: 'refused', code: 'SEALED_NO_CODEC' },
    ]);
    expect(findCanaries(Buffer.from(childOutput), CHILD)).toEqual([]);
  });

  test('nothing of those runs reaches the server: no stored input with a value in it, nothing in the SQLite file', async () => {
    const stored: string[] = [];
    const leaks: string[] = [];
    for (const [run, workflowId] of Object.entries(ids)) {
      const events = await historyIfAny(workflowId);
      if (events === undefined) continue;
      stored.push(run);
      leaks.push(...leaksByEvent(events, CHILD).map((line) => `${run}: ${line}`));
    }
    // Refused before anything is sent, so normally nothing is stored; whatever is stored must hold no value.
    expect({ stored, leaks }).toEqual({ stored, leaks: [] });
    expect(databaseLeaks(CHILD)).toEqual([]);
  });

  test('a client in a process that has a SealingCodec, but not on that client, stores no plaintext: the workflow fails its task with SEALED_NOT_SEALED', async () => {
    const planted = {
      jwt: canary('UnregJwt'),
      fullName: canary('UnregFullName'),
      ssn: canary('UnregSsn'),
      visitNotes: canary('UnregVisitNotes'),
      labResult: canary('UnregLabResult'),
    };
    const blind = createSealedClient(server); // the converter, no codec; this process does hold one (the worker's)
    const workflowId = `unregistered-codec-${randomUUID()}`;
    const intake = Object.assign(new PatientIntake(), {
      patientId: 'patient-clear-3',
      clinic: 'clinic-clear-3',
      fullName: planted.fullName,
      ssn: secret(planted.ssn, { purpose: 'phi' }),
      visits: [makeVisit('2026-03-06', planted.visitNotes)],
    });
    const order: LabOrder = { orderId: 'order-clear-3', test: 'hba1c', result: planted.labResult };
    const handle = await blind.workflow.start(workflows.handleIntake, {
      taskQueue,
      workflowId,
      args: [secret(planted.jwt, { purpose: 'credential' }), intake, order],
    });
    try {
      const failed = await waitForEvent(client, workflowId, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
      const events = await rawHistory(client, { workflowId });
      expect(leaksByEvent(events, planted)).toEqual([]);
      expect(databaseLeaks(planted)).toEqual([]);
      expect(failed.workflowTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type).toBe('SEALED_NOT_SEALED');
    } finally {
      await handle.terminate('test done');
    }
  });
});

describe('case 2: a zod value forwarded without a hint stays sealed', () => {
  const SECRET = {
    authToken: canary('FwdAuthToken'),
    ssn: canary('FwdSsn'),
    allergyA: canary('FwdAllergyA'),
    allergyB: canary('FwdAllergyB'),
    lab0: canary('FwdLab0'),
    lab1: canary('FwdLab1'),
  };
  // Clear fields that must stay readable in the activity inputs: proves the scan reads the right bytes.
  const CLEAR = {
    referralId: canary('FwdReferralIdClear'),
    patientId: canary('FwdPatientIdClear'),
    labCode0: canary('FwdLabCode0Clear'),
    labCode1: canary('FwdLabCode1Clear'),
  };
  const referral: Referral = {
    referralId: CLEAR.referralId,
    authToken: SECRET.authToken,
    patient: { patientId: CLEAR.patientId, ssn: SECRET.ssn, allergies: [SECRET.allergyA, SECRET.allergyB] },
    labs: [
      { code: CLEAR.labCode0, result: SECRET.lab0 },
      { code: CLEAR.labCode1, result: SECRET.lab1 },
    ],
  };
  const workflowId = `forward-referral-${randomUUID()}`;
  let answers: boolean[];

  beforeAll(async () => {
    // The client has the codec; the workflow's static typeInfo gives the sealedTypeInfo hint for its argument.
    answers = await client.workflow.execute(workflows.forwardReferral, {
      taskQueue,
      workflowId,
      args: [referral],
      workflowExecutionTimeout: '60s',
    });
  });

  test('each forwarded value (whole, nested object, array element) is sealed in the raw ActivityTaskScheduled input, and the activity still gets the real values', async () => {
    const scheduled = (await rawHistory(client, { workflowId })).filter(
      (event) => event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    );
    const inputs = scheduled.map((event) => {
      const [what, value] = event.activityTaskScheduledEventAttributes?.input?.payloads ?? [];
      const metadata = value?.metadata ?? {};
      const bytes = Buffer.concat([Buffer.from(value?.data ?? []), ...Object.values(metadata).map((v) => Buffer.from(v))]);
      return {
        what: JSON.parse(Buffer.from(what?.data ?? []).toString('utf8')) as string,
        sealed: META.sealed in metadata,
        pending: META.pending in metadata,
        leaked: findCanaries(bytes, SECRET),
        clear: findCanaries(Buffer.from(value?.data ?? []), CLEAR).sort(),
      };
    });
    expect(inputs).toEqual([
      { what: 'referral', sealed: true, pending: false, leaked: [], clear: ['labCode0', 'labCode1', 'patientId', 'referralId'] },
      { what: 'patient', sealed: true, pending: false, leaked: [], clear: ['patientId'] },
      { what: 'lab', sealed: true, pending: false, leaked: [], clear: ['labCode0'] },
    ]);
    expect(answers).toEqual([true, true, true]); // no placeholder where a value should be
    expect(activities.seen.get('forwarded:referral')).toEqual(referral);
    expect(activities.seen.get('forwarded:patient')).toEqual(referral.patient);
    expect(activities.seen.get('forwarded:lab')).toEqual(referral.labs[0]);
  });

  test('the leak scan of the whole history and of the SQLite file is clean, and the clear fields are there', async () => {
    const events = await rawHistory(client, { workflowId });
    expect(leaksByEvent(events, SECRET)).toEqual([]);
    expect(findCanaries(eventBytes(events), CLEAR).sort()).toEqual(Object.keys(CLEAR).sort());
    expect(databaseLeaks(SECRET)).toEqual([]);
    expect(databaseLeaks(CLEAR).sort()).toEqual(Object.keys(CLEAR).sort());
  });
});
