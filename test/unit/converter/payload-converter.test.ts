import { DefaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, test } from 'vitest';
import { createSealedPayloadConverter, SealedError, sealedTypeInfo, Secret, secret } from '../../../src';
import { Keyring, SealingCodec } from '../../../src/codec';
import { Address, CANARIES, IntakeSchema, makeIntake, PatientIntake, Visit } from '../../fixtures/dto';
import { codeOf, thrownBy } from '../../support/errors';
import { dataJson, findLeaks, payloadBytes, WORKFLOW_CONTEXT } from '../../support/payloads';

const converter = createSealedPayloadConverter({ types: [PatientIntake], schemas: { 'test.IntakeRecord': IntakeSchema } });
const keyring = new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } });

async function seal(value: unknown, hint?: string): Promise<Payload> {
  const codec = await SealingCodec.create({ keyring });
  const info = hint === undefined ? undefined : sealedTypeInfo(hint).payloadConverterHint;
  const [sealed] = await codec.encode([converter.toPayload(value, WORKFLOW_CONTEXT, info)], WORKFLOW_CONTEXT);
  return sealed as Payload;
}

async function roundTrip<T>(value: unknown, hint?: string): Promise<T> {
  const codec = await SealingCodec.create({ keyring });
  const [opened] = await codec.decode([await seal(value, hint)], WORKFLOW_CONTEXT);
  const info = hint === undefined ? undefined : sealedTypeInfo<T>(hint).payloadConverterHint;
  return converter.fromPayload<T>(opened as Payload, WORKFLOW_CONTEXT, info);
}

describe('sealed payloads hide sensitive values', () => {
  test('no canary appears in data or metadata, in utf-8 or base64', async () => {
    const sealed = await seal(makeIntake());
    expect(findLeaks(payloadBytes(sealed), CANARIES)).toEqual([]);
  });

  test('clear fields parse as the same JSON, sealed fields show purpose and key id', async () => {
    const data = dataJson(await seal(makeIntake())) as Record<string, unknown>;
    expect(data).toMatchObject({ patientId: 'patient-1042', name: 'Clear Name', tags: ['intake', 'urgent'] });
    expect(data['ssn']).toBe('[sealed:phi:k1]');
    expect(data['apiToken']).toBe('[sealed:credential:k1]');
    expect((data['visits'] as Array<Record<string, unknown>>)[1]).toEqual({
      date: '2026-02-03',
      clinic: 'North',
      notes: '[sealed:phi:k1]',
    });
  });

  test('a payload encoding stays json/plain so the Web UI shows it', async () => {
    const sealed = await seal(makeIntake());
    expect(Buffer.from(sealed.metadata?.['encoding'] ?? []).toString()).toBe('json/plain');
  });

  test('values without sensitive parts produce the default converter payload', () => {
    const plain = { a: 1, b: ['x', null, true], c: { d: 'e' } };
    const ours = converter.toPayload(plain);
    const theirs = new DefaultPayloadConverter().toPayload(plain);
    expect(ours).toEqual(theirs);
  });

  test('a bare secret(jwt) argument is sealed whole', async () => {
    const sealed = await seal(secret('eyJ.CANARY-JWT.sig', { purpose: 'credential' }));
    expect(dataJson(sealed)).toBe('[sealed:credential:k1]');
    expect(findLeaks(payloadBytes(sealed), ['eyJ.CANARY-JWT.sig'])).toEqual([]);
  });

  test('a Secret nested in a plain object is found and sealed', async () => {
    const sealed = await seal({ ssn: makeIntake().ssn, note: 'clear' });
    expect(dataJson(sealed)).toEqual({ ssn: '[sealed:phi:k1]', note: 'clear' });
    expect(findLeaks(payloadBytes(sealed), ['CANARY-SSN-7731'])).toEqual([]);
  });

  test('a registered instance inside a plain wrapper or array is sealed', async () => {
    const sealed = await seal({ batch: [makeIntake()] });
    expect(findLeaks(payloadBytes(sealed), CANARIES)).toEqual([]);
  });
});

describe('round trip restores values and types', () => {
  test('classes, nested classes, records, Secrets and nulls come back', async () => {
    const back = await roundTrip<PatientIntake>(makeIntake({ diagnosis: null }));
    expect(back).toBeInstanceOf(PatientIntake);
    expect(back.visits[0]).toBeInstanceOf(Visit);
    expect(back.visits[0]?.label()).toBe('2026-01-02@North');
    expect(back.visitsById['v1']).toBeInstanceOf(Visit);
    expect(back.visitsById['v1']?.notes).toBe('CANARY-NOTE-C');
    expect(back.address).toBeInstanceOf(Address);
    expect(back.address?.street).toBe('CANARY-STREET-9');
    expect(Secret.isSecret(back.ssn)).toBe(true);
    expect(back.ssn.reveal()).toBe('CANARY-SSN-7731');
    expect(back.ssn.purpose).toBe('phi');
    expect(back.diagnosis).toBeNull();
  });

  test('numbers, booleans, objects and arrays keep their JSON types inside sealed fields', async () => {
    const values = [0, -1.5, true, false, null, 'text', { nested: [1, 'two', { three: 3 }] }, [], {}];
    for (const value of values) {
      const back = await roundTrip<Secret<unknown>>(secret(value, { purpose: 'phi' }));
      expect(back.reveal()).toEqual(value);
    }
  });

  test('zod schemas named by a type hint seal and restore', async () => {
    const record = {
      patientId: 'p-7',
      ssn: 'CANARY-ZOD-SSN',
      visits: [{ date: 'd1', notes: 'CANARY-ZOD-NOTE' }, { date: 'd2' }],
      insurer: { name: 'Acme', memberId: 'CANARY-ZOD-MEMBER' },
    };
    const sealed = await seal(record, 'test.IntakeRecord');
    expect(findLeaks(payloadBytes(sealed), ['CANARY-ZOD-SSN', 'CANARY-ZOD-NOTE', 'CANARY-ZOD-MEMBER'])).toEqual([]);
    expect(await roundTrip(record, 'test.IntakeRecord')).toEqual(record);
  });

  test('a Secret printed or logged shows only its purpose', () => {
    const s = secret('CANARY-PRINT', { purpose: 'credential' });
    expect(String(s)).toBe('[secret:credential]');
    expect(JSON.stringify({ s })).toBe('{"s":"[secret:credential]"}');
    expect(require('node:util').inspect(s, { showHidden: true, depth: 5 })).not.toContain('CANARY-PRINT');
  });
});

describe('fail closed', () => {
  test('a payload marked by the converter but never sealed is refused', async () => {
    const codec = await SealingCodec.create({ keyring });
    const pending = converter.toPayload(makeIntake());
    await expect(codec.decode([pending])).rejects.toMatchObject({ code: 'SEALED_NOT_SEALED' });
    expect(() => converter.fromPayload(pending)).toThrow(expect.objectContaining({ code: 'SEALED_NOT_SEALED' }));
  });

  test('a sealed payload without the codec is refused, not returned with placeholders', async () => {
    const sealed = await seal(makeIntake());
    expect(() => converter.fromPayload(sealed)).toThrow(expect.objectContaining({ code: 'SEALED_NOT_OPENED' }));
  });

  test('strict mode refuses instances of unregistered classes', () => {
    class Unregistered {
      ssn = 'x';
    }
    const strict = createSealedPayloadConverter({ strict: true });
    expect(() => strict.toPayload({ inner: new Unregistered() })).toThrow(expect.objectContaining({ code: 'SEALED_UNREGISTERED_TYPE' }));
    expect(() => converter.toPayload({ inner: new Unregistered() })).not.toThrow();
  });

  test('key rules seal matching keys in untyped objects', async () => {
    const ruled = createSealedPayloadConverter({ keyRules: [{ pattern: /^(ssn|password|jwt|token)$/i, purpose: 'credential' }] });
    const payload = ruled.toPayload({ user: { name: 'n', Password: 'CANARY-PW' }, list: [{ token: 'CANARY-TK' }] });
    expect(findLeaks(Buffer.from(payload.data ?? []), ['CANARY-PW', 'CANARY-TK'])).toEqual([]);
    expect(dataJson(payload)).toEqual({ user: { name: 'n', Password: '[sealed:credential]' }, list: [{ token: '[sealed:credential]' }] });
  });

  test('key rules take one shape, a list of { pattern, purpose? }: a bare RegExp from JavaScript is SEALED_INVALID_OPTION', () => {
    const bare = { keyRules: /^ssn$/ } as unknown as Parameters<typeof createSealedPayloadConverter>[0];
    expect(codeOf(() => createSealedPayloadConverter(bare))).toBe('SEALED_INVALID_OPTION');
    const listOfRegExps = { keyRules: [/^ssn$/] } as unknown as Parameters<typeof createSealedPayloadConverter>[0];
    expect(codeOf(() => createSealedPayloadConverter(listOfRegExps))).toBe('SEALED_INVALID_OPTION');
  });

  test('errors are SealedErrors with codes and carry no value', () => {
    const err = thrownBy(() => converter.toPayload({ big: 10n, ssn: secret('CANARY-IN-ERROR') }));
    expect(SealedError.is(err)).toBe(true);
    expect((err as SealedError).code).toBe('SEALED_UNSUPPORTED_VALUE');
    expect(JSON.stringify({ m: (err as Error).message, d: (err as SealedError).detail, s: (err as Error).stack })).not.toContain('CANARY');
  });
});
