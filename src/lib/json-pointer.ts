import { sealedError } from '../errors';

// RFC 6901 JSON Pointer: unambiguous paths, array indexes included ("/visits/0/notes").

export function appendToken(pointer: string, token: string | number): string {
  if (typeof token === 'number') return `${pointer}/${token}`;
  const text = token;
  return `${pointer}/${text.includes('~') || text.includes('/') ? text.replace(/~/g, '~0').replace(/\//g, '~1') : text}`;
}

export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw sealedError('SEALED_MALFORMED', 'field path is not a JSON pointer');
  const tokens = pointer.slice(1).split('/');
  // Escapes are rare: unescape only when there is one (this runs once per sealed field on decode).
  return pointer.includes('~') ? tokens.map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~')) : tokens;
}

/** An RFC 6901 array index: digits without a leading zero. A char loop, cheaper than a regex per token. */
function isArrayIndex(token: string): boolean {
  if (token.length === 0 || (token.length > 1 && token.charCodeAt(0) === 0x30)) return false;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

// Payloads of one type repeat the same paths, so decoding reuses their parsed tokens (bounded: cleared when full).
const tokenCache = new Map<string, readonly string[]>();
const TOKEN_CACHE_LIMIT = 2048;

export function cachedTokens(pointer: string): readonly string[] {
  let tokens = tokenCache.get(pointer);
  if (tokens !== undefined) return tokens;
  tokens = Object.freeze(parsePointer(pointer));
  if (tokenCache.size >= TOKEN_CACHE_LIMIT) tokenCache.clear();
  tokenCache.set(pointer, tokens);
  return tokens;
}

/** An array or plain object as JSON.parse makes them; never a Secret or class instance an earlier path put there. */
function isJsonContainer(node: unknown): node is object {
  if (typeof node !== 'object' || node === null) return false;
  if (Array.isArray(node)) return true;
  const proto = Object.getPrototypeOf(node) as unknown;
  return proto === Object.prototype || proto === null;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Keys that could reach a prototype when assigned; refused wherever this library writes by path. */
export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key);
}

/**
 * Writes `value` at `pointer` inside `root` (a JSON.parse result) and returns the new root.
 * Only own properties are followed, and prototype-reaching keys are refused.
 */
export function setAtPointer(root: unknown, pointer: string, value: unknown): unknown {
  const tokens = cachedTokens(pointer);
  if (tokens.length === 0) return value;
  let node: unknown = root;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (isForbiddenKey(token)) throw sealedError('SEALED_FORBIDDEN_KEY', 'field path contains a forbidden key');
    if (!isJsonContainer(node) || (Array.isArray(node) && !isArrayIndex(token))) {
      throw sealedError('SEALED_MALFORMED', 'field path does not match the payload', { path: pointer });
    }
    if (i === tokens.length - 1) {
      if (!Object.hasOwn(node, token)) {
        throw sealedError('SEALED_MALFORMED', 'field path does not match the payload', { path: pointer });
      }
      (node as Record<string, unknown>)[token] = value;
      return root;
    }
    node = Object.hasOwn(node, token) ? (node as Record<string, unknown>)[token] : undefined;
  }
  return root;
}

/** The value at `pointer` inside `root`, through own properties only; undefined where the path is missing. */
export function getAtPointer(root: unknown, pointer: string): unknown {
  let node: unknown = root;
  for (const token of cachedTokens(pointer)) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, token)) return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}

/**
 * Writes each value at its pointer, containers before what was sealed inside them (fewer tokens
 * first), skipping pointers under `withheld` ones (sealed values left closed).
 */
export function mergeAtPointers(
  root: unknown,
  paths: readonly string[],
  valueAt: (index: number) => unknown,
  withheld: readonly string[] = [],
  order: readonly number[] = parentFirstOrder(paths),
): unknown {
  let merged = root;
  for (const i of order) {
    const path = paths[i] as string;
    if (withheld.length > 0 && withheld.some((w) => path.startsWith(`${w}/`))) continue;
    merged = setAtPointer(merged, path, valueAt(i));
  }
  return merged;
}

/** Indexes of `paths`, containers before what sits inside them (fewer tokens first, stable). */
export function parentFirstOrder(paths: readonly string[]): number[] {
  const depths = paths.map(tokenCount);
  const order = depths.map((_, i) => i);
  const sorted = depths.every((d, i) => i === 0 || (depths[i - 1] as number) <= d);
  return sorted ? order : order.sort((a, b) => (depths[a] as number) - (depths[b] as number) || a - b);
}

function tokenCount(pointer: string): number {
  let count = 0;
  for (let i = 0; i < pointer.length; i++) if (pointer.charCodeAt(i) === 0x2f) count++;
  return count;
}
