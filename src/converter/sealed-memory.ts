import { parsePointer } from './json-pointer';

/**
 * What a decoded value remembers of its sealing, so that passing it on without a hint (a zod
 * value forwarded to an activity, a payload naming a type this realm has not registered)
 * seals it again:
 * - for each object or array that held a sealed value: the key of that value and its purpose;
 * - for each object or array that arrived inside a sealed value: the purposes on the path to
 *   it, outermost first, so sending it on its own seals it whole under each of them.
 * Copies made by spreading or cloning, and primitives taken out, do not carry the memory:
 * wrap such values in `Secret`. One store per realm, pinned on globalThis.
 */
interface Memory {
  /** Purposes each key arrived sealed under, outermost first (a Secret in a field tagged otherwise has two). */
  keys?: Map<string, readonly string[]>;
  whole?: readonly string[];
}

const MEMORY_KEY = Symbol.for('temporal-sealed-fields.sealedMemory.v1');
const globalBag = globalThis as unknown as Record<symbol, { map: WeakMap<object, Memory>; used: boolean } | undefined>;
const state = globalBag[MEMORY_KEY] ?? (globalBag[MEMORY_KEY] = { map: new WeakMap(), used: false });

/** True once any value in this realm remembers sealing (until then encoding skips the lookups). */
export function anySealedMemory(): boolean {
  return state.used;
}

/** Keys of `holder` that arrived sealed, with their purposes. */
export function sealedKeysOf(holder: object): ReadonlyMap<string, readonly string[]> | undefined {
  return state.used ? state.map.get(holder)?.keys : undefined;
}

/** The purposes `value` arrived sealed under, outermost first, if it arrived inside a sealed value. */
export function sealedWholeOf(value: object): readonly string[] | undefined {
  return state.used ? state.map.get(value)?.whole : undefined;
}

/**
 * Records, on the decoded `root`, where each opened value sits and under which purposes.
 * `order` lists containers before the values sealed inside them.
 */
export function rememberSealedPaths(root: unknown, paths: readonly string[], purposes: readonly string[], order: readonly number[]): void {
  for (const i of order) {
    const tokens = parsePointer(paths[i] as string);
    const purpose = purposes[i] as string;
    const holder = holderOf(root, tokens);
    const outer = holder === undefined ? undefined : state.map.get(holder)?.whole;
    if (holder !== undefined) {
      const keys = (memoryOf(holder).keys ??= new Map());
      const key = tokens[tokens.length - 1] as string;
      keys.set(key, withPurpose(keys.get(key) ?? [], purpose));
    }
    const value = valueAt(root, tokens);
    if (typeof value === 'object' && value !== null) markWhole(value, outer === undefined ? [purpose] : withPurpose(outer, purpose));
    state.used = true;
  }
}

function withPurpose(chain: readonly string[], purpose: string): readonly string[] {
  return chain.includes(purpose) ? chain : [...chain, purpose];
}

function memoryOf(node: object): Memory {
  let memory = state.map.get(node);
  if (memory === undefined) state.map.set(node, (memory = {}));
  return memory;
}

/** Every object and array inside `value` (itself included) arrived sealed under `chain`. */
function markWhole(value: object, chain: readonly string[]): void {
  const stack: object[] = [value];
  while (stack.length > 0) {
    const node = stack.pop() as object;
    memoryOf(node).whole = chain;
    for (const child of Object.values(node)) if (typeof child === 'object' && child !== null) stack.push(child);
  }
}

/** The object or array holding the last token, following own properties only. */
function holderOf(root: unknown, tokens: readonly string[]): object | undefined {
  if (tokens.length === 0) return undefined;
  const node = valueAt(root, tokens.slice(0, -1));
  return typeof node === 'object' && node !== null ? node : undefined;
}

function valueAt(root: unknown, tokens: readonly string[]): unknown {
  let node: unknown = root;
  for (const token of tokens) {
    if (typeof node !== 'object' || node === null || !Object.prototype.hasOwnProperty.call(node, token)) return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}
