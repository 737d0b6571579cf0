import type { Payload } from '@temporalio/common';
import { beforeAll, describe, expect, test } from 'vitest';
import { createSealedPayloadConverter, secret } from '../../../src';
import { Keyring, SealingCodec } from '../../../src/codec';
import { readEnvelope, writeEnvelope } from '../../../src/codec/envelope';
import { makeIntake, PatientIntake } from '../../fixtures/dto';
import { codeOf, codeOfAsync } from '../../support/errors';
import { WORKFLOW_CONTEXT } from '../../support/payloads';

const converter = createSealedPayloadConverter({ types: [PatientIntake] });
const k1 = Keyring.generateKey();
const keyring = new Keyring({ active: 'k1', keys: { k1 } });
let codec: SealingCodec;
let sealed: Payload;

beforeAll(async () => {
  codec = await SealingCodec.create({ keyring });
  [sealed] = (await codec.encode([converter.toPayload(makeIntake())], WORKFLOW_CONTEXT)) as [Payload];
});

function withMeta(payload: Payload, key: string, value: Uint8Array | undefined): Payload {
  const metadata = { ...payload.metadata };
  if (value === undefined) delete metadata[key];
  else metadata[key] = value;
  return { ...payload, metadata };
}

function envelopeOf(payload: Payload): Uint8Array {
  return payload.metadata?.['sealed-fields'] as Uint8Array;
}

function withEncoding(payload: Payload, encoding: string): Payload {
  return withMeta(payload, 'encoding', Buffer.from(encoding));
}

/** The code of the failure decoding `payload` (codec, then converter), or undefined when it opens. */
function decodeCode(payload: Payload, using = codec): Promise<string | undefined> {
  return codeOfAsync(async () => converter.fromPayload((await using.decode([payload], WORKFLOW_CONTEXT))[0] as Payload));
}

describe('tampering fails decoding with a code', () => {
  test('the untouched payload opens', async () => {
    expect(await decodeCode(sealed)).toBeUndefined();
  });

  test('every flipped byte of the envelope fails', async () => {
    const envelope = envelopeOf(sealed);
    const codes = new Set<string | undefined>();
    for (let i = 0; i < envelope.length; i++) {
      const bad = envelope.slice();
      bad[i] = (bad[i] as number) ^ 0x01;
      codes.add(await decodeCode(withMeta(sealed, 'sealed-fields', bad)));
    }
    expect(codes.has(undefined)).toBe(false);
    expect(
      [...codes].every((c) =>
        [
          'SEALED_TAMPERED',
          'SEALED_MALFORMED',
          'SEALED_VERSION_UNSUPPORTED',
          'SEALED_ALG_UNSUPPORTED',
          'SEALED_KEY_UNKNOWN',
          'SEALED_KEY_MISMATCH',
          'SEALED_WRONG_NAMESPACE',
        ].includes(c as string),
      ),
    ).toBe(true);
  });

  test('a flipped byte of the clear part fails', async () => {
    const data = Buffer.from(sealed.data as Uint8Array);
    const at = data.indexOf('patient-1042');
    data[at] = 'q'.charCodeAt(0);
    expect(await decodeCode({ ...sealed, data: new Uint8Array(data) })).toBe('SEALED_TAMPERED');
  });

  test('a changed type name fails', async () => {
    expect(await decodeCode(withMeta(sealed, 'sealed-type', Buffer.from('test.Visit')))).toBe('SEALED_TAMPERED');
  });

  test('sealed values swapped between fields fail', async () => {
    const envelope = readEnvelope(envelopeOf(sealed));
    const phi = envelope.boxes.find((b) => b.purpose === 'phi');
    const [a, b] = [phi!.fields[0]!, phi!.fields[1]!];
    [a.path, b.path] = [b.path, a.path];
    expect(await decodeCode(withMeta(sealed, 'sealed-fields', writeEnvelope(envelope)))).toBe('SEALED_TAMPERED');
  });

  test('a sealed envelope moved to another payload fails', async () => {
    const [other] = (await codec.encode([converter.toPayload(makeIntake({ name: 'Other Name' }))], WORKFLOW_CONTEXT)) as [Payload];
    expect(await decodeCode(withMeta(other, 'sealed-fields', envelopeOf(sealed)))).toBe('SEALED_TAMPERED');
  });

  test('boxes reordered or dropped fail', async () => {
    const envelope = readEnvelope(envelopeOf(sealed));
    expect(envelope.boxes.length).toBeGreaterThan(1);
    const reordered = { ...envelope, boxes: [...envelope.boxes].reverse() };
    const dropped = { ...envelope, boxes: envelope.boxes.slice(1) };
    expect(await decodeCode(withMeta(sealed, 'sealed-fields', writeEnvelope(reordered)))).toBe('SEALED_TAMPERED');
    expect(await decodeCode(withMeta(sealed, 'sealed-fields', writeEnvelope(dropped)))).toBe('SEALED_TAMPERED');
  });

  test('a wrong key under the same id is a key mismatch (a configuration error), not a tamper alarm', async () => {
    const impostor = await SealingCodec.create({ keyring: new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } }) });
    expect(await decodeCode(sealed, impostor)).toBe('SEALED_KEY_MISMATCH');
  });

  test('a box whose key check is changed is refused before any decryption with the reader key', async () => {
    const envelope = readEnvelope(envelopeOf(sealed));
    const forged = { ...envelope, boxes: envelope.boxes.map((box) => ({ ...box, keyCheck: new Uint8Array(16) })) };
    expect(await decodeCode(withMeta(sealed, 'sealed-fields', writeEnvelope(forged)))).toBe('SEALED_KEY_MISMATCH');
  });

  test('an unknown key id fails and names the id', async () => {
    const other = await SealingCodec.create({ keyring: new Keyring({ active: 'k9', keys: { k9: k1 } }) });
    await expect(other.decode([sealed])).rejects.toMatchObject({ code: 'SEALED_KEY_UNKNOWN', detail: { keyId: 'k1' } });
  });

  test('an unknown format version fails', async () => {
    const bad = envelopeOf(sealed).slice();
    bad[2] = 9;
    expect(await decodeCode(withMeta(sealed, 'sealed-fields', bad))).toBe('SEALED_VERSION_UNSUPPORTED');
  });

  test('a truncated or padded envelope is malformed', async () => {
    const envelope = envelopeOf(sealed);
    expect(await decodeCode(withMeta(sealed, 'sealed-fields', envelope.slice(0, 40)))).toBe('SEALED_MALFORMED');
    expect(await decodeCode(withMeta(sealed, 'sealed-fields', Buffer.concat([envelope, Buffer.from([0])])))).toBe('SEALED_MALFORMED');
  });

  test('a payload sealed for another namespace fails', async () => {
    await expect(codec.decode([sealed], { ...WORKFLOW_CONTEXT, namespace: 'other' })).rejects.toMatchObject({
      code: 'SEALED_WRONG_NAMESPACE',
    });
    const nexus = await SealingCodec.create({ keyring, acceptNamespaces: ['default'] });
    await expect(nexus.decode([sealed], { ...WORKFLOW_CONTEXT, namespace: 'other' })).resolves.toHaveLength(1);
  });

  test('a namespace changed inside the envelope fails', async () => {
    const envelope = readEnvelope(envelopeOf(sealed));
    // A reader in the namespace refuses an unbound envelope outright; one without a namespace still finds the AAD broken.
    expect(await decodeCode(withMeta(sealed, 'sealed-fields', writeEnvelope({ ...envelope, namespace: '' })))).toBe(
      'SEALED_WRONG_NAMESPACE',
    );
    await expect(codec.decode([withMeta(sealed, 'sealed-fields', writeEnvelope({ ...envelope, namespace: '' }))])).rejects.toMatchObject({
      code: 'SEALED_TAMPERED',
    });
  });

  test('an opened list smuggled in from the wire is refused', async () => {
    const smuggled = withMeta(converter.toPayload({ a: 1 }), 'sealed-opened', Buffer.from('{"v":1,"f":[["/a","phi",0]],"x":[2]}'));
    await expect(codec.decode([smuggled])).rejects.toMatchObject({ code: 'SEALED_MALFORMED' });
  });

  test('payloads we did not write pass through unchanged', async () => {
    const foreign: Payload = { metadata: { encoding: Buffer.from('binary/encrypted') }, data: Buffer.from([1, 2, 3]) };
    const plain = converter.toPayload({ a: 1 });
    expect(await codec.encode([foreign, plain])).toEqual([foreign, plain]);
    expect(await codec.decode([foreign, plain])).toEqual([foreign, plain]);
  });
});

// The encoding metadata entry is not authenticated: an attacker can change it freely.
describe('a sealed payload relabelled with another encoding', () => {
  test('fails as tampered when relabelled binary/null or binary/plain, instead of decoding to another value', async () => {
    for (const encoding of ['binary/null', 'binary/plain']) {
      expect({ encoding, code: await decodeCode(withEncoding(sealed, encoding)) }).toEqual({ encoding, code: 'SEALED_TAMPERED' });
    }
  });

  test('is refused on the codec server path (open) too', () => {
    expect(codeOf(() => codec.revealNow(withEncoding(sealed, 'binary/plain'), { namespace: 'default' }))).toBe('SEALED_TAMPERED');
  });

  test('is refused by a converter without the codec, sealed or pending, whatever the encoding says', () => {
    expect(codeOf(() => converter.fromPayload(withEncoding(sealed, 'binary/null')))).toBe('SEALED_NOT_OPENED');
    const pending = withEncoding(converter.toPayload(makeIntake()), 'binary/plain');
    expect(codeOf(() => converter.fromPayload(pending))).toBe('SEALED_NOT_SEALED');
  });
});

describe('key rotation', () => {
  test('payloads sealed under an old key open after the active key changes', async () => {
    const k2 = Keyring.generateKey();
    const before = await SealingCodec.create({ keyring: new Keyring({ active: 'k1', keys: { k1 } }) });
    const after = await SealingCodec.create({ keyring: new Keyring({ active: 'k2', keys: { k1, k2 } }) });
    const [old] = (await before.encode([converter.toPayload(secret('CANARY-OLD'))])) as [Payload];
    const [fresh] = (await after.encode([converter.toPayload(secret('CANARY-NEW'))])) as [Payload];
    expect(readEnvelope(envelopeOf(old)).boxes[0]?.keyId).toBe('k1');
    expect(readEnvelope(envelopeOf(fresh)).boxes[0]?.keyId).toBe('k2');
    const [a, b] = await after.decode([old, fresh]);
    expect((converter.fromPayload(a as Payload) as { reveal(): unknown }).reveal()).toBe('CANARY-OLD');
    expect((converter.fromPayload(b as Payload) as { reveal(): unknown }).reveal()).toBe('CANARY-NEW');
  });

  test('purposes can be sealed under their own keys', async () => {
    const kPhi = Keyring.generateKey();
    const split = await SealingCodec.create({
      keyring: new Keyring({ active: 'k1', keys: { k1, 'phi-1': kPhi }, purposes: { phi: 'phi-1' } }),
    });
    const [p] = (await split.encode([converter.toPayload(makeIntake())])) as [Payload];
    const ids = Object.fromEntries(readEnvelope(envelopeOf(p)).boxes.map((b) => [b.purpose, b.keyId]));
    expect(ids).toEqual({ phi: 'phi-1', credential: 'k1' });
  });
});
