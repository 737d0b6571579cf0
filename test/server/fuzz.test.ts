// Bounded fuzzing of the codec endpoints: random bodies and single-byte mutations of real sealed payloads.
import type { Payload } from '@temporalio/common';
import fc from 'fast-check';
import type { Hono } from 'hono';
import { beforeAll, describe, expect, test } from 'vitest';
import { SealingCodec } from '../../src/codec';
import { createCodecApp } from '../../src/server/app';
import { STATIC_TOKENS, TOKENS, expectNoPlaintext, memoryAudit, sealedIntake, toWire, keyring } from './fixtures';

const RUNS = { numRuns: 150, interruptAfterTimeLimit: 8_000 } as const;
const REFUSAL_CODES = new Set([
  'SEALED_TAMPERED',
  'SEALED_MALFORMED',
  'SEALED_KEY_UNKNOWN',
  'SEALED_KEY_MISMATCH',
  'SEALED_VERSION_UNSUPPORTED',
  'SEALED_ALG_UNSUPPORTED',
  'SEALED_WRONG_NAMESPACE',
  'SEALED_FORBIDDEN_KEY',
]);

let app: Hono;
let sealed: Payload;

beforeAll(async () => {
  app = createCodecApp({
    codec: await SealingCodec.create({ keyring }),
    auth: { staticTokens: STATIC_TOKENS },
    audit: memoryAudit().sink,
    limits: { maxBodyBytes: 256 * 1024, maxPayloads: 50 },
  });
  sealed = await sealedIntake();
});

async function decode(body: string, token?: string): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-namespace': 'default' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await app.request('/decode', { method: 'POST', body, headers });
  return { status: response.status, text: await response.text() };
}

function flipByte(bytes: Uint8Array, index: number, mask: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[index % copy.length]! ^= mask;
  return copy;
}

function mutatedEnvelope(index: number, mask: number): Payload {
  return { ...sealed, metadata: { ...sealed.metadata, 'sealed-fields': flipByte(sealed.metadata!['sealed-fields']!, index, mask) } };
}

function mutatedData(index: number, mask: number): Payload {
  return { ...sealed, data: flipByte(sealed.data!, index, mask) };
}

const byteFlip = fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }));

describe('fuzzing /decode', () => {
  test('random bodies get 200 or a fixed 4xx body, never a 5xx', async () => {
    const body = fc.oneof(fc.string(), fc.json(), fc.constantFrom('{"payloads":[{"data":"', '{"payloads":null}', 'null'));
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const { status, text: answer } = await decode(text, TOKENS.clinician);
        expect(status === 200 || (status >= 400 && status < 500)).toBe(true);
        if (status !== 200) expect(Object.keys(JSON.parse(answer))).toEqual(['error']);
      }),
      RUNS,
    );
  });

  test.each([
    ['a sealed envelope', mutatedEnvelope],
    ['the clear data', mutatedData],
  ])('any single flipped byte in %s is refused with 422 and a stable code', async (_where, mutate) => {
    await fc.assert(
      fc.asyncProperty(byteFlip, async ([index, mask]) => {
        const { status, text } = await decode(toWire([mutate(index, mask)]), TOKENS.clinician);
        expect(status).toBe(422);
        expect(REFUSAL_CODES.has(JSON.parse(text).code)).toBe(true);
        expectNoPlaintext(text);
      }),
      RUNS,
    );
  });

  test('a caller without credentials never sees plaintext, whatever the mutation', async () => {
    const mutation = fc.oneof(
      byteFlip.map(([i, m]) => mutatedEnvelope(i, m)),
      byteFlip.map(([i, m]) => mutatedData(i, m)),
      fc.constant(sealed),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 5 }), async (payloads) => {
        const { status, text } = await decode(toWire(payloads));
        expect([200, 422]).toContain(status);
        expectNoPlaintext(text);
      }),
      RUNS,
    );
  });

  test('the server still answers after the fuzzing', async () => {
    expect((await decode(toWire([sealed]), TOKENS.clinician)).status).toBe(200);
    expect((await app.request('/health')).status).toBe(200);
  });
});
