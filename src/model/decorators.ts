import { sealedError } from '../errors';
import { checkPurpose } from './purpose';
import { recordClassTransformerType } from './class-transformer-types';
import { installWatchHook } from './encoding-watch';
import { classDecl, recordField, registry, type AnyClass, type ClassThunk, type FieldDecl } from './registry';

/**
 * Options of {@link Sensitive}.
 *
 * @example
 * ```ts
 * @Sensitive({ purpose: 'phi' }) ssn!: string;
 * @Sensitive({ purpose: 'contact', type: () => Address }) address!: Address;
 * ```
 */
export interface SensitiveOptions {
  /** Class of secret, e.g. `phi` or `credential`. Chooses the key and who may reveal it. */
  purpose?: string;
  /** The field holds a registered class (or an array or record of it), rehydrated after opening. */
  type?: ClassThunk;
  /** With `type`: the field is a `Record<string, T>`. */
  record?: boolean;
}

/**
 * Options of {@link Nested}.
 *
 * @example
 * ```ts
 * @Nested(() => Visit, { record: true }) visitsById!: Record<string, Visit>;
 * ```
 */
export interface NestedOptions {
  /** The field is a `Record<string, T>` rather than a `T` or `T[]`. */
  record?: boolean;
}

// Legacy (experimentalDecorators) and TC39 decorators are told apart by their arguments.
type LegacyOrStandardField = (target: unknown, context: unknown, descriptor?: unknown) => void;
type LegacyOrStandardClass = <C extends AnyClass>(target: C, context?: unknown) => void;

interface StandardFieldContext {
  kind: string;
  name: string | symbol;
  static?: boolean;
  metadata?: Record<PropertyKey, unknown>;
  addInitializer?: (initializer: (this: unknown) => void) => void;
}

const STANDARD_FIELDS = Symbol.for('temporal-sealed-fields.fields');

function isStandardContext(value: unknown): value is StandardFieldContext {
  return typeof value === 'object' && value !== null && 'kind' in value;
}

function fieldDecorator(decl: FieldDecl): LegacyOrStandardField {
  return (target, context, descriptor) => {
    if (isStandardContext(context)) return recordStandardField(context, decl);
    if (typeof context !== 'string' || typeof target !== 'object' || target === null) {
      throw sealedError('SEALED_INVALID_OPTION', 'sealed field decorators apply to instance fields with string names');
    }
    // Legacy accessor and method decorators get a descriptor: JSON never sees a prototype getter, but it does see the
    // field behind it, which would then go out in clear. Fields get none (tsc, swc) or an initializer-only one (Babel).
    if (isAccessorOrMethod(descriptor)) throw sealedError('SEALED_INVALID_OPTION', 'sealed field decorators apply to fields');
    const ctor = (target as { constructor: AnyClass }).constructor;
    recordDeclaredField(ctor, context, decl);
    // Lets the converter notice (and refuse) instances of this class if @SealedType is missing.
    installWatchHook(ctor);
  };
}

/** Records a field, and a nested type also as class-transformer type metadata (one DTO set for both libraries). */
function recordDeclaredField(ctor: AnyClass, field: string, decl: FieldDecl): void {
  recordField(ctor, field, decl);
  // class-transformer has no notion of a Record<string, T> (it would build one T from the record): arrays and single values only.
  if (decl.nested !== undefined && decl.record !== true) recordClassTransformerType(ctor, field, decl.nested);
}

function isAccessorOrMethod(descriptor: unknown): boolean {
  if (typeof descriptor !== 'object' || descriptor === null) return false;
  const d = descriptor as PropertyDescriptor;
  return d.get !== undefined || d.set !== undefined || typeof d.value === 'function';
}

function recordStandardField(context: StandardFieldContext, decl: FieldDecl): void {
  // Auto-accessors keep their value in a private slot that JSON never sees: refuse rather than drop it.
  if (context.kind !== 'field') {
    throw sealedError('SEALED_INVALID_OPTION', 'sealed field decorators apply to fields');
  }
  if (typeof context.name !== 'string' || context.static === true) {
    throw sealedError('SEALED_INVALID_OPTION', 'sealed field decorators apply to instance fields with string names');
  }
  const entry: [string, FieldDecl] = [context.name, decl];
  context.addInitializer?.(function (this: unknown) {
    markIfUnregistered(this);
  });
  // Symbol.metadata (TS 5.2+ with a polyfill, newer runtimes) ties the field to its class directly.
  if (context.metadata !== undefined) {
    ownStandardFields(context.metadata, true)?.push(entry);
    return;
  }
  // Without it (Node 20), the class decorator that runs right after claims these.
  registry.pendingStandardFields.push(entry);
}

/** A new instance of a class whose @SealedType is missing: mark the class so the converter refuses it. */
function markIfUnregistered(instance: unknown): void {
  const ctor = (instance as { constructor?: unknown } | null)?.constructor;
  if (typeof ctor !== 'function' || registry.classes.get(ctor as AnyClass)?.name !== undefined) return;
  classDecl(ctor as AnyClass);
  installWatchHook(ctor as AnyClass);
}

/**
 * Tags a field whose value must be sealed. Works with TypeScript legacy decorators
 * (`experimentalDecorators`, swc) and with TC39 standard decorators; under standard
 * decorators the class also needs {@link SealedType}.
 *
 * @example
 * ```ts
 * @SealedType('PatientIntake')
 * class PatientIntake {
 *   patientId!: string;
 *   @Sensitive({ purpose: 'phi' }) ssn!: Secret<string>;
 *   @Sensitive({ purpose: 'phi', type: () => Address }) address?: Address;
 * }
 * ```
 */
export function Sensitive(options: SensitiveOptions = {}): LegacyOrStandardField {
  const decl: FieldDecl = { purpose: checkPurpose(options.purpose) };
  if (options.type !== undefined) decl.nested = options.type;
  if (options.record === true) decl.record = true;
  return fieldDecorator(decl);
}

/**
 * Declares that a clear field holds a registered class (or an array or record of it), so
 * decoding rehydrates it. Also recorded as class-transformer type metadata, so its
 * `plainToInstance` builds the nested instances too. class-transformer's own `@Type(() => X)`
 * is read as well (legacy decorators only).
 *
 * @example
 * ```ts
 * @Nested(() => Visit) visits!: Visit[];
 * @Nested(() => Visit, { record: true }) visitsById!: Record<string, Visit>;
 * ```
 */
export function Nested(type: ClassThunk, options: NestedOptions = {}): LegacyOrStandardField {
  return fieldDecorator({ nested: type, ...(options.record === true ? { record: true } : {}) });
}

/**
 * Names the field that holds the id of the data subject (a patient, a customer) the instance's
 * sealed values belong to, like Axon's `@DataSubjectId`. Every `@Sensitive` field of the instance,
 * every `Secret` without a subject of its own and every key-rule match inside it is sealed under
 * that subject's key, and so erased with it (docs/ERASURE.md); a nested instance that names its
 * own subject uses its own. The id must be a non-empty string or a safe integer when anything is
 * sealed (`SEALED_INVALID_OPTION` otherwise: never a shared key in its place). One per class.
 * Needs a `SubjectKeys` key source on the codec.
 *
 * @example
 * ```ts
 * @SealedType('PatientIntake')
 * class PatientIntake {
 *   @DataSubjectId() patientId!: string;
 *   @Sensitive({ purpose: 'phi' }) ssn!: string; // sealed under the key of this patientId
 * }
 * ```
 */
export function DataSubjectId(): LegacyOrStandardField {
  return fieldDecorator({ subjectId: true });
}

/**
 * Registers a class under a stable name carried in payload metadata, so decoding can
 * rebuild instances without a type hint. Names must be unique per process.
 *
 * @example
 * ```ts
 * @SealedType('PatientIntake')
 * class PatientIntake { @Sensitive({ purpose: 'phi' }) ssn!: string; }
 * ```
 */
export function SealedType(name: string): LegacyOrStandardClass {
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/.test(name)) {
    throw sealedError('SEALED_INVALID_OPTION', 'type names must match /^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/');
  }
  return (target, context) => {
    claimStandardFields(target, context);
    registerClass(target, name);
  };
}

// A subclass's metadata object inherits from its parent's: only its own list belongs to it.
function ownStandardFields(metadata: Record<PropertyKey, unknown>, create: boolean): Array<[string, FieldDecl]> | undefined {
  if (create && !Object.hasOwn(metadata, STANDARD_FIELDS)) metadata[STANDARD_FIELDS] = [];
  return Object.hasOwn(metadata, STANDARD_FIELDS) ? (metadata[STANDARD_FIELDS] as Array<[string, FieldDecl]>) : undefined;
}

function claimStandardFields(target: AnyClass, context: unknown): void {
  const metadata = isStandardContext(context) ? context.metadata : undefined;
  const fromMetadata = metadata === undefined ? undefined : ownStandardFields(metadata, false);
  const entries = fromMetadata ?? registry.pendingStandardFields;
  for (const [field, decl] of entries) recordDeclaredField(target, field, decl);
  if (fromMetadata === undefined) registry.pendingStandardFields = [];
}

function registerClass(target: AnyClass, name: string): void {
  // The same source loaded twice (ESM and CJS, two loaders, hot reload): instances of every copy
  // keep sealing, and decoding builds the latest copy.
  classDecl(target).name = name;
  registry.byName.set(name, target);
  installWatchHook(target);
}
