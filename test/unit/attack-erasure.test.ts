// Attacks on per-data-subject keys (docs/ERASURE.md): someone who can write histories or the key
// store moves, relabels or forges subject boxes. Every one is refused with a typed error; none
// opens a value under another subject's key, and none brings an erased value back.
import type { Payload } from '@temporalio/common';
import sodium from 'libsodium-wrappers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSealedPayloadConverter, Erased, secret } from '../../src';
import { Keyring, SealingCodec, SubjectKeys, subjectHashOf } from '../../src/codec';
import { boxAad } from '../../src/codec/aad';
import { envelopeHeaderWithLayout, joinEnvelope, readEnvelope, writeEnvelope, type Box } from '../../src/codec/envelope';
import { keyCheck, sha256 } from '../../src/codec/hash';
import { MemorySubjectKeyStore } from '../../src/keystore/memory-store';
import { codeOfAsync } from '../support/errors';
import { jsonPayload, WORKFLOW_CONTEXT } from '../support/payloads';

const converter = createSealedPayloadConverter();
const store = new MemorySubjectKeyStore();
const keys = new SubjectKeys({
  keys: new Keyring({ active: 'k1', keys: { k1: new Uint8Array(32).fill(1) } }),
  store,
  subjectIndexKey: new Uint8Array(32).fill(2),
});
let codec: SealingCodec;

beforeAll(async () => {
  await sodium.ready;
  codec = await SealingCodec.create({ keys });
});

async function sealed(value: unknown): Promise<Payload> {
  return (await codec.encode([converter.toPayload(value)], WORKFLOW_CONTEXT))[0] as Payload;
}

function decodeCode(payload: Payload): Promise<string | undefined> {
  return codeOfAsync(async () => converter.fromPayload((await codec.decode([payload], WORKFLOW_CONTEXT))[0] as Payload));
}

/** The payload with its top-level boxes edited (ciphertexts kept). */
function edited(payload: Payload, edit: (box: Box) => void): Payload {
  const envelope = readEnvelope(payload.metadata?.['sealed-fields'] as Uint8Array);
  for (const box of envelope.boxes) edit(box);
  return { ...payload, metadata: { ...payload.metadata, 'sealed-fields': writeEnvelope(envelope) } };
}

const subjectRef = (subject: string): Uint8Array => Uint8Array.of(0x02, ...Buffer.from(keys.subjectHash(subject), 'base64url'));
const value = (subject: string, purpose = 'phi') => ({ v: secret(`CANARY-${subject}`, { purpose, subject }) });

describe('a subject box moved or relabelled does not open', () => {
  it('relabelled to another subject (hash only): SEALED_KEY_UNKNOWN', async () => {
    const a = await sealed(value('A'));
    await sealed(value('B'));
    expect(await decodeCode(edited(a, (box) => (box.wrappedKey = subjectRef('B'))))).toBe('SEALED_KEY_UNKNOWN');
  });

  it('relabelled to another subject with that subject key id: the key check refuses it', async () => {
    const a = await sealed(value('A'));
    const b = await sealed(value('B'));
    const bKeyId = readEnvelope(b.metadata?.['sealed-fields'] as Uint8Array).boxes[0]?.keyId as string;
    const forged = edited(a, (box) => {
      box.wrappedKey = subjectRef('B');
      box.keyId = bKeyId;
    });
    expect(await decodeCode(forged)).toBe('SEALED_KEY_MISMATCH');
  });

  it('relabelled to another subject, key id and key check: authentication fails', async () => {
    const a = await sealed(value('A'));
    const b = await sealed(value('B'));
    const bBox = readEnvelope(b.metadata?.['sealed-fields'] as Uint8Array).boxes[0] as Box;
    const forged = edited(a, (box) => {
      box.wrappedKey = subjectRef('B');
      box.keyId = bBox.keyId;
      box.keyCheck = bBox.keyCheck as Uint8Array;
    });
    expect(await decodeCode(forged)).toBe('SEALED_TAMPERED');
  });

  it("a box of subject A copied into another payload stays A's: it opens as A's value and is erased with A", async () => {
    const a = await sealed(value('A'));
    const b = await sealed(value('B'));
    const moved = { ...b, metadata: { ...b.metadata, 'sealed-fields': a.metadata?.['sealed-fields'] as Uint8Array } };
    // same clear data ("[sealed:phi]"), so only the box's own binding can tell: it names A, and opens as A's value
    const back = converter.fromPayload<{ v: { reveal(): string; subject?: string } }>(
      (await codec.decode([moved], WORKFLOW_CONTEXT))[0] as Payload,
    );
    expect(back.v.subject).toBe('A'); // a move is a copy of A's value, still A's: erasing A erases it
    await keys.forget('A', { actor: 'test' });
    const after = converter.fromPayload<{ v: unknown }>((await codec.decode([moved], WORKFLOW_CONTEXT))[0] as Payload);
    expect(Erased.isErased(after.v)).toBe(true);
  });

  it('moved to another purpose: refused', async () => {
    const x = await sealed(value('X', 'pii'));
    await sealed(value('X', 'phi'));
    expect(await decodeCode(edited(x, (box) => (box.purpose = 'phi')))).toMatch(/^SEALED_(KEY_UNKNOWN|KEY_MISMATCH|TAMPERED)$/);
  });

  it('an unknown tag in the wrapped-key field, or a subject reference of the wrong length, is refused', async () => {
    const y = await sealed(value('Y'));
    expect(
      await decodeCode(edited(y, (box) => (box.wrappedKey = Uint8Array.of(0x03, ...(box.wrappedKey as Uint8Array).subarray(1))))),
    ).toBe('SEALED_KEY_UNKNOWN');
    expect(await decodeCode(edited(y, (box) => (box.wrappedKey = (box.wrappedKey as Uint8Array).subarray(0, 20))))).toBe(
      'SEALED_MALFORMED',
    );
  });

  it('the subject reference stripped (shared key id put back): refused', async () => {
    const z = await sealed(value('Z'));
    const stripped = edited(z, (box) => {
      box.wrappedKey = new Uint8Array();
      box.keyId = 'k1';
    });
    expect(await decodeCode(stripped)).toBe('SEALED_KEY_MISMATCH');
  });
});

describe('forged subject boxes', () => {
  /** A payload whose one box is sealed, with the right subject key, over `json` (what a writer holding the key could write). */
  async function handSealed(subject: string, json: string): Promise<Payload> {
    const sealing = await keys.sealingKey({ purpose: 'phi', namespace: 'default', subject });
    const data = Buffer.from('{"v":"[sealed:phi]"}');
    const plaintext = Buffer.from(json);
    const draft = {
      alg: 1,
      keyId: sealing.keyId,
      purpose: 'phi',
      keyCheck: keyCheck(sealing.key),
      wrappedKey: sealing.wrapped,
      nonce: new Uint8Array(24).fill(5),
      fields: [{ path: '/v', secret: true }],
      ciphertextLength: plaintext.length + 16,
    };
    const { header, boxEnds } = envelopeHeaderWithLayout({ version: 2, namespace: 'default', boxes: [draft] });
    const ct = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
      plaintext,
      boxAad({ version: 2 }, header, 0, '', sha256(data)),
      null,
      draft.nonce,
      sealing.key,
    );
    return { metadata: { encoding: Buffer.from('json/plain'), 'sealed-fields': joinEnvelope(header, boxEnds, [ct]) }, data };
  }

  it('a subject box without its subject id after the values is malformed', async () => {
    expect(await decodeCode(await handSealed('F', '["v"]'))).toBe('SEALED_MALFORMED');
    expect(await decodeCode(await handSealed('F', '["v",""]'))).toBe('SEALED_MALFORMED');
    expect(await decodeCode(await handSealed('F', '["v",7]'))).toBe('SEALED_MALFORMED');
    expect(await decodeCode(await handSealed('F', '["v","F"]'))).toBeUndefined();
  });

  it('the subject hash is in the header in the clear, the subject id only inside the box', async () => {
    const payload = await handSealed('G', '["v","G"]');
    const [box] = readEnvelope(payload.metadata?.['sealed-fields'] as Uint8Array).boxes;
    expect(subjectHashOf(box as Box)).toBe(keys.subjectHash('G'));
  });
});

describe('hostile field lists and tombstones', () => {
  it('an inline field list with a malformed subject list is SEALED_MALFORMED', async () => {
    for (const s of ['[""]', '[1]', '["a","b"]', '"a"']) {
      const pending = jsonPayload('{"a":"[sealed:phi]"}', { 'sealed-pending': `{"v":1,"f":[["/a","phi",0]],"x":["v"],"s":${s}}` });
      expect(await codeOfAsync(() => codec.encode([pending], WORKFLOW_CONTEXT))).toBe('SEALED_MALFORMED');
    }
  });

  it('tombstone text written by someone else decodes as a tombstone, holding nothing', async () => {
    const back = converter.fromPayload<{ a: unknown; b: unknown }>(jsonPayload('{"a":"[erased:phi]","b":"[erased:NOT-A-PURPOSE]"}'));
    expect(Erased.isErased(back.a)).toBe(true);
    expect(back.b).toBe('[erased:NOT-A-PURPOSE]');
  });
});
