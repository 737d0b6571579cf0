// Every payload kind crosses a real dev server sealed: the client and a worker share one keyring;
// the leak scan at the end reads raw histories and the SQLite file for every canary planted below.
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { WithStartWorkflowOperation, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { temporal } from '@temporalio/proto';
import { secret, Secret, SealedError } from '../../src';
import { META } from '../../src/lib/metadata';
import type { DevServer } from '../support/dev-server';
import * as activities from './fixtures/activities';
import { IntakeOutcome, makeVisit, PatientIntake, Visit, type LabOrder } from './fixtures/model';
import * as workflows from './fixtures/workflows';
import {
  allExecutions,
  canary,
  eventBytes,
  findCanaries,
  leaksByEvent,
  openedText,
  rawHistory,
  readDatabaseBytes,
  type Canaries,
  type Execution,
} from './support/leak-scan';
import { createSealedClient, keyringWith, SealingCodec, type SealedDevServer, startSealedDevServer } from './support/sealed-temporal';

// One sensitive canary per payload kind and field; the scan must find none of them in clear or base64.
const SECRET: Canaries = {
  jwt: canary('Jwt'),
  fullName: canary('FullName'),
  ssn: canary('Ssn'),
  visitNotes: canary('VisitNotes'),
  labResult: canary('LabResult'),
  memo: canary('Memo'),
  continueAsNew: canary('ContinueAsNew'),
  signalWithStart: canary('SignalWithStart'),
  signal: canary('Signal'),
  externalSignal: canary('ExternalSignal'),
  update: canary('Update'),
  rejectedUpdate: `REJECT${canary('RejectedUpdate')}`,
  updateWithStart: canary('UpdateWithStart'),
  updateWithStartArg: canary('UpdateWithStartArg'),
  heartbeat: canary('Heartbeat'),
  scheduleNotes: canary('ScheduleNotes'),
  scheduleMemo: canary('ScheduleMemo'),
  failureMessage: canary('FailureMessage'),
  failureDetail: canary('FailureDetail'),
};
// Clear fields that must stay readable in the same stores: proves the scan looks at the right bytes.
const CLEAR: Canaries = {
  patientId: canary('PatientIdClear'),
  clinic: canary('ClinicClear'),
  orderId: canary('OrderIdClear'),
  memoClerk: canary('MemoClerkClear'),
  scheduleDate: canary('ScheduleDateClear'),
};

let sealed: SealedDevServer;
let server: DevServer;
let codec: SealingCodec;
let client: Client;
let worker: Worker;
let workerDone: Promise<void>;
const taskQueue = `kinds-${randomUUID()}`;
const executions: Execution[] = [];

function intakeWithCanaries(): PatientIntake {
  return Object.assign(new PatientIntake(), {
    patientId: CLEAR.patientId,
    clinic: CLEAR.clinic,
    fullName: SECRET.fullName,
    ssn: secret(SECRET.ssn, { purpose: 'phi' }),
    visits: [makeVisit('2026-01-02', SECRET.visitNotes as string)],
  });
}

function wfId(kind: string): string {
  return `${kind}-${randomUUID()}`;
}

function track<T extends WorkflowHandle>(handle: T): T {
  executions.push({ workflowId: handle.workflowId });
  return handle;
}

beforeAll(async () => {
  codec = await SealingCodec.create({ keyring: keyringWith('k-e2e') });
  // The database sits in a directory of its own, so it can still be read after the server has stopped.
  sealed = await startSealedDevServer({ taskQueue, codec, activities });
  ({ server, client, worker, workerDone } = sealed);
});

afterAll(async () => {
  await sealed?.teardown();
});

describe('every payload kind round-trips through the real server', () => {
  test('a JWT Secret and a PatientIntake reach the activities opened, through activity, local activity and child workflow, with a sealed memo', async () => {
    const order: LabOrder = { orderId: CLEAR.orderId as string, test: 'hba1c', result: SECRET.labResult as string };
    const handle = track(
      await client.workflow.start(workflows.handleIntake, {
        taskQueue,
        workflowId: wfId('intake'),
        args: [secret(SECRET.jwt as string, { purpose: 'credential' }), intakeWithCanaries(), order],
        memo: { clerk: CLEAR.memoClerk, badge: secret(SECRET.memo, { purpose: 'credential' }) },
      }),
    );
    executions.push({ workflowId: `${handle.workflowId}-child` });
    const outcome = await handle.result();

    expect(outcome).toBeInstanceOf(IntakeOutcome);
    expect(outcome.visit).toBeInstanceOf(Visit);
    expect(outcome.visit.notes).toBe(SECRET.visitNotes);
    expect(outcome.labResult).toBe(SECRET.labResult);
    expect(Secret.isSecret(outcome.session) && outcome.session.reveal()).toBe(`${SECRET.jwt}.session`);
    expect(activities.seen.get('verifyUser')).toBe(SECRET.jwt);
    expect(activities.seen.get('bill')).toBe(SECRET.ssn);
    expect(activities.seen.get('recordLab')).toBe(SECRET.labResult);

    const memo = (await handle.describe()).memo as { clerk: string; badge: Secret<string> };
    expect(memo.clerk).toBe(CLEAR.memoClerk);
    expect(Secret.isSecret(memo.badge) && memo.badge.reveal()).toBe(SECRET.memo);
  });

  test('continue-as-new carries a Secret into the next run', async () => {
    const handle = track(
      await client.workflow.start(workflows.countdown, {
        taskQueue,
        workflowId: wfId('can'),
        args: [2, secret(SECRET.continueAsNew as string)],
      }),
    );
    executions.push({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId });
    const carried = await handle.result();
    expect(Secret.isSecret(carried) && carried.reveal()).toBe(SECRET.continueAsNew);
  });

  test('signal-with-start, signals (from a client and from another workflow), queries, updates and upsertMemo carry Secrets both ways; a rejected update comes back with its sealed message whole', async () => {
    const handle = track(
      await client.workflow.signalWithStart(workflows.mailbox, {
        taskQueue,
        workflowId: wfId('mailbox'),
        args: [secret('greeting-clear-ok')],
        signal: workflows.addNote,
        signalArgs: [secret(SECRET.signalWithStart as string)],
      }),
    );
    await handle.signal(workflows.addNote, secret(SECRET.signal as string));
    const last = await handle.query(workflows.lastNote);
    expect(Secret.isSecret(last) && last.reveal()).toBe(SECRET.signal);
    const { latestNote } = (await handle.describe()).memo as { latestNote: Secret<string> };
    expect(Secret.isSecret(latestNote) && latestNote.reveal()).toBe(SECRET.signal);

    const forwarder = track(
      await client.workflow.start(workflows.forwardNote, {
        taskQueue,
        workflowId: wfId('forward'),
        args: [handle.workflowId, secret(SECRET.externalSignal as string)],
      }),
    );
    await forwarder.result();

    const amended = await handle.executeUpdate(workflows.amend, { args: [secret(SECRET.update as string)] });
    expect(Secret.isSecret(amended) && amended.reveal()).toBe(`${SECRET.update}.amended`);

    const rejected = await handle
      .executeUpdate(workflows.amend, { args: [secret(SECRET.rejectedUpdate as string)] })
      .catch((err: unknown) => err);
    expect(rejected).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (rejected as WorkflowUpdateFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('NoteRefused');
    expect((cause as ApplicationFailure).message).toContain(SECRET.rejectedUpdate);

    await handle.signal(workflows.finish);
    const notes = await handle.result();
    expect(notes.map((note) => (Secret.isSecret(note) ? note.reveal() : note))).toEqual([
      'greeting-clear-ok',
      SECRET.signalWithStart,
      SECRET.signal,
      SECRET.externalSignal,
      SECRET.update,
    ]);
  });

  test('update-with-start carries Secrets in the start arguments, the update argument and its result', async () => {
    const workflowId = wfId('uws');
    const start = new WithStartWorkflowOperation(workflows.mailbox, {
      taskQueue,
      workflowId,
      args: [secret(SECRET.updateWithStartArg as string)],
      workflowIdConflictPolicy: 'FAIL',
    });
    const amended = await client.workflow.executeUpdateWithStart(workflows.amend, {
      args: [secret(SECRET.updateWithStart as string)],
      startWorkflowOperation: start,
    });
    expect(Secret.isSecret(amended) && amended.reveal()).toBe(`${SECRET.updateWithStart}.amended`);
    const handle = track(await start.workflowHandle());
    await handle.signal(workflows.finish);
    const notes = await handle.result();
    expect(notes.map((note) => note.reveal())).toEqual([SECRET.updateWithStartArg, SECRET.updateWithStart]);
  });

  test('a query answer is sealed on the wire: a client without the codec cannot read it', async () => {
    const handle = track(
      await client.workflow.start(workflows.mailbox, { taskQueue, workflowId: wfId('query'), args: [secret(SECRET.signal as string)] }),
    );
    const blind = createSealedClient(server);
    const err = await blind.workflow
      .getHandle(handle.workflowId)
      .query(workflows.lastNote)
      .catch((e: unknown) => e);
    expect(SealedError.is(err) && err.code).toBe('SEALED_NOT_OPENED');
    await handle.signal(workflows.finish);
    await handle.result();
  });

  test('heartbeat details are sealed and come back to the retried activity as a Secret', async () => {
    const handle = track(
      await client.workflow.start(workflows.heartbeats, {
        taskQueue,
        workflowId: wfId('heartbeat'),
        args: [secret(SECRET.heartbeat as string)],
      }),
    );
    // While the first attempt waits, the server holds its heartbeat details: read them raw, no codec.
    const details = await pendingHeartbeatDetails(handle.workflowId);
    expect(Object.keys(details.metadata ?? {})).toContain(META.sealed);
    expect(
      findCanaries(
        Buffer.concat([Buffer.from(details.data ?? []), ...Object.values(details.metadata ?? {}).map((v) => Buffer.from(v))]),
        SECRET,
      ),
    ).toEqual([]);
    expect(await handle.result()).toBe(true);
    expect(activities.seen.get('heartbeat')).toBe(SECRET.heartbeat);
  });

  test("a schedule's startWorkflow arguments and memo are sealed and the scheduled run opens them", async () => {
    const scheduleId = wfId('schedule');
    const schedule = await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '365d' }] },
      action: {
        type: 'startWorkflow',
        workflowType: workflows.reviewVisit,
        taskQueue,
        args: [makeVisit(CLEAR.scheduleDate as string, SECRET.scheduleNotes as string)],
        memo: { scheduledBy: secret(SECRET.scheduleMemo as string, { purpose: 'credential' }) },
      },
      state: { triggerImmediately: true },
    });
    const workflowId = await firstScheduledWorkflowId(schedule);
    executions.push({ workflowId });
    const visit = await client.workflow.getHandle<typeof workflows.reviewVisit>(workflowId).result();
    expect(visit).toBeInstanceOf(Visit);
    expect(visit.notes).toBe(SECRET.scheduleNotes);
    const { scheduledBy } = (await client.workflow.getHandle(workflowId).describe()).memo as { scheduledBy: Secret<string> };
    expect(Secret.isSecret(scheduledBy) && scheduledBy.reveal()).toBe(SECRET.scheduleMemo);
    const described = await client.workflowService.describeSchedule({ namespace: server.namespace, scheduleId });
    scheduleRecords.push(Buffer.from(temporalDescribeScheduleBytes(described)));
    await schedule.pause();
  });

  test('a failure keeps its message, stack and Secret details sealed, and the client gets them back whole', async () => {
    const handle = track(
      await client.workflow.start(workflows.failing, {
        taskQueue,
        workflowId: wfId('failing'),
        args: [secret(SECRET.failureMessage as string), secret(SECRET.failureDetail as string)],
      }),
    );
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activityFailure = (err as WorkflowFailedError).cause;
    expect(activityFailure).toBeInstanceOf(ActivityFailure);
    const appFailure = (activityFailure as ActivityFailure).cause as ApplicationFailure;
    expect(appFailure).toBeInstanceOf(ApplicationFailure);
    expect(appFailure.type).toBe('LabRejected');
    expect(appFailure.message).toContain(SECRET.failureMessage);
    expect(appFailure.stack).toContain('explode');
    const [detail, clear] = appFailure.details ?? [];
    expect(Secret.isSecret(detail) && detail.reveal()).toBe(SECRET.failureDetail);
    expect(clear).toBe('detail-clear');
  });
});

const scheduleRecords: Buffer[] = [];

async function pendingHeartbeatDetails(workflowId: string): Promise<temporal.api.common.v1.IPayload> {
  for (let i = 0; i < 100; i++) {
    const described = await client.workflowService.describeWorkflowExecution({ namespace: server.namespace, execution: { workflowId } });
    const payload = described.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0];
    if (payload) return payload;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no heartbeat details reached the server');
}

function temporalDescribeScheduleBytes(described: object): string {
  return JSON.stringify(described, (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value));
}

async function firstScheduledWorkflowId(schedule: Awaited<ReturnType<Client['schedule']['create']>>): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const action = (await schedule.describe()).info.recentActions[0]?.action;
    if (action?.type === 'startWorkflow') return action.workflow.workflowId;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the schedule never started its workflow');
}

describe('leak scan', () => {
  test('raw histories hold no sensitive canary in any encoding, but every clear field is readable', async () => {
    const runs = [...executions, ...(await allExecutions(client))];
    const histories = await Promise.all(runs.map((run) => rawHistory(client, run)));
    // One line per leaking event, e.g. "ACTIVITY_TASK_SCHEDULED: ssn", so a failure says where to look.
    expect(histories.flatMap((events) => leaksByEvent(events, SECRET))).toEqual([]);
    expect(findCanaries(Buffer.concat(scheduleRecords), SECRET)).toEqual([]);
    const all = Buffer.concat([...histories.map(eventBytes), ...scheduleRecords]);
    expect(findCanaries(all, CLEAR).sort()).toEqual(Object.keys(CLEAR).sort());
  });

  test('the same raw histories decoded through the codec and converter give every stored canary back', async () => {
    const runs = [...executions, ...(await allExecutions(client))];
    const opened = (await Promise.all(runs.map(async (run) => openedText(codec, await rawHistory(client, run))))).join('\n');
    // A rejected update never becomes a history event; its test checked the client got it back decoded.
    const stored = Object.keys(SECRET).filter((name) => name !== 'rejectedUpdate');
    expect(findCanaries(Buffer.from(opened), SECRET).sort()).toEqual(stored.sort());
  });

  test('the SQLite database holds no sensitive canary, while the server runs and after it stops', async () => {
    const live = readDatabaseBytes(server.dbFilename);
    expect(findCanaries(live, SECRET)).toEqual([]);
    expect(findCanaries(live, CLEAR).sort()).toEqual(Object.keys(CLEAR).sort());
    worker.shutdown();
    await workerDone;
    await server.teardown();
    const stopped = readDatabaseBytes(server.dbFilename);
    expect(findCanaries(stopped, SECRET)).toEqual([]);
    expect(findCanaries(stopped, CLEAR).sort()).toEqual(Object.keys(CLEAR).sort());
  });
});
