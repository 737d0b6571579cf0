import * as nodeCrypto from 'node:crypto';
import { sealedError } from '../errors';
import { concatBytes } from '../lib/bytes';
import { KEY_ID_PATTERN, PURPOSE_PATTERN } from '../lib/identifiers';
import { NONCE_BYTES } from './nonce-pool';

/**
 * Wire format of the `sealed-fields` metadata entry (see docs/FORMAT.md), versions 1 and 2:
 *
 *   magic "SF" | version u8 | namespace (u16 length, utf8) | box count u8 | boxes...
 *   box: alg u8 | key id (u8 length, ascii) | purpose (u8 length, ascii) | nonce 24 bytes
 *        | field count u16 | fields: (path u16 length, utf8 | flags u8) ... | ciphertext length u32 | ciphertext
 *
 * Integers are big-endian. Everything but the ciphertexts is the header. Version 2 lists only
 * the fields whose placeholders are in the clear JSON; values sealed inside a sealed value
 * travel in an inner envelope inside that value's box plaintext (JSON, 0x00, inner envelope).
 */
export const ENVELOPE_MAGIC = [0x53, 0x46] as const;
/** The version writers write. */
export const FORMAT_VERSION = 2;
export type FormatVersion = 1 | 2;
export const ALG_XCHACHA20_POLY1305_IETF = 1;
export const TAG_BYTES = 16;
const AAD_DOMAIN: Record<FormatVersion, string> = { 1: 'temporal-sealed-fields/v1', 2: 'temporal-sealed-fields/v2' };
/** The container nonce of a top-level box in the v2 AAD. */
const NO_CONTAINER = new Uint8Array(24);
/** Length of a v2 box's key check. */
export const KEY_CHECK_BYTES = 16;
const KEY_CHECK_LABEL = 'temporal-sealed-fields/v2 key check';

/**
 * The v2 key check: the first 16 bytes of HMAC-SHA-256(key, label). It tells a reader holding
 * other bytes under the same key id that its key is wrong (SEALED_KEY_MISMATCH, not a tamper
 * alarm), and makes each box commit to its key: XChaCha20-Poly1305 alone does not, which lets
 * one ciphertext open under two keys (partitioning oracles). The same for every box of a key,
 * it says no more than the key id does.
 */
export function keyCheck(key: Uint8Array): Uint8Array {
  return new Uint8Array(nodeCrypto.createHmac('sha256', key).update(KEY_CHECK_LABEL).digest().subarray(0, KEY_CHECK_BYTES));
}

/** Separates a v2 box's JSON from its inner envelope; JSON text never holds a raw 0x00. */
export const INNER_ENVELOPE_SEPARATOR = 0x00;
const FLAG_SECRET = 1;
export const MAX_FIELDS_PER_BOX = 0xffff;
export const MAX_BOXES = 0xff;

export interface BoxField {
  path: string;
  secret: boolean;
}

export interface Box {
  alg: number;
  keyId: string;
  purpose: string;
  /** v2: commits the box to its key (see `keyCheck`); absent in v1. */
  keyCheck?: Uint8Array;
  nonce: Uint8Array;
  fields: BoxField[];
  ciphertext: Uint8Array;
}

export interface Envelope {
  version: FormatVersion;
  namespace: string;
  boxes: Box[];
}

/** The box header bytes (everything but the ciphertext), given the ciphertext's length. */
function writeBoxHeader(out: ByteWriter, version: FormatVersion, box: Omit<Box, 'ciphertext'>, ciphertextLength: number): void {
  out.u8(box.alg);
  out.shortString(box.keyId);
  out.shortString(box.purpose);
  if (version === 2) {
    if (box.keyCheck?.length !== KEY_CHECK_BYTES) throw sealedError('SEALED_INVALID_OPTION', 'a v2 box needs its key check');
    out.bytes(box.keyCheck);
  }
  out.bytes(box.nonce);
  out.u16(box.fields.length);
  for (const field of box.fields) {
    out.string16(field.path);
    out.u8(field.secret ? FLAG_SECRET : 0);
  }
  out.u32(ciphertextLength);
}

type HeaderInput = { version?: FormatVersion; namespace: string; boxes: Array<Omit<Box, 'ciphertext'> & { ciphertextLength: number }> };

/** The header and the offset where each box's header ends in it, so `joinEnvelope` need not write it again. */
export function envelopeHeaderWithLayout(envelope: HeaderInput): { header: Uint8Array; boxEnds: number[] } {
  const out = new ByteWriter();
  out.bytes(Uint8Array.from(ENVELOPE_MAGIC));
  out.u8(envelope.version ?? FORMAT_VERSION);
  out.string16(envelope.namespace);
  out.u8(envelope.boxes.length);
  const boxEnds = envelope.boxes.map((box) => {
    writeBoxHeader(out, envelope.version ?? FORMAT_VERSION, box, box.ciphertextLength);
    return out.length;
  });
  return { header: out.finish(), boxEnds };
}

/** The envelope bytes from its header and ciphertexts: each box header followed by its ciphertext, as `writeEnvelope` writes them. */
export function joinEnvelope(header: Uint8Array, boxEnds: readonly number[], ciphertexts: readonly Uint8Array[]): Uint8Array {
  let from = 0;
  const parts = boxEnds.flatMap((end, i) => {
    const boxHeader = header.subarray(from, end);
    from = end;
    return [boxHeader, ciphertexts[i] as Uint8Array];
  });
  return concatBytes(parts);
}

/** Where a box sits: its envelope's version and, for an inner envelope, the nonce of the box that carries it. */
export interface BoxPlace {
  version: FormatVersion;
  containerNonce?: Uint8Array | undefined;
}

/**
 * AAD of box `index`: domain | index | (v2: container nonce) | envelope header | type name |
 * SHA-256 of the payload's data. Binds each value to its path and box, to the box that carries
 * it, to the namespace, to the payload's type and clear part.
 */
export function boxAad(place: BoxPlace, header: Uint8Array, index: number, typeName: string, dataDigest: Uint8Array): Uint8Array {
  const out = new ByteWriter();
  out.shortString(AAD_DOMAIN[place.version]);
  out.u8(index);
  if (place.version === 2) out.bytes(place.containerNonce ?? NO_CONTAINER);
  out.u32(header.length);
  out.bytes(header);
  out.string16(typeName);
  out.bytes(dataDigest);
  return out.finish();
}

// Node >= 20.12 has the one-shot `crypto.hash`, which skips building a Hash object (~0.7 us a call).
const oneShotHash = (nodeCrypto as { hash?: (alg: string, data: Uint8Array, encoding: 'buffer') => Buffer }).hash;

export function sha256(data: Uint8Array): Uint8Array {
  return oneShotHash !== undefined ? oneShotHash('sha256', data, 'buffer') : nodeCrypto.createHash('sha256').update(data).digest();
}

export function writeEnvelope(envelope: Envelope): Uint8Array {
  const out = new ByteWriter();
  out.bytes(Uint8Array.from(ENVELOPE_MAGIC));
  out.u8(envelope.version);
  out.string16(envelope.namespace);
  out.u8(envelope.boxes.length);
  for (const box of envelope.boxes) {
    writeBoxHeader(out, envelope.version, box, box.ciphertext.length);
    out.bytes(box.ciphertext);
  }
  return out.finish();
}

/** Parses an envelope, refusing anything out of bounds with `SEALED_MALFORMED`. */
export function readEnvelope(bytes: Uint8Array): Envelope {
  return readEnvelopeWithHeader(bytes).envelope;
}

/**
 * Parses an envelope and also returns its header (the bytes without the ciphertexts), cut
 * from the input instead of re-encoded: the same bytes `envelopeHeader` would write for it.
 */
export function readEnvelopeWithHeader(bytes: Uint8Array): { envelope: Envelope; header: Uint8Array } {
  const r = new ByteReader(bytes);
  if (r.u8() !== ENVELOPE_MAGIC[0] || r.u8() !== ENVELOPE_MAGIC[1]) throw malformed();
  const version = r.u8();
  if (version !== 1 && version !== 2) {
    throw sealedError('SEALED_VERSION_UNSUPPORTED', 'sealed envelope has an unsupported format version', { version });
  }
  const namespace = r.string16();
  const count = r.u8();
  if (count === 0) throw malformed();
  const ciphertextAt: number[] = [];
  const boxes: Box[] = [];
  for (let i = 0; i < count; i++) {
    const box = readBox(r, version);
    ciphertextAt.push(r.position - box.ciphertext.length);
    boxes.push(box);
  }
  if (!r.done()) throw malformed();
  return { envelope: { version: version as FormatVersion, namespace, boxes }, header: withoutCiphertexts(bytes, boxes, ciphertextAt) };
}

function withoutCiphertexts(bytes: Uint8Array, boxes: Box[], ciphertextAt: number[]): Uint8Array {
  let from = 0;
  const parts = boxes.map((box, i) => {
    const at = ciphertextAt[i] as number;
    const part = bytes.subarray(from, at);
    from = at + box.ciphertext.length;
    return part;
  });
  return concatBytes(parts);
}

function readBox(r: ByteReader, version: number): Box {
  const alg = r.u8();
  if (alg !== ALG_XCHACHA20_POLY1305_IETF) {
    throw sealedError('SEALED_VERSION_UNSUPPORTED', 'sealed envelope names an unsupported algorithm', { alg });
  }
  const keyId = r.shortString();
  const purpose = r.shortString();
  // Readers enforce the grammar writers follow: nothing else reaches a placeholder, a log line or a key lookup.
  if (!KEY_ID_PATTERN.test(keyId) || !PURPOSE_PATTERN.test(purpose)) throw malformed();
  const keyCheck = version === 2 ? r.bytes(KEY_CHECK_BYTES) : undefined;
  const nonce = r.bytes(NONCE_BYTES);
  const fieldCount = r.u16();
  if (fieldCount === 0) throw malformed();
  const fields: BoxField[] = [];
  for (let i = 0; i < fieldCount; i++) {
    const path = r.string16();
    const flags = r.u8();
    if ((flags & ~FLAG_SECRET) !== 0) throw malformed();
    fields.push({ path, secret: (flags & FLAG_SECRET) !== 0 });
  }
  const length = r.u32();
  if (length < TAG_BYTES) throw malformed();
  const box: Box = { alg, keyId, purpose, nonce, fields, ciphertext: r.bytes(length) };
  if (keyCheck !== undefined) box.keyCheck = keyCheck;
  return box;
}

function malformed(): Error {
  return sealedError('SEALED_MALFORMED', 'sealed envelope is malformed');
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

// Writers are short-lived and never nest, so they share one scratch buffer: allocating an
// off-heap Uint8Array per writer cost more than writing a small header into it.
let scratch: Uint8Array | undefined = new Uint8Array(1024);
const MAX_SCRATCH_BYTES = 64 * 1024;

/** Writes into one growing buffer; ASCII strings (key ids, purposes, most paths) skip TextEncoder, which costs ~0.7 us a call. */
class ByteWriter {
  private buf: Uint8Array;
  private at = 0;

  get length(): number {
    return this.at;
  }

  constructor() {
    this.buf = scratch ?? new Uint8Array(256);
    scratch = undefined;
  }

  u8(value: number): void {
    this.reserve(1);
    this.buf[this.at++] = value;
  }
  u16(value: number): void {
    this.reserve(2);
    this.buf[this.at++] = value >>> 8;
    this.buf[this.at++] = value & 0xff;
  }
  u32(value: number): void {
    this.reserve(4);
    this.buf[this.at++] = value >>> 24;
    this.buf[this.at++] = (value >>> 16) & 0xff;
    this.buf[this.at++] = (value >>> 8) & 0xff;
    this.buf[this.at++] = value & 0xff;
  }
  shortString(text: string): void {
    const bytes = asciiOrUtf8(text);
    if (bytes.length > 0xff) throw sealedError('SEALED_INVALID_OPTION', 'identifier too long for the envelope');
    this.u8(bytes.length);
    this.text(bytes);
  }
  string16(text: string): void {
    const bytes = asciiOrUtf8(text);
    if (bytes.length > 0xffff) throw sealedError('SEALED_TOO_LARGE', 'field path or name too long for the envelope');
    this.u16(bytes.length);
    this.text(bytes);
  }
  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.at);
    this.at += bytes.length;
  }
  /** The bytes written, copied out; gives the scratch buffer back. */
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.at);
    if (this.buf.length <= MAX_SCRATCH_BYTES) scratch = this.buf;
    return out;
  }

  /** Writes a string that `asciiOrUtf8` kept as is (pure ASCII), or its UTF-8 bytes. */
  private text(value: string | Uint8Array): void {
    if (typeof value !== 'string') return this.bytes(value);
    this.reserve(value.length);
    for (let i = 0; i < value.length; i++) this.buf[this.at++] = value.charCodeAt(i);
  }
  private reserve(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    grown.set(this.buf.subarray(0, this.at));
    this.buf = grown;
  }
}

/** The string itself when it is pure ASCII (its UTF-8 bytes are its char codes), else its UTF-8 bytes. */
function asciiOrUtf8(text: string): string | Uint8Array {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return utf8Encoder.encode(text);
  return text;
}

class ByteReader {
  private at = 0;
  constructor(private readonly buf: Uint8Array) {}

  done(): boolean {
    return this.at === this.buf.length;
  }
  get position(): number {
    return this.at;
  }
  bytes(n: number): Uint8Array {
    if (this.at + n > this.buf.length) throw malformed();
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  u8(): number {
    this.need(1);
    return this.buf[this.at++] as number;
  }
  u16(): number {
    this.need(2);
    const b = this.buf;
    const value = ((b[this.at] as number) << 8) | (b[this.at + 1] as number);
    this.at += 2;
    return value;
  }
  u32(): number {
    this.need(4);
    const b = this.buf;
    const at = this.at;
    this.at += 4;
    return (((b[at] as number) << 24) >>> 0) + ((b[at + 1] as number) << 16) + ((b[at + 2] as number) << 8) + (b[at + 3] as number);
  }
  private need(n: number): void {
    if (this.at + n > this.buf.length) throw malformed();
  }
  shortString(): string {
    return this.text(this.u8());
  }
  string16(): string {
    return this.text(this.u16());
  }
  private text(n: number): string {
    const bytes = this.bytes(n);
    const ascii = asciiText(bytes);
    if (ascii !== undefined) return ascii;
    try {
      return utf8Decoder.decode(bytes);
    } catch {
      throw malformed();
    }
  }
}

/** Short ASCII (key ids, purposes, most paths) decoded without TextDecoder, which costs ~0.2 us a call. */
function asciiText(bytes: Uint8Array): string | undefined {
  if (bytes.length > 128) return undefined;
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] as number) > 0x7f) return undefined;
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}
