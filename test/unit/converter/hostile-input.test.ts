import type { Payload } from '@temporalio/common';
import { describe, expect, test } from 'vitest';
import { createSealedPayloadConverter, SealedType, secret, Sensitive } from '../../../src';
import { Keyring, SealingCodec } from '../../../src/codec';
import { makeIntake, PatientIntake } from '../../fixtures/dto';
import { codeOf } from '../../support/errors';

const converter = createSealedPayloadConverter({ types: [PatientIntake] });
const keyring = new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } });

function deeplyNested(depth: number): unknown {
  let value: unknown = { leaf: true };
  for (let i = 0; i < depth; i++) value = { child: value };
  return value;
}

function jsonPayload(text: string, metadata: Record<string, string> = {}): Payload {
  const meta: Record<string, Uint8Array> = { encoding: Buffer.from('json/plain') };
  for (const [k, v] of Object.entries(metadata)) meta[k] = Buffer.from(v);
  return { metadata: meta, data: Buffer.from(text) };
}

describe('prototype-polluting keys', () => {
  test('a typed payload carrying __proto__ or constructor is refused and nothing is polluted', () => {
    for (const key of ['__proto__', 'constructor']) {
      const text = `{"patientId":"p","${key}":{"polluted":true}}`;
      expect(codeOf(() => converter.fromPayload(jsonPayload(text, { 'sealed-type': 'test.PatientIntake' })))).toBe('SEALED_FORBIDDEN_KEY');
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  test('an opened value aimed at __proto__ is refused', async () => {
    const codec = await SealingCodec.create({ keyring });
    const pending = jsonPayload('{"a":"[sealed:phi]"}', { 'sealed-pending': '{"v":1,"f":[["/__proto__/polluted","phi",0]],"x":[true]}' });
    const [sealed] = await codec.encode([pending]);
    const [opened] = await codec.decode([sealed as Payload]);
    expect(codeOf(() => converter.fromPayload(opened as Payload))).toBe('SEALED_FORBIDDEN_KEY');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  test('untyped JSON with a __proto__ key stays plain data, as JSON.parse gives it', () => {
    const value = converter.fromPayload<Record<string, unknown>>(jsonPayload('{"__proto__":{"polluted":true}}'));
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  test('an own __proto__ key in a sealed class survives encoding as data', async () => {
    const intake = makeIntake();
    Object.defineProperty(intake, '__proto__', { value: { x: 1 }, enumerable: true, configurable: true, writable: true });
    const payload = converter.toPayload(intake);
    expect(Buffer.from(payload.data ?? []).toString()).toContain('"__proto__":{"x":1}');
  });
});

describe('deep and non-JSON values', () => {
  test('10,000-deep nesting fails with SEALED_TOO_DEEP on the full walk, and no crash', () => {
    const ruled = createSealedPayloadConverter({ keyRules: /^ssn$/ });
    expect(codeOf(() => ruled.toPayload(deeplyNested(10_000)))).toBe('SEALED_TOO_DEEP');
  });

  test('10,000-deep nesting around a Secret fails with SEALED_TOO_DEEP', () => {
    let value: unknown = secret('CANARY-DEEP');
    for (let i = 0; i < 10_000; i++) value = { child: value };
    expect(codeOf(() => converter.toPayload(value))).toBe('SEALED_TOO_DEEP');
  });

  test('a 10,000-deep clear payload without sensitive parts encodes like the default converter or fails typed', () => {
    const code = codeOf(() => converter.toPayload(deeplyNested(10_000)));
    expect([undefined, 'SEALED_TOO_DEEP']).toContain(code);
  });

  test('BigInt, functions and cycles give typed errors', () => {
    const cyclic: Record<string, unknown> = { ssn: secret('x') };
    cyclic['self'] = cyclic;
    expect(codeOf(() => converter.toPayload({ n: 10n }))).toBe('SEALED_UNSUPPORTED_VALUE');
    expect(codeOf(() => converter.toPayload(() => 1))).toBe('SEALED_UNSUPPORTED_VALUE');
    expect(codeOf(() => converter.toPayload(secret(() => 1)))).toBe('SEALED_UNSUPPORTED_VALUE');
    expect(codeOf(() => converter.toPayload(cyclic))).toBe('SEALED_UNSUPPORTED_VALUE');
    const plainCycle: Record<string, unknown> = {};
    plainCycle['self'] = plainCycle;
    expect(codeOf(() => converter.toPayload(plainCycle))).toBe('SEALED_UNSUPPORTED_VALUE');
  });

  test('a BigInt inside a sensitive field is refused before anything is written', () => {
    @SealedType('test.WithBigInt')
    class WithBigInt {
      @Sensitive() amount!: unknown;
    }
    expect(codeOf(() => converter.toPayload(Object.assign(new WithBigInt(), { amount: 5n })))).toBe('SEALED_UNSUPPORTED_VALUE');
  });

  test('malformed data and field lists give SEALED_MALFORMED', async () => {
    expect(codeOf(() => converter.fromPayload(jsonPayload('{not json')))).toBe('SEALED_MALFORMED');
    const codec = await SealingCodec.create({ keyring });
    for (const list of ['nope', '{"v":2,"f":[],"x":[]}', '{"v":1,"f":[["/a","phi",0]],"x":[]}', '{"v":1,"f":[[1,2,3]],"x":[1]}']) {
      await expect(codec.encode([jsonPayload('{"a":1}', { 'sealed-pending': list })])).rejects.toMatchObject({ code: 'SEALED_MALFORMED' });
    }
  });

  test('an opened path that does not match the data is refused', async () => {
    const codec = await SealingCodec.create({ keyring });
    const [sealed] = await codec.encode([jsonPayload('{"a":"[sealed:phi]"}', { 'sealed-pending': '{"v":1,"f":[["/missing/deeper","phi",0]],"x":[1]}' })]);
    const [opened] = await codec.decode([sealed as Payload]);
    expect(codeOf(() => converter.fromPayload(opened as Payload))).toBe('SEALED_MALFORMED');
  });
});

describe('oversized values', () => {
  test('a payload over maxPayloadBytes fails with SEALED_TOO_LARGE before anything is sent', () => {
    const small = createSealedPayloadConverter({ maxPayloadBytes: 1024 });
    expect(codeOf(() => small.toPayload({ blob: 'x'.repeat(2000) }))).toBe('SEALED_TOO_LARGE');
    expect(codeOf(() => small.toPayload({ ssn: secret('y'.repeat(2000)) }))).toBe('SEALED_TOO_LARGE');
    expect(codeOf(() => small.toPayload({ blob: 'x'.repeat(500) }))).toBeUndefined();
  });

  test('the default limit is Temporal\'s 4 MiB message size', () => {
    expect(codeOf(() => converter.toPayload({ blob: 'x'.repeat(4 * 1024 * 1024) }))).toBe('SEALED_TOO_LARGE');
  });
});
