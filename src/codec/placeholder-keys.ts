import { pendingPlaceholder, sealedPlaceholder } from '../converter/placeholder';

/**
 * Names the key in each placeholder of the clear JSON: `"[sealed:phi]"` becomes
 * `"[sealed:phi:k2]"`, so the Web UI shows it. A byte search, never a JSON parse; when the
 * count of matches differs from the count of sealed fields (clear data that happens to
 * contain the same text), that purpose's placeholders are left as they are.
 */
export function nameKeysInPlaceholders(data: Uint8Array, counts: Map<string, number>, keyIdFor: (purpose: string) => string): Uint8Array {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const inserts: Array<{ at: number; text: Buffer }> = [];
  for (const [purpose, expected] of counts) {
    const needle = Buffer.from(JSON.stringify(pendingPlaceholder(purpose)), 'utf8');
    const found: number[] = [];
    for (let at = buf.indexOf(needle); at !== -1 && found.length <= expected; at = buf.indexOf(needle, at + needle.length)) found.push(at);
    if (found.length !== expected) continue;
    const named = Buffer.from(JSON.stringify(sealedPlaceholder(purpose, keyIdFor(purpose))), 'utf8');
    for (const at of found) inserts.push({ at, text: named });
  }
  if (inserts.length === 0) return data;
  return splice(buf, inserts);
}

function splice(buf: Buffer, inserts: Array<{ at: number; text: Buffer }>): Uint8Array {
  inserts.sort((a, b) => a.at - b.at);
  const parts: Buffer[] = [];
  let from = 0;
  for (const { at, text } of inserts) {
    parts.push(buf.subarray(from, at), text);
    // Skip the old placeholder: it is the text up to and including the next `]"`.
    from = buf.indexOf(']"', at) + 2;
  }
  parts.push(buf.subarray(from));
  return new Uint8Array(Buffer.concat(parts));
}
