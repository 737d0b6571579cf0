import type { Payload } from '@temporalio/common';
import { beforeAll, expect, test } from 'vitest';
import { createSealedPayloadConverter, sealedTypeInfo, Secret } from '../../../src';
import { Keyring, SealingCodec } from '../../../src/codec';
import { IntakeSchema, PatientIntake, Visit } from '../../fixtures/dto';
import { dataJson } from '../../support/payloads';

let codec: SealingCodec;
beforeAll(async () => {
  codec = await SealingCodec.create({ keyring: new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } }) });
});

async function through(payload: Payload): Promise<Payload> {
  const [sealed] = await codec.encode([payload]);
  return (await codec.decode([sealed as Payload]))[0] as Payload;
}

test('a plain object sent with a class type hint is sealed like an instance and decodes into one', async () => {
  const converter = createSealedPayloadConverter();
  const hint = sealedTypeInfo(PatientIntake).payloadConverterHint;
  const plain = {
    patientId: 'p',
    name: 'n',
    ssn: 'CANARY-HINT',
    visits: [{ date: 'd', clinic: 'c', notes: 'CANARY-HINT-NOTE' }],
    visitsById: {},
    tags: [],
  };
  const payload = converter.toPayload(plain, undefined, hint);
  expect(dataJson(payload)).toMatchObject({ ssn: '[sealed:phi]', visits: [{ notes: '[sealed:phi]' }] });
  const back = converter.fromPayload<PatientIntake>(await through(payload));
  expect(back).toBeInstanceOf(PatientIntake);
  expect(back.visits[0]).toBeInstanceOf(Visit);
  expect(back.ssn as unknown).toBe('CANARY-HINT');
});

test('an unknown type hint is refused with SEALED_UNREGISTERED_TYPE', () => {
  const converter = createSealedPayloadConverter();
  expect(() => converter.toPayload({}, undefined, sealedTypeInfo('no.such.Type').payloadConverterHint)).toThrow(
    expect.objectContaining({ code: 'SEALED_UNREGISTERED_TYPE' }),
  );
});

test('zod validation on decode, when enabled, refuses values that do not match the schema', async () => {
  const strict = createSealedPayloadConverter({ schemas: { Intake: IntakeSchema }, validateOnDecode: true });
  const hint = sealedTypeInfo('Intake').payloadConverterHint;
  const good = { patientId: 'p', ssn: 'CANARY-Z', visits: [], insurer: null };
  expect(strict.fromPayload(await through(strict.toPayload(good, undefined, hint)), undefined, hint)).toEqual(good);
  const bad = { patientId: 42, ssn: 'CANARY-Z', visits: [], insurer: null };
  const payload = await through(strict.toPayload(bad, undefined, hint));
  expect(() => strict.fromPayload(payload, undefined, hint)).toThrow(expect.objectContaining({ code: 'SEALED_VALIDATION_FAILED' }));
});

test('a zod field holding a Secret keeps it a Secret and validates its revealed value', async () => {
  const converter = createSealedPayloadConverter({ schemas: { Intake: IntakeSchema }, validateOnDecode: true });
  const value = { patientId: 'p', ssn: new Secret('CANARY-ZS', 'phi'), visits: [], insurer: null };
  const hint = sealedTypeInfo<typeof value>('Intake').payloadConverterHint;
  const back = converter.fromPayload<typeof value>(await through(converter.toPayload(value, undefined, hint)), undefined, hint);
  expect(Secret.isSecret(back.ssn)).toBe(true);
  expect(back.ssn.reveal()).toBe('CANARY-ZS');
});
