// The demo workflow: a user's JWT and a patient intake pass through two "micro-services" (activities).
import { proxyActivities } from '@temporalio/workflow';
import type { Secret } from '../../src';
import type * as activities from './activities';
import { IntakeReceipt, type PatientIntake } from './model';

const { verifyUser, recordIntake } = proxyActivities<typeof activities>({ startToCloseTimeout: '30s' });

export async function intakeWorkflow(jwt: Secret<string>, intake: PatientIntake): Promise<IntakeReceipt> {
  const user = await verifyUser(jwt); // the auth service gets the JWT opened; history holds it sealed
  const recordId = await recordIntake(intake, user.userId); // the records service gets the PHI opened
  return Object.assign(new IntakeReceipt(), { intakeId: intake.intakeId, recordedBy: user.userId, recordId, patientName: intake.fullName });
}
