import { sealedError } from '../errors';

// RFC 6901 JSON Pointer: unambiguous paths, array indexes included ("/visits/0/notes").

export function appendToken(pointer: string, token: string | number): string {
  const text = String(token);
  return `${pointer}/${text.includes('~') || text.includes('/') ? text.replace(/~/g, '~0').replace(/\//g, '~1') : text}`;
}

export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw sealedError('SEALED_MALFORMED', 'field path is not a JSON pointer');
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
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
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  let node: unknown = root;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (isForbiddenKey(token)) throw sealedError('SEALED_FORBIDDEN_KEY', 'field path contains a forbidden key');
    if (typeof node !== 'object' || node === null || (Array.isArray(node) && !/^(0|[1-9][0-9]*)$/.test(token))) {
      throw sealedError('SEALED_MALFORMED', 'field path does not match the payload', { path: pointer });
    }
    if (i === tokens.length - 1) {
      if (!Object.prototype.hasOwnProperty.call(node, token)) {
        throw sealedError('SEALED_MALFORMED', 'field path does not match the payload', { path: pointer });
      }
      (node as Record<string, unknown>)[token] = value;
      return root;
    }
    node = Object.prototype.hasOwnProperty.call(node, token) ? (node as Record<string, unknown>)[token] : undefined;
  }
  return root;
}
