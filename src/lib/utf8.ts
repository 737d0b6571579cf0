import { decode as decodeUtf8Fallback, encode as encodeUtf8Fallback } from '@temporalio/common/lib/encoding';

// Native TextEncoder/TextDecoder where the runtime has them (Node, recent workflow sandboxes); the SDK's portable ones otherwise.
const nativeEncoder = typeof TextEncoder === 'function' ? new TextEncoder() : undefined;
const nativeDecoder = typeof TextDecoder === 'function' ? new TextDecoder() : undefined;

// Feature-detected, never imported: where Node's Buffer exists (client, worker main thread, codec
// server, CLI) it encodes UTF-8 faster than TextEncoder and small results come from its pool.
// The workflow sandbox has none and uses TextEncoder.
const nodeBuffer = (globalThis as { Buffer?: { from(text: string, encoding: 'utf8'): Uint8Array } }).Buffer;

/** The UTF-8 bytes of `text`, as a plain Uint8Array view. */
export function utf8Bytes(text: string): Uint8Array {
  if (nodeBuffer !== undefined) {
    const bytes = nodeBuffer.from(text, 'utf8');
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return nativeEncoder !== undefined ? nativeEncoder.encode(text) : encodeUtf8Fallback(text);
}

/** The text of UTF-8 `bytes`; invalid sequences become U+FFFD (for labels and JSON the caller parses next). */
export function utf8Text(bytes: Uint8Array): string {
  return nativeDecoder !== undefined ? nativeDecoder.decode(bytes) : decodeUtf8Fallback(bytes);
}

// Created on first use: only Node parts read strictly, and the workflow sandbox may have no TextDecoder.
let strictDecoder: { decode(bytes: Uint8Array): string } | undefined;

/**
 * The text of `bytes` when they are valid UTF-8, else undefined: never repaired with U+FFFD.
 * A leading U+FEFF is kept as a character, so what a writer wrote reads back the same.
 */
export function strictUtf8Text(bytes: Uint8Array): string | undefined {
  strictDecoder ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}
