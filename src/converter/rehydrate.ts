import { sealedError } from '../errors';
import { Secret } from '../model/secret';
import { resolveShape, type Shape } from './shapes';

/**
 * Turns parsed JSON back into class instances along a compiled shape: the plain objects
 * JSON.parse made get the class prototype (no constructor runs, nothing is copied).
 * Objects that would carry an own `__proto__` or `constructor` key are refused.
 */
export function rehydrate(value: unknown, declared: Shape, depth: number, maxDepth: number): unknown {
  if (depth > maxDepth) throw sealedError('SEALED_TOO_DEEP', 'value is nested deeper than maxDepth', { maxDepth });
  const shape = resolveShape(declared);
  if (typeof value !== 'object' || value === null || shape === undefined) return value;
  switch (shape.kind) {
    case 'sensitive':
      return shape.inner === undefined ? value : rehydrate(value, shape.inner, depth, maxDepth);
    case 'class':
      return rehydrateClass(value, shape.proto, shape.fields, depth, maxDepth);
    case 'object':
      for (const field of shape.fields) rehydrateField(value, field.key, field.shape, depth, maxDepth);
      return value;
    case 'classOrArray':
      return Array.isArray(value) ? eachElement(value, shape.cls, depth, maxDepth) : rehydrate(value, shape.cls, depth, maxDepth);
    case 'array':
      return Array.isArray(value) ? eachElement(value, shape.element, depth, maxDepth) : value;
    case 'record':
      for (const key of Object.keys(value)) rehydrateField(value, key, shape.value, depth, maxDepth);
      return value;
  }
}

function rehydrateClass(
  value: object,
  proto: object,
  fields: ReadonlyArray<{ key: string; shape: Shape }>,
  depth: number,
  maxDepth: number,
): object {
  if (Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) return value;
  if (Object.hasOwn(value, '__proto__') || Object.hasOwn(value, 'constructor')) {
    throw sealedError('SEALED_FORBIDDEN_KEY', 'a typed object carries a forbidden key (__proto__ or constructor)');
  }
  Object.setPrototypeOf(value, proto);
  for (const field of fields) rehydrateField(value, field.key, field.shape, depth, maxDepth);
  return value;
}

function rehydrateField(holder: object, key: string, shape: Shape, depth: number, maxDepth: number): void {
  if (!Object.hasOwn(holder, key)) return;
  const record = holder as Record<string, unknown>;
  const child = record[key];
  if (typeof child === 'object' && child !== null && !Secret.isSecret(child)) record[key] = rehydrate(child, shape, depth + 1, maxDepth);
}

function eachElement(values: unknown[], shape: Shape, depth: number, maxDepth: number): unknown[] {
  for (let i = 0; i < values.length; i++) values[i] = rehydrate(values[i], shape, depth + 1, maxDepth);
  return values;
}
