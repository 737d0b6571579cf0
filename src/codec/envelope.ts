import { sealedError } from '../errors';
import { KEY_ID_PATTERN, PURPOSE_PATTERN } from '../lib/identifiers';
import { ByteReader, ByteWriter, joinBytes, malformed } from './byte-io';
import { KEY_CHECK_BYTES } from './hash';
import { NONCE_BYTES } from './nonce-pool';

/**
 * Wire format of the `sealed-fields` metadata entry (see docs/FORMAT.md), versions 1 and 2:
 *
 *   magic "SF" | version u8 | namespace (u16 length, utf8) | box count u8 | boxes...
 *   box: alg u8 | key id (u8 length, ascii) | purpose (u8 length, ascii) | (v2) key check 16 bytes
 *        | (v2) wrapped key (u16 length, bytes; empty for static keys) | nonce 24 bytes | field count u16 | fields: (path u16 length, utf8 | flags u8) ... | ciphertext length u32 | ciphertext
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
/** Separates a v2 box's JSON from its inner envelope; JSON text never holds a raw 0x00. */
export const INNER_ENVELOPE_SEPARATOR = 0x00;
const FLAG_SECRET = 1;
export const MAX_FIELDS_PER_BOX = 0xffff;
export const MAX_BOXES = 0xff;
/** Longest wrapped key a v2 box carries (u16 length). */
export const MAX_WRAPPED_KEY_BYTES = 0xffff;
const EMPTY = new Uint8Array(0);

/**
 * One sealed field as a box lists it in clear: its JSON pointer, and whether it was a `Secret`.
 *
 * @example
 * ```ts
 * const { withheld } = await codec.reveal(sealed, { purposes: new Set() });
 * for (const box of withheld) for (const field of box.fields) console.log(field.path, field.secret);
 * ```
 */
export interface BoxField {
  path: string;
  secret: boolean;
}

/**
 * The values of one purpose, sealed under one key: the header in clear (docs/FORMAT.md), the ciphertext.
 *
 * @example
 * ```ts
 * const { withheld } = await codec.reveal(sealed, { purposes: new Set() });
 * for (const box of withheld) console.log(box.keyId, box.purpose);
 * ```
 */
export interface Box {
  alg: number;
  keyId: string;
  purpose: string;
  /** v2: commits the box to its key (see `keyCheck`); absent in v1. */
  keyCheck?: Uint8Array;
  /** v2: the box's data key wrapped by a KMS (see `KeySource`); empty for static keys; absent in v1. */
  wrappedKey?: Uint8Array;
  nonce: Uint8Array;
  fields: BoxField[];
  ciphertext: Uint8Array;
}

/**
 * What the codec writes into a payload's metadata: the format version, the namespace it is bound to, the boxes.
 *
 * @example
 * ```ts
 * const { envelope } = await codec.reveal(sealed);
 * console.log(envelope.version, envelope.namespace, envelope.boxes.length);
 * ```
 */
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
    const wrapped = box.wrappedKey ?? EMPTY;
    if (wrapped.length > MAX_WRAPPED_KEY_BYTES) throw sealedError('SEALED_TOO_LARGE', 'wrapped key too long for the envelope');
    out.u16(wrapped.length);
    out.bytes(wrapped);
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
  return joinBytes(parts);
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
 * from the input instead of re-encoded: the same bytes `envelopeHeaderWithLayout` writes for it.
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
  return joinBytes(parts);
}

function readBox(r: ByteReader, version: number): Box {
  const alg = r.u8();
  if (alg !== ALG_XCHACHA20_POLY1305_IETF) {
    throw sealedError('SEALED_ALG_UNSUPPORTED', 'sealed envelope names an unsupported algorithm', { alg });
  }
  const keyId = r.shortString();
  const purpose = r.shortString();
  // Readers enforce the grammar writers follow: nothing else reaches a placeholder, a log line or a key lookup.
  if (!KEY_ID_PATTERN.test(keyId) || !PURPOSE_PATTERN.test(purpose)) throw malformed();
  const keyCheck = version === 2 ? r.bytes(KEY_CHECK_BYTES) : undefined;
  const wrappedKey = version === 2 ? r.bytes(r.u16()) : undefined;
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
  if (wrappedKey !== undefined) box.wrappedKey = wrappedKey;
  return box;
}
