// Security review: integrity of sealed payloads against metadata an attacker can change freely.
import type { Payload } from '@temporalio/common';
import { beforeAll, describe, expect, test } from 'vitest';
import { createSealedPayloadConverter } from '../../src';
import { Keyring, SealingCodec } from '../../src/codec';
import { makeIntake, PatientIntake } from '../fixtures/dto';
import { WORKFLOW_CONTEXT } from '../support/payloads';

const converter = createSealedPayloadConverter({ types: [PatientIntake] });
const keyring = new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } });
let codec: SealingCodec;
let sealed: Payload;

beforeAll(async () => {
  codec = await SealingCodec.create({ keyring });
  [sealed] = (await codec.encode([converter.toPayload(makeIntake())], WORKFLOW_CONTEXT)) as [Payload];
});

function withEncoding(payload: Payload, encoding: string): Payload {
  return { ...payload, metadata: { ...payload.metadata, encoding: Buffer.from(encoding) } };
}

async function decodeOutcome(payload: Payload): Promise<{ code?: string; value?: unknown }> {
  try {
    const [opened] = await codec.decode([payload], WORKFLOW_CONTEXT);
    return { value: converter.fromPayload(opened as Payload) };
  } catch (err) {
    return { code: (err as { code?: string }).code ?? String(err) };
  }
}

describe('review: the unauthenticated encoding entry of a sealed payload', () => {
  test('review-encoding: a sealed payload relabelled binary/null or binary/plain fails as tampered instead of decoding to another value', async () => {
    for (const encoding of ['binary/null', 'binary/plain']) {
      const outcome = await decodeOutcome(withEncoding(sealed, encoding));
      expect({ encoding, ...outcome }).toEqual({ encoding, code: 'SEALED_TAMPERED' });
    }
  });

  test('review-encoding: the codec server path (open) refuses a relabelled sealed payload too', () => {
    let code: string | undefined;
    try {
      codec.open(withEncoding(sealed, 'binary/plain'), { namespace: 'default' });
    } catch (err) {
      code = (err as { code?: string }).code;
    }
    expect(code).toBe('SEALED_TAMPERED');
  });

  test('review-encoding: a converter without the codec refuses sealed or pending payloads whatever their encoding says', () => {
    const codeOf = (p: Payload): string | undefined => {
      try {
        converter.fromPayload(p);
        return undefined;
      } catch (err) {
        return (err as { code?: string }).code;
      }
    };
    expect(codeOf(withEncoding(sealed, 'binary/null'))).toBe('SEALED_NOT_OPENED');
    const pending = withEncoding(converter.toPayload(makeIntake()), 'binary/plain');
    expect(codeOf(pending)).toBe('SEALED_NOT_SEALED');
  });
});
