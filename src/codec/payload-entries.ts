import type { Payload } from '@temporalio/common';
import { refusal, sealedError } from '../errors';
import { fieldListJson, type FieldList, type PendingList } from '../lib/field-list';
import { claimPending, leaveOpened, PENDING_REFERENCE_PREFIX } from '../lib/handoff';
import { META } from '../lib/metadata';
import { mayHoldTombstones, tombstoneText } from '../lib/placeholders';
import { utf8Bytes, utf8Text } from '../lib/utf8';
import type { Box } from './envelope';
import type { RevealedPayload } from './sealing-codec';

// What a SealingCodec reads from and writes into a payload besides its boxes: the pending field
// list it claims, the opened field list it writes, the metadata entries it swaps, the JSON of a box.

/** The payload with its sealed entry replaced by the opened field list. */
export function withOpened(payload: Payload, { opened, texts, erased }: RevealedPayload & { texts: string[] }): Payload {
  const openedJson = utf8Bytes(fieldListJson(opened, texts));
  // Tombstones come from erased boxes, or as values sealed again after an erasure (a re-sent tombstone).
  const tombstones = erased.length > 0 || texts.some(mayHoldTombstones);
  leaveOpened(openedJson, { list: opened, tombstones });
  return { ...payload, metadata: replaceEntries(payload.metadata ?? {}, [META.sealed], META.opened, openedJson) };
}

/** The field list of a pending entry: written inline (from the workflow sandbox), or claimed from this realm's hand-off store. */
export function resolvePending(pending: Uint8Array): Uint8Array | PendingList {
  if (pending[0] === 0x7b) return pending; // '{': a field list written inline
  const reference = utf8Text(pending);
  if (!reference.startsWith(PENDING_REFERENCE_PREFIX))
    throw sealedError('SEALED_MALFORMED', 'sealed field list is neither a list nor a reference');
  const list = claimPending(reference);
  if (list === undefined) {
    throw refusal('pending');
  }
  return list;
}

/** A box of a forgotten subject: each field a tombstone (no Secret flag: the tombstone stands for the Secret too); nothing inside it is reached. */
export function recordErased(box: Box, depth: number, result: RevealedPayload & { texts: string[] }): void {
  const tombstone = tombstoneText(box.purpose);
  result.erased.push(box);
  result.texts.push(JSON.stringify(box.fields.map(() => tombstone)));
  for (const field of box.fields) recordField(result.opened, field.path, box.purpose, false, tombstone, depth, undefined);
}

/** Records one opened field, with its depth's nested flag and, from a subject box, its subject. */
export function recordField(
  opened: FieldList,
  path: string,
  purpose: string,
  secret: boolean,
  value: unknown,
  depth: number,
  subject: string | undefined,
): void {
  opened.paths.push(path);
  opened.purposes.push(purpose);
  opened.secrets.push(secret);
  opened.values.push(value);
  const at = opened.paths.length - 1;
  if (depth > 0) {
    opened.nested ??= [];
    opened.nested[at] = true;
  }
  if (subject !== undefined) {
    opened.subjects ??= [];
    opened.subjects[at] = subject;
  }
}

/** The JSON array a box seals: its values, and for a data subject's box the subject id last (so the values decode with it). */
export function boxJson(values: readonly unknown[], indexes: readonly number[], subject: string | undefined): string {
  const boxed = indexes.map((i) => values[i]);
  if (subject !== undefined) boxed.push(subject);
  return JSON.stringify(boxed);
}

/** The JSON value of `text`; undefined when it is not JSON. */
export function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A copy of `metadata` without the `drop` entries and with `key` set; a loop, as object rest with computed keys is slow in V8. */
export function replaceEntries(
  metadata: Record<string, Uint8Array | null | undefined>,
  drop: readonly string[],
  key: string,
  value: Uint8Array,
): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const name of Object.keys(metadata)) if (!drop.includes(name)) out[name] = metadata[name] as Uint8Array;
  out[key] = value;
  return out;
}

/** The `sealed-type` entry's text, or '' when there is none (it is part of every box's AAD). */
export function typeNameOf(metadata: Record<string, Uint8Array | null | undefined>): string {
  const bytes = metadata[META.type];
  return bytes === undefined || bytes === null ? '' : utf8Text(bytes);
}
