import type { Payload } from '@temporalio/common';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { createSealedPayloadConverter, SealedType, secret, Sensitive } from '../../../src';
import { Keyring, SealingCodec } from '../../../src/codec';
import { IntakeSchema, makeIntake, PatientIntake } from '../../fixtures/dto';
import { codeOf, codeOfAsync } from '../../support/errors';
import { jsonPayload, WORKFLOW_CONTEXT } from '../../support/payloads';

// Malformed input fails with a typed SealedError, never a TypeError or RangeError.
const converter = createSealedPayloadConverter({ types: [PatientIntake] });
const keyring = new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } });
let codec: SealingCodec;
beforeAll(async () => {
  codec = await SealingCodec.create({ keyring });
});

function deeplyNested(depth: number): unknown {
  let value: unknown = { leaf: true };
  for (let i = 0; i < depth; i++) value = { child: value };
  return value;
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
    const ruled = createSealedPayloadConverter({ keyRules: [{ pattern: /^ssn$/ }] });
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

  test('validateOnDecode on deeply nested clear data fails with SEALED_TOO_DEEP, not a RangeError', () => {
    const validating = createSealedPayloadConverter({ schemas: { IntakeSchema }, validateOnDecode: true });
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const text = `{"patientId":"p","visits":[],"insurer":null,"extra":${deep}}`;
    expect(codeOf(() => validating.fromPayload(jsonPayload(text, { 'sealed-type': 'IntakeSchema' })))).toBe('SEALED_TOO_DEEP');
  });

  test('an opened path that runs into a Secret placed by an earlier path fails typed (a /encode caller can write such lists)', async () => {
    const untyped = createSealedPayloadConverter();
    const pending = jsonPayload('{"a":"[sealed:phi]","b":"[sealed:phi]"}', {
      'sealed-pending': '{"v":1,"f":[["/a","phi",1],["/a/purpose","phi",0]],"x":["s","overwritten"]}',
    });
    const [sealed] = await codec.encode([pending], WORKFLOW_CONTEXT);
    const [opened] = await codec.decode([sealed as Payload], WORKFLOW_CONTEXT);
    expect(codeOf(() => untyped.fromPayload(opened as Payload))).toBe('SEALED_MALFORMED');
  });

  test('an opened path that does not match the data is refused', async () => {
    const codec = await SealingCodec.create({ keyring });
    const [sealed] = await codec.encode([
      jsonPayload('{"a":"[sealed:phi]"}', { 'sealed-pending': '{"v":1,"f":[["/missing/deeper","phi",0]],"x":[1]}' }),
    ]);
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

  test("the default limit is Temporal's 4 MiB message size", () => {
    expect(codeOf(() => converter.toPayload({ blob: 'x'.repeat(4 * 1024 * 1024) }))).toBe('SEALED_TOO_LARGE');
  });
});

describe('random input', () => {
  // Success, a SealedError code, or Temporal's own ValueError for a payload no converter reads; anything else is a bug.
  const TYPED = /^(ok|SEALED_[A-Z_]+|not a coded error: ValueError: [\s\S]*)$/;

  test('random metadata and data never give an untyped exception from fromPayload, decode or encode', async () => {
    const typed = createSealedPayloadConverter({ types: [PatientIntake], schemas: { IntakeSchema }, validateOnDecode: true });
    const [sealed] = (await codec.encode([typed.toPayload(makeIntake())], WORKFLOW_CONTEXT)) as [Payload];
    const key = fc.constantFrom('encoding', 'sealed-type', 'sealed-pending', 'sealed-fields', 'sealed-opened', 'other');
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 48 }),
      fc.json().map((s) => Buffer.from(s)),
      fc.constantFrom(...['json/plain', 'binary/plain', 'binary/null', 'test.PatientIntake', 'IntakeSchema'].map((s) => Buffer.from(s))),
      fc
        .tuple(fc.string(), fc.string(), fc.jsonValue({ maxDepth: 2 }))
        .map(([p, q, v]) => Buffer.from(JSON.stringify({ v: 1, f: [[p, q, 1]], x: [v] }))),
      fc.constant(sealed.metadata!['sealed-fields'] as Uint8Array),
    );
    const payload = fc.record({ metadata: fc.dictionary(key, bytes), data: fc.option(bytes, { nil: undefined }) });
    const untyped: string[] = [];
    const keep = (code: string | undefined): void => void (TYPED.test(code ?? 'ok') || untyped.push(code as string));
    await fc.assert(
      fc.asyncProperty(payload, async (p) => {
        keep(codeOf(() => typed.fromPayload(p as Payload)));
        keep(await codeOfAsync(async () => typed.fromPayload((await codec.decode([p as Payload], WORKFLOW_CONTEXT))[0] as Payload)));
        keep(await codeOfAsync(async () => codec.decode(await codec.encode([p as Payload], WORKFLOW_CONTEXT), WORKFLOW_CONTEXT)));
      }),
      { numRuns: 3000 },
    );
    expect(untyped).toEqual([]);
  });
});

/** Sends `value` and reads it back; a refusal on read (a payload stored that no reader opens) is reported apart. */
async function writeThenRead(converter: ReturnType<typeof createSealedPayloadConverter>, value: unknown): Promise<void> {
  const [sealed] = await codec.encode([converter.toPayload(value)], WORKFLOW_CONTEXT);
  const [opened] = await codec.decode([sealed as Payload], WORKFLOW_CONTEXT);
  const onRead = codeOf(() => converter.fromPayload(opened as Payload));
  if (onRead !== undefined) throw new Error(`stored, then refused on read: ${onRead}`);
}

describe('what the writer sends, every reader accepts', () => {
  test('a sealed value under a __proto__, constructor or prototype key is refused when sent, not stored as a payload no reader opens', async () => {
    const ruled = createSealedPayloadConverter({ keyRules: [{ pattern: /^ssn$/ }] });
    const values = [
      { prototype: secret('CANARY-FK-1') },
      { constructor: { ssn: 'CANARY-FK-2' } },
      JSON.parse('{"__proto__":{"ssn":"CANARY-FK-3"}}') as unknown,
    ];
    for (const value of values) expect(await codeOfAsync(() => writeThenRead(ruled, value))).toBe('SEALED_FORBIDDEN_KEY');
  });

  test('a sealed value under a key holding a lone UTF-16 surrogate is refused when sent (UTF-8 paths cannot carry it, so no reader could open it)', async () => {
    const ruled = createSealedPayloadConverter({ keyRules: [{ pattern: /^ssn$/ }] });
    const values = [{ notes: { ['caf\ud83d']: secret('CANARY-SUR-1') } }, { ['\udc00x']: { ssn: 'CANARY-SUR-2' } }];
    for (const value of values) expect(await codeOfAsync(() => writeThenRead(ruled, value))).toBe('SEALED_UNSUPPORTED_VALUE');
    // Well-formed pairs (emoji) still round-trip.
    const [sealed] = await codec.encode([ruled.toPayload({ notes: { ['caf\ud83d\ude00']: secret('CANARY-SUR-3') } })], WORKFLOW_CONTEXT);
    const [opened] = await codec.decode([sealed as Payload], WORKFLOW_CONTEXT);
    const back = ruled.fromPayload<{ notes: Record<string, { reveal(): unknown }> }>(opened as Payload);
    expect(back.notes['caf\ud83d\ude00']?.reveal()).toBe('CANARY-SUR-3');
  });
});
