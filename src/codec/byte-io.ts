import { sealedError } from '../errors';
import { strictUtf8Text, utf8Bytes } from '../lib/utf8';

/** The one error of reading an envelope: every out-of-bounds or ill-formed read is this. */
export function malformed(): Error {
  return sealedError('SEALED_MALFORMED', 'sealed envelope is malformed');
}

// Writers borrow a buffer and give it back when they finish: allocating an off-heap Uint8Array
// per writer costs more than writing a small header into it. A writer started while another
// is open borrows another buffer, so writers may nest.
const spare: Uint8Array[] = [];
const MAX_SPARE = 4;
const MAX_SPARE_BYTES = 64 * 1024;
const FINISHED = new Uint8Array(0);

/**
 * `n` uninitialised bytes carved from Node's buffer pool, as a plain Uint8Array (so `slice`
 * copies, as callers expect, unlike `Buffer#slice`): a small array with a backing store of its own
 * costs about twice as much, and the codec makes several per payload.
 */
export function pooledBytes(n: number): Uint8Array {
  const pooled = Buffer.allocUnsafe(n);
  return new Uint8Array(pooled.buffer, pooled.byteOffset, n);
}

/** The parts one after another, in pooled bytes (see `pooledBytes`). */
export function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = pooledBytes(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Big-endian integers and length-prefixed strings into one growing buffer. */
export class ByteWriter {
  private buf: Uint8Array = spare.pop() ?? new Uint8Array(1024);
  private at = 0;

  get length(): number {
    return this.at;
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
  /** u8 length, then the UTF-8 bytes (key ids, purposes, the AAD domain). */
  shortString(text: string): void {
    const bytes = asciiOrUtf8(text);
    if (bytes.length > 0xff) throw sealedError('SEALED_TOO_LARGE', 'identifier too long for the envelope', { maxBytes: 0xff });
    this.u8(bytes.length);
    this.text(bytes);
  }
  /** u16 length, then the UTF-8 bytes (namespaces, paths, type names). */
  string16(text: string): void {
    const bytes = asciiOrUtf8(text);
    if (bytes.length > 0xffff) throw sealedError('SEALED_TOO_LARGE', 'field path or name too long for the envelope', { maxBytes: 0xffff });
    this.u16(bytes.length);
    this.text(bytes);
  }
  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.at);
    this.at += bytes.length;
  }
  /** The bytes written, copied out; the buffer goes back to the spares and the writer is done. */
  finish(): Uint8Array {
    const out = pooledBytes(this.at);
    out.set(this.buf.subarray(0, this.at));
    if (this.buf.length <= MAX_SPARE_BYTES && spare.length < MAX_SPARE && this.buf !== FINISHED) spare.push(this.buf);
    this.buf = FINISHED;
    this.at = 0;
    return out;
  }

  /** Writes a string that `asciiOrUtf8` kept as is (pure ASCII), or its UTF-8 bytes. */
  private text(value: string | Uint8Array): void {
    if (typeof value !== 'string') {
      this.bytes(value);
      return;
    }
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

/** The string itself when it is pure ASCII (its UTF-8 bytes are its char codes, no encoder call), else its UTF-8 bytes. */
function asciiOrUtf8(text: string): string | Uint8Array {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return utf8Bytes(text);
  return text;
}

/** Reads what `ByteWriter` writes; any read past the end, or text that is not UTF-8, is `malformed()`. */
export class ByteReader {
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
  shortString(): string {
    return this.text(this.u8());
  }
  string16(): string {
    return this.text(this.u16());
  }
  private need(n: number): void {
    if (this.at + n > this.buf.length) throw malformed();
  }
  private text(n: number): string {
    const bytes = this.bytes(n);
    const text = asciiText(bytes) ?? strictUtf8Text(bytes);
    if (text === undefined) throw malformed();
    return text;
  }
}

/** Short ASCII (key ids, purposes, most paths) decoded without a TextDecoder call. */
function asciiText(bytes: Uint8Array): string | undefined {
  if (bytes.length > 128) return undefined;
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] as number) > 0x7f) return undefined;
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}
