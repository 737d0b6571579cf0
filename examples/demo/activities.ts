// Two activities standing for micro-services: an auth service that verifies the JWT, a records service.
import { jwtVerify } from 'jose';
import { Secret } from '../../src';
import type { PatientIntake } from './model';

/** HS256 key for the demo only: never ship a key in code. */
export const DEMO_JWT_KEY = new TextEncoder().encode('demo-only-hs256-key-do-not-use-in-production');

export async function verifyUser(jwt: Secret<string>): Promise<{ userId: string; role: string }> {
  const { payload } = await jwtVerify(jwt.reveal(), DEMO_JWT_KEY, { algorithms: ['HS256'] });
  return { userId: String(payload.sub), role: String(payload['role']) };
}

export async function recordIntake(intake: PatientIntake, recordedBy: string): Promise<string> {
  // A real service would write to its database here; the demo proves it received the values opened.
  const complete = intake.fullName.length > 0 && Secret.isSecret(intake.ssn) && intake.ssn.reveal().length === 11;
  return `rec-${intake.intakeId}-${complete ? 'complete' : 'incomplete'}-by-${recordedBy}`;
}
