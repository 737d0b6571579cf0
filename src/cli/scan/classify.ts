import type { Payload } from '@temporalio/common';
import { readEnvelope, type Envelope } from '../../codec/envelope';
import { META } from '../../lib/metadata';
import { PLACEHOLDER_PATTERN } from '../../lib/placeholders';
import { SealedError } from '../../errors';
import { boxNameOf, type BoxName, type SealedOpener } from '../history/open-sealed';
import { metadataText } from '../history/payloads';

/** The default sensitive-key rule, as in the converter's `keyRules` examples. */
export const DEFAULT_KEY_RULES = /^(ssn|password|jwt|token)$/i;

/**
 * What one stored payload tells about keys and leaks; never holds a value. A sealed payload lists
 * the boxes seen at every level (`boxes`: each key id and purpose once; `every`: each box once),
 * the namespace its envelope is bound to, and how many boxes of a version 2 envelope stayed closed
 * (their inner envelopes, and the key ids in them, unseen); `code` when opening it failed.
 */
export type PayloadClass =
  | {
      kind: 'sealed';
      boxes: BoxName[];
      every: BoxName[];
      namespace: string;
      unopened: number;
      /** Why boxes stayed closed when fetching their keys failed (e.g. `SEALED_KMS_KEY_DISABLED`). */
      closedBy?: string;
      code?: string;
      ruleKeys: string[];
    }
  | { kind: 'pending'; ruleKeys: string[] }
  | { kind: 'malformed'; code: string }
  | { kind: 'clear'; ruleKeys: string[] }
  | { kind: 'other' };

const MAX_DEPTH = 64;

/**
 * Classifies a payload: sealed (which key ids and purposes), pending (written without the codec),
 * clear JSON, other. With an opener (scan holds a keyring), a version 2 payload is opened in memory,
 * all purposes, so the key ids and purposes of boxes sealed inside sealed values count too; its
 * values are dropped unread.
 */
export function classifyPayload(payload: Payload, rules: RegExp, opener?: SealedOpener): PayloadClass {
  if (payload.metadata?.[META.pending] != null) return { kind: 'pending', ruleKeys: ruleKeysOf(payload, rules) };
  const sealed = payload.metadata?.[META.sealed];
  if (sealed != null) return classifySealed(payload, sealed, rules, opener);
  if (metadataText(payload, META.encoding) !== 'json/plain') return { kind: 'other' };
  return { kind: 'clear', ruleKeys: ruleKeysOf(payload, rules) };
}

function classifySealed(payload: Payload, sealed: Uint8Array, rules: RegExp, opener: SealedOpener | undefined): PayloadClass {
  let envelope: Envelope;
  try {
    envelope = readEnvelope(sealed);
  } catch (err) {
    return { kind: 'malformed', code: codeOf(err) };
  }
  const top = envelope.boxes.map((box) => boxNameOf({ ...box, wrapped: box.wrappedKey }));
  const seen = { kind: 'sealed', boxes: top, every: top, namespace: envelope.namespace, ruleKeys: ruleKeysOf(payload, rules) } as const;
  // Version 1 envelopes are flat: the header names every box.
  if (envelope.version === 1) return { ...seen, unopened: 0 };
  if (opener === undefined) return { ...seen, unopened: top.length };
  try {
    const reached = opener.open(payload);
    const unopened = reached.withheld.length;
    const closedBy = unopened > 0 ? reached.fetchFailed : undefined;
    return { ...seen, boxes: reached.boxes, every: reached.every, unopened, ...(closedBy !== undefined && { closedBy }) };
  } catch (err) {
    return { ...seen, unopened: top.length, code: codeOf(err) };
  }
}

function codeOf(err: unknown): string {
  return SealedError.is(err) ? err.code : 'SEALED_MALFORMED';
}

/** Keys of the clear JSON that match the rules and hold something other than a sealed placeholder. */
function ruleKeysOf(payload: Payload, rules: RegExp): string[] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload.data ?? new Uint8Array()).toString('utf8'));
  } catch {
    return [];
  }
  const found = new Set<string>();
  collectRuleKeys(value, rules, found, 0);
  return [...found];
}

function collectRuleKeys(node: unknown, rules: RegExp, found: Set<string>, depth: number): void {
  if (depth > MAX_DEPTH || typeof node !== 'object' || node === null) return;
  if (Array.isArray(node)) {
    for (const child of node) collectRuleKeys(child, rules, found, depth + 1);
    return;
  }
  for (const [key, child] of Object.entries(node)) {
    rules.lastIndex = 0;
    if (rules.test(key) && !(typeof child === 'string' && PLACEHOLDER_PATTERN.test(child)) && child !== null) found.add(key);
    collectRuleKeys(child, rules, found, depth + 1);
  }
}
