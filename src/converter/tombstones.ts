import { sealedError } from '../errors';
import { Erased } from '../model/erased';
import { Secret } from '../model/secret';
import type { PendingField } from '../lib/field-list';
import { mayHoldTombstones, tombstonePurpose } from '../lib/placeholders';

/**
 * Tombstones on the wire: an `Erased` value is written as the string `[erased:<purpose>]`, and
 * decoding turns every string that is exactly that back into an `Erased`. So writers refuse a
 * clear string of that exact form (as they refuse placeholder lookalikes): every tombstone string
 * a reader meets was a tombstone. See docs/ERASURE.md.
 */

/** Replaces, in place, every tombstone string in a decoded value (inside Secrets too) by an `Erased`; returns the root. */
export function restoreTombstones(root: unknown): unknown {
  const purpose = tombstonePurpose(root);
  if (purpose !== undefined) return new Erased(purpose);
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    let node = stack.pop();
    if (Secret.isSecret(node)) node = node.reveal();
    if (typeof node !== 'object' || node === null || Erased.isErased(node)) continue;
    const holder = node as Record<string, unknown>;
    for (const key of Object.keys(holder)) {
      const child = holder[key];
      const erased = tombstonePurpose(child);
      if (erased !== undefined) holder[key] = new Erased(erased);
      else if (typeof child === 'object' && child !== null) stack.push(child);
    }
  }
  return root;
}

/**
 * Refuses a clear string with the exact form of a tombstone: more tombstone strings in what the
 * converter writes (clear JSON and values to seal) than `Erased` values it wrote.
 */
export function refuseLookalikeTombstones(
  json: string,
  pending: string | undefined,
  shadow: unknown,
  fields: readonly PendingField[],
  written: number,
): void {
  if (!mayHoldTombstones(json) && (pending === undefined || !mayHoldTombstones(pending))) return;
  let count = countTombstones(shadow);
  for (const field of fields) count += countTombstones(field.value);
  if (count > written) {
    throw sealedError('SEALED_UNSUPPORTED_VALUE', 'a clear string has the exact form of a tombstone ([erased:<purpose>])');
  }
}

function countTombstones(value: unknown): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node === 'string') {
      if (tombstonePurpose(node) !== undefined) count++;
    } else if (typeof node === 'object' && node !== null) {
      for (const child of Object.values(node)) stack.push(child);
    }
  }
  return count;
}
