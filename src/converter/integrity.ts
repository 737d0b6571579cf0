import { sealedError } from '../errors';
import { Erased } from '../model/erased';
import { resolveShape, type Shape } from './shapes';

/**
 * A typed value that arrived without an envelope holds nothing at its sensitive positions: a
 * value there means someone stripped the envelope and wrote text of their own in its place. An
 * `Erased` tombstone is the one exception: it stands where a forgotten subject's value was.
 */
export function refuseClearSensitiveValues(value: unknown, declared: Shape, maxDepth: number, depth = 0): void {
  if (depth > maxDepth) throw sealedError('SEALED_TOO_DEEP', 'value is nested deeper than maxDepth', { maxDepth });
  const shape = resolveShape(declared);
  if (shape === undefined) return;
  if (shape.kind === 'sensitive') {
    if (value !== undefined && !Erased.isErased(value)) throw stripped();
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const holder = value as Record<string, unknown>;
  const next = depth + 1;
  switch (shape.kind) {
    case 'class':
    case 'object':
      for (const field of shape.fields)
        if (Object.hasOwn(holder, field.key)) refuseClearSensitiveValues(holder[field.key], field.shape, maxDepth, next);
      return;
    case 'classOrArray':
      refuseClearSensitiveValues(value, Array.isArray(value) ? { kind: 'array', element: shape.cls } : shape.cls, maxDepth, next);
      return;
    case 'array':
      if (Array.isArray(value))
        for (const element of value as unknown[]) refuseClearSensitiveValues(element, shape.element, maxDepth, next);
      return;
    case 'record':
      for (const key of Object.keys(holder)) refuseClearSensitiveValues(holder[key], shape.value, maxDepth, next);
      return;
  }
}

export function stripped(): Error {
  return sealedError('SEALED_TAMPERED', 'a sealed position holds a clear value: the sealed fields were removed or replaced');
}
