import { registry, type AnyClass } from './registry';

/**
 * The converter's fast path serializes a value with one JSON.stringify call. What keeps that
 * safe lives here, and only here: registered classes get a `toJSON` hook, and while the
 * converter serializes a watch is set on the registry (pinned on globalThis, so every copy of
 * this package shares it). A hooked instance or a Secret that JSON.stringify meets reports
 * itself as missed, and the converter then walks the value fully instead.
 */

/** Set while the converter serializes one value; lets `toJSON` hooks report values the fast path missed. */
export interface EncodingWatch {
  missed: boolean;
  /** Serializing values that are being sealed: Secrets inside them give their value. */
  reveal: boolean;
}

/** Runs JSON.stringify with the watch set; `missed` when a hook or a Secret reported itself. */
export function stringifyWatched(value: unknown, reveal = false): { json: string | undefined; missed: boolean } {
  const watch: EncodingWatch = { missed: false, reveal };
  const previous = registry.watch;
  registry.watch = watch;
  try {
    return { json: JSON.stringify(value), missed: watch.missed };
  } finally {
    registry.watch = previous;
  }
}

/** What a Secret's `toJSON` gives: its value while values to seal are serialized, else its redacted text (reported as missed under a watch). */
export function secretJson(value: unknown, redacted: { toString(): string }): unknown {
  const watch = registry.watch;
  if (watch === null) return redacted.toString();
  if (watch.reveal) return value;
  watch.missed = true;
  return redacted.toString();
}

/** What an `Erased` tombstone's `toJSON` gives: its text, reported as missed under a watch (the converter's walk writes tombstones itself). */
export function tombstoneJson(text: string): string {
  const watch = registry.watch;
  if (watch !== null && !watch.reveal) watch.missed = true;
  return text;
}

/** Whether this library installed `toJSON` (Secret's, or a class hook): any other makes the converter walk the whole value. */
export function isOwnToJSON(toJSON: object): boolean {
  return registry.ownToJSON.has(toJSON);
}

/** Records a `toJSON` this library defines itself. */
export function markOwnToJSON(toJSON: object): void {
  registry.ownToJSON.add(toJSON);
}

const HOOKED = Symbol.for('temporal-sealed-fields.toJSONHook');

/**
 * JSON.stringify calls `toJSON` on every object; a registered instance met where the
 * converter's fast path did not expect one reports itself so the converter walks the value fully.
 */
export function installWatchHook(target: AnyClass): void {
  const proto = target.prototype as Record<PropertyKey, unknown>;
  if (Object.hasOwn(proto, HOOKED)) return;
  const own = Object.hasOwn(proto, 'toJSON') ? proto['toJSON'] : undefined;
  function toJSON(this: unknown, key: string): unknown {
    const watch = registry.watch;
    if (watch !== null) watch.missed = true;
    const inherited = own ?? Object.getPrototypeOf(proto)?.toJSON;
    return typeof inherited === 'function' ? (inherited as (k: string) => unknown).call(this, key) : this;
  }
  Object.defineProperty(proto, 'toJSON', { value: toJSON, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(proto, HOOKED, { value: true });
  markOwnToJSON(toJSON);
}
