import { parsePointer } from './json-pointer';

/**
 * What a decoded value remembers of its sealing: for each object or array that held a sealed
 * value, the key of that value and its purpose. Passing the object on (whole, or any object
 * inside it) without a hint seals the same keys again under the same purposes, so sensitivity
 * survives a hop through code that lost the type (a zod value forwarded to an activity, a
 * payload naming a type this realm has not registered). Copies made by spreading or cloning
 * do not carry the memory: wrap such values in `Secret`. One WeakMap per realm.
 */
type Memory = Map<string, string>;

const MEMORY_KEY = Symbol.for('temporal-sealed-fields.sealedMemory.v1');
const globalBag = globalThis as unknown as Record<symbol, { map: WeakMap<object, Memory>; used: boolean } | undefined>;
const state = globalBag[MEMORY_KEY] ?? (globalBag[MEMORY_KEY] = { map: new WeakMap(), used: false });

/** Keys of `holder` that arrived sealed, with their purposes. */
export function sealedKeysOf(holder: object): ReadonlyMap<string, string> | undefined {
  return state.used ? state.map.get(holder) : undefined;
}

/** True once any value in this realm remembers sealed keys (until then encoding skips the lookups). */
export function anySealedMemory(): boolean {
  return state.used;
}

/** Records, on the decoded `root`, where each opened value sits and under which purpose. */
export function rememberSealedPaths(root: unknown, paths: readonly string[], purposes: readonly string[]): void {
  paths.forEach((path, i) => {
    const tokens = parsePointer(path);
    const holder = holderOf(root, tokens);
    if (holder === undefined) return;
    let memory = state.map.get(holder);
    if (memory === undefined) state.map.set(holder, (memory = new Map()));
    memory.set(tokens[tokens.length - 1] as string, purposes[i] as string);
    state.used = true;
  });
}

/** The object or array holding the last token, following own properties only. */
function holderOf(root: unknown, tokens: readonly string[]): object | undefined {
  if (tokens.length === 0) return undefined;
  let node: unknown = root;
  for (let i = 0; i < tokens.length - 1; i++) {
    if (typeof node !== 'object' || node === null || !Object.prototype.hasOwnProperty.call(node, tokens[i] as string)) return undefined;
    node = (node as Record<string, unknown>)[tokens[i] as string];
  }
  return typeof node === 'object' && node !== null ? node : undefined;
}
