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

/** Clear JSON text that may hold placeholder strings (a cheap test before `countPlaceholders`). */
export function mayHoldPlaceholders(text: string): boolean {
  // A JSON escape can spell a placeholder without its plain text (`\u005bsealed:`): look closer then too.
  return text.includes(PLACEHOLDER_PREFIX) || text.includes('\\u');
}

const QUOTED_PREFIX = `"${PLACEHOLDER_PREFIX}`;

/** How many JSON strings in `json` start as a placeholder does: an upper bound of the placeholders it holds, without parsing. */
export function countQuotedPlaceholderStarts(json: string): number {
  let count = 0;
  for (let at = json.indexOf(QUOTED_PREFIX); at !== -1; at = json.indexOf(QUOTED_PREFIX, at + QUOTED_PREFIX.length)) count++;
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
