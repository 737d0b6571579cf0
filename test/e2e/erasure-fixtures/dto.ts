// DTOs of the erasure suite: every class names its data subject with @DataSubjectId, and the subject id is
// sealed too (it is personal data), so nothing in a history says whose record it is. Workflow-safe.
import { DataSubjectId, Nested, SealedType, Sensitive, type Secret } from '../../../src';

@SealedType('Erasure.Visit')
export class Visit {
  date!: string;
  @Sensitive({ purpose: 'phi' }) notes!: string; // names no subject: sealed under the intake's
}

@SealedType('Erasure.Intake')
export class Intake {
  @DataSubjectId() @Sensitive({ purpose: 'phi' }) patientId!: string;
  clinic!: string;
  @Sensitive({ purpose: 'phi' }) ssn!: Secret<string>;
  @Sensitive({ purpose: 'contact' }) email!: string;
  @Nested(() => Visit) visits!: Visit[];
}

@SealedType('Erasure.Note')
export class Note {
  @DataSubjectId() @Sensitive({ purpose: 'phi' }) patientId!: string;
  author!: string;
  @Sensitive({ purpose: 'phi' }) text!: string;
}

@SealedType('Erasure.Outcome')
export class Outcome {
  @DataSubjectId() @Sensitive({ purpose: 'phi' }) patientId!: string;
  clinic!: string;
  status!: string;
  @Sensitive({ purpose: 'phi' }) ssn!: Secret<string>;
  @Sensitive({ purpose: 'phi' }) summary!: string;
  @Nested(() => Note) notes!: Note[];
}
