import { sealedError } from '../errors';
import { PLACEHOLDER_PATTERN, PLACEHOLDER_PREFIX } from '../lib/identifiers';
import type { Shape } from './shapes';


/**
 * A typed value that arrived without an envelope holds nothing at its sensitive positions: a
 * value there means someone stripped the envelope and wrote text of their own in its place.
 */
export function refuseClearSensitiveValues(value: unknown, shape: Shape): void {
  if (shape.kind === 'sensitive') {
    if (value !== undefined) throw stripped();
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const holder = value as Record<string, unknown>;
  switch (shape.kind) {
    case 'class':
    case 'object':
      for (const field of shape.fields) if (Object.prototype.hasOwnProperty.call(holder, field.key)) refuseClearSensitiveValues(holder[field.key], field.shape);
      return;
    case 'classOrArray':
      return refuseClearSensitiveValues(value, Array.isArray(value) ? { kind: 'array', element: shape.cls } : shape.cls);
    case 'array':
      if (Array.isArray(value)) for (const element of value as unknown[]) refuseClearSensitiveValues(element, shape.element);
      return;
    case 'record':
      for (const key of Object.keys(holder)) refuseClearSensitiveValues(holder[key], shape.value);
      return;
  }
}

/** Clear JSON text that may hold placeholder strings (a cheap test before `countPlaceholders`). */
export function mayHoldPlaceholders(text: string): boolean {
  return text.includes(PLACEHOLDER_PREFIX);
}

/** How many strings in a JSON value are exactly a placeholder. */
export function countPlaceholders(value: unknown): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node === 'string') {
      if (node.startsWith(PLACEHOLDER_PREFIX) && PLACEHOLDER_PATTERN.test(node)) count++;
    } else if (typeof node === 'object' && node !== null) {
      for (const child of Object.values(node)) stack.push(child);
    }
  }
  return count;
}

export function stripped(): Error {
  return sealedError('SEALED_TAMPERED', 'a sealed position holds a clear value: the sealed fields were removed or replaced');
}
