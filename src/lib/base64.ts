/**
 * One base64 reader and writer for every part. Readers differ in what they forgive, so each
 * caller states its rules (`KEY_MATERIAL`, `PROTOBUF_JSON`); nothing is skipped silently the way
 * Node's own decoder skips characters outside the alphabet.
 */

/** What a reader forgives; every rule is off unless set. */
export interface Base64Rules {
  /** Surrounding whitespace is ignored (values pasted into env files and keyring JSON). */
  trim?: boolean;
  /** `''` (and padding alone) reads as no bytes. */
  empty?: boolean;
  /** One string may mix the standard (`+/`) and URL-safe (`-_`) characters. */
  mixedAlphabets?: boolean;
  /** A length no encoder writes (4n+1 characters before padding) reads without its last character. */
  anyLength?: boolean;
}

/** Key material written or pasted by people: standard or URL-safe, padded or not. */
export const KEY_MATERIAL: Base64Rules = { trim: true, mixedAlphabets: true, anyLength: true };

/** Protobuf JSON `bytes` fields (Temporal's codec protocol): standard or URL-safe, padded or not, empty allowed. */
export const PROTOBUF_JSON: Base64Rules = { empty: true };

const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9_-]*={0,2}$/;
const MIXED = /^[A-Za-z0-9+/_-]*={0,2}$/;

type NodeBuffer = Uint8Array & { toString(encoding: 'base64' | 'base64url'): string };
// Feature-detected, never imported (lib/ is workflow-safe): Node's Buffer converts far faster than a JS loop.
const nodeBuffer = (globalThis as { Buffer?: { from(data: string | Uint8Array, encoding?: 'base64'): NodeBuffer } }).Buffer;

/** The bytes `text` spells under `rules`, or undefined when it is not base64 by them. */
export function decodeBase64(text: unknown, rules: Base64Rules): Uint8Array | undefined {
  if (typeof text !== 'string') return undefined;
  const value = rules.trim === true ? text.trim() : text;
  const digits = value.replace(/=+$/, '').length;
  if (digits === 0 && rules.empty !== true) return undefined;
  if (digits % 4 === 1 && rules.anyLength !== true) return undefined;
  if (!(rules.mixedAlphabets === true ? MIXED.test(value) : STANDARD.test(value) || URL_SAFE.test(value))) return undefined;
  if (nodeBuffer !== undefined) return new Uint8Array(nodeBuffer.from(value, 'base64'));
  return decodePortable(value.slice(0, digits - (digits % 4 === 1 ? 1 : 0)));
}

/** Base64 of `bytes`: standard and padded, or URL-safe without padding (`{ url: true }`, as in blind indexes). */
export function encodeBase64(bytes: Uint8Array, options: { url?: boolean } = {}): string {
  if (nodeBuffer !== undefined) return nodeBuffer.from(bytes).toString(options.url === true ? 'base64url' : 'base64');
  const text = encodePortable(bytes);
  return options.url === true ? text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : text;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function sextet(code: number): number {
  if (code === 0x2d) return 62; // '-'
  if (code === 0x5f) return 63; // '_'
  return ALPHABET.indexOf(String.fromCharCode(code));
}

/** Digits already checked against the alphabet, without padding; a trailing partial byte is dropped, as Node does. */
function decodePortable(digits: string): Uint8Array {
  const out = new Uint8Array(Math.floor((digits.length * 3) / 4));
  let bits = 0;
  let count = 0;
  let at = 0;
  for (let i = 0; i < digits.length; i++) {
    bits = ((bits << 6) | sextet(digits.charCodeAt(i))) & 0xffff; // at most 12 bits are pending
    count += 6;
    if (count >= 8) {
      count -= 8;
      out[at++] = (bits >>> count) & 0xff;
    }
  }
  return out;
}

function encodePortable(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    text += ALPHABET[(n >>> 18) & 63] as string;
    text += ALPHABET[(n >>> 12) & 63] as string;
    text += i + 1 < bytes.length ? (ALPHABET[(n >>> 6) & 63] as string) : '=';
    text += i + 2 < bytes.length ? (ALPHABET[n & 63] as string) : '=';
  }
  return text;
}
