import type { EncodingWatch } from './encoding-watch';

/**
 * The one registry per JS realm. Pinned on globalThis under a Symbol.for key so that the
 * ESM and CJS copies of this package (and a workflow bundle's copy) share it.
 */
// biome-ignore lint/suspicious/noExplicitAny: every class, whatever its constructor's parameters (unknown[] would refuse classes with typed ones)
export type AnyClass = abstract new (...args: any[]) => any;
export type ClassThunk = () => AnyClass;

/** What a decorator recorded about one field. */
export interface FieldDecl {
  purpose?: string;
  nested?: ClassThunk;
  /** The nested field is a `Record<string, T>`. */
  record?: boolean;
  /** The field holds the id of the data subject the instance's sealed values belong to (`@DataSubjectId`). */
  subjectId?: boolean;
}

export interface ClassDecl {
  name?: string;
  fields: Map<string, FieldDecl>;
}

interface RegistryState {
  readonly classes: WeakMap<AnyClass, ClassDecl>;
  readonly byName: Map<string, AnyClass>;
  readonly schemaMarks: WeakMap<object, { purpose: string }>;
  /** zod object schemas marked by `dataSubject`: the key of their subject id field. Created on first use. */
  subjectMarks?: WeakMap<object, string>;
  /** Field decorations seen under TC39 decorators, waiting for their class decorator. */
  pendingStandardFields: Array<[string, FieldDecl]>;
  /** See model/encoding-watch, the only module that reads or writes it. */
  watch: EncodingWatch | null;
  /** The `toJSON` functions this library installs (model/encoding-watch). */
  readonly ownToJSON: WeakSet<object>;
}

const REGISTRY_KEY = Symbol.for('temporal-sealed-fields.registry.v1');

function createState(): RegistryState {
  return {
    classes: new WeakMap(),
    byName: new Map(),
    schemaMarks: new WeakMap(),
    pendingStandardFields: [],
    watch: null,
    ownToJSON: new WeakSet(),
  };
}

// Captured once at module load: the workflow sandbox may swap globals per workflow later.
const globalBag = globalThis as unknown as Record<symbol, RegistryState | undefined>;
globalBag[REGISTRY_KEY] ??= createState();
export const registry: RegistryState = globalBag[REGISTRY_KEY];

export function classDecl(ctor: AnyClass): ClassDecl {
  let decl = registry.classes.get(ctor);
  if (decl === undefined) {
    decl = { fields: new Map() };
    registry.classes.set(ctor, decl);
  }
  return decl;
}

export function recordField(ctor: AnyClass, field: string, patch: FieldDecl): void {
  const fields = classDecl(ctor).fields;
  fields.set(field, { ...fields.get(field), ...patch });
}
