// The values behind test/vectors/v2.json, shared by scripts/make-vectors-v2.ts (which writes the
// vectors) and test/unit/vectors.test.ts (which checks that the converter still marks them so).
import { DataSubjectId, Nested, SealedType, secret, Sensitive, type Secret } from '../../src';

@SealedType('PatientIntake')
export class PatientIntake {
  patientId!: string;
  @Sensitive({ purpose: 'phi' }) ssn!: string;
}

@SealedType('Visit')
export class Visit {
  date!: string;
  @Sensitive({ purpose: 'phi' }) notes!: string;
}

@SealedType('Chart')
export class Chart {
  clinic!: string;
  @Nested(() => Visit) visits!: Visit[];
  @Sensitive({ purpose: 'phi' }) 'a/b~c'!: unknown;
  token!: Secret<string>;
  @Sensitive({ purpose: 'phi' }) n!: number;
}

@SealedType('Contact')
export class Contact {
  name!: string;
  @Sensitive({ purpose: 'phi' }) details!: { phones: Record<string, Secret<string>>; note: string };
}

@SealedType('Login')
export class Login {
  user!: string;
  @Sensitive({ purpose: 'credential' }) password!: string;
}

@SealedType('Referral')
export class Referral {
  id!: string;
  @Sensitive({ purpose: 'phi', type: () => Login }) portal!: Login;
}

@SealedType('Session')
export class Session {
  user!: string;
  @Sensitive({ purpose: 'phi' }) token!: Secret<string>;
}

@SealedType('SubjectNote')
export class SubjectNote {
  @DataSubjectId() @Sensitive({ purpose: 'phi' }) patientId!: string;
  clinic!: string;
  @Sensitive({ purpose: 'phi' }) note!: string;
  token!: Secret<string>;
}

/** Every registered class above, for the converter that reads the vectors. */
export const V2_TYPES = [PatientIntake, Visit, Chart, Contact, Login, Referral, Session, SubjectNote];

export interface V2Input {
  name: string;
  /** The writer's namespace ('' : no serialization context). */
  namespace: string;
  value: () => unknown;
  /**
   * 'kms': sealed under the KMS-wrapped data key of v2-kms-data-key.json (through GivenDataKey);
   * 'subject': under the subject key of v2.json's `subjectKeys` (through GivenSubjectKey); else the keyring.
   */
  keys?: 'kms' | 'subject';
}

export const V2_INPUTS: V2Input[] = [
  {
    name: 'one string field',
    namespace: 'default',
    value: () => Object.assign(new PatientIntake(), { patientId: 'p-1', ssn: '123-45-6789' }),
  },
  {
    name: 'bare Secret as the whole value',
    namespace: 'default',
    value: () => secret('eyJhbGciOiJIUzI1NiJ9.e30.sig', { purpose: 'credential' }),
  },
  {
    name: 'two purposes, array index, escaped pointer, every JSON type',
    namespace: 'clinic-prod',
    value: () =>
      Object.assign(new Chart(), {
        clinic: 'north',
        visits: [Object.assign(new Visit(), { date: '2026-01-02', notes: 'Ünïcode ✓' })],
        'a/b~c': { k: [1, true, null] },
        token: secret('tok', { purpose: 'credential' }),
        n: 42.5,
      }),
  },
  {
    name: 'a Secret nested inside a sealed value (inner envelope; the e-mail key stays inside the box)',
    namespace: 'default',
    value: () =>
      Object.assign(new Contact(), {
        name: 'clear',
        details: { phones: { 'ana@example.org': secret('555-0100', { purpose: 'credential' }) }, note: 'allergic to penicillin' },
      }),
  },
  {
    name: 'a tag of another purpose inside a sealed value',
    namespace: 'default',
    value: () => Object.assign(new Referral(), { id: 'r-7', portal: Object.assign(new Login(), { user: 'ana', password: 'hunter2' }) }),
  },
  {
    name: 'a Secret of another purpose in a tagged field (same path, two levels)',
    namespace: 'default',
    value: () => Object.assign(new Session(), { user: 'ana', token: secret('eyJ0b2tlbiI6MX0.sig', { purpose: 'credential' }) }),
  },
  {
    name: 'inner envelopes two deep, two boxes inside one',
    namespace: 'default',
    value: () => ({
      record: secret(
        {
          owner: 'ana',
          login: secret({ user: 'ana', otp: secret('999000', { purpose: 'phi' }) }, { purpose: 'credential' }),
          pin: secret('4321', { purpose: 'phi' }),
        },
        { purpose: 'phi' },
      ),
    }),
  },
  {
    name: 'placeholder text also used as a clear key: placeholders left unnamed',
    namespace: 'default',
    value: () => ({ '[sealed:phi]': 'a clear key that looks like a placeholder', ssn: secret('123-45-6789', { purpose: 'phi' }) }),
  },
  { name: 'no namespace in the context', namespace: '', value: () => ({ x: secret(null) }) },
  {
    name: 'a value sealed under a KMS-wrapped data key (the wrapped key in the box header)',
    namespace: 'default',
    keys: 'kms',
    value: () => Object.assign(new PatientIntake(), { patientId: 'p-9', ssn: '987-65-4320' }),
  },
  {
    name: 'a value of a data subject (subject key, 0x02 subject reference in the box header)',
    namespace: 'default',
    keys: 'subject',
    value: () =>
      Object.assign(new SubjectNote(), {
        patientId: 'patient-1042',
        clinic: 'north',
        note: 'chest pain',
        token: secret('eyJzdWIiOiJwYXRpZW50In0.sig', { purpose: 'phi', subject: 'patient-1042' }),
      }),
  },
];
