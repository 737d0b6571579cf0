import { sealedError } from '../errors';
import { PLACEHOLDER_PATTERN, PLACEHOLDER_PREFIX } from '../lib/identifiers';
import { appendToken } from './json-pointer';
import type { Shape } from './shapes';


/**
 * A typed value's sensitive positions hold only what the codec opened (or nothing). A clear
 * value there means someone stripped the envelope and wrote text of their own in its place.
 */
export function checkSensitivePositions(value: unknown, shape: Shape, opened: ReadonlySet<string>, path = ''): void {
  if (opened.has(path)) return; // the whole subtree came out of the envelope
  if (shape.kind === 'sensitive') {
    if (value !== undefined) throw stripped();
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const at = (key: string, child: Shape): void => {
    if (Object.prototype.hasOwnProperty.call(value, key)) checkSensitivePositions((value as Record<string, unknown>)[key], child, opened, appendToken(path, key));
  };
  switch (shape.kind) {
    case 'class':
    case 'object':
      return shape.fields.forEach((field) => at(field.key, field.shape));
    case 'classOrArray':
      return Array.isArray(value) ? value.forEach((_, i) => at(String(i), shape.cls)) : shape.cls.fields.forEach((field) => at(field.key, field.shape));
    case 'array':
      return Array.isArray(value) ? value.forEach((_, i) => at(String(i), shape.element)) : undefined;
    case 'record':
      return Object.keys(value).forEach((key) => at(key, shape.value));
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
