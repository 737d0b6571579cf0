import type { Payload } from '@temporalio/common';
import { sealedError } from '../errors';
import { META } from '../lib/metadata';
import { utf8Text } from '../lib/utf8';
import { Secret } from '../model/secret';
import { sealedMemoryOf } from '../converter/sealed-memory';

const MAX_DEPTH = 32;
// What JSON.stringify makes of a Secret outside the converter: seen in a search attribute, it means a Secret went there.
const REDACTED_SECRET = /"\[secret:[^"\]]*\]"/;

function refuse(where: string): never {
  throw sealedError(
    'SEALED_NOT_ALLOWED_HERE',
    'search attributes and headers never pass through a codec: a Secret or a value that arrived sealed cannot go there',
    { where },
  );
}

function holdsSecret(value: unknown, depth: number, seen: Set<object>): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Secret.isSecret(value) || sealedMemoryOf(value) !== undefined) return true; // a Secret, or a value that arrived sealed
  if (depth >= MAX_DEPTH || seen.has(value) || ArrayBuffer.isView(value)) return false;
  seen.add(value);
  const children = value instanceof Map ? [...value.values()] : Object.values(value);
  return children.some((child) => holdsSecret(child, depth + 1, seen));
}

/**
 * Throws `SEALED_NOT_ALLOWED_HERE` when a Secret sits anywhere in `value` (search attributes, typed or not).
 *
 * @example
 * ```ts
 * refuseSecrets(attributes, 'upsertSearchAttributes'); // before wf.upsertSearchAttributes(attributes)
 * ```
 */
export function refuseSecrets(value: unknown, where: string): void {
  if (holdsSecret(value, 0, new Set())) refuse(where);
}

/** Headers are payloads no codec sees: refuse a Secret, or a payload still carrying plaintext values (pending or opened). */
export function refuseSealableHeaders(headers: Readonly<Record<string, Payload>> | undefined, where: string): void {
  for (const payload of Object.values(headers ?? {})) {
    if (Secret.isSecret(payload) || payload?.metadata?.[META.pending] != null || payload?.metadata?.[META.opened] != null) refuse(where);
  }
  refuseSecrets(headers, where);
}

/** Options objects that may carry search attributes (workflow start, child, continue-as-new, schedule). */
export interface SearchAttributeCarrier {
  searchAttributes?: unknown;
  typedSearchAttributes?: unknown;
}

export function refuseSecretSearchAttributes(options: SearchAttributeCarrier | undefined, where: string): void {
  refuseSecrets(options?.searchAttributes, `${where}.searchAttributes`);
  refuseSecrets(options?.typedSearchAttributes, `${where}.typedSearchAttributes`);
}

/** True when an already-encoded search attribute payload holds a redacted Secret. */
export function isRedactedSecretPayload(payload: Payload | null | undefined): boolean {
  const data = payload?.data;
  return data != null && REDACTED_SECRET.test(utf8Text(data));
}
