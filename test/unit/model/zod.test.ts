// zod fields tagged sensitive() stay sealed through zod's own chaining and composition.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { createSealedPayloadConverter, sealedTypeInfo, sensitive, type ZodLike } from '../../../src';
import { codeOf } from '../../support/errors';
import { withCodecInProcess } from '../../support/pending';

withCodecInProcess();

/** 'sealed', 'LEAKED' (the canary is in the clear data) or the code of the refusal. */
function sendAs(schema: ZodLike, value: unknown, canary: string): string {
  let data = '';
  const code = codeOf(() => {
    const converter = createSealedPayloadConverter({ schemas: { S: schema } });
    const hint = sealedTypeInfo('S').payloadConverterHint;
    data = Buffer.from(converter.toPayload(value, undefined, hint).data ?? []).toString();
  });
  return code ?? (data.includes(canary) ? 'LEAKED' : 'sealed');
}

describe('sensitive() through zod chaining', () => {
  const phi = { purpose: 'phi' };
  const chained: Record<string, ZodLike> = {
    describe: z.object({ ssn: sensitive(z.string(), phi).describe('Social security number') }),
    meta: z.object({ ssn: sensitive(z.string(), phi).meta({ title: 'SSN' }) }),
    min: z.object({ ssn: sensitive(z.string(), phi).min(9) }),
    regex: z.object({ ssn: sensitive(z.string(), phi).regex(/^\d{3}-\d{2}-\d{4}$/) }),
    trim: z.object({ ssn: sensitive(z.string(), phi).trim() }),
    refine: z.object({ ssn: sensitive(z.string(), phi).refine((v) => v.length > 0) }),
    'pipe into sensitive': z.object({ ssn: z.string().pipe(sensitive(z.string(), phi)) }),
    'preprocess into sensitive': z.object({ ssn: z.preprocess((v) => v, sensitive(z.string(), phi)) }),
  };
  for (const [name, schema] of Object.entries(chained)) {
    test(`sensitive(...).${name} is still sealed`, () => {
      expect(sendAs(schema, { ssn: '123-45-6789' }, '123-45-6789')).toBe('sealed');
    });
  }

  test('the schema sensitive() was given stays untagged, and so do schemas derived from it', () => {
    const base = z.string();
    sensitive(base, phi);
    expect(sendAs(z.object({ id: base.min(1) }), { id: 'CLEAR-ID-1' }, 'CLEAR-ID-1')).toBe('LEAKED'); // i.e. stays clear, as intended
  });

  test('sensitive() as an object catchall is refused instead of sending the extra keys in clear', () => {
    const schema = z.object({ id: z.string() }).catchall(sensitive(z.string(), phi));
    expect(sendAs(schema, { id: 'x', ssn: '123-45-6789' }, '123-45-6789')).toBe('SEALED_INVALID_OPTION');
  });
});

describe('sensitive() under random zod chains', () => {
  test('any chain of refinements, metadata and wrappers after sensitive() keeps the field sealed', () => {
    type Step = (s: z.ZodString) => z.ZodString;
    const refinements: Record<string, Step> = {
      describe: (s) => s.describe('d'),
      meta: (s) => s.meta({ m: 1 }),
      min: (s) => s.min(0),
      max: (s) => s.max(1000),
      trim: (s) => s.trim(),
      lower: (s) => s.toLowerCase(),
      refine: (s) => s.refine(() => true),
      regex: (s) => s.regex(/.*/),
    };
    const wrappers: Record<string, (s: z.ZodType) => z.ZodType> = {
      optional: (s) => s.optional(),
      nullable: (s) => s.nullable(),
      default: (s) => s.default('x' as never),
      readonly: (s) => s.readonly(),
      catch: (s) => s.catch('x' as never),
      array: (s) => z.array(s),
    };
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...Object.keys(refinements))),
        fc.array(fc.constantFrom(...Object.keys(wrappers)), { maxLength: 2 }),
        (steps, wraps) => {
          let field: z.ZodString = sensitive(z.string(), { purpose: 'phi' });
          for (const step of steps) field = (refinements[step] as Step)(field);
          let wrapped: z.ZodType = field;
          for (const wrap of wraps) wrapped = (wrappers[wrap] as (s: z.ZodType) => z.ZodType)(wrapped);
          let value: unknown = 'CANARY-ZOD-PROP';
          for (const wrap of wraps) if (wrap === 'array') value = [value];
          expect({ steps, wraps, outcome: sendAs(z.object({ ssn: wrapped }), { ssn: value }, 'CANARY-ZOD-PROP') }).toEqual({
            steps,
            wraps,
            outcome: 'sealed',
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
