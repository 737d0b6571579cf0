import type { Payload } from '@temporalio/common';
import sodium from 'libsodium-wrappers';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { createSealedPayloadConverter, Secret } from '../../src';
import { Keyring, SealingCodec } from '../../src/codec';
import { createSealingCodecForTestVectors } from '../../src/codec/sealing-codec';
import { readEnvelope } from '../../src/codec/envelope';
import { codeOfAsync } from '../support/errors';
import { pendingText } from '../support/pending';
import { V2_INPUTS, V2_TYPES } from '../vectors/v2-inputs';
import { GivenDataKey, type GivenDataKeyFile } from '../vectors/given-data-key';
import { GivenSubjectKey, type GivenSubjectKeyFile } from '../vectors/given-subject-key';
import type { KeySource } from '../../src/codec/key-source';

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
const keyring = new Keyring({
  active: doc.active,
  keys: Object.fromEntries(Object.entries(doc.keys).map(([id, hex]) => [id, Buffer.from(hex, 'hex')])),
  purposes: doc.purposeKeys,
});

beforeAll(async () => {
  await sodium.ready;
});

describe.each(doc.vectors)('v1 test vector: $name', (vector) => {
  test('sealing with the recorded nonces gives the recorded bytes', async () => {
    const queue = vector.nonces.map((hex) => new Uint8Array(Buffer.from(hex, 'hex')));
    const codec = await createSealingCodecForTestVectors(
      { keyring },
      { nonces: { next: () => queue.shift() as Uint8Array }, formatVersion: 1 },
    );
    const [sealed] = await codec.encode([toPayload(vector.input)], { type: 'workflow', namespace: vector.namespace, workflowId: 'any' });
    expect(sealed).toEqual(toPayload(vector.sealed));
  });

  test('an implementation written from docs/FORMAT.md alone opens the recorded bytes', () => {
    const payload = toPayload(vector.sealed);
    expect(openPerFormatDoc(payload)).toEqual(vector.fields);
  });

  test('the library opens the recorded bytes', async () => {
    const codec = await SealingCodec.create({ keyring });
    const { opened } = await codec.reveal(toPayload(vector.sealed), { namespace: vector.namespace });
    expect(Object.fromEntries(opened.paths.map((p, i) => [p, opened.values[i]]))).toEqual(vector.fields);
  });
});

/** A second, independent reading of the format, following docs/FORMAT.md step by step. */
function openPerFormatDoc(payload: Payload): Record<string, unknown> {
  const env = Buffer.from(payload.metadata?.['sealed-fields'] as Uint8Array);
  const typeName = Buffer.from(payload.metadata?.['sealed-type'] ?? new Uint8Array());
  let at = 0;
  const take = (n: number): Buffer => {
    at += n;
    return env.subarray(at - n, at);
  };
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
  const digest = createHash('sha256')
    .update(payload.data as Uint8Array)
    .digest();
  const domain = Buffer.from('temporal-sealed-fields/v1');
  const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const fields: Record<string, unknown> = {};
  boxes.forEach((box, index) => {
    const aad = Buffer.concat([
      Buffer.from([domain.length]),
      domain,
      Buffer.from([index]),
      u32(header.length),
      header,
      u16(typeName.length),
      typeName,
      digest,
    ]);
    const key = Buffer.from(doc.keys[box.keyId] as string, 'hex');
    const plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, box.ct, aad, box.nonce, key);
    const values = JSON.parse(Buffer.from(plain).toString('utf8')) as unknown[];
    box.paths.forEach((path, i) => {
      fields[path] = values[i];
    });
  });
  return fields;
}

// ---------------------------------------------------------------------------------------------
// Format v2 (test/vectors/v2.json, written by scripts/make-vectors-v2.ts)

interface OpenedField {
  path: string;
  purpose: string;
  secret: boolean;
  depth: number;
  value: unknown;
  subject?: string;
}
interface WirePayload {
  metadata: Record<string, string>;
  data: string;
}
interface V2Vector {
  name: string;
  namespace: string;
  nonces: string[];
  input: WirePayload;
  sealed: WirePayload;
  fields: OpenedField[];
  decoded: unknown;
  /** 'kmsDataKeys': sealed under a KMS-wrapped data key that the file gives unwrapped; 'subjectKeys': under a data subject's key the file gives. */
  keySource?: 'kmsDataKeys' | 'subjectKeys';
}
interface V2Negative {
  name: string;
  namespace: string;
  payload: WirePayload;
  code: string;
  refusedBy: 'codec' | 'converter';
  why: string;
}
const v2 = JSON.parse(readFileSync(join(__dirname, '..', 'vectors', 'v2.json'), 'utf8')) as {
  format: string;
  keys: Record<string, string>;
  purposeKeys: Record<string, string>;
  active: string;
  sensitivePositions: Record<string, string[]>;
  vectors: V2Vector[];
  negative: V2Negative[];
  kmsDataKeys?: GivenDataKeyFile[];
  subjectKeys?: GivenSubjectKeyFile[];
};
const v2Keyring = new Keyring({
  active: v2.active,
  keys: Object.fromEntries(Object.entries(v2.keys).map(([id, hex]) => [id, Buffer.from(hex, 'hex')])),
  purposes: v2.purposeKeys,
});
const converter = createSealedPayloadConverter({ types: V2_TYPES });
const givenDataKey = new GivenDataKey((v2.kmsDataKeys ?? [])[0] as GivenDataKeyFile);
const givenSubjectKey = new GivenSubjectKey((v2.subjectKeys ?? [])[0] as GivenSubjectKeyFile);
/** The keys a positive vector was sealed with: the keyring, the KMS-wrapped data key or the subject key the file gives. */
const keysOf = (vector: V2Vector): KeySource =>
  vector.keySource === 'kmsDataKeys' ? givenDataKey : vector.keySource === 'subjectKeys' ? givenSubjectKey : v2Keyring;
const contextFor = (namespace: string) => (namespace === '' ? undefined : { type: 'workflow' as const, namespace, workflowId: 'any' });

/** A decoded value as the vectors write it: a Secret is `{"$secret": purpose, "subject"?: id, "value": ...}`, class instances their own fields. */
function repr(value: unknown): unknown {
  if (Secret.isSecret(value))
    return { $secret: value.purpose, ...(value.subject !== undefined && { subject: value.subject }), value: repr(value.reveal()) };
  if (Array.isArray(value)) return value.map(repr);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, repr(v)]));
  return value;
}

describe('v2 vectors file', () => {
  test('covers the cases FORMAT.md promises', () => {
    expect(v2.format).toBe('temporal-sealed-fields envelope v2');
    expect(v2.vectors.map((v) => v.name)).toEqual(V2_INPUTS.map((input) => input.name));
    expect(v2.negative.length).toBeGreaterThanOrEqual(12);
    for (const vector of v2.vectors) expect(fromB64(vector.sealed.metadata['sealed-fields'] as string)[2]).toBe(2);
  });

  test('the KMS vector carries its wrapped data key in the box header, and a keyring alone cannot open it', async () => {
    const vector = v2.vectors.find((v) => v.keySource === 'kmsDataKeys') as V2Vector;
    const given = (v2.kmsDataKeys ?? [])[0] as GivenDataKeyFile;
    const [box] = readEnvelope(fromB64(vector.sealed.metadata['sealed-fields'] as string)).boxes;
    expect(box?.keyId).toBe(given.keyId);
    expect(Buffer.from(box?.wrappedKey ?? []).toString('hex')).toBe(given.wrappedKey);
    for (const other of v2.vectors.filter((v) => v.keySource === undefined)) {
      for (const b of readEnvelope(fromB64(other.sealed.metadata['sealed-fields'] as string)).boxes) expect(b.wrappedKey?.length).toBe(0);
    }
    const codec = await SealingCodec.create({ keyring: v2Keyring });
    expect(await codeOfAsync(() => codec.decode([toPayload(vector.sealed)], contextFor(vector.namespace)))).toBe('SEALED_KEY_UNKNOWN');
  });
});

describe('v2 data-subject vector', () => {
  const vector = v2.vectors.find((v) => v.keySource === 'subjectKeys') as V2Vector;
  const given = (v2.subjectKeys ?? [])[0] as GivenSubjectKeyFile;

  test('its boxes carry 0x02 and the subject hash FORMAT.md defines, never the subject id', () => {
    const hash = createHmac('sha256', Buffer.from(given.subjectIndexKey, 'hex')).update(docSubjectHashInput(given.subject)).digest();
    expect(hash.toString('base64url')).toBe(given.subjectHash);
    const sealed = toPayload(vector.sealed);
    for (const box of readEnvelope(fromB64(vector.sealed.metadata['sealed-fields'] as string)).boxes) {
      expect(box.keyId).toBe(given.keyId);
      expect(Buffer.from(box.wrappedKey ?? []).equals(Buffer.concat([Buffer.of(0x02), hash]))).toBe(true);
    }
    const bytes = Buffer.concat([Buffer.from(sealed.data ?? []), ...Object.values(sealed.metadata ?? {}).map((v) => Buffer.from(v ?? []))]);
    expect(bytes.includes(given.subject)).toBe(false);
  });

  test('a keyring alone cannot open it', async () => {
    const codec = await SealingCodec.create({ keyring: v2Keyring });
    expect(await codeOfAsync(() => codec.decode([toPayload(vector.sealed)], contextFor(vector.namespace)))).toBe('SEALED_KEY_UNKNOWN');
  });
});

describe.each(v2.vectors)('v2 test vector: $name', (vector) => {
  beforeAll(async () => {
    await SealingCodec.create({ keyring: v2Keyring }); // the converter marks values only in a process with a codec
  });

  test('the converter marks the value as recorded', () => {
    const input = V2_INPUTS.find((i) => i.name === vector.name);
    const written = converter.toPayload(input?.value());
    expect(Buffer.from(written.data as Uint8Array).toString('base64')).toBe(vector.input.data);
    expect(pendingText(written)).toBe(Buffer.from(vector.input.metadata['sealed-pending'] as string, 'base64').toString('utf8'));
    const { 'sealed-pending': _pending, ...rest } = vector.input.metadata;
    const { 'sealed-pending': _written, ...writtenRest } = written.metadata ?? {};
    expect(Object.fromEntries(Object.entries(writtenRest).map(([k, v]) => [k, Buffer.from(v as Uint8Array).toString('base64')]))).toEqual(
      rest,
    );
  });

  test('sealing with the recorded nonces gives the recorded bytes', async () => {
    const queue = vector.nonces.map((hex) => new Uint8Array(Buffer.from(hex, 'hex')));
    const codec = await createSealingCodecForTestVectors({ keys: keysOf(vector) }, { nonces: { next: () => queue.shift() as Uint8Array } });
    const [sealed] = await codec.encode([toPayload(vector.input)], contextFor(vector.namespace));
    expect(sealed).toEqual(toPayload(vector.sealed));
    expect(queue).toEqual([]);
  });

  test('the library opens the recorded bytes (codec, then converter, as a worker does)', async () => {
    const codec = await SealingCodec.create({ keys: keysOf(vector) });
    const { opened } = await codec.reveal(toPayload(vector.sealed), { namespace: vector.namespace });
    expect(
      opened.paths.map((path, i) => ({
        path,
        purpose: opened.purposes[i],
        secret: opened.secrets[i],
        nested: opened.nested?.[i] === true,
        value: opened.values[i],
        subject: opened.subjects?.[i],
      })),
    ).toEqual(
      vector.fields.map((f) => ({
        path: f.path,
        purpose: f.purpose,
        secret: f.secret,
        nested: f.depth > 0,
        value: f.value,
        subject: f.subject,
      })),
    );
    const [decoded] = (await codec.decode([toPayload(vector.sealed)], contextFor(vector.namespace))) as [Payload];
    expect(repr(converter.fromPayload(decoded, contextFor(vector.namespace)))).toEqual(vector.decoded);
  });

  test('an implementation written from docs/FORMAT.md alone opens the recorded bytes', () => {
    expect(readPerFormatDocV2(toPayload(vector.sealed), vector.namespace)).toEqual({ fields: vector.fields, decoded: vector.decoded });
  });
});

describe.each(v2.negative)('v2 negative vector: $name', (negative) => {
  test(`the library refuses it (${negative.code})`, async () => {
    const codec = await SealingCodec.create({ keyring: v2Keyring });
    const context = contextFor(negative.namespace);
    const payload = toPayload(negative.payload);
    if (negative.refusedBy === 'codec') {
      expect(await codeOfAsync(() => codec.decode([payload], context))).toBe(negative.code);
      return;
    }
    const [decoded] = (await codec.decode([payload], context)) as [Payload];
    expect(await codeOfAsync(async () => converter.fromPayload(decoded, context))).toBe(negative.code);
  });

  test('the reader written from docs/FORMAT.md refuses it with the same code', async () => {
    expect(await codeOfAsync(async () => readPerFormatDocV2(toPayload(negative.payload), negative.namespace))).toBe(negative.code);
  });
});

/**
 * A second, independent reading of format v2, written from docs/FORMAT.md ("Reading", steps
 * 1-11) and nothing else: it shares no code with the library. Returns the fields in step-7
 * order and the decoded value, a Secret written as `{"$secret": purpose, "value": ...}`.
 */
class DocRefusal extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}
class DocSecret {
  constructor(
    readonly purpose: string,
    readonly value: unknown,
    readonly subject?: string,
  ) {}
}

const refuse = (code: string): never => {
  throw new DocRefusal(code);
};
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const PURPOSE = /^[a-z][a-z0-9_-]{0,31}$/;
const PLACEHOLDER = /^\[sealed:[a-z][a-z0-9_-]{0,31}(:[A-Za-z0-9._-]{1,64})?\]$/;
const strictText = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const MAX_INNER_LEVELS = 64;

interface DocBox {
  keyId: string;
  purpose: string;
  keyCheck?: Buffer;
  wrappedKey?: Buffer;
  nonce: Buffer;
  fields: Array<{ path: string; secret: boolean }>;
  ct: Buffer;
}
interface DocEnvelope {
  version: number;
  namespace: Buffer;
  boxes: DocBox[];
  header: Buffer;
}

function readPerFormatDocV2(payload: Payload, readerNamespace: string): { fields: OpenedField[]; decoded: unknown } {
  const meta = payload.metadata ?? {};
  const data = Buffer.from(payload.data ?? new Uint8Array());
  // Steps 1-2.
  if (meta['sealed-pending'] !== undefined) refuse('SEALED_NOT_SEALED');
  if (meta['sealed-opened'] !== undefined) refuse('SEALED_MALFORMED');
  const typeBytes = Buffer.from(meta['sealed-type'] ?? new Uint8Array());
  const typeName = meta['sealed-type'] === undefined ? undefined : typeBytes.toString('utf8');
  // Step 3: not sealed.
  if (meta['sealed-fields'] === undefined) {
    const value = parseJson(data);
    if (anyPlaceholder(value)) refuse('SEALED_TAMPERED');
    typedCheck(value, typeName);
    return { fields: [], decoded: value };
  }
  // Step 4.
  if (Buffer.from(meta.encoding ?? new Uint8Array()).toString('latin1') !== 'json/plain') refuse('SEALED_TAMPERED');
  // Step 5.
  const top = parseEnvelopeDoc(Buffer.from(meta['sealed-fields'] as Uint8Array));
  // Step 6: no acceptNamespaces in this reader.
  if (readerNamespace !== '' && top.namespace.toString('utf8') !== readerNamespace) refuse('SEALED_WRONG_NAMESPACE');
  // Step 7.
  const digest = createHash('sha256').update(data).digest();
  const fields: OpenedField[] = [];
  const openLevel = (envelope: DocEnvelope, containerNonce: Buffer, depth: number): void => {
    envelope.boxes.forEach((box, i) => {
      const keyHex = docKeyHex(box);
      if (keyHex === undefined) refuse('SEALED_KEY_UNKNOWN');
      const check = createHmac('sha256', Buffer.from(keyHex as string, 'hex'))
        .update('temporal-sealed-fields/v2 key check')
        .digest()
        .subarray(0, 16);
      if (!check.equals(box.keyCheck as Buffer)) refuse('SEALED_KEY_MISMATCH');
      const domain = Buffer.from('temporal-sealed-fields/v2');
      const aad = Buffer.concat([
        Buffer.from([domain.length]),
        domain,
        Buffer.from([i]),
        containerNonce,
        u32(envelope.header.length),
        envelope.header,
        u16(typeBytes.length),
        typeBytes,
        digest,
      ]);
      let plain: Buffer = Buffer.alloc(0);
      try {
        plain = Buffer.from(
          sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, box.ct, aad, box.nonce, Buffer.from(keyHex as string, 'hex')),
        );
      } catch {
        refuse('SEALED_TAMPERED');
      }
      const zero = plain.indexOf(0);
      let values: unknown;
      try {
        values = JSON.parse(strictText.decode(zero === -1 ? plain : plain.subarray(0, zero)));
      } catch {
        values = undefined;
      }
      // A data subject's box (wrapped key 0x02): its array ends with the subject id.
      const subjectBox = box.wrappedKey?.[0] === 0x02;
      if (!Array.isArray(values) || values.length !== box.fields.length + (subjectBox ? 1 : 0)) refuse('SEALED_MALFORMED');
      const subject = subjectBox ? (values as unknown[])[box.fields.length] : undefined;
      if (subjectBox && (typeof subject !== 'string' || subject === '')) refuse('SEALED_MALFORMED');
      box.fields.forEach((field, k) => {
        fields.push({
          path: field.path,
          purpose: box.purpose,
          secret: field.secret,
          depth,
          value: (values as unknown[])[k],
          ...(subjectBox && { subject: subject as string }),
        });
      });
      if (zero !== -1) {
        if (depth + 1 > MAX_INNER_LEVELS) refuse('SEALED_TOO_DEEP');
        const inner = parseEnvelopeDoc(plain.subarray(zero + 1));
        if (inner.version !== 2 || !inner.namespace.equals(envelope.namespace)) refuse('SEALED_MALFORMED');
        openLevel(inner, box.nonce, depth + 1);
      }
    });
  };
  openLevel(top, Buffer.alloc(24), 0);
  // Step 8.
  let root = parseJson(data);
  // Step 9: fewer tokens first, stable.
  const order = fields.map((_, i) => i).sort((a, b) => tokenCount(fields[a]!.path) - tokenCount(fields[b]!.path) || a - b);
  for (const i of order) root = writeAt(root, fields[i]!.path, structuredClone(fields[i]!.value)); // fields keep their values as opened
  // Step 10: innermost first.
  for (const i of [...order].reverse()) {
    const field = fields[i]!;
    if (field.secret) root = writeAt(root, field.path, new DocSecret(field.purpose, readAt(root, field.path), field.subject));
  }
  // Step 11: no classes here, the decoded value is compared as JSON.
  return { fields, decoded: asVectorJson(root) };
}

/** Step 7.2: an empty wrapped key names a key of the keyring; a wrapped one is unwrapped by its key source (here: the data key the file gives with that exact wrapped key). */
function docKeyHex(box: DocBox): string | undefined {
  if (box.wrappedKey === undefined || box.wrappedKey.length === 0)
    return Object.hasOwn(v2.keys, box.keyId) ? v2.keys[box.keyId] : undefined;
  if (box.wrappedKey[0] === 0x02) {
    // A data subject's box: the key a store holds for (base64url of the 32-byte hash, purpose), under this key id.
    if (box.wrappedKey.length !== 33) refuse('SEALED_MALFORMED');
    const hash = box.wrappedKey.subarray(1).toString('base64url');
    return v2.subjectKeys?.find((k) => k.subjectHash === hash && k.purpose === box.purpose && k.keyId === box.keyId)?.key;
  }
  const given = v2.kmsDataKeys?.find((k) => k.keyId === box.keyId && Buffer.from(k.wrappedKey, 'hex').equals(box.wrappedKey as Buffer));
  return given?.dataKey;
}

function parseEnvelopeDoc(env: Buffer): DocEnvelope {
  let at = 0;
  const take = (n: number): Buffer => {
    if (at + n > env.length) refuse('SEALED_MALFORMED');
    at += n;
    return env.subarray(at - n, at);
  };
  const text = (bytes: Buffer): string => {
    try {
      return strictText.decode(bytes);
    } catch {
      return refuse('SEALED_MALFORMED');
    }
  };
  const magic = take(2);
  if (magic[0] !== 0x53 || magic[1] !== 0x46) refuse('SEALED_MALFORMED');
  const version = take(1)[0] as number;
  if (version !== 1 && version !== 2) refuse('SEALED_VERSION_UNSUPPORTED');
  const namespace = take(take(2).readUInt16BE(0));
  text(namespace);
  const count = take(1)[0] as number;
  if (count === 0) refuse('SEALED_MALFORMED');
  const boxes: Array<DocBox & { ctAt: number }> = [];
  for (let b = 0; b < count; b++) {
    if (take(1)[0] !== 1) refuse('SEALED_ALG_UNSUPPORTED');
    const keyId = text(take(take(1)[0] as number));
    const purpose = text(take(take(1)[0] as number));
    if (!KEY_ID.test(keyId) || !PURPOSE.test(purpose)) refuse('SEALED_MALFORMED');
    const keyCheck = version === 2 ? take(16) : undefined;
    const wrappedKey = version === 2 ? take(take(2).readUInt16BE(0)) : undefined;
    const nonce = take(24);
    const fieldCount = take(2).readUInt16BE(0);
    if (fieldCount === 0) refuse('SEALED_MALFORMED');
    const fields: DocBox['fields'] = [];
    for (let f = 0; f < fieldCount; f++) {
      const path = text(take(take(2).readUInt16BE(0)));
      const flags = take(1)[0] as number;
      if ((flags & ~1) !== 0) refuse('SEALED_MALFORMED');
      fields.push({ path, secret: flags === 1 });
    }
    const ctLength = take(4).readUInt32BE(0);
    if (ctLength < 16) refuse('SEALED_MALFORMED');
    const ctAt = at;
    boxes.push({
      keyId,
      purpose,
      ...(keyCheck && { keyCheck }),
      ...(wrappedKey && { wrappedKey }),
      nonce,
      fields,
      ct: take(ctLength),
      ctAt,
    });
  }
  if (at !== env.length) refuse('SEALED_MALFORMED');
  // The header: the envelope without its ciphertexts.
  const pieces: Buffer[] = [];
  let from = 0;
  for (const box of boxes) {
    pieces.push(env.subarray(from, box.ctAt));
    from = box.ctAt + box.ct.length;
  }
  return { version, namespace, boxes, header: Buffer.concat(pieces) };
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(strictText.decode(bytes)) as unknown;
  } catch {
    return refuse('SEALED_MALFORMED');
  }
}

function anyPlaceholder(value: unknown): boolean {
  if (typeof value === 'string') return PLACEHOLDER.test(value);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(anyPlaceholder);
  return false;
}

function tokensOf(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) refuse('SEALED_MALFORMED');
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}
const tokenCount = (path: string): number => (path === '' ? 0 : path.split('/').length - 1);

/** Step 9's write: the new root. */
function writeAt(root: unknown, path: string, value: unknown): unknown {
  const tokens = tokensOf(path);
  if (tokens.length === 0) return value;
  let node: unknown = root;
  tokens.forEach((token, i) => {
    if (token === '__proto__' || token === 'constructor' || token === 'prototype') refuse('SEALED_FORBIDDEN_KEY');
    const isObject = typeof node === 'object' && node !== null && !(node instanceof DocSecret);
    if (!isObject || (Array.isArray(node) && !/^(0|[1-9][0-9]*)$/.test(token))) refuse('SEALED_MALFORMED');
    const has = Object.hasOwn(node as object, token);
    if (i === tokens.length - 1) {
      if (!has) refuse('SEALED_MALFORMED');
      (node as Record<string, unknown>)[token] = value;
    } else {
      node = has ? (node as Record<string, unknown>)[token] : undefined;
    }
  });
  return root;
}

function readAt(root: unknown, path: string): unknown {
  let node = root;
  for (const token of tokensOf(path)) node = (node as Record<string, unknown>)[token];
  return node;
}

/** Step 3's typed check, for the types the vectors file describes: an unsealed payload holds nothing at a sensitive position. */
function typedCheck(root: unknown, typeName: string | undefined): void {
  const patterns = typeName === undefined ? undefined : v2.sensitivePositions[typeName];
  for (const pattern of patterns ?? []) if (present(root, tokensOf(pattern))) refuse('SEALED_TAMPERED');
}

/** Whether some value sits at the pattern (`*`: any array index or member). */
function present(node: unknown, tokens: readonly string[]): boolean {
  if (tokens.length === 0) return node !== undefined;
  if (typeof node !== 'object' || node === null) return false;
  const [token, ...rest] = tokens as [string, ...string[]];
  const keys = token === '*' ? Object.keys(node) : Object.hasOwn(node, token) ? [token] : [];
  return keys.some((key) => present((node as Record<string, unknown>)[key], rest));
}

/** FORMAT.md, "Data subjects": what the subject hash is the HMAC of (the blind-index encoding with its own domain). */
function docSubjectHashInput(subject: string): Buffer {
  const domain = Buffer.from('temporal-sealed-fields/data-subject/v1');
  const id = Buffer.from(subject, 'utf8');
  return Buffer.concat([Buffer.of(domain.length), domain, u16(7), Buffer.from('subject'), Buffer.from('s'), u32(id.length), id]);
}

function asVectorJson(value: unknown): unknown {
  if (value instanceof DocSecret)
    return { $secret: value.purpose, ...(value.subject !== undefined && { subject: value.subject }), value: asVectorJson(value.value) };
  if (Array.isArray(value)) return value.map(asVectorJson);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asVectorJson(v)]));
  return value;
}

function u16(n: number): Buffer {
  return Buffer.from([n >> 8, n & 0xff]);
}
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
