import { Secret } from '../model/secret';
import { cachedTokens } from '../lib/json-pointer';
import { tagSubject } from '../lib/seal-tag';
import { type ClassShape, shapeOfInstance } from './shapes';

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
  /** An array that held sealed elements: every element is sealed under these purposes (indexes shift). */
  elements?: readonly string[];
  whole?: readonly string[];
}

/**
 * Kept on the decoded objects themselves, under a non-enumerable symbol: JSON, spreads,
 * `Object.keys` and structuredClone never see it, and (unlike a WeakMap, whose ephemeron
 * tables slow every garbage collection) it costs nothing once the value is dropped.
 */
const MEMORY = Symbol.for('temporal-sealed-fields.sealedMemory.v1');
const USED_KEY = Symbol.for('temporal-sealed-fields.sealedMemoryUsed.v1');
const globalBag = globalThis as unknown as Record<symbol, { used: boolean } | undefined>;
globalBag[USED_KEY] ??= { used: false };
const state = globalBag[USED_KEY];

type Remembering = { [MEMORY]?: Memory };

/** True once any value in this realm remembers sealing (until then encoding skips the lookups). */
export function anySealedMemory(): boolean {
  return state.used;
}

/** What `node` remembers, if anything. */
export function sealedMemoryOf(node: object): Memory | undefined {
  return state.used ? (node as Remembering)[MEMORY] : undefined;
}

/**
 * Records, on the decoded `root`, where each opened value sits and under which purposes.
 * `order` lists containers before the values sealed inside them.
 */
export function rememberSealedPaths(root: unknown, paths: readonly string[], purposes: readonly string[], order: readonly number[]): void {
  state.used = true;
  // Sealed siblings share their holder: found once per run of paths with the same parent.
  let parent: string | undefined;
  let holder: unknown;
  for (const i of order) {
    const path = paths[i] as string;
    const tokens = cachedTokens(path);
    if (tokens.length === 0) {
      markWhole(root, withPurpose(NONE, purposes[i] as string)); // the whole value was sealed
      continue;
    }
    const parentPath = path.slice(0, path.lastIndexOf('/'));
    if (parentPath !== parent) {
      parent = parentPath;
      holder = unwrap(valueAt(root, tokens, tokens.length - 1));
    }
    if (typeof holder === 'object' && holder !== null) remember(holder, tokens[tokens.length - 1] as string, purposes[i] as string);
  }
}

/** Records that `holder[key]` arrived sealed under `purpose` (inside what `holder` itself arrived under). */
function remember(holder: object, key: string, purpose: string): void {
  const value = Object.hasOwn(holder, key) ? (holder as Record<string, unknown>)[key] : undefined;
  const memory = (holder as Remembering)[MEMORY];
  const chain = withPurpose(memory?.keys?.get(key) ?? memory?.whole ?? NONE, purpose);
  // A registered class that declares the key sensitive under this purpose seals it again by itself.
  if (Array.isArray(holder)) rememberElements(holder, chain);
  else if (chain.length > 1 || declaredPurpose(holder, key) !== purpose) rememberKey(holder, key, chain);
  if (typeof value === 'object' && value !== null) markWhole(value, chain);
}

const NONE: readonly string[] = [];
const singleChains = new Map<string, readonly string[]>();

function withPurpose(chain: readonly string[], purpose: string): readonly string[] {
  if (chain.length === 0) {
    let single = singleChains.get(purpose);
    if (single === undefined) {
      single = Object.freeze([purpose]);
      // Purposes are few; tags naming a data subject are not (and hold its id): never kept.
      if (tagSubject(purpose) === undefined) singleChains.set(purpose, single);
    }
    return single;
  }
  return chain.includes(purpose) ? chain : [...chain, purpose];
}

function rememberElements(holder: unknown[], chain: readonly string[]): void {
  const memory = memoryOf(holder);
  memory.elements = chain.reduce((merged, purpose) => withPurpose(merged, purpose), memory.elements ?? NONE);
}

function rememberKey(holder: object, key: string, chain: readonly string[]): void {
  const memory = memoryOf(holder);
  memory.keys ??= new Map();
  memory.keys.set(key, chain);
}

/** Per class shape: the purpose of each key it declares sensitive. */
const declaredPurposes = new WeakMap<ClassShape, Map<string, string>>();

function declaredPurpose(holder: object, key: string): string | undefined {
  const shape = shapeOfInstance(holder);
  if (shape === undefined) return undefined;
  let purposes = declaredPurposes.get(shape);
  if (purposes === undefined) {
    purposes = new Map();
    for (const field of shape.fields) if (field.shape.kind === 'sensitive') purposes.set(field.key, field.shape.purpose);
    declaredPurposes.set(shape, purposes);
  }
  return purposes.get(key);
}

function memoryOf(node: object): Memory {
  const own = Object.hasOwn(node, MEMORY) ? (node as Remembering)[MEMORY] : undefined;
  if (own !== undefined) return own;
  const memory: Memory = {};
  // A frozen or sealed object cannot remember: it is left as it is (spread copies do not remember either).
  Reflect.defineProperty(node, MEMORY, { value: memory, enumerable: false, writable: true, configurable: true });
  return memory;
}

/** Every object and array inside `value` (itself included) arrived sealed under `chain`. */
function markWhole(value: unknown, chain: readonly string[]): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null) continue;
    if (Secret.isSecret(node)) {
      stack.push(node.reveal()); // a Secret seals itself; what it holds still remembers its container
      continue;
    }
    memoryOf(node).whole = chain;
    for (const child of Object.values(node)) stack.push(child);
  }
}

/** What a Secret (or a Secret of a Secret) holds; any other value as it is. */
function unwrap(value: unknown): unknown {
  let inner = value;
  while (Secret.isSecret(inner)) inner = inner.reveal();
  return inner;
}

/** The value at the first `count` tokens, following own properties only. */
function valueAt(root: unknown, tokens: readonly string[], count: number): unknown {
  let node: unknown = root;
  for (let i = 0; i < count; i++) {
    const token = tokens[i] as string;
    node = unwrap(node);
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, token)) return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}
