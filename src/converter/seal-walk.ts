import { sealedError, type SealedError } from '../errors';
import { isOwnToJSON } from '../model/encoding-watch';
import { Erased } from '../model/erased';
import { registry, type AnyClass } from '../model/registry';
import { Secret } from '../model/secret';
import { subjectOrUndefined } from '../model/subject';
import type { PendingField } from '../lib/field-list';
import { appendToken, isForbiddenKey } from '../lib/json-pointer';
import { pendingPlaceholder, tombstoneText } from '../lib/placeholders';
import { sealTag, tagPurpose, tagSubject } from '../lib/seal-tag';
import { anySealedMemory, sealedMemoryOf, type Memory } from './sealed-memory';
import { resolveShape, shapeOfInstance, type ClassShape, type FieldShape, type Shape } from './shapes';

/** A key-name rule for untyped plain objects, like SOPS's `encrypted_regex`. */
export interface KeyRule {
  pattern: RegExp;
  purpose: string;
}

export interface WalkOptions {
  /** Walk every node (needed for key rules, strict mode, remembered or foreign-toJSON values). */
  full: boolean;
  strict: boolean;
  keyRules: readonly KeyRule[];
  maxDepth: number;
}

/**
 * Builds a copy of `value` in which every sensitive value is replaced by a placeholder,
 * sharing every untouched subtree with the original. Returns the copy and the values taken out.
 * Inside a sealed value, tags of another purpose and Secrets are taken out again as nested
 * fields, so each keeps its own purpose and a reader needs every purpose on the path to it.
 *
 * Data subjects: an object whose shape names a subject id field (`@DataSubjectId`, zod
 * `dataSubject`) seals what it holds under that subject, down to an object naming its own. The
 * walk tracks a *tag* per sealed value (lib/seal-tag: the purpose, plus the subject when there is
 * one); a value of another subject than its container is taken out as a nested field, like one
 * of another purpose. `Erased` tombstones are written as their text and never sealed (`tombstones`
 * counts them).
 */
export function shadowValue(
  value: unknown,
  shape: Shape | undefined,
  options: WalkOptions,
): { shadow: unknown; fields: PendingField[]; tombstones: number } {
  const walk = new SealWalk(options);
  return { shadow: walk.visit(value, shape, '', 0), fields: walk.fields, tombstones: walk.tombstones };
}

/** Why the subject of the object the walk is in cannot seal anything: thrown only when something would be sealed under it. */
class SubjectProblem {
  constructor(readonly error: () => SealedError) {}
}

class SealWalk {
  readonly fields: PendingField[] = [];
  tombstones = 0;
  private readonly ancestors = new Set<object>();
  private full: boolean;
  /** Tags of the sealed values the walk is inside, outermost first, and their paths. */
  private enclosing: string[] = [];
  private readonly containerPaths: string[] = [];
  /** The data subject of the nearest object that names one (undefined: none). */
  private subject: string | SubjectProblem | undefined;

  constructor(private readonly options: WalkOptions) {
    this.full = options.full;
  }

  visit(value: unknown, declared: Shape | undefined, path: string, depth: number): unknown {
    if (depth > this.options.maxDepth) {
      throw sealedError('SEALED_TOO_DEEP', 'value is nested deeper than maxDepth', { maxDepth: this.options.maxDepth });
    }
    if (Erased.isErased(value)) return this.tombstone(value);
    const shape = resolveShape(declared);
    if (shape?.kind === 'sensitive')
      return value === undefined ? undefined : this.take(path, this.tagOf(shape.purpose), value, shape.inner, depth);
    if (Secret.isSecret(value)) return this.take(path, this.secretTag(value), value, undefined, depth);
    if (typeof value !== 'object' || value === null) return this.primitive(value, path);
    const memory = sealedMemoryOf(value);
    const missing = memory?.whole?.find((purpose) => !this.enclosing.includes(purpose));
    if (missing !== undefined) return this.take(path, missing, value, shape, depth);
    if (this.ancestors.has(value)) throw sealedError('SEALED_UNSUPPORTED_VALUE', 'value contains a cycle', { path: this.shown(path) });
    this.ancestors.add(value);
    try {
      return this.container(value, shape, path, depth, memory);
    } finally {
      this.ancestors.delete(value);
    }
  }

  private container(value: object, shape: ResolvedShape | undefined, path: string, depth: number, memory: Memory | undefined): unknown {
    const own = shapeOfInstance(value);
    if (own !== undefined) {
      if (own.subjectKey !== undefined) return this.subjectObject(value, own, path, depth, memory?.keys);
      return this.object(value, own.fields, path, depth, memory?.keys);
    }
    if (Array.isArray(value)) return this.array(value, elementShape(shape), path, depth, memory?.elements);
    if (shape?.kind === 'class' || shape?.kind === 'object' || shape?.kind === 'classOrArray' || shape?.kind === 'record') {
      const written = this.writtenForm(value, path);
      if (written !== value) return this.visit(written, shape, path, depth + 1);
      if (shape.kind === 'record') return this.record(value, shape.value, path, depth, memory?.keys);
      const described = shape.kind === 'classOrArray' ? shape.cls : shape;
      if (described.subjectKey !== undefined) return this.subjectObject(value, described, path, depth, memory?.keys);
      return this.object(value, described.fields, path, depth, memory?.keys);
    }
    if (!this.full) return value;
    if (memory?.keys !== undefined) return this.object(value, NO_FIELDS, path, depth, memory.keys);
    return this.untyped(value, path, depth);
  }

  /** An object that names its data subject: what it holds is sealed under that subject, unless it names its own. */
  private subjectObject(
    value: object,
    shape: { fields: readonly FieldShape[]; subjectKey?: string },
    path: string,
    depth: number,
    remembered: RememberedKeys,
  ): object {
    const outer = this.subject;
    this.subject = this.subjectOf(value, shape.subjectKey as string, path);
    try {
      return this.object(value, shape.fields, path, depth, remembered);
    } finally {
      this.subject = outer;
    }
  }

  /** The subject id an object names; a problem (thrown only if something is sealed under it) when missing, invalid or erased. */
  private subjectOf(value: object, key: string, path: string): string | SubjectProblem {
    let id: unknown = Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
    if (Secret.isSecret(id)) id = id.reveal();
    const where = this.shown(appendToken(path, key));
    if (Erased.isErased(id)) {
      return new SubjectProblem(() =>
        sealedError('SEALED_ERASED', 'the data subject id of this value was erased: a forgotten subject takes no new values', {
          path: where,
        }),
      );
    }
    const subject = subjectOrUndefined(id);
    if (subject !== undefined) return subject;
    return new SubjectProblem(() =>
      sealedError(
        'SEALED_INVALID_OPTION',
        'a value to seal belongs to a data subject, but the subject id field is missing, empty or not a string or safe integer',
        { path: where },
      ),
    );
  }

  /** The tag of a value of `purpose` here: with the current subject, if any. */
  private tagOf(purpose: string): string {
    const subject = this.subject;
    if (subject === undefined) return purpose;
    if (typeof subject === 'string') return sealTag(purpose, subject);
    throw subject.error();
  }

  /** A Secret's tag: its own subject, else the current one. */
  private secretTag(value: Secret): string {
    return value.subject === undefined ? this.tagOf(value.purpose) : sealTag(value.purpose, value.subject);
  }

  /** A tombstone stays a tombstone: its text, never sealed, never anything else. */
  private tombstone(value: Erased): string {
    this.tombstones++;
    return tombstoneText(value.purpose);
  }

  /**
   * What JSON would write for an object at a typed position that is not a registered class: the
   * result of its own `toJSON` (a redacting one must not be bypassed), after strict mode's check.
   */
  private writtenForm(value: object, path: string): unknown {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto === Object.prototype || proto === null) return value;
    refuseUnregisteredSealedClass(value, this.shown(path));
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function' && toJSON !== Date.prototype.toJSON) return toJSON.call(value, '');
    if (this.options.strict) {
      const type = (value as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
      throw sealedError('SEALED_UNREGISTERED_TYPE', 'strict mode refuses instances of unregistered classes', {
        type,
        path: this.shown(path),
      });
    }
    return value;
  }

  /**
   * Takes a sensitive value out as a field and returns its placeholder. A value of the tag
   * (purpose and subject) the walk is already inside stays in place (its container seals it),
   * but is walked on.
   */
  private take(path: string, tag: string, value: unknown, inner: Shape | undefined, depth: number): unknown {
    if (Erased.isErased(value)) return this.tombstone(value);
    // A Secret of another purpose (or subject) in a tagged field is sealed inside the field's value: a reader needs both.
    const secret = Secret.isSecret(value) && this.secretTag(value) === tag;
    if (!secret && tag === this.enclosing[this.enclosing.length - 1]) return this.visit(value, inner, path, depth + 1);
    const content = secret ? (value as Secret).reveal() : value;
    if (Erased.isErased(content)) return this.tombstone(content);
    checkSealable(content, path, this.shown(path));
    const purpose = tagPurpose(tag);
    const field: PendingField = { path, purpose, secret, value: content };
    if (this.enclosing.length > 0) field.nested = true;
    const subject = tagSubject(tag);
    if (subject !== undefined) field.subject = subject;
    this.fields.push(field);
    if (typeof content === 'object' && content !== null)
      field.value = this.inside(tag, path, () => this.visit(content, inner, path, depth + 1));
    return pendingPlaceholder(purpose);
  }

  /** Walks a sealed value completely, with `tag` as the enclosing one. */
  private inside(tag: string, path: string, walk: () => unknown): unknown {
    const full = this.full;
    this.enclosing.push(tag);
    this.containerPaths.push(path);
    this.full = true;
    try {
      return walk();
    } finally {
      this.enclosing.pop();
      this.containerPaths.pop();
      this.full = full;
    }
  }

  /**
   * The path an error may name: inside a sealed value, only the outermost sealed field's path
   * (the keys below it are sealed too, and errors reach failure details in clear).
   */
  private shown(path: string): string {
    return this.containerPaths[0] ?? path;
  }

  private primitive(value: unknown, path: string): unknown {
    if (typeof value === 'bigint')
      throw sealedError('SEALED_UNSUPPORTED_VALUE', 'BigInt cannot be serialized as JSON', { path: this.shown(path) });
    return value;
  }

  /**
   * Own enumerable fields copied (spread defines, so an own `__proto__` key stays data), listed
   * fields rewritten. An own `toJSON` is dropped: a typed object is written as its fields, never
   * through code that could put a sealed field back in clear.
   */
  private object(value: object, fields: readonly FieldShape[], path: string, depth: number, remembered: RememberedKeys): object {
    const copy = copyOwnFields(value);
    if (typeof copy['toJSON'] === 'function') delete copy['toJSON'];
    for (const field of fields) {
      const child = copy[field.key];
      if (child !== undefined) copy[field.key] = this.visitChild(field.key, child, field.shape, remembered, path, depth);
    }
    if (!this.full) return copy;
    const listed = fields.length === 0 ? undefined : new Set(fields.map((field) => field.key));
    for (const key of Object.keys(copy)) {
      if (listed === undefined || !listed.has(key)) copy[key] = this.visitChild(key, copy[key], undefined, remembered, path, depth);
    }
    return copy;
  }

  /** Elements of an array that arrived holding sealed elements are all sealed again: indexes shift (unshift, splice). */
  private array(
    value: readonly unknown[],
    element: Shape | undefined,
    path: string,
    depth: number,
    sealedElements: readonly string[] | undefined,
  ): unknown[] {
    if (element === undefined && !this.full) return value as unknown[];
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = this.visitElement(i, value[i], element, sealedElements, path, depth);
    return out;
  }

  private visitElement(
    index: number,
    child: unknown,
    shape: Shape | undefined,
    sealedElements: readonly string[] | undefined,
    path: string,
    depth: number,
  ): unknown {
    const childPath = appendToken(path, index);
    const purpose =
      child === undefined || resolveShape(shape)?.kind === 'sensitive' ? undefined : this.rememberedPurpose(sealedElements, child);
    return purpose === undefined ? this.visit(child, shape, childPath, depth + 1) : this.take(childPath, purpose, child, shape, depth + 1);
  }

  private record(value: object, valueShape: Shape, path: string, depth: number, remembered: RememberedKeys): object {
    const copy = copyOwnFields(value);
    for (const key of Object.keys(copy)) copy[key] = this.visitChild(key, copy[key], valueShape, remembered, path, depth);
    return copy;
  }

  /** Full walk of an object nothing describes: JSON semantics, key rules, strict mode. */
  private untyped(value: object, path: string, depth: number): unknown {
    refuseUnregisteredSealedClass(value, this.shown(path));
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return this.visit(toJSON.call(value, ''), undefined, path, depth + 1);
    const proto = Object.getPrototypeOf(value) as unknown;
    if (this.options.strict && proto !== Object.prototype && proto !== null) {
      const type = (value as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
      throw sealedError('SEALED_UNREGISTERED_TYPE', 'strict mode refuses instances of unregistered classes', {
        type,
        path: this.shown(path),
      });
    }
    return this.object(value, NO_FIELDS, path, depth, undefined);
  }

  /**
   * One child: a key that arrived sealed is sealed again under its purpose; a declared shape
   * comes next; then, in a full walk, key rules.
   */
  private visitChild(
    key: string,
    child: unknown,
    shape: Shape | undefined,
    remembered: RememberedKeys,
    path: string,
    depth: number,
  ): unknown {
    const childPath = appendToken(path, key);
    if (child === undefined || resolveShape(shape)?.kind === 'sensitive') return this.visit(child, shape, childPath, depth + 1);
    const purpose =
      this.rememberedPurpose(remembered?.get(key), child) ?? (shape === undefined && this.full ? this.rulePurpose(key, child) : undefined);
    return purpose === undefined ? this.visit(child, shape, childPath, depth + 1) : this.take(childPath, purpose, child, shape, depth + 1);
  }

  /** The first tag a key arrived sealed under that the walk is not inside yet (a Secret brings its own). */
  private rememberedPurpose(chain: readonly string[] | undefined, child: unknown): string | undefined {
    if (chain === undefined) return undefined;
    const own = Secret.isSecret(child) ? this.secretTag(child) : undefined;
    return chain.find((tag) => tag !== own && !this.enclosing.includes(tag));
  }

  private rulePurpose(key: string, child: unknown): string | undefined {
    if (Secret.isSecret(child) || Erased.isErased(child)) return undefined;
    const purpose = this.options.keyRules.find((rule) => rule.pattern.test(key))?.purpose;
    return purpose === undefined ? undefined : this.tagOf(purpose);
  }
}

const NO_FIELDS: readonly FieldShape[] = [];
type RememberedKeys = Memory['keys'] | undefined;
type ResolvedShape = ReturnType<typeof resolveShape>;

/** What may be sealed: JSON values, under keys readers accept. `shown` is the path an error may name. */
function checkSealable(value: unknown, path: string, shown: string): void {
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
    throw sealedError('SEALED_UNSUPPORTED_VALUE', 'a sensitive value must be JSON (string, number, boolean, null, object, array)', {
      path: shown,
    });
  }
  // Readers refuse these tokens in a field path (FORMAT.md): refuse here, rather than store a payload nobody can open.
  if ((path.includes('proto') || path.includes('constructor')) && path.split('/').some(isForbiddenKey)) {
    throw sealedError('SEALED_FORBIDDEN_KEY', 'a sealed value sits under a forbidden key (__proto__, constructor or prototype)');
  }
  // Paths travel as UTF-8, which cannot carry a lone surrogate: the reader would look for U+FFFD and never find the value.
  if (SURROGATE.test(path) && LONE_SURROGATE.test(path)) {
    throw sealedError('SEALED_UNSUPPORTED_VALUE', 'a sealed value sits under a key that is not well-formed Unicode (lone surrogate)');
  }
}

const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Own enumerable fields as data; an own `__proto__` key stays a key even where a compiler lowers spread to assignment. */
function copyOwnFields(value: object): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const own = Object.getOwnPropertyDescriptor(value, '__proto__');
  if (own?.enumerable === true && !Object.hasOwn(copy, '__proto__')) {
    Object.defineProperty(copy, '__proto__', { value: own.value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** An instance of a class that declares sealed fields (itself or an ancestor) but lacks its own @SealedType. */
function refuseUnregisteredSealedClass(value: object, path: string): void {
  for (
    let proto: unknown = Object.getPrototypeOf(value);
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    const ctor = (proto as { constructor?: unknown }).constructor;
    if (typeof ctor === 'function' && registry.classes.has(ctor as AnyClass)) {
      const type = (value as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
      throw sealedError('SEALED_UNREGISTERED_TYPE', 'instance of a class with sealed fields that is not registered with @SealedType', {
        type,
        path,
      });
    }
  }
}

function elementShape(shape: ResolvedShape | undefined): Shape | undefined {
  if (shape?.kind === 'array') return shape.element;
  if (shape?.kind === 'classOrArray') return shape.cls satisfies ClassShape;
  return undefined;
}

/**
 * True when the fast path could miss something: some object in `value` has a `toJSON` this
 * library did not install (Date's aside), or remembers keys that arrived sealed. JSON.stringify
 * never calls `toJSON` on what another `toJSON` returns, so the fast path cannot see registered
 * instances or Secrets behind one: the converter then walks the whole value.
 */
export function needsFullWalk(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const dateToJSON = Date.prototype.toJSON;
  const memory = anySealedMemory();
  const stack: object[] = [value];
  // No visited set (it costs more than it saves on typical payloads); a cycle runs into the node
  // budget, and the full walk then reports it.
  for (let budget = MAX_NODES_BEFORE_FULL_WALK; stack.length > 0; budget--) {
    if (budget === 0) return true;
    const node = stack.pop() as object;
    const toJSON = (node as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function' && toJSON !== dateToJSON && !isOwnToJSON(toJSON)) return true;
    if (memory && sealedMemoryOf(node) !== undefined) return true;
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
    if (!Object.hasOwn(node, key)) continue;
    const child: unknown = (node as Record<string, unknown>)[key];
    if (typeof child === 'object' && child !== null) stack.push(child);
  }
}
