// The erasure suites' scenario: one data subject's values (canaries, the subject id among them), the
// DTO, Secret and zod values built from them, a run that carries them through every payload kind of the
// suite's workflow, and what a run's outcome looks like opened and erased.
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { expect } from 'vitest';
import { Erased, Secret, secret } from '../../../src';
import { errorCode, thrownBy } from '../../support/errors';
import { Intake, Note, Outcome, Visit } from '../erasure-fixtures/dto';
import type { Consent } from '../erasure-fixtures/schemas';
import { addNote, amend, erasureIntake, finish } from '../erasure-fixtures/workflows';
import { canary, type Canaries } from './leak-scan';

/** One data subject's id and values, each a unique canary (searched for in every stored byte). */
export interface SubjectValues extends Canaries {
  subject: string;
  ssn: string;
  jwt: string;
  email: string;
  visitNotes: string;
  signalNote: string;
  updateNote: string;
  phone: string;
}

export function valuesOf(label: string): SubjectValues {
  return {
    subject: canary(`Subject${label}`),
    ssn: canary(`Ssn${label}`),
    jwt: canary(`Jwt${label}`),
    email: canary(`Email${label}`),
    visitNotes: canary(`VisitNotes${label}`),
    signalNote: canary(`SignalNote${label}`),
    updateNote: canary(`UpdateNote${label}`),
    phone: canary(`Phone${label}`),
  };
}

/** The sealed values of a subject, the id aside. */
export function sealedValues(v: SubjectValues): string[] {
  return [v.ssn, v.jwt, v.email, v.visitNotes, v.signalNote, v.updateNote, v.phone];
}

/** Every canary of some subjects, named `<label>.<field>`, for leak scans. */
export function canariesOf(subjects: Record<string, SubjectValues>): Canaries {
  return Object.fromEntries(
    Object.entries(subjects).flatMap(([label, values]) => Object.entries(values).map(([field, value]) => [`${label}.${field}`, value])),
  );
}

/** Clear fields every run carries: they must stay readable, before and after erasure. */
export const CLEAR = { clinic: canary('ClinicClear'), date: canary('DateClear'), author: canary('AuthorClear') } satisfies Canaries;

export function intakeOf(v: SubjectValues): Intake {
  return Object.assign(new Intake(), {
    patientId: v.subject,
    clinic: CLEAR.clinic,
    ssn: secret(v.ssn, { purpose: 'phi' }),
    email: v.email,
    visits: [Object.assign(new Visit(), { date: CLEAR.date, notes: v.visitNotes })],
  });
}

export function noteOf(v: SubjectValues, text: string): Note {
  return Object.assign(new Note(), { patientId: v.subject, author: CLEAR.author, text });
}

export function consentOf(v: SubjectValues): Consent {
  return { subjectId: v.subject, channel: 'sms', phone: v.phone };
}

/** The workflow's arguments for a subject: a DTO, a Secret of the subject (credential) and a zod value. */
export function argsOf(v: SubjectValues): Parameters<typeof erasureIntake> {
  return [intakeOf(v), secret(v.jwt, { purpose: 'credential', subject: v.subject }), consentOf(v)];
}

/** Starts one run of a subject (random workflow id: no subject id in it). */
export function startRun(client: Client, taskQueue: string, v: SubjectValues): Promise<WorkflowHandle<typeof erasureIntake>> {
  return client.workflow.start(erasureIntake, { taskQueue, workflowId: `erasure-${randomUUID()}`, args: argsOf(v) });
}

/** Starts one run of a subject and sends it a signal and an update; `close` sends `finish` too. */
export async function runFor(
  client: Client,
  taskQueue: string,
  v: SubjectValues,
  close: boolean,
): Promise<WorkflowHandle<typeof erasureIntake>> {
  const handle = await startRun(client, taskQueue, v);
  await handle.signal(addNote, noteOf(v, v.signalNote));
  const amended = await handle.executeUpdate(amend, { args: [noteOf(v, v.updateNote)] });
  expect(amended).toBeInstanceOf(Outcome);
  expect(amended.notes.map((note) => note.text)).toEqual([v.signalNote, v.updateNote]);
  if (close) await handle.signal(finish);
  return handle;
}

/** An Outcome that opened: every value of the subject is back. */
export function expectOpened(outcome: Outcome, v: SubjectValues, notes = [v.signalNote, v.updateNote]): void {
  expect(outcome).toBeInstanceOf(Outcome);
  expect(outcome.patientId).toBe(v.subject);
  expect(outcome.clinic).toBe(CLEAR.clinic);
  expect(Secret.isSecret(outcome.ssn) && outcome.ssn.reveal()).toBe(v.ssn);
  expect(outcome.summary).toContain(v.visitNotes);
  expect(outcome.notes.map((note) => note.text)).toEqual(notes);
  expect(outcome.notes.every((note) => note instanceof Note && note.patientId === v.subject)).toBe(true);
}

/** An Outcome of a forgotten subject: clear fields as they were, a tombstone for each sealed value. */
export function expectTombstoned(outcome: Outcome): void {
  expect(outcome).toBeInstanceOf(Outcome);
  expect(outcome.clinic).toBe(CLEAR.clinic);
  for (const value of [outcome.patientId, outcome.ssn, outcome.summary, ...outcome.notes.flatMap((note) => [note.patientId, note.text])]) {
    expect(Erased.isErased(value)).toBe(true);
    expect((value as unknown as Erased).purpose).toBe('phi');
  }
  expect(errorCode(thrownBy(() => outcome.ssn.reveal()))).toBe('SEALED_ERASED');
  expect(outcome.notes.map((note) => note.author)).toEqual([CLEAR.author, CLEAR.author]);
  expect(String(outcome.summary)).toBe('[erased:phi]');
}

/** JSON with every object's keys sorted: protobuf maps (payload metadata) come from the frontend in no fixed order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
