/**
 * UTF-8 bytes of `text` for the Node-only codec. On Node 20 `Buffer.from` is 2-4x faster than
 * `TextEncoder.encode` (1 KB: 0.9 vs 1.8 us; 8 KB: 2.4 vs 10.5 us), and small results come from
 * Node's buffer pool instead of a fresh ArrayBuffer each. Returned as a plain Uint8Array view.
 */
export function utf8Bytes(text: string): Uint8Array {
  const bytes = Buffer.from(text, 'utf8');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}
