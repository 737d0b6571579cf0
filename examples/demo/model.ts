// The demo's DTOs: clear fields stay readable in the Web UI, @Sensitive ones are sealed under purpose 'phi'.
import { Nested, SealedType, Sensitive, type Secret } from '../../src';

@SealedType('Demo.Vitals')
export class Vitals {
  takenAt!: string;
  @Sensitive({ purpose: 'phi' }) bloodPressure!: string;
  @Sensitive({ purpose: 'phi' }) heartRate!: number;
}

@SealedType('Demo.PatientIntake')
export class PatientIntake {
  intakeId!: string;
  clinic!: string;
  language!: string;
  @Sensitive({ purpose: 'phi' }) fullName!: string;
  @Sensitive({ purpose: 'phi' }) dateOfBirth!: string;
  /** A Secret field stays sealed even when the workflow hands it on alone. */
  @Sensitive({ purpose: 'phi' }) ssn!: Secret<string>;
  @Sensitive({ purpose: 'phi' }) symptoms!: string[];
  @Nested(() => Vitals) vitals!: Vitals;
}

@SealedType('Demo.IntakeReceipt')
export class IntakeReceipt {
  intakeId!: string;
  recordedBy!: string;
  recordId!: string;
  @Sensitive({ purpose: 'phi' }) patientName!: string;
}
