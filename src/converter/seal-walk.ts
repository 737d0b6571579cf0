import { sealedError } from '../errors';
import { registry, type AnyClass } from '../model/registry';
import { Secret } from '../model/secret';
import { appendToken, isForbiddenKey } from './json-pointer';
import { pendingPlaceholder } from './placeholder';
import { shapeOfInstance, type ClassShape, type FieldShape, type Shape } from './shapes';

/** One value the converter hands to the codec for sealing. */
export interface PendingField {
  /** JSON pointer of the placeholder in the clear JSON. */
  path: string;
  purpose: string;
  /** The value was a `Secret` and decodes back into one. */
  secret: boolean;
  value: unknown;
  /** Sealed inside another sealed value (its placeholder is in that value, not in the clear JSON). */
  nested?: boolean;
}

/** A key-name rule for untyped plain objects, like SOPS's `encrypted_regex`. */
export interface KeyRule {
  pattern: RegExp;
  purpose: string;
}

export interface WalkOptions {
  /** Walk every node (needed for key rules, strict mode, or values the fast path missed). */
  full: boolean;
  strict: boolean;
  keyRules: readonly KeyRule[];
  maxDepth: number;
}

/**
 * Builds a copy of `value` in which every sensitive value is replaced by a placeholder,
 * sharing every untouched subtree with the original. Returns the copy and the values taken out.
 */
export function shadowValue(value: unknown, shape: Shape | undefined, options: WalkOptions): { shadow: unknown; fields: PendingField[] } {
  const walk = new SealWalk(options);
  return { shadow: walk.visit(value, shape, '', 0), fields: walk.fields };
}

class SealWalk {
  readonly fields: PendingField[] = [];
  private readonly ancestors = new Set<object>();
  /** How many sealed values the walk is inside while taking nested Secrets out. */
  private nesting = 0;

  constructor(private readonly options: WalkOptions) {}

  visit(value: unknown, shape: Shape | undefined, path: string, depth: number): unknown {
    if (depth > this.options.maxDepth) {
      throw sealedError('SEALED_TOO_DEEP', 'value is nested deeper than maxDepth', { maxDepth: this.options.maxDepth });
    }
    if (Secret.isSecret(value)) return this.take(path, value.purpose, value);
    if (shape?.kind === 'sensitive') return value === undefined ? undefined : this.take(path, shape.purpose, value);
    if (typeof value !== 'object' || value === null) return this.primitive(value, path);
    if (this.ancestors.has(value)) throw sealedError('SEALED_UNSUPPORTED_VALUE', 'value contains a cycle', { path });
    this.ancestors.add(value);
    try {
      return this.container(value, shape, path, depth);
    } finally {
      this.ancestors.delete(value);
    }
  }

  private container(value: object, shape: Shape | undefined, path: string, depth: number): unknown {
    const own = shapeOfInstance(value);
    if (own !== undefined) return this.object(value, own.fields, path, depth);
    if (Array.isArray(value)) return this.array(value, elementShape(shape), path, depth);
    if (shape?.kind === 'class' || shape?.kind === 'object') return this.object(value, shape.fields, path, depth);
    if (shape?.kind === 'classOrArray') return this.object(value, shape.cls.fields, path, depth);
    if (shape?.kind === 'record') return this.record(value, shape.value, path, depth);
    if (!this.options.full) return value;
    return this.untyped(value, path, depth);
  }

  private take(path: string, purpose: string, value: unknown): string {
    const secret = Secret.isSecret(value);
    const inner = secret ? (value as Secret).reveal() : value;
    if (typeof inner === 'function' || typeof inner === 'symbol' || typeof inner === 'bigint') {
      throw sealedError('SEALED_UNSUPPORTED_VALUE', 'a sensitive value must be JSON (string, number, boolean, null, object, array)', { path });
    }
    // Readers refuse these tokens in a field path (FORMAT.md): refuse here, rather than store a payload nobody can open.
    if ((path.includes('proto') || path.includes('constructor')) && path.split('/').some(isForbiddenKey)) throw sealedError('SEALED_FORBIDDEN_KEY', 'a sealed value sits under a forbidden key (__proto__, constructor or prototype)');
    // Paths travel as UTF-8, which cannot carry a lone surrogate: the reader would look for U+FFFD and never find the value.
    if (SURROGATE.test(path) && LONE_SURROGATE.test(path)) {
      throw sealedError('SEALED_UNSUPPORTED_VALUE', 'a sealed value sits under a key that is not well-formed Unicode (lone surrogate)');
    }
    const field: PendingField = { path, purpose, secret, value: inner };
    if (this.nesting > 0) field.nested = true;
    this.fields.push(field);
    if (typeof inner === 'object' && inner !== null) field.value = this.takeNestedSecrets(inner, path);
    return pendingPlaceholder(purpose);
  }

  /**
   * Secrets inside a value being sealed become fields of their own (listed after their container),
   * so they decode back into Secrets. Returns `value` itself when it holds none.
   */
  private takeNestedSecrets(value: object, path: string): unknown {
    this.nesting++;
    try {
      return this.replaceSecrets(value, path, 0);
    } finally {
      this.nesting--;
    }
  }

  private replaceSecrets(value: unknown, path: string, depth: number): unknown {
    if (typeof value !== 'object' || value === null) return value;
    if (Secret.isSecret(value)) return this.take(path, value.purpose, value);
    if (depth > this.options.maxDepth) throw sealedError('SEALED_TOO_DEEP', 'value is nested deeper than maxDepth', { maxDepth: this.options.maxDepth });
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function' && shapeOfInstance(value) === undefined) return value;
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      value.forEach((child, i) => {
        const replaced = this.replaceSecrets(child, appendToken(path, i), depth + 1);
        if (replaced !== child) (out ??= value.slice())[i] = replaced;
      });
      return out ?? value;
    }
    let copy: Record<string, unknown> | undefined;
    for (const key of Object.keys(value)) {
      const child = (value as Record<string, unknown>)[key];
      const replaced = this.replaceSecrets(child, appendToken(path, key), depth + 1);
      if (replaced !== child) (copy ??= copyOwnFields(value))[key] = replaced;
    }
    return copy ?? value;
  }

  private primitive(value: unknown, path: string): unknown {
    if (typeof value === 'bigint') throw sealedError('SEALED_UNSUPPORTED_VALUE', 'BigInt cannot be serialized as JSON', { path });
    return value;
  }

  /** Own enumerable fields copied (spread defines, so an own `__proto__` key stays data), listed fields rewritten. */
  private object(value: object, fields: readonly FieldShape[], path: string, depth: number): object {
    const copy = copyOwnFields(value);
    for (const field of fields) {
      const child = copy[field.key];
      if (child !== undefined) copy[field.key] = this.visit(child, field.shape, appendToken(path, field.key), depth + 1);
    }
    if (!this.options.full) return copy;
    const listed = new Set(fields.map((field) => field.key));
    for (const key of Object.keys(copy)) {
      if (!listed.has(key)) copy[key] = this.visitKey(key, copy[key], path, depth);
    }
    return copy;
  }

  private array(value: readonly unknown[], element: Shape | undefined, path: string, depth: number): unknown[] {
    if (element === undefined && !this.options.full) return value as unknown[];
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = this.visit(value[i], element, appendToken(path, i), depth + 1);
    return out;
  }

  private record(value: object, valueShape: Shape, path: string, depth: number): object {
    const copy = copyOwnFields(value);
    for (const key of Object.keys(copy)) copy[key] = this.visit(copy[key], valueShape, appendToken(path, key), depth + 1);
    return copy;
  }

  /** Full walk of an object nothing describes: JSON semantics, key rules, strict mode. */
  private untyped(value: object, path: string, depth: number): unknown {
    refuseUnregisteredSealedClass(value, path);
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return this.visit(toJSON.call(value, ''), undefined, path, depth + 1);
    const proto = Object.getPrototypeOf(value) as unknown;
    if (this.options.strict && proto !== Object.prototype && proto !== null) {
      const type = (value as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
      throw sealedError('SEALED_UNREGISTERED_TYPE', 'strict mode refuses instances of unregistered classes', { type, path });
    }
    const copy = copyOwnFields(value);
    for (const key of Object.keys(copy)) copy[key] = this.visitKey(key, copy[key], path, depth);
    return copy;
  }

  private visitKey(key: string, child: unknown, path: string, depth: number): unknown {
    const rule = this.options.keyRules.find((r) => r.pattern.test(key));
    const childPath = appendToken(path, key);
    if (rule !== undefined && child !== undefined && !Secret.isSecret(child)) return this.take(childPath, rule.purpose, child);
    return this.visit(child, undefined, childPath, depth + 1);
  }
}

const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Own enumerable fields as data; an own `__proto__` key stays a key even where a compiler lowers spread to assignment. */
function copyOwnFields(value: object): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const own = Object.getOwnPropertyDescriptor(value, '__proto__');
  if (own?.enumerable === true && !Object.prototype.hasOwnProperty.call(copy, '__proto__')) {
    Object.defineProperty(copy, '__proto__', { value: own.value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** An instance of a class that declares sealed fields (itself or an ancestor) but lacks its own @SealedType. */
function refuseUnregisteredSealedClass(value: object, path: string): void {
  for (let proto: unknown = Object.getPrototypeOf(value); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const ctor = (proto as { constructor?: unknown }).constructor;
    if (typeof ctor === 'function' && registry.classes.has(ctor as AnyClass)) {
      const type = (value as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
      throw sealedError('SEALED_UNREGISTERED_TYPE', 'instance of a class with sealed fields that is not registered with @SealedType', { type, path });
    }
  }
}

function elementShape(shape: Shape | undefined): Shape | undefined {
  if (shape?.kind === 'array') return shape.element;
  if (shape?.kind === 'classOrArray') return shape.cls satisfies ClassShape;
  return undefined;
}

/**
 * Runs JSON.stringify with the registry's watch set, so `toJSON` hooks on Secrets and
 * registered classes report any the fast path did not take out.
 */
export function stringifyWatched(value: unknown, reveal = false): { json: string | undefined; missed: boolean } {
  const watch = { missed: false, reveal };
  const previous = registry.watch;
  registry.watch = watch;
  try {
    return { json: JSON.stringify(value), missed: watch.missed };
  } finally {
    registry.watch = previous;
  }
}

/**
 * True when some object in `value` has a `toJSON` this library did not install (Date's aside).
 * JSON.stringify never calls `toJSON` on what another `toJSON` returns, so the fast path cannot
 * see registered instances or Secrets behind one: the converter then walks the whole value.
 */
export function reachesForeignToJSON(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const dateToJSON = Date.prototype.toJSON;
  const stack: object[] = [value];
  // No visited set (it costs more than it saves on typical payloads); a cycle runs into the node
  // budget, and the full walk then reports it.
  for (let budget = MAX_NODES_BEFORE_FULL_WALK; stack.length > 0; budget--) {
    if (budget === 0) return true;
    const node = stack.pop() as object;
    const toJSON = (node as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function' && toJSON !== dateToJSON && !registry.ownToJSON.has(toJSON)) return true;
    if (!Secret.isSecret(node)) pushChildObjects(node, stack);
  }
  return false;
}

const MAX_NODES_BEFORE_FULL_WALK = 1_000_000;

function pushChildObjects(node: object, stack: object[]): void {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const child: unknown = node[i];
      if (typeof child === 'object' && child !== null) stack.push(child);
    }
    return;
  }
  for (const key in node) {
    if (!Object.prototype.hasOwnProperty.call(node, key)) continue;
    const child: unknown = (node as Record<string, unknown>)[key];
    if (typeof child === 'object' && child !== null) stack.push(child);
  }
}
