// Security review: zod fields tagged sensitive() must stay sealed through zod's own chaining and composition.
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { createSealedPayloadConverter, sealedTypeInfo, sensitive, type ZodLike } from '../../src';

type Converter = ReturnType<typeof createSealedPayloadConverter>;

/** 'sealed', 'LEAKED' (the canary is in the clear data) or the SealedError code. */
function sendAs(schema: ZodLike, value: unknown, canary: string): string {
  let converter: Converter;
  try {
    converter = createSealedPayloadConverter({ schemas: { S: schema } });
    const hint = sealedTypeInfo('S').payloadConverterHint;
    const payload = converter.toPayload(value, undefined, hint);
    return Buffer.from(payload.data ?? []).toString().includes(canary) ? 'LEAKED' : 'sealed';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

describe('review: sensitive() through zod chaining', () => {
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
    test(`review-zod-chain: sensitive(...).${name} is still sealed`, () => {
      expect(sendAs(schema, { ssn: '123-45-6789' }, '123-45-6789')).toBe('sealed');
    });
  }

  test('review-zod-chain: the schema sensitive() was given stays untagged, and so do schemas derived from it', () => {
    const base = z.string();
    sensitive(base, phi);
    expect(sendAs(z.object({ id: base.min(1) }), { id: 'CLEAR-ID-1' }, 'CLEAR-ID-1')).toBe('LEAKED'); // i.e. stays clear, as intended
  });

  test('review-zod-catchall: sensitive() as an object catchall is refused instead of sending the extra keys in clear', () => {
    const schema = z.object({ id: z.string() }).catchall(sensitive(z.string(), phi));
    expect(sendAs(schema, { id: 'x', ssn: '123-45-6789' }, '123-45-6789')).toBe('SEALED_INVALID_OPTION');
  });
});
