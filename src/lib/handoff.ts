/**
 * The in-process hand-off between the sealed converter and the SealingCodec. Outside the
 * workflow sandbox the converter never writes the values to seal into payload metadata: it
 * leaves them here under a reference, and only the reference travels in `sealed-pending`.
 * A payload that reaches the server without passing through a codec therefore carries no
 * plaintext. One store per JS realm, pinned on globalThis so ESM and CJS copies share it.
 * Workflow-safe: no Node built-ins.
 */
import { pendingListJson, type PendingList } from './field-list';

interface HandoffState {
  /** SealingCodecs created in this realm; the converter refuses to mark values when there are none. */
  codecs: number;
  next: number;
  readonly pending: Map<string, PendingList>;
}

const HANDOFF_KEY = Symbol.for('temporal-sealed-fields.handoff.v1');
const globalBag = globalThis as unknown as Record<symbol, HandoffState | undefined>;
globalBag[HANDOFF_KEY] ??= { codecs: 0, next: 0, pending: new Map() };
const state: HandoffState = globalBag[HANDOFF_KEY];

/** References that no codec claimed (a codec that is not registered where the value was sent) are dropped past this count. */
const MAX_UNCLAIMED = 4096;

/** Prefix of a `sealed-pending` entry that holds a reference, never values. */
export const PENDING_REFERENCE_PREFIX = 'ref:';

export function registerCodec(): void {
  state.codecs++;
}

export function codecRegistered(): boolean {
  return state.codecs > 0;
}

/** Keeps the field list for the codec; returns the reference to write in `sealed-pending`. */
export function depositPending(list: PendingList): string {
  const reference = `${PENDING_REFERENCE_PREFIX}${(state.next++).toString(36)}`;
  if (state.pending.size >= MAX_UNCLAIMED) state.pending.delete(state.pending.keys().next().value as string);
  state.pending.set(reference, list);
  return reference;
}

/** The field list left under `reference`, removed from the store; undefined when this realm does not hold it. */
export function claimPending(reference: string): PendingList | undefined {
  const list = state.pending.get(reference);
  state.pending.delete(reference);
  return list;
}

/** The field list left under `reference`, left in place: for tools and tests that inspect what the converter marked. */
export function peekPendingList(reference: string): PendingList | undefined {
  return state.pending.get(reference);
}

/** `peekPendingList` as the JSON document the converter writes inline inside the workflow sandbox. */
export function peekPending(reference: string): string | undefined {
  const list = state.pending.get(reference);
  return list === undefined ? undefined : pendingListJson(list);
}

/**
 * True inside Temporal's workflow sandbox, whose payloads cross to the worker's main thread as
 * bytes: there the values must travel in metadata for the worker's codec to seal them.
 */
export function inWorkflowSandbox(): boolean {
  return (globalThis as { __TEMPORAL_ACTIVATOR__?: unknown }).__TEMPORAL_ACTIVATOR__ !== undefined;
}
