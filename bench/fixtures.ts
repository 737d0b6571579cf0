import 'reflect-metadata';
import { Type } from 'class-transformer';
import { z } from 'zod';
import { DataSubjectId, dataSubject, SealedType, Sensitive, secret, sensitive, type Secret } from '../src';

// Benchmark inputs. Sensitive strings all contain SENSITIVE_MARK so a pipeline that leaks
// plaintext into its encoded payload is caught before it is timed.
export const SENSITIVE_MARK = 'PHI!';

@SealedType('BenchAddress')
export class Address {
  line1!: string;
  city!: string;
  postalCode!: string;
  country!: string;
}

@SealedType('BenchVisit')
export class Visit {
  visitId!: string;
  date!: string;
  department!: string;
  reason!: string;
}

/** `small`: about 1 KB of JSON with 3 sensitive fields. */
@SealedType('BenchIntake')
export class PatientIntake {
  patientId!: string;
  @Sensitive({ purpose: 'phi' }) ssn!: string;
  @Sensitive({ purpose: 'phi' }) dateOfBirth!: string;
  @Sensitive({ purpose: 'phi' }) diagnosis!: string;
  clinicId!: string;
  language!: string;
  consentGiven!: boolean;
  priority!: number;
  tags!: string[];
  @Type(() => Address) address!: Address;
  @Type(() => Visit) visits!: Visit[];
}

/** One billed line of a claim: two sensitive fields each. */
@SealedType('BenchClaimLine')
export class ClaimLine {
  line!: number;
  code!: string;
  @Sensitive({ purpose: 'phi' }) diagnosis!: string;
  @Sensitive({ purpose: 'phi' }) note!: string;
  amountCents!: number;
}

/** `many`: about 2 KB of JSON with 50 sensitive fields (25 lines × 2). */
@SealedType('BenchClaim')
export class Claim {
  claimId!: string;
  payer!: string;
  @Type(() => ClaimLine) lines!: ClaimLine[];
}

/** A lab result as a lab system sends it: plain data, no class, nothing sensitive. */
export interface LabResult {
  id: string;
  code: string;
  name: string;
  value: number;
  unit: string;
  range: string;
  flag: string;
  takenAt: string;
}

/** `large`: about 600 KB of JSON, 3 sensitive fields and a large clear array of plain lab results. */
@SealedType('BenchRecord')
export class PatientRecord {
  recordId!: string;
  @Sensitive({ purpose: 'phi' }) fullName!: string;
  @Sensitive({ purpose: 'phi' }) ssn!: string;
  @Sensitive({ purpose: 'phi' }) dateOfBirth!: string;
  labResults!: LabResult[];
}

function sensitiveText(label: string): string {
  return `${SENSITIVE_MARK}${label}`;
}

function address(): Address {
  return Object.assign(new Address(), { line1: '221B Baker Street', city: 'London', postalCode: 'NW1 6XE', country: 'GB' });
}

function visit(i: number): Visit {
  return Object.assign(new Visit(), {
    visitId: `visit-${1000 + i}`,
    date: `2026-0${1 + (i % 9)}-1${i % 10}T09:30:00.000Z`,
    department: i % 2 === 0 ? 'cardiology' : 'general-practice',
    reason: 'follow-up consultation after routine blood panel and blood pressure review',
  });
}

const SMALL_CLEAR = {
  patientId: 'patient-7f3c2a9e-4b1d-4e8a-9c6f-2d5b8e1a0c47',
  clinicId: 'clinic-berlin-mitte-0042',
  language: 'en-GB',
  consentGiven: true,
  priority: 2,
  tags: ['new-patient', 'referral', 'insured', 'follow-up-required', 'lab-work'],
};

export function smallIntake(): PatientIntake {
  return Object.assign(new PatientIntake(), {
    ...SMALL_CLEAR,
    ssn: sensitiveText('078-05-1120'),
    dateOfBirth: sensitiveText('1984-03-12'),
    diagnosis: sensitiveText('I10 essential (primary) hypertension, monitored'),
    address: address(),
    visits: [0, 1, 2, 3].map(visit),
  });
}

export function manyClaim(): Claim {
  const lines = Array.from({ length: 25 }, (_, i) =>
    Object.assign(new ClaimLine(), {
      line: i + 1,
      code: `9921${i % 10}`,
      diagnosis: sensitiveText(`E11.${i % 10}`),
      note: sensitiveText(`note ${i}`),
      amountCents: 12_500 + i * 10,
    }),
  );
  return Object.assign(new Claim(), { claimId: 'claim-2026-000123', payer: 'acme-health', lines });
}

function labResult(i: number): LabResult {
  return {
    id: `lab-${String(i).padStart(6, '0')}`,
    code: `LOINC-${2000 + (i % 700)}-${i % 10}`,
    name: i % 3 === 0 ? 'Hemoglobin A1c' : i % 3 === 1 ? 'Creatinine [Mass/volume] in Serum' : 'Potassium',
    value: Math.round(((i * 7919) % 1000) * 0.137 * 100) / 100,
    unit: i % 2 === 0 ? 'mg/dL' : 'mmol/L',
    range: '3.5-5.1',
    flag: i % 17 === 0 ? 'H' : 'N',
    takenAt: `2025-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}T07:45:00.000Z`,
  };
}

export function largeRecord(): PatientRecord {
  return Object.assign(new PatientRecord(), {
    recordId: 'record-2026-88412',
    fullName: sensitiveText('Jane Q. Public'),
    ssn: sensitiveText('078-05-1120'),
    dateOfBirth: sensitiveText('1984-03-12'),
    labResults: Array.from({ length: 3_700 }, (_, i) => labResult(i)),
  });
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** A realistic-looking bearer JWT (about 600 characters); never verified, only carried. */
export function jwt(): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'auth-2026-01' }));
  const claims = base64url(
    JSON.stringify({
      iss: 'https://auth.example-health.com/',
      sub: 'user|7f3c2a9e4b1d4e8a',
      aud: ['https://api.example-health.com', 'temporal-intake'],
      iat: 1_767_225_600,
      exp: 1_767_229_200,
      scope: 'openid profile patients:read patients:write intake:start',
      note: SENSITIVE_MARK,
    }),
  );
  return `${header}.${claims}.${base64url('s'.repeat(256))}`;
}

export function secretJwt(): Secret<string> {
  return secret(jwt(), { purpose: 'credential' });
}

/** The `small` shape as a zod schema, for the `zod` scenario. */
export const ZOD_SCHEMA_NAME = 'BenchIntakeSchema';
export const intakeSchema = z.object({
  patientId: z.string(),
  ssn: sensitive(z.string(), { purpose: 'phi' }),
  dateOfBirth: sensitive(z.string(), { purpose: 'phi' }),
  diagnosis: sensitive(z.string(), { purpose: 'phi' }),
  clinicId: z.string(),
  language: z.string(),
  consentGiven: z.boolean(),
  priority: z.number(),
  tags: z.array(z.string()),
  address: z.object({ line1: z.string(), city: z.string(), postalCode: z.string(), country: z.string() }),
  visits: z.array(z.object({ visitId: z.string(), date: z.string(), department: z.string(), reason: z.string() })),
});

/** The `small` data as a plain object (what a zod-typed workflow receives). */
export function smallPlain(): z.infer<typeof intakeSchema> {
  return JSON.parse(JSON.stringify(smallIntake())) as z.infer<typeof intakeSchema>;
}

// The `subject` pipeline's inputs: the same data, each value marked with whose it is, so every
// sensitive field is sealed under a key of its data subject (docs/ERASURE.md).

/** `small` with its patient as data subject. */
@SealedType('BenchSubjectIntake')
export class SubjectIntake extends PatientIntake {
  @DataSubjectId() declare patientId: string;
}

/** `many` with the claim's patient as data subject (every line is the patient's). */
@SealedType('BenchSubjectClaim')
export class SubjectClaim extends Claim {
  @DataSubjectId() patientId!: string;
}

/** `large` with the record's patient as data subject. */
@SealedType('BenchSubjectRecord')
export class SubjectRecord extends PatientRecord {
  @DataSubjectId() patientId!: string;
}

const SUBJECT = SMALL_CLEAR.patientId;

export function subjectIntake(): SubjectIntake {
  return Object.assign(new SubjectIntake(), smallIntake());
}

export function subjectClaim(): SubjectClaim {
  return Object.assign(new SubjectClaim(), manyClaim(), { patientId: SUBJECT });
}

export function subjectRecord(): SubjectRecord {
  return Object.assign(new SubjectRecord(), largeRecord(), { patientId: SUBJECT });
}

export function subjectJwt(): Secret<string> {
  return secret(jwt(), { purpose: 'credential', subject: SUBJECT });
}

/** The zod scenario's schema with `patientId` as data subject. */
export const SUBJECT_ZOD_SCHEMA_NAME = 'BenchSubjectIntakeSchema';
export const subjectIntakeSchema = dataSubject(intakeSchema, 'patientId');
