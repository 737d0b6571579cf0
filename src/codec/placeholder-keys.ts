import { pendingPlaceholder, sealedPlaceholder } from '../lib/placeholders';
import { strictUtf8Text, utf8Bytes } from '../lib/utf8';

/**
 * Names the key in each placeholder of the clear JSON: `"[sealed:phi]"` becomes
 * `"[sealed:phi:k2]"`, so the Web UI shows it. A byte search, never a JSON parse; when the
 * count of matches differs from the count of sealed fields (clear data that happens to
 * contain the same text), that purpose's placeholders are left as they are.
 */
export function nameKeysInPlaceholders(data: Uint8Array, counts: Map<string, number>, keyIdFor: (purpose: string) => string): Uint8Array {
  return (
    (data.length <= TEXT_PATH_MAX_BYTES ? nameKeysInText(data, counts, keyIdFor) : undefined) ?? nameKeysInBytes(data, counts, keyIdFor)
  );
}

// Up to this size, decoding to a string and using native split/join costs less than a byte search
// and a view per placeholder; above it, re-encoding the text costs more.
const TEXT_PATH_MAX_BYTES = 32 * 1024;

/** The same replacement on the decoded text; undefined when `data` is not valid UTF-8 (the byte path keeps such bytes as they are). */
function nameKeysInText(data: Uint8Array, counts: Map<string, number>, keyIdFor: (purpose: string) => string): Uint8Array | undefined {
  const decoded = strictUtf8Text(data);
  if (decoded === undefined) return undefined;
  let text = decoded;
  let changed = false;
  for (const [purpose, expected] of counts) {
    const parts = text.split(JSON.stringify(pendingPlaceholder(purpose)));
    if (parts.length - 1 !== expected) continue;
    text = parts.join(JSON.stringify(sealedPlaceholder(purpose, keyIdFor(purpose))));
    changed = true;
  }
  return changed ? utf8Bytes(text) : data;
}

function nameKeysInBytes(data: Uint8Array, counts: Map<string, number>, keyIdFor: (purpose: string) => string): Uint8Array {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const inserts: Insert[] = [];
  for (const [purpose, expected] of counts) {
    const needle = quotedPlaceholder(pendingPlaceholder(purpose));
    const found: number[] = [];
    for (let at = buf.indexOf(needle); at !== -1 && found.length <= expected; at = buf.indexOf(needle, at + needle.length)) found.push(at);
    if (found.length !== expected) continue;
    const named = quotedPlaceholder(sealedPlaceholder(purpose, keyIdFor(purpose)));
    for (const at of found) inserts.push({ at, length: needle.length, text: named });
  }
  if (inserts.length === 0) return data;
  return splice(data, inserts);
}

interface Insert {
  at: number;
  /** Bytes of the pending placeholder replaced at `at`. */
  length: number;
  text: Uint8Array;
}

// Placeholders repeat on every payload: keep their quoted UTF-8 bytes (bounded: purposes and key ids are few).
const quotedCache = new Map<string, Buffer>();
const QUOTED_CACHE_LIMIT = 256;

function quotedPlaceholder(text: string): Buffer {
  let bytes = quotedCache.get(text);
  if (bytes !== undefined) return bytes;
  bytes = Buffer.from(JSON.stringify(text), 'utf8');
  if (quotedCache.size >= QUOTED_CACHE_LIMIT) quotedCache.clear();
  quotedCache.set(text, bytes);
  return bytes;
}

/** Copies `data` once into a buffer of the final size, replacing each pending placeholder by its named one. */
function splice(data: Uint8Array, inserts: Insert[]): Uint8Array {
  inserts.sort((a, b) => a.at - b.at);
  const grow = inserts.reduce((sum, { length, text }) => sum + text.length - length, 0);
  const out = new Uint8Array(data.length + grow);
  let from = 0;
  let to = 0;
  for (const { at, length, text } of inserts) {
    out.set(data.subarray(from, at), to);
    to += at - from;
    out.set(text, to);
    to += text.length;
    from = at + length;
  }
  out.set(data.subarray(from), to);
  return out;
}
