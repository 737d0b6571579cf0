import { KEY_ID_PATTERN, PURPOSE_PATTERN } from './identifiers';

/** Every placeholder starts with this text. */
export const PLACEHOLDER_PREFIX = '[sealed:';

/** What a sealed field shows in `data` before the codec names the key: `[sealed:phi]`. */
export function pendingPlaceholder(purpose: string): string {
  return `${PLACEHOLDER_PREFIX}${purpose}]`;
}

/** What a sealed field shows once sealed: `[sealed:phi:k2]`. */
export function sealedPlaceholder(purpose: string, keyId: string): string {
  return `${PLACEHOLDER_PREFIX}${purpose}:${keyId}]`;
}

const grammar = (pattern: RegExp): string => pattern.source.slice(1, -1);

/** The exact text of a placeholder string: `[sealed:<purpose>]` or `[sealed:<purpose>:<keyId>]`. */
export const PLACEHOLDER_PATTERN = new RegExp(`^\\[sealed:${grammar(PURPOSE_PATTERN)}(?::${grammar(KEY_ID_PATTERN)})?\\]$`);

/** A search falls back to V8's own where `[` is denser than one in this many characters (arrays of arrays). */
const CHARACTERS_PER_BRACKET = 64;

/**
 * Where `marker` (a text starting with `[`) first occurs in `text` at or after `from`; -1 if nowhere.
 * V8 searches a long JSON text for a multi-character pattern several times slower than for one
 * character, and `[` is rare in JSON text: so find each `[` and compare there, unless brackets
 * turn out to be dense. See docs/PERFORMANCE.md.
 */
export function indexOfMarker(text: string, marker: string, from = 0): number {
  let at = text.indexOf('[', from);
  for (let hits = 1; at !== -1; hits++) {
    if (text.startsWith(marker, at)) return at;
    if (hits >= 32 && at - from < hits * CHARACTERS_PER_BRACKET) return text.indexOf(marker, at);
    at = text.indexOf('[', at + 1);
  }
  return -1;
}

/** JSON text that may spell `marker`: as it is, or with a JSON escape (`\u005bsealed:`), after which a closer look is needed. */
function mayHoldMarker(text: string, marker: string): boolean {
  return indexOfMarker(text, marker) !== -1 || text.includes('\\u');
}

/** Clear JSON text that may hold placeholder strings (a cheap test before `countPlaceholders`). */
export function mayHoldPlaceholders(text: string): boolean {
  return mayHoldMarker(text, PLACEHOLDER_PREFIX);
}

/** How many JSON strings in `json` start as a placeholder does: an upper bound of the placeholders it holds, without parsing. */
export function countQuotedPlaceholderStarts(json: string): number {
  let count = 0;
  for (
    let at = indexOfMarker(json, PLACEHOLDER_PREFIX);
    at !== -1;
    at = indexOfMarker(json, PLACEHOLDER_PREFIX, at + PLACEHOLDER_PREFIX.length)
  ) {
    if (at > 0 && json.charCodeAt(at - 1) === 0x22) count++; // `"`: a string starts there
  }
  return count;
}

/** How many strings in a JSON value are exactly a placeholder. */
export function countPlaceholders(value: unknown): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node === 'string') {
      if (node.startsWith(PLACEHOLDER_PREFIX) && PLACEHOLDER_PATTERN.test(node)) count++;
    } else if (typeof node === 'object' && node !== null) {
      for (const child of Object.values(node)) stack.push(child);
    }
  }
  return count;
}

/** Every tombstone starts with this text. */
export const TOMBSTONE_PREFIX = '[erased:';

/** True when text may hold a tombstone string (a cheap test before a walk). */
export function mayHoldTombstones(text: string): boolean {
  return mayHoldMarker(text, TOMBSTONE_PREFIX);
}

/** What stands where a value of a forgotten data subject was: `[erased:phi]`. Holds nothing of the value. */
export function tombstoneText(purpose: string): string {
  return `${TOMBSTONE_PREFIX}${purpose}]`;
}

/** The exact text of a tombstone string: `[erased:<purpose>]`. */
export const TOMBSTONE_PATTERN = new RegExp(`^\\[erased:(${grammar(PURPOSE_PATTERN)})\\]$`);

/** The purpose of a string that is exactly a tombstone; undefined for any other value. */
export function tombstonePurpose(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.startsWith(TOMBSTONE_PREFIX)) return undefined;
  return TOMBSTONE_PATTERN.exec(value)?.[1];
}
