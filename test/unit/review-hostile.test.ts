// Security review: malformed input must fail with a typed SealedError, never a TypeError or RangeError.
import type { Payload } from '@temporalio/common';
import { ValueError } from '@temporalio/common';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { createSealedPayloadConverter, SealedError, secret } from '../../src';
import { Keyring, SealingCodec } from '../../src/codec';
import { IntakeSchema, makeIntake, PatientIntake } from '../fixtures/dto';
import { WORKFLOW_CONTEXT } from '../support/payloads';

const keyring = new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } });
let codec: SealingCodec;
beforeAll(async () => {
  codec = await SealingCodec.create({ keyring });
});

function jsonPayload(text: string, metadata: Record<string, string> = {}): Payload {
  const meta: Record<string, Uint8Array> = { encoding: Buffer.from('json/plain') };
  for (const [k, v] of Object.entries(metadata)) meta[k] = Buffer.from(v);
  return { metadata: meta, data: Buffer.from(text) };
}

/** 'ok', a SealedError code, 'ValueError', or the name of any other error (a bug). */
function outcome(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (err) {
    if (SealedError.is(err)) return err.code;
    if (err instanceof ValueError) return 'ValueError';
    return `${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`;
  }
}

async function outcomeAsync(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (err) {
    if (SealedError.is(err)) return err.code;
    if (err instanceof ValueError) return 'ValueError';
    return `${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`;
  }
}

describe('review: typed errors on hostile input', () => {
  test('review-validate-deep: validateOnDecode on deeply nested clear data fails with SEALED_TOO_DEEP, not a RangeError', () => {
    const converter = createSealedPayloadConverter({ schemas: { IntakeSchema }, validateOnDecode: true });
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const text = `{"patientId":"p","visits":[],"insurer":null,"extra":${deep}}`;
    expect(outcome(() => converter.fromPayload(jsonPayload(text, { 'sealed-type': 'IntakeSchema' })))).toBe('SEALED_TOO_DEEP');
  });

  test('review-path-into-secret: an opened path that runs into a Secret placed by an earlier path fails typed (a /encode caller can write such lists)', async () => {
    const converter = createSealedPayloadConverter();
    const pending = jsonPayload('{"a":"[sealed:phi]","b":"[sealed:phi]"}', {
      'sealed-pending': '{"v":1,"f":[["/a","phi",1],["/a/purpose","phi",0]],"x":["s","overwritten"]}',
    });
    const [sealed] = await codec.encode([pending], WORKFLOW_CONTEXT);
    const [opened] = await codec.decode([sealed as Payload], WORKFLOW_CONTEXT);
    expect(outcome(() => converter.fromPayload(opened as Payload))).toBe('SEALED_MALFORMED');
  });

  test('review-fuzz: random metadata and data never give an untyped exception from fromPayload, decode or encode', async () => {
    const converter = createSealedPayloadConverter({ types: [PatientIntake], schemas: { IntakeSchema }, validateOnDecode: true });
    const [sealed] = (await codec.encode([converter.toPayload(makeIntake())], WORKFLOW_CONTEXT)) as [Payload];
    const key = fc.constantFrom('encoding', 'sealed-type', 'sealed-pending', 'sealed-fields', 'sealed-opened', 'other');
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 48 }),
      fc.json().map((s) => Buffer.from(s)),
      fc.constantFrom(...['json/plain', 'binary/plain', 'binary/null', 'test.PatientIntake', 'IntakeSchema'].map((s) => Buffer.from(s))),
      fc.tuple(fc.string(), fc.string(), fc.jsonValue({ maxDepth: 2 })).map(([p, q, v]) => Buffer.from(JSON.stringify({ v: 1, f: [[p, q, 1]], x: [v] }))),
      fc.constant(sealed.metadata!['sealed-fields'] as Uint8Array),
    );
    const payload = fc.record({ metadata: fc.dictionary(key, bytes), data: fc.option(bytes, { nil: undefined }) });
    const untyped: string[] = [];
    const keep = (o: string): void => void (/^(ok|SEALED_[A-Z_]+|ValueError)$/.test(o) || untyped.push(o));
    await fc.assert(
      fc.asyncProperty(payload, async (p) => {
        keep(outcome(() => converter.fromPayload(p as Payload)));
        keep(await outcomeAsync(async () => converter.fromPayload((await codec.decode([p as Payload], WORKFLOW_CONTEXT))[0] as Payload)));
        keep(await outcomeAsync(async () => codec.decode(await codec.encode([p as Payload], WORKFLOW_CONTEXT), WORKFLOW_CONTEXT)));
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
  try {
    converter.fromPayload(opened as Payload);
  } catch (err) {
    throw new Error(`stored, then refused on read: ${(err as { code?: string }).code}`);
  }
}

describe('review: what the writer sends, every reader must accept', () => {
  test('review-forbidden-path-on-encode: a sealed value under a __proto__, constructor or prototype key is refused when sent, not stored as a payload no reader opens', async () => {
    const converter = createSealedPayloadConverter({ keyRules: /^ssn$/ });
    const values = [{ prototype: secret('CANARY-FK-1') }, { constructor: { ssn: 'CANARY-FK-2' } }, JSON.parse('{"__proto__":{"ssn":"CANARY-FK-3"}}') as unknown];
    for (const value of values) {
      const result = await outcomeAsync(() => writeThenRead(converter, value));
      expect(result).toBe('SEALED_FORBIDDEN_KEY');
    }
  });

  test('review-lone-surrogate-path: a sealed value under a key holding a lone UTF-16 surrogate is refused when sent (UTF-8 paths cannot carry it, so no reader could open it)', async () => {
    const converter = createSealedPayloadConverter({ keyRules: /^ssn$/ });
    const values = [{ notes: { ['caf\ud83d']: secret('CANARY-SUR-1') } }, { ['\udc00x']: { ssn: 'CANARY-SUR-2' } }];
    for (const value of values) {
      const result = await outcomeAsync(() => writeThenRead(converter, value));
      expect(result).toBe('SEALED_UNSUPPORTED_VALUE');
    }
    // Well-formed pairs (emoji) still round-trip.
    const [sealed] = await codec.encode([converter.toPayload({ notes: { ['caf\ud83d\ude00']: secret('CANARY-SUR-3') } })], WORKFLOW_CONTEXT);
    const [opened] = await codec.decode([sealed as Payload], WORKFLOW_CONTEXT);
    const back = converter.fromPayload<{ notes: Record<string, { reveal(): unknown }> }>(opened as Payload);
    expect(back.notes['caf\ud83d\ude00']?.reveal()).toBe('CANARY-SUR-3');
  });
});
