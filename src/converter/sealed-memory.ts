import { cachedTokens } from './json-pointer';

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
export interface Memory {
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

/** What `node` remembers, if anything: one lookup serves both questions on the encoding hot path. */
export function sealedMemoryOf(node: object): Memory | undefined {
  return state.used ? state.map.get(node) : undefined;
}

/**
 * Records, on the decoded `root`, where each opened value sits and under which purposes.
 * `order` lists containers before the values sealed inside them.
 */
export function rememberSealedPaths(root: unknown, paths: readonly string[], purposes: readonly string[], order: readonly number[]): void {
  state.used = true;
  for (const i of order) {
    const tokens = cachedTokens(paths[i] as string);
    const holder = tokens.length === 0 ? undefined : valueAt(root, tokens, tokens.length - 1);
    if (typeof holder !== 'object' || holder === null) continue;
    const key = tokens[tokens.length - 1] as string;
    const memory = memoryOf(holder);
    const chain = withPurpose(memory.keys?.get(key) ?? memory.whole ?? [], purposes[i] as string);
    (memory.keys ??= new Map()).set(key, chain);
    const value = Object.prototype.hasOwnProperty.call(holder, key) ? (holder as Record<string, unknown>)[key] : undefined;
    if (typeof value === 'object' && value !== null) markWhole(value, chain);
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

/** The value at the first `count` tokens, following own properties only. */
function valueAt(root: unknown, tokens: readonly string[], count: number): unknown {
  let node: unknown = root;
  for (let i = 0; i < count; i++) {
    const token = tokens[i] as string;
    if (typeof node !== 'object' || node === null || !Object.prototype.hasOwnProperty.call(node, token)) return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}
