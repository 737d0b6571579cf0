import type { Payload } from '@temporalio/common';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { createSealedPayloadConverter, SealedType, Secret, Sensitive } from '../../src';
import { Keyring, SealingCodec } from '../../src/codec';
import { findLeaks, payloadBytes, WORKFLOW_CONTEXT } from '../support/payloads';

const converter = createSealedPayloadConverter();
let codec: SealingCodec;
beforeAll(async () => {
  codec = await SealingCodec.create({ keyring: new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } }) });
});

// Sensitive leaves are unique canaries so a leak is unambiguous.
let canaryCounter = 0;
const canary = fc.constant(null).map(() => `CANARY${(canaryCounter++).toString(36).padStart(6, '0')}Z`);
const fieldName = fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,8}$/).filter((k) => !['constructor', 'toJSON'].includes(k));
const clearJson = fc.jsonValue({ maxDepth: 3 }).filter((v) => !JSON.stringify(v).includes('CANARY'));
const purpose = fc.constantFrom('phi', 'credential', 'sensitive');

interface FieldSpec {
  key: string;
  sensitive: boolean;
  purpose: string;
  value: unknown;
}

const fieldSpecs = fc.uniqueArray(fc.record({ key: fieldName, sensitive: fc.boolean(), purpose, value: fc.oneof(clearJson, canary) }), {
  selector: (f) => f.key,
  minLength: 1,
  maxLength: 8,
});

let classCounter = 0;
/** Builds and registers a DTO class for a random field list, as the legacy decorators would. */
function makeDto(specs: FieldSpec[]): object {
  class Dto {}
  for (const spec of specs) if (spec.sensitive) Sensitive({ purpose: spec.purpose })(Dto.prototype, spec.key);
  SealedType(`prop.Dto${classCounter++}`)(Dto);
  const instance = new Dto() as Record<string, unknown>;
  for (const spec of specs) instance[spec.key] = spec.value;
  return instance;
}

function sensitiveCanaries(specs: FieldSpec[]): string[] {
  return specs.filter((s) => s.sensitive).flatMap((s) => JSON.stringify(s.value).match(/CANARY[0-9a-z]{6}Z/g) ?? []);
}

function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value) ?? 'null');
}

async function roundTrip(value: unknown): Promise<{ sealed: Payload; back: unknown }> {
  const [sealed] = (await codec.encode([converter.toPayload(value)], WORKFLOW_CONTEXT)) as [Payload];
  const [opened] = (await codec.decode([sealed], WORKFLOW_CONTEXT)) as [Payload];
  return { sealed, back: converter.fromPayload(opened, WORKFLOW_CONTEXT) };
}

describe('properties over random DTO shapes', () => {
  test('sensitive fields never appear in the sealed payload and round trips are exact', async () => {
    await fc.assert(
      fc.asyncProperty(fieldSpecs, async (specs) => {
        const dto = makeDto(specs);
        const { sealed, back } = await roundTrip(dto);
        expect(findLeaks(payloadBytes(sealed), sensitiveCanaries(specs))).toEqual([]);
        expect(back).toBeInstanceOf(dto.constructor);
        expect(JSON.parse(JSON.stringify(back))).toEqual(JSON.parse(JSON.stringify(dto)));
      }),
      { numRuns: 150 },
    );
  });

  test('Secrets anywhere in random JSON are sealed and come back as Secrets', async () => {
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        clearJson,
        canary.map((c) => new Secret(c, 'phi')),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fieldName, tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    await fc.assert(
      fc.asyncProperty(tree, async (value) => {
        const secrets: string[] = [];
        const reveal = (v: unknown): unknown => {
          if (Secret.isSecret(v)) {
            secrets.push(v.reveal() as string);
            return { secret: v.reveal() };
          }
          if (Array.isArray(v)) return v.map(reveal);
          return v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)])) : v;
        };
        const expected = reveal(value);
        const { sealed, back } = await roundTrip(value);
        expect(findLeaks(payloadBytes(sealed), secrets)).toEqual([]);
        // Compare as JSON: JSON itself turns -0 into 0.
        expect(asJson(reveal(back))).toEqual(asJson(expected));
      }),
      { numRuns: 150 },
    );
  });

  test('any single flipped bit in the sealed metadata or data fails with a code', async () => {
    await fc.assert(
      fc.asyncProperty(
        fieldSpecs.filter((s) => s.some((f) => f.sensitive)),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        fc.boolean(),
        async (specs, at, bit, inData) => {
          const [sealed] = (await codec.encode([converter.toPayload(makeDto(specs))], WORKFLOW_CONTEXT)) as [Payload];
          const target = inData ? (sealed.data as Uint8Array) : (sealed.metadata?.['sealed-fields'] as Uint8Array);
          const flipped = target.slice();
          const index = at % flipped.length;
          flipped[index] = (flipped[index] as number) ^ (1 << bit);
          const tampered: Payload = inData
            ? { ...sealed, data: flipped }
            : { ...sealed, metadata: { ...sealed.metadata, 'sealed-fields': flipped } };
          const code = await codec.decode([tampered], WORKFLOW_CONTEXT).then(
            ([p]) => {
              converter.fromPayload(p as Payload);
              return 'OPENED';
            },
            (err: { code?: string }) => err.code,
          );
          expect(code).toMatch(/^SEALED_/);
        },
      ),
      { numRuns: 200 },
    );
  });
});
