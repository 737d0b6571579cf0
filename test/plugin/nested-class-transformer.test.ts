import { plainToInstance } from 'class-transformer';
import { expect, test } from 'vitest';
import { Nested, SealedType, Sensitive } from '../../src';

@SealedType('plugin.NestedCtVisit')
class Visit {
  date!: string;
  @Sensitive({ purpose: 'phi' }) notes!: string;
}

@SealedType('plugin.NestedCtIntake')
class Intake {
  patientId!: string;
  @Nested(() => Visit) visits!: Visit[];
  @Nested(() => Visit, { record: true }) byId!: Record<string, Visit>;
}

test("@Nested also serves class-transformer's plainToInstance: nested values become instances", () => {
  const intake = plainToInstance(Intake, {
    patientId: 'p1',
    visits: [{ date: 'd', notes: 'n' }],
    byId: { a: { date: 'd2', notes: 'n2' } },
  });
  expect(intake).toBeInstanceOf(Intake);
  expect(intake.visits[0]).toBeInstanceOf(Visit);
});
