import { describe, expect, test } from 'vitest';
import { createSealedPayloadConverter, type Secret, secret } from '../../../src';
import { Keyring, type KeySource, readingAlso, SealingCodec } from '../../../src/codec';
import { readEnvelope } from '../../../src/codec/envelope';
import { sealedError } from '../../../src/errors';
import { META } from '../../../src/lib/metadata';
import { codeOf, codeOfAsync } from '../../support/errors';
import { WORKFLOW_CONTEXT } from '../../support/payloads';

const oldRing = new Keyring({ active: 'k-old', keys: { 'k-old': Keyring.generateKey() } });
const newRing = new Keyring({ active: 'k-new', keys: { 'k-new': Keyring.generateKey() }, purposes: { phi: 'k-new' } });
const converter = createSealedPayloadConverter();
const box = (keyId: string) => ({ keyId, wrapped: new Uint8Array(), purpose: 'phi', namespace: 'default' });

/** A source that answers every opening with one failure, counting the calls. */
function failing(code: 'SEALED_KEY_UNKNOWN' | 'SEALED_KMS_UNAVAILABLE'): KeySource & { calls: number } {
  const source = {
    calls: 0,
    sealingKey: async () => {
      throw sealedError(code, 'no');
    },
    openingKey: async () => {
      source.calls++;
      throw sealedError(code, 'no');
    },
  };
  return source;
}

describe('readingAlso', () => {
  test('seals with the primary source only and opens what the others sealed: an old payload opens, a new one names the new key', async () => {
    const [old] = await (await SealingCodec.create({ keyring: oldRing })).encode(
      [converter.toPayload({ ssn: secret('SSN-OLD', { purpose: 'phi' }) })],
      WORKFLOW_CONTEXT,
    );
    const codec = await SealingCodec.create({ keys: readingAlso(newRing, oldRing) });
    const [fresh] = await codec.encode([converter.toPayload({ ssn: secret('SSN-NEW', { purpose: 'phi' }) })], WORKFLOW_CONTEXT);
    expect(readEnvelope(fresh?.metadata?.[META.sealed] as Uint8Array).boxes.map((b) => b.keyId)).toEqual(['k-new']);
    const opened = await codec.decode([old!, fresh!], WORKFLOW_CONTEXT);
    const ssns = opened.map((p) => (converter.fromPayload(p) as { ssn: Secret<string> }).ssn.reveal());
    expect(ssns).toEqual(['SSN-OLD', 'SSN-NEW']);
  });

  test('a box goes to the next source only when a source does not know its key; any other failure is the answer', async () => {
    const unknown = failing('SEALED_KEY_UNKNOWN');
    expect((await readingAlso(unknown, oldRing).openingKey(box('k-old'))).length).toBe(32);
    expect(readingAlso(newRing, oldRing).openingKeyNow?.(box('k-old'))?.length).toBe(32);
    const down = failing('SEALED_KMS_UNAVAILABLE');
    const after = failing('SEALED_KEY_UNKNOWN');
    expect(await codeOfAsync(() => readingAlso(newRing, down, after).openingKey(box('k-old')))).toBe('SEALED_KMS_UNAVAILABLE');
    expect(after.calls).toBe(0);
    expect(await codeOfAsync(() => readingAlso(newRing, oldRing).openingKey(box('k-none')))).toBe('SEALED_KEY_UNKNOWN');
    expect(codeOf(() => readingAlso(newRing, oldRing).openingKeyNow?.(box('k-none')))).toBe('SEALED_KEY_UNKNOWN');
  });

  test('names the purposes of the primary source (what it seals with), and refuses what is not a key source', () => {
    expect(readingAlso(newRing, oldRing).configuredPurposes?.()).toEqual(['phi']);
    expect(readingAlso(oldRing, newRing).configuredPurposes?.()).toEqual([]);
    expect(codeOf(() => readingAlso(newRing, {} as KeySource))).toBe('SEALED_INVALID_OPTION');
  });
});
