import { sealedError } from '../errors';
import { classTransformerTypes } from '../model/class-transformer-types';
import { registry, type AnyClass, type ClassThunk, type FieldDecl } from '../model/registry';
import { dataSubjectField, sensitivePurpose, type ZodLike } from '../model/zod';

/**
 * A compiled description of where sensitive values and nested classes sit in a type.
 * Only the branches that matter are kept, so walks skip clear subtrees entirely.
 */
export type Shape = SensitiveShape | ClassShape | ObjectShape | ArrayShape | RecordShape | ClassOrArrayShape | RefShape;

export interface SensitiveShape {
  kind: 'sensitive';
  purpose: string;
  /** Class to rebuild inside the opened value. */
  inner?: Shape;
}
export interface FieldShape {
  key: string;
  shape: Shape;
}
export interface ClassShape {
  kind: 'class';
  name: string;
  ctor: AnyClass;
  proto: object;
  fields: FieldShape[];
  /** The field holding the data subject id (`@DataSubjectId`). */
  subjectKey?: string;
}
export interface ObjectShape {
  kind: 'object';
  fields: FieldShape[];
  /** The field holding the data subject id (zod `dataSubject`). */
  subjectKey?: string;
}
export interface ArrayShape {
  kind: 'array';
  element: Shape;
}
export interface RecordShape {
  kind: 'record';
  value: Shape;
}
/** A recursive zod schema's reference to itself, resolved once its shape is compiled. */
export interface RefShape {
  kind: 'ref';
  resolve(): Shape | null;
}

/** The shape a reference stands for (itself for any other shape); undefined when it holds nothing sensitive. */
export function resolveShape(shape: Shape | undefined): Exclude<Shape, RefShape> | undefined {
  let current: Shape | null | undefined = shape;
  while (current?.kind === 'ref') current = current.resolve();
  return current ?? undefined;
}

/** class-transformer's `@Type` convention: a field holds an instance or an array of them. */
export interface ClassOrArrayShape {
  kind: 'classOrArray';
  cls: ClassShape;
}

const classShapes = new WeakMap<AnyClass, ClassShape>();

/** The shape of a registered class (cached; recursive classes are fine). */
export function classShape(ctor: AnyClass): ClassShape {
  const cached = classShapes.get(ctor);
  if (cached !== undefined) return cached;
  const name = registry.classes.get(ctor)?.name;
  if (name === undefined) {
    throw sealedError('SEALED_UNREGISTERED_TYPE', 'class is not registered with @SealedType', { type: ctor.name });
  }
  const shape: ClassShape = { kind: 'class', name, ctor, proto: ctor.prototype as object, fields: [] };
  classShapes.set(ctor, shape);
  const decls = collectFields(ctor);
  const subjectKeys = decls.filter(([, decl]) => decl.subjectId === true).map(([key]) => key);
  if (subjectKeys.length > 1) throw sealedError('SEALED_INVALID_OPTION', 'a class has at most one @DataSubjectId field', { type: name });
  if (subjectKeys.length === 1) shape.subjectKey = subjectKeys[0] as string;
  shape.fields = decls.flatMap(([key, decl]) => fieldShape(key, decl));
  return shape;
}

/** Field declarations of a class and its ancestors; the nearest declaration wins. */
function collectFields(ctor: AnyClass): Array<[string, FieldDecl]> {
  const merged = new Map<string, FieldDecl>();
  for (let c: unknown = ctor; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const level = new Map<string, FieldDecl>();
    for (const [key, type] of classTransformerTypes(c as AnyClass)) level.set(key, { nested: type });
    for (const [key, decl] of registry.classes.get(c as AnyClass)?.fields ?? []) {
      level.set(key, { ...level.get(key), ...decl });
    }
    for (const [key, decl] of level) merged.set(key, { ...decl, ...merged.get(key) });
  }
  return [...merged];
}

function fieldShape(key: string, decl: FieldDecl): FieldShape[] {
  const nested = decl.nested === undefined ? undefined : lazyNestedShape(decl.nested, decl.record === true);
  if (decl.purpose !== undefined) {
    const sensitive: SensitiveShape = { kind: 'sensitive', purpose: decl.purpose };
    if (nested !== undefined) sensitive.inner = nested;
    return [{ key, shape: sensitive }];
  }
  return nested === undefined ? [] : [{ key, shape: nested }];
}

/** Thunks may name classes declared later in the file, so resolve them on first use. */
function lazyNestedShape(thunk: ClassThunk, record: boolean): Shape {
  let resolved: ClassShape | undefined;
  const cls = (): ClassShape => (resolved ??= classShape(thunk()));
  const target = record ? ({ kind: 'record' } as RecordShape) : ({ kind: 'classOrArray' } as ClassOrArrayShape);
  Object.defineProperty(target, record ? 'value' : 'cls', { get: cls, enumerable: true });
  return target;
}

/** The registered class shape of an instance, if its class is registered. */
export function shapeOfInstance(value: object): ClassShape | undefined {
  const ctor = (value as { constructor?: unknown }).constructor;
  if (typeof ctor !== 'function') return undefined;
  return registry.classes.get(ctor as AnyClass)?.name === undefined ? undefined : classShape(ctor as AnyClass);
}

const zodShapes = new WeakMap<object, Shape | null>();
const compiling = new WeakMap<object, RefShape>();
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'readonly', 'nonoptional', 'catch', 'prefault', 'success']);

/** The shape of a zod v4 schema, or null when it contains nothing sensitive. */
export function zodShape(schema: ZodLike): Shape | null {
  if (zodShapes.has(schema)) return zodShapes.get(schema) ?? null;
  // A schema met again while it compiles (z.lazy, getters) is recursive: refer to its shape, never assume it holds nothing.
  const inProgress = compiling.get(schema);
  if (inProgress !== undefined) return inProgress;
  compiling.set(schema, { kind: 'ref', resolve: () => zodShapes.get(schema) ?? null });
  try {
    const shape = compileZod(schema);
    zodShapes.set(schema, shape);
    return shape;
  } finally {
    compiling.delete(schema);
  }
}

function compileZod(schema: ZodLike): Shape | null {
  const purpose = sensitivePurpose(schema);
  if (purpose === undefined) return compileUnmarked(schema);
  // Tags inside a sensitive value keep their own purpose: the walk seals them as nested fields.
  const inner = compileUnmarked(schema);
  return inner === null ? { kind: 'sensitive', purpose } : { kind: 'sensitive', purpose, inner };
}

function compileUnmarked(schema: ZodLike): Shape | null {
  const def = defOf(schema);
  if (def === undefined) return null;
  if (WRAPPERS.has(def.type)) return zodShape(def['innerType'] as ZodLike);
  switch (def.type) {
    case 'object':
      refuseSensitiveCatchall(def['catchall'] as ZodLike | undefined);
      return objectShape(def['shape'] as Record<string, ZodLike>, dataSubjectField(schema));
    case 'array':
      return wrap(zodShape(def['element'] as ZodLike), (element) => ({ kind: 'array', element }));
    case 'record':
      if (zodShape(def['keyType'] as ZodLike) !== null) {
        throw sealedError(
          'SEALED_INVALID_OPTION',
          'sensitive() on a zod record key is not supported: keys are written in clear; mark the whole record',
        );
      }
      return wrap(zodShape(def['valueType'] as ZodLike), (value) => ({ kind: 'record', value }));
    case 'pipe':
      // z.preprocess and .pipe(sensitive(...)) put the mark on the output side.
      return zodShape(def['in'] as ZodLike) ?? (def['out'] === undefined ? null : zodShape(def['out'] as ZodLike));
    case 'lazy':
      return zodShape((def['getter'] as () => ZodLike)());
    case 'union':
    case 'intersection':
    case 'tuple':
    case 'map':
    case 'set':
      return refuseHiddenMarks(schema);
    default:
      return null;
  }
}

/** An object's shape; one that names a data subject is kept even with no sensitive field (Secrets inside it take that subject). */
function objectShape(fields: Record<string, ZodLike>, subjectKey: string | undefined): ObjectShape | null {
  const out: FieldShape[] = [];
  for (const [key, child] of Object.entries(fields)) {
    const shape = zodShape(child);
    if (shape !== null) out.push({ key, shape });
  }
  if (subjectKey !== undefined) return { kind: 'object', fields: out, subjectKey };
  return out.length === 0 ? null : { kind: 'object', fields: out };
}

// zod's def interfaces name only their own fields; read the rest by key.
function defOf(schema: ZodLike): (Record<string, unknown> & { type: string }) | undefined {
  return schema._zod?.def as (Record<string, unknown> & { type: string }) | undefined;
}

function wrap(inner: Shape | null, make: (inner: Shape) => Shape): Shape | null {
  return inner === null ? null : make(inner);
}

/** Keys a catchall covers are not listed anywhere a walk could find them: refuse a sensitive catchall. */
function refuseSensitiveCatchall(catchall: ZodLike | undefined): void {
  if (catchall !== undefined && catchall !== null && zodShape(catchall) !== null) {
    throw sealedError('SEALED_INVALID_OPTION', 'sensitive() as a zod object catchall is not supported; list the fields or use z.record');
  }
}

/** Sensitive marks under unions and tuples cannot be located without trying each branch: refuse them. */
function refuseHiddenMarks(schema: ZodLike): null {
  const def: Record<string, unknown> = defOf(schema) ?? {};
  const children = [
    ...((def['options'] as ZodLike[] | undefined) ?? []),
    ...((def['items'] as ZodLike[] | undefined) ?? []),
    ...['left', 'right', 'keyType', 'valueType'].map((k) => def[k] as ZodLike | undefined).filter((c) => c !== undefined),
  ];
  if (children.some((child) => zodShape(child) !== null)) {
    throw sealedError(
      'SEALED_INVALID_OPTION',
      'sensitive() inside a zod union, intersection, tuple, map or set is not supported; mark the whole field',
    );
  }
  return null;
}
