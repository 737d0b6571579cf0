import 'reflect-metadata';
import { Type } from 'class-transformer';
import { expect, test } from 'vitest';
import { createSealedPayloadConverter, SealedType, Sensitive, secret, Secret } from '../../src';

@SealedType('SmokeVisit')
class Visit {
  date!: string;
  @Sensitive({ purpose: 'phi' }) notes!: string;
}

@SealedType('SmokeIntake')
class Intake {
  patientId!: string;
  @Sensitive({ purpose: 'phi' }) ssn!: Secret<string>;
  @Type(() => Visit) visits!: Visit[];
}

test('smoke', () => {
  const c = createSealedPayloadConverter();
  const i = Object.assign(new Intake(), { patientId: 'p1', ssn: secret('123', { purpose: 'phi' }), visits: [Object.assign(new Visit(), { date: 'd', notes: 'n1' })] });
  const p = c.toPayload(i);
  console.log(new TextDecoder().decode(p.data!), Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, new TextDecoder().decode(v!)])));
  expect(p.data).toBeDefined();
});
