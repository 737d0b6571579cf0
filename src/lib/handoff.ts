/**
 * The in-process hand-off between the sealed converter and the SealingCodec. Outside the
 * workflow sandbox the converter never writes the values to seal into payload metadata: it
 * leaves them here under a reference, and only the reference travels in `sealed-pending`.
 * A payload that reaches the server without passing through a codec therefore carries no
 * plaintext. One store per JS realm, pinned on globalThis so ESM and CJS copies share it.
 * Workflow-safe: no Node built-ins.
 */
import { pendingListJson, type FieldList, type PendingList } from './field-list';

/** An opened field list as the codec left it for a converter in the same realm (see `leaveOpened`). */
export interface OpenedHandoff {
  list: FieldList;
  /** Some of its values may be tombstones of erased subjects (`[erased:<purpose>]`). */
  tombstones: boolean;
}

interface HandoffState {
  /** SealingCodecs created in this realm; the converter refuses to mark values when there are none. */
  codecs: number;
  next: number;
  readonly pending: Map<string, PendingList>;
  /** Opened field lists by the `sealed-opened` bytes they were written as (weakly: dropped with the payload). */
  opened?: WeakMap<Uint8Array, OpenedHandoff>;
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

/**
 * Leaves the opened field list written as `bytes` for the converter: when it decodes the same
 * payload object in this realm (activities, clients), it takes the list as it is instead of
 * parsing the bytes again. A payload that crosses into the workflow sandbox arrives as other
 * bytes and is parsed there, as before.
 */
export function leaveOpened(bytes: Uint8Array, opened: OpenedHandoff): void {
  state.opened ??= new WeakMap();
  state.opened.set(bytes, opened);
}

/** The opened field list left for these very bytes, removed (a list is taken once); undefined when there is none. */
export function takeOpened(bytes: Uint8Array): OpenedHandoff | undefined {
  const opened = state.opened?.get(bytes);
  if (opened !== undefined) state.opened?.delete(bytes);
  return opened;
}
