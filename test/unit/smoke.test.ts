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

import { Keyring, SealingCodec } from '../../src/codec';
test('roundtrip', async () => {
  const c = createSealedPayloadConverter();
  const keyring = new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } });
  const codec = await SealingCodec.create({ keyring });
  const i = Object.assign(new Intake(), { patientId: 'p1', ssn: secret('123-45', { purpose: 'phi' }), visits: [Object.assign(new Visit(), { date: 'd', notes: 'n1' })] });
  const [sealed] = await codec.encode([c.toPayload(i)], { type: 'workflow', namespace: 'default', workflowId: 'w' });
  console.log(new TextDecoder().decode(sealed!.data!), Object.keys(sealed!.metadata!));
  const [opened] = await codec.decode([sealed!], { type: 'workflow', namespace: 'default', workflowId: 'w' });
  const back = c.fromPayload<Intake>(opened!);
  console.log(back, back.visits[0] instanceof Visit, back instanceof Intake, back.ssn.reveal());
  const top = await codec.encode([c.toPayload(secret('jwt.abc', { purpose: 'credential' }))]);
  console.log(new TextDecoder().decode(top[0]!.data!));
  console.log(c.fromPayload((await codec.decode(top))[0]!));
});
