// Workflows using the NestJS-style DTOs inside the sandbox: class-transformer's plainToInstance and
// class-validator's validateSync run here, under the Worker's default reuseV8Context.
import * as wf from '@temporalio/workflow';
import { ApplicationFailure } from '@temporalio/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { Secret } from '../../../src';
import type * as activities from './activities';
import { IntakeDto, NoteDto, SummaryDto, VisitDto } from './dto';

const { recordVisit } = wf.proxyActivities<typeof activities>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 2 } });

export const addNote = wf.defineSignal<[NoteDto]>('addNote');
export const amend = wf.defineUpdate<SummaryDto, [NoteDto]>('amend');
export const summary = wf.defineQuery<SummaryDto>('summary');

function mustBe(condition: boolean, what: string): void {
  if (!condition) throw ApplicationFailure.nonRetryable(`workflow received a bad ${what}`, 'BadInput');
}

function summarize(intake: IntakeDto, round: number, notes: NoteDto[], reviewed: VisitDto[]): SummaryDto {
  return Object.assign(new SummaryDto(), { patientId: intake.patientId, round, ssn: intake.ssn, notes, reviewed });
}

export async function reviewVisit(visit: VisitDto): Promise<VisitDto> {
  mustBe(visit instanceof VisitDto, 'child visit');
  return plainToInstance(VisitDto, { date: `${visit.date}-reviewed`, notes: `${visit.notes}-reviewed` });
}

// State carried over continue-as-new travels as a DTO (a bare array of DTOs would need a type hint).
export async function intakeWorkflow(intake: IntakeDto, jwt: Secret<string>, round = 0, carried?: SummaryDto): Promise<SummaryDto> {
  mustBe(
    intake instanceof IntakeDto && intake.visits[0] instanceof VisitDto && Secret.isSecret(intake.ssn) && Secret.isSecret(jwt),
    'intake',
  );
  mustBe(
    carried === undefined || (carried instanceof SummaryDto && carried.notes.every((note) => note instanceof NoteDto)),
    'carried notes',
  );
  // class-transformer (@Type) and class-validator in the sandbox, on the same DTOs.
  const rebuilt = plainToInstance(IntakeDto, { patientId: intake.patientId, clinic: intake.clinic, visits: [{ date: 'd', notes: 'n' }] });
  mustBe(rebuilt.visits[0] instanceof VisitDto, 'plainToInstance result');
  mustBe(validateSync(rebuilt).length === 0 && validateSync(Object.assign(new NoteDto(), { author: 1 })).length > 0, 'validation');

  const notes = [...(carried?.notes ?? [])];
  const reviewed: VisitDto[] = [];
  wf.setHandler(addNote, (note) => {
    mustBe(note instanceof NoteDto, 'signal note');
    notes.push(note);
  });
  wf.setHandler(amend, (note) => {
    mustBe(note instanceof NoteDto, 'update note');
    notes.push(note);
    return summarize(intake, round, notes, reviewed);
  });
  wf.setHandler(summary, () => summarize(intake, round, notes, reviewed));
  if (round > 0) return summarize(intake, round, notes, reviewed);

  const recorded = await recordVisit(jwt, intake.visits[0] as VisitDto);
  mustBe(recorded instanceof VisitDto, 'activity result');
  const child = await wf.executeChild(reviewVisit, { args: [recorded], workflowId: `${wf.workflowInfo().workflowId}-child` });
  mustBe(child instanceof VisitDto, 'child result');
  reviewed.push(recorded, child);
  await wf.condition(() => notes.length >= 2);
  return wf.continueAsNew<typeof intakeWorkflow>(intake, jwt, round + 1, summarize(intake, round, notes, reviewed));
}
