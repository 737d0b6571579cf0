// Activities of the erasure suite: they get the subject's values opened and record what they saw.
import { setActivityOptions } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Secret, sealedTypeInfo } from '../../../src';
import { Intake, Outcome, Visit } from './dto';
import { CONSENT } from './names';
import type { Consent } from './schemas';

/** What the activities saw, revealed, by activity name and subject id (main-thread memory; tests read it). */
export const seen = new Map<string, unknown>();

export async function recordIntake(jwt: Secret<string>, intake: Intake): Promise<Outcome> {
  if (!Secret.isSecret(jwt) || !(intake instanceof Intake) || !Secret.isSecret(intake.ssn) || !(intake.visits[0] instanceof Visit))
    throw ApplicationFailure.nonRetryable('recordIntake got no Secret or no Intake', 'BadInput');
  seen.set(`recordIntake:${intake.patientId}`, {
    jwt: jwt.reveal(),
    ssn: intake.ssn.reveal(),
    email: intake.email,
    notes: intake.visits.map((visit) => visit.notes),
  });
  return Object.assign(new Outcome(), {
    patientId: intake.patientId,
    clinic: intake.clinic,
    status: 'recorded',
    ssn: intake.ssn,
    summary: `${intake.visits.length} visit(s): ${intake.visits.map((visit) => visit.notes).join('; ')}`,
    notes: [],
  });
}

export async function confirmConsent(consent: Consent): Promise<Consent> {
  seen.set(`confirmConsent:${consent.subjectId}`, { phone: consent.phone });
  return { ...consent, channel: `${consent.channel}-confirmed` };
}
setActivityOptions({ typeInfo: { inputTypes: [sealedTypeInfo(CONSENT)], outputType: sealedTypeInfo(CONSENT) } }, confirmConsent);
