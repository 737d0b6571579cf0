import type { Payload } from '@temporalio/common';
import sodium from 'libsodium-wrappers';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { Keyring, SealingCodec } from '../../src/codec';

interface Vector {
  name: string;
  namespace: string;
  nonces: string[];
  input: { metadata: Record<string, string>; data: string };
  sealed: { metadata: Record<string, string>; data: string };
  fields: Record<string, unknown>;
}
const doc = JSON.parse(readFileSync(join(__dirname, '..', 'vectors', 'v1.json'), 'utf8')) as {
  keys: Record<string, string>;
  purposeKeys: Record<string, string>;
  active: string;
  vectors: Vector[];
};

const fromB64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const toPayload = (p: { metadata: Record<string, string>; data: string }): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, fromB64(v)])),
  data: fromB64(p.data),
});
const keyring = new Keyring({ active: doc.active, keys: Object.fromEntries(Object.entries(doc.keys).map(([id, hex]) => [id, Buffer.from(hex, 'hex')])), purposes: doc.purposeKeys });

beforeAll(async () => {
  await sodium.ready;
});

describe.each(doc.vectors)('test vector: $name', (vector) => {
  test('sealing with the recorded nonces gives the recorded bytes', async () => {
    const queue = vector.nonces.map((hex) => new Uint8Array(Buffer.from(hex, 'hex')));
    const codec = await SealingCodec.create({ keyring, nonceSourceForTestVectors: { next: () => queue.shift() as Uint8Array }, formatVersionForTestVectors: 1 });
    const [sealed] = await codec.encode([toPayload(vector.input)], { type: 'workflow', namespace: vector.namespace, workflowId: 'any' });
    expect(sealed).toEqual(toPayload(vector.sealed));
  });

  test('an implementation written from docs/FORMAT.md alone opens the recorded bytes', () => {
    const payload = toPayload(vector.sealed);
    expect(openPerFormatDoc(payload)).toEqual(vector.fields);
  });

  test('the library opens the recorded bytes', async () => {
    const codec = await SealingCodec.create({ keyring });
    const { opened } = codec.open(toPayload(vector.sealed), { namespace: vector.namespace });
    expect(Object.fromEntries(opened.paths.map((p, i) => [p, opened.values[i]]))).toEqual(vector.fields);
  });
});

/** A second, independent reading of the format, following docs/FORMAT.md step by step. */
function openPerFormatDoc(payload: Payload): Record<string, unknown> {
  const env = Buffer.from(payload.metadata?.['sealed-fields'] as Uint8Array);
  const typeName = Buffer.from(payload.metadata?.['sealed-type'] ?? new Uint8Array());
  let at = 0;
  const take = (n: number): Buffer => env.subarray(at, (at += n));
  expect(take(2).toString('latin1')).toBe('SF');
  expect(take(1)[0]).toBe(1);
  const nsLength = take(2).readUInt16BE(0);
  take(nsLength);
  const boxCount = take(1)[0] as number;
  const boxes: Array<{ headerEnd: number; nonce: Buffer; keyId: string; paths: string[]; ct: Buffer }> = [];
  for (let b = 0; b < boxCount; b++) {
    take(1); // alg
    const keyId = take(take(1)[0] as number).toString('utf8');
    take(take(1)[0] as number); // purpose
    const nonce = take(24);
    const fieldCount = take(2).readUInt16BE(0);
    const paths: string[] = [];
    for (let f = 0; f < fieldCount; f++) {
      paths.push(take(take(2).readUInt16BE(0)).toString('utf8'));
      take(1); // flags
    }
    const ctLength = take(4).readUInt32BE(0);
    const headerEnd = at;
    boxes.push({ headerEnd, nonce, keyId, paths, ct: take(ctLength) });
  }
  // Header = the envelope with every ciphertext cut out.
  const pieces: Buffer[] = [];
  let from = 0;
  for (const box of boxes) {
    pieces.push(env.subarray(from, box.headerEnd));
    from = box.headerEnd + box.ct.length;
  }
  const header = Buffer.concat(pieces);
  const digest = createHash('sha256').update(payload.data as Uint8Array).digest();
  const domain = Buffer.from('temporal-sealed-fields/v1');
  const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
  const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
  const fields: Record<string, unknown> = {};
  boxes.forEach((box, index) => {
    const aad = Buffer.concat([Buffer.from([domain.length]), domain, Buffer.from([index]), u32(header.length), header, u16(typeName.length), typeName, digest]);
    const key = Buffer.from(doc.keys[box.keyId] as string, 'hex');
    const plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, box.ct, aad, box.nonce, key);
    const values = JSON.parse(Buffer.from(plain).toString('utf8')) as unknown[];
    box.paths.forEach((path, i) => (fields[path] = values[i]));
  });
  return fields;
}
