import {
  BinaryPayloadConverter,
  RawValue,
  UndefinedPayloadConverter,
  ValueError,
  type ConverterHint,
  type Payload,
  type PayloadConverter,
  type SerializationContext,
  type TypeInfo,
} from '@temporalio/common';
import { refuseStates, sealedError, SealedError } from '../errors';
import { checkPurpose } from '../model/purpose';
import { registry, type AnyClass } from '../model/registry';
import { Secret } from '../model/secret';
import type { ZodLike } from '../model/zod';
import { equalBytes } from '../lib/bytes';
import { getAtPointer, mergeAtPointers, parentFirstOrder, setAtPointer } from '../lib/json-pointer';
import { parseFieldList, pendingListJson, pendingListOf, type FieldList, type PendingField, type PendingList } from '../lib/field-list';
import { JSON_ENCODING, META } from '../lib/metadata';
import { utf8Bytes, utf8Text } from '../lib/utf8';
import { codecRegistered, depositPending, inWorkflowSandbox, takeOpened } from '../lib/handoff';
import { countPlaceholders, countQuotedPlaceholderStarts, mayHoldPlaceholders, mayHoldTombstones } from '../lib/placeholders';
import { sealTag } from '../lib/seal-tag';
import { refuseClearSensitiveValues, stripped } from './integrity';
import { rehydrate } from './rehydrate';
import { rememberSealedPaths } from './sealed-memory';
import { refuseLookalikeTombstones, restoreTombstones } from './tombstones';
import { stringifyWatched } from '../model/encoding-watch';
import { needsFullWalk, shadowValue, type KeyRule, type WalkOptions } from './seal-walk';
import { classShape, shapeOfInstance, zodShape, type Shape } from './shapes';

/** Name of this converter in SDK 1.24 `ConverterHint`s. */
export const SEALED_HINT = 'temporal-sealed-fields';

/** A `ConverterHint` naming a registered class or schema. @experimental like SDK TypeInfo. */
export interface SealedConverterHint extends ConverterHint {
  converter: typeof SEALED_HINT;
  type: string;
}

/**
 * Options of {@link createSealedPayloadConverter}.
 *
 * @example
 * ```ts
 * export const payloadConverter = createSealedPayloadConverter({ types: [PatientIntake], schemas: { PatientRecord }, keyRules: [{ pattern: /password|token/i, purpose: 'credential' }] });
 * ```
 */
export interface SealedPayloadConverterOptions {
  /** Classes decorated with `@SealedType`; listing them guarantees their module is loaded. */
  types?: AnyClass[];
  /** zod v4 object schemas by stable name, used with `sealedTypeInfo(name)` hints. */
  schemas?: Record<string, ZodLike>;
  /**
   * Seal values under matching keys in untyped plain objects (a safety net, like SOPS's `encrypted_regex`),
   * for `purpose` (default `sensitive`): `[{ pattern: /^(ssn|password)$/i, purpose: 'credential' }]`.
   */
  keyRules?: ReadonlyArray<{ pattern: RegExp; purpose?: string }>;
  /** Refuse instances of unregistered classes instead of sending them as plain JSON. Walks every value. */
  strict?: boolean;
  /** Deepest nesting walked or rebuilt; deeper values fail with `SEALED_TOO_DEEP`. Default 200. */
  maxDepth?: number;
  /** Validate zod-typed values with `safeParse` after decoding. Default false. */
  validateOnDecode?: boolean;
  /**
   * Largest payload (clear JSON plus sealed values, in bytes) this converter writes; larger ones
   * fail with `SEALED_TOO_LARGE` before anything is sent. Default 4 MiB, Temporal's gRPC message limit.
   */
  maxPayloadBytes?: number;
}

const DEFAULT_MAX_DEPTH = 200;
const DEFAULT_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

/**
 * The sealed payload converter: writes `json/plain` payloads whose clear part is ordinary
 * JSON, with a placeholder at each sensitive value and the values themselves handed to the
 * codec in metadata. Workflow-safe: no Node built-ins, no crypto, no randomness.
 */
export class SealedPayloadConverter implements PayloadConverter {
  private readonly undefinedConverter = new UndefinedPayloadConverter();
  private readonly binaryConverter = new BinaryPayloadConverter();
  private readonly schemas = new Map<string, ZodLike>();
  private readonly keyRules: KeyRule[];
  private readonly strict: boolean;
  private readonly maxDepth: number;
  private readonly maxPayloadBytes: number;
  private readonly validateOnDecode: boolean;

  constructor(options: SealedPayloadConverterOptions = {}) {
    for (const type of options.types ?? []) classShape(type); // fails early on an unregistered class
    for (const [name, schema] of Object.entries(options.schemas ?? {})) this.schemas.set(name, schema);
    this.keyRules = normalizeKeyRules(options.keyRules);
    this.strict = options.strict === true;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.validateOnDecode = options.validateOnDecode === true;
  }

  validateConverterHint(hint: ConverterHint): boolean {
    return hint.converter === SEALED_HINT;
  }

  toPayload<T>(value: T, context?: SerializationContext, hint?: ConverterHint<T>): Payload {
    if (value instanceof RawValue) return value.payload;
    if (value === undefined) return this.undefinedConverter.toPayload(value) as Payload;
    if (value instanceof Uint8Array) return this.binaryConverter.toPayload(value) as Payload;
    void context;
    return this.toJsonPayload(value, this.hintedType(hint));
  }

  fromPayload<T>(payload: Payload, context?: SerializationContext, hint?: ConverterHint<T>): T {
    void context;
    const encoding = payload.metadata?.[META.encoding];
    if (encoding === undefined || encoding === null) throw new ValueError('Missing payload metadata');
    if (equalBytes(encoding, JSON_ENCODING_BYTES)) return this.fromJsonPayload(payload, hint) as T;
    // Only json/plain payloads carry sealed fields; the encoding entry is not authenticated, so never let it hide them.
    refuseSealedMetadata(payload.metadata ?? {});
    const name = utf8Text(encoding);
    if (name === 'binary/null') return undefined as T;
    if (name === 'binary/plain') return this.binaryConverter.fromPayload(payload);
    if (name !== JSON_ENCODING) throw new ValueError(`Unknown encoding: ${name}`);
    return this.fromJsonPayload(payload, hint) as T;
  }

  private toJsonPayload(value: unknown, hinted: { name: string; shape: Shape | undefined } | undefined): Payload {
    const instanceShape = typeof value === 'object' && value !== null ? shapeOfInstance(value) : undefined;
    const shape = instanceShape ?? hinted?.shape;
    const typeName = instanceShape?.name ?? hinted?.name;
    const { json, fields, shadow, tombstones } = this.serialize(value, shape);
    refuseLookalikePlaceholders(json, shadow, fields);
    const metadata: Record<string, Uint8Array> = { [META.encoding]: JSON_ENCODING_BYTES };
    if (typeName !== undefined) metadata[META.type] = typeNameBytes(typeName);
    const pending = fields.length > 0 ? pendingList(fields) : undefined;
    refuseLookalikeTombstones(json, pending?.valuesJson, shadow, fields, tombstones);
    const data = utf8Bytes(json);
    if (data.length + (pending?.valuesJson.length ?? 0) > this.maxPayloadBytes) {
      throw sealedError('SEALED_TOO_LARGE', 'payload is larger than maxPayloadBytes', { maxPayloadBytes: this.maxPayloadBytes });
    }
    if (pending !== undefined) metadata[META.pending] = utf8Bytes(handOver(pending));
    return { metadata, data };
  }

  private walkOptions(full: boolean): WalkOptions {
    return { full, strict: this.strict, keyRules: this.keyRules, maxDepth: this.maxDepth };
  }

  /** Fast path first: walk only what the shape describes and let JSON.stringify's toJSON hooks report misses. */
  private serialize(
    value: unknown,
    shape: Shape | undefined,
  ): { json: string; fields: PendingField[]; shadow: unknown; tombstones: number } {
    const full = this.strict || this.keyRules.length > 0 || needsFullWalk(value);
    return guardJson(() => {
      let result = shadowValue(value, shape, this.walkOptions(full));
      let out = stringifyWatched(result.shadow);
      if (out.missed && !full) {
        result = shadowValue(value, shape, this.walkOptions(true));
        out = stringifyWatched(result.shadow);
      }
      if (out.json === undefined) throw sealedError('SEALED_UNSUPPORTED_VALUE', 'value cannot be serialized as JSON');
      return { json: out.json, fields: result.fields, shadow: result.shadow, tombstones: result.tombstones };
    });
  }

  private fromJsonPayload(payload: Payload, hint: ConverterHint | undefined): unknown {
    const metadata = payload.metadata ?? {};
    refuseStates(metadata, ['pending', 'sealed']);
    if (payload.data === undefined || payload.data === null) throw new ValueError('Got payload with no data');
    const text = utf8Text(payload.data as Uint8Array);
    let value = guardJson(() => JSON.parse(text) as unknown);
    const openedBytes = metadata[META.opened] ?? undefined;
    // Opened by a codec in this realm: its list as it is; else (the workflow sandbox, another process) parsed from the bytes.
    const handedOver = openedBytes === undefined ? undefined : takeOpened(openedBytes);
    const openedText = openedBytes === undefined || handedOver !== undefined ? undefined : utf8Text(openedBytes);
    const opened = handedOver?.list ?? (openedText === undefined ? undefined : parseFieldList(openedText));
    const order = opened === undefined ? undefined : parentFirstOrder(opened.paths);
    if (opened !== undefined) value = mergeOpened(value, opened, order as number[]);
    else if (mayHoldPlaceholders(text) && countPlaceholders(value) > 0) throw stripped();
    // Values of forgotten subjects, erased by the codec or sent on as tombstones, become `Erased` again.
    if (handedOver?.tombstones === true || mayHoldTombstones(text) || (openedText !== undefined && mayHoldTombstones(openedText)))
      value = restoreTombstones(value);
    const typeName = (hint as SealedConverterHint | undefined)?.type ?? decodeOptional(metadata[META.type]);
    const result = typeName === undefined ? value : this.rebuild(value, typeName, opened === undefined);
    // Last, so that keys a rebuilt class declares need no memory of their own.
    if (opened !== undefined) rememberSealedPaths(result, opened.paths, tagsOf(opened), order as number[]);
    return result;
  }

  /**
   * Rebuilds registered classes. `unsealed`: the payload carried no envelope, so a typed value
   * must hold nothing at its sensitive positions (a sealed payload's data is bound by its AAD).
   */
  private rebuild(value: unknown, typeName: string, unsealed: boolean): unknown {
    const schema = this.schemas.get(typeName);
    if (schema !== undefined) return this.validated(this.checkedRehydrate(value, zodShape(schema), unsealed), schema, typeName);
    const ctor = registry.byName.get(typeName);
    if (ctor === undefined) {
      if (this.strict)
        throw sealedError('SEALED_UNREGISTERED_TYPE', 'payload names a type this process has not registered', { type: typeName });
      return value;
    }
    return this.checkedRehydrate(value, classShape(ctor), unsealed);
  }

  private checkedRehydrate(value: unknown, shape: Shape | null, unsealed: boolean): unknown {
    if (shape === null) return value;
    if (unsealed) refuseClearSensitiveValues(value, shape, this.maxDepth);
    return rehydrate(value, shape, 0, this.maxDepth);
  }

  private validated(value: unknown, schema: ZodLike, typeName: string): unknown {
    if (!this.validateOnDecode || typeof schema.safeParse !== 'function') return value;
    // Validate a copy with Secrets revealed, so zod sees the declared primitive types.
    const plain = guardJson(() => JSON.parse(stringifyWatched(value, true).json ?? 'null') as unknown);
    if (!schema.safeParse(plain).success)
      throw sealedError('SEALED_VALIDATION_FAILED', 'decoded value does not match its schema', { type: typeName });
    return value;
  }

  private hintedType(hint: ConverterHint | undefined): { name: string; shape: Shape | undefined } | undefined {
    const name = (hint as SealedConverterHint | undefined)?.type;
    if (name === undefined) return undefined;
    const schema = this.schemas.get(name);
    if (schema !== undefined) return { name, shape: zodShape(schema) ?? undefined };
    const ctor = registry.byName.get(name);
    if (ctor !== undefined) return { name, shape: classShape(ctor) };
    throw sealedError('SEALED_UNREGISTERED_TYPE', 'type hint names an unknown class or schema', { type: name });
  }
}

// Encoded once and shared between payloads, as the SDK shares its own encoding constants
// (an encoder call per payload would cost more; metadata values are never written in place).
const JSON_ENCODING_BYTES = utf8Bytes(JSON_ENCODING);
const typeNameCache = new Map<string, Uint8Array>();

/** Type names come from registered classes and schemas only, so the cache stays small. */
function typeNameBytes(name: string): Uint8Array {
  let bytes = typeNameCache.get(name);
  if (bytes === undefined) {
    bytes = utf8Bytes(name);
    typeNameCache.set(name, bytes);
  }
  return bytes;
}

const CONVERTER_BRAND = Symbol.for('temporal-sealed-fields.SealedPayloadConverter');
Object.defineProperty(SealedPayloadConverter.prototype, CONVERTER_BRAND, { value: true });

/** True for this library's sealed payload converter, from any copy of the package. */
export function isSealedPayloadConverter(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CONVERTER_BRAND] === true;
}

/**
 * Where the values to seal travel to the codec: inside the workflow sandbox, in metadata (the
 * worker's codec seals them on the main thread); elsewhere, in this realm's hand-off store, with
 * only a reference in metadata, so a payload that skips the codec carries no plaintext.
 */
function handOver(pending: PendingList): string {
  if (inWorkflowSandbox()) return pendingListJson(pending);
  if (!codecRegistered()) {
    throw sealedError(
      'SEALED_NO_CODEC',
      'values to seal but no SealingCodec in this process: add SealingCodec to dataConverter.payloadCodecs (or use SealedFieldsPlugin)',
    );
  }
  return depositPending(pending);
}

/** A clear string with the exact form of a placeholder would read as a stripped sealed value: refuse to write it. */
function refuseLookalikePlaceholders(json: string, shadow: unknown, fields: readonly PendingField[]): void {
  const expected = fields.reduce((n, field) => (field.nested === true ? n : n + 1), 0);
  // Each placeholder string shows as `"[sealed:` in the JSON text (JSON.stringify never escapes `[` or
  // letters): only more of those than fields needs a closer look.
  if (countQuotedPlaceholderStarts(json) > expected && countPlaceholders(shadow) > expected) {
    throw sealedError('SEALED_UNSUPPORTED_VALUE', 'a clear string has the exact form of a sealed placeholder ([sealed:<purpose>])');
  }
}

function pendingList(fields: PendingField[]): PendingList {
  return pendingListOf(fields, (values) => guardJson(() => stringifyWatched(values, true).json));
}

function mergeOpened(value: unknown, opened: FieldList, order: readonly number[]): unknown {
  let root = mergeAtPointers(value, opened.paths, (i) => opened.values[i], [], order);
  // Wrap Secrets innermost first, so a Secret sealed inside another value ends up inside its Secret;
  // each wraps the value now at its path (a Secret sealed at the same path inside it is wrapped already).
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k] as number;
    const path = opened.paths[i] as string;
    if (opened.secrets[i]) root = setAtPointer(root, path, new Secret(getAtPointer(root, path), opened.purposes[i], opened.subjects?.[i]));
  }
  return root;
}

/** What each opened field was sealed under (lib/seal-tag): its purpose, with its data subject when it had one, so sending it on seals it under the same key. */
function tagsOf(opened: FieldList): readonly string[] {
  const subjects = opened.subjects;
  if (subjects === undefined) return opened.purposes;
  return opened.purposes.map((purpose, i) => sealTag(purpose, subjects[i]));
}

/** A payload under another encoding that carries our entries was relabelled: refuse it rather than decode it as that encoding. */
function refuseSealedMetadata(metadata: Record<string, Uint8Array | null | undefined>): void {
  refuseStates(metadata, ['pending', 'sealed']);
  if (metadata[META.opened] !== undefined)
    throw sealedError('SEALED_TAMPERED', 'opened sealed fields under an encoding other than json/plain');
}

function decodeOptional(bytes: Uint8Array | null | undefined): string | undefined {
  return bytes === undefined || bytes === null ? undefined : utf8Text(bytes);
}

/** Maps JSON's own exceptions (cycles, BigInt, stack overflow, bad text) to typed errors without echoing values. */
function guardJson<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (SealedError.is(err)) throw err;
    if (err instanceof RangeError) throw sealedError('SEALED_TOO_DEEP', 'value is nested too deeply for JSON');
    if (err instanceof SyntaxError) throw sealedError('SEALED_MALFORMED', 'payload data is not valid JSON');
    throw sealedError('SEALED_UNSUPPORTED_VALUE', 'value cannot be serialized as JSON (cycle, BigInt or similar)');
  }
}

function normalizeKeyRules(rules: SealedPayloadConverterOptions['keyRules']): KeyRule[] {
  if (rules === undefined) return [];
  if (!Array.isArray(rules) || !rules.every((rule) => rule?.pattern instanceof RegExp)) {
    throw sealedError('SEALED_INVALID_OPTION', 'keyRules is a list of { pattern: RegExp, purpose? }');
  }
  return rules.map((rule) => ({ pattern: stateless(rule.pattern), purpose: checkPurpose(rule.purpose) }));
}

/** A copy without the g and y flags: their `lastIndex` state would make `test` fail on every other matching key. */
function stateless(pattern: RegExp): RegExp {
  return pattern.global || pattern.sticky ? new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')) : pattern;
}

/**
 * Creates the sealed payload converter. Export it as `payloadConverter` from the module
 * given as `dataConverter.payloadConverterPath` to workers and clients.
 *
 * @example
 * ```ts
 * // payload-converter.ts
 * import { createSealedPayloadConverter } from 'temporal-sealed-fields';
 * import { PatientIntake } from './dto';
 * export const payloadConverter = createSealedPayloadConverter({ types: [PatientIntake] });
 * ```
 */
export function createSealedPayloadConverter(options: SealedPayloadConverterOptions = {}): PayloadConverter {
  return new SealedPayloadConverter(options);
}

/**
 * SDK 1.24 `TypeInfo` naming a registered class or schema, for workflow, activity, signal,
 * query and update definitions. @experimental like the SDK feature it uses.
 *
 * @example
 * ```ts
 * // on the workflow definition (SDK 1.24 refuses type info at the call site of a workflow function):
 * defineWorkflowOptions(intakeWorkflow, { staticOptions: { typeInfo: { inputTypes: [sealedTypeInfo('PatientIntake')] } } });
 * ```
 */
export function sealedTypeInfo<T = unknown>(type: string | AnyClass): TypeInfo<T> {
  const name = typeof type === 'string' ? type : classShape(type).name;
  const hint: SealedConverterHint = { converter: SEALED_HINT, type: name };
  return { payloadConverterHint: hint as ConverterHint<T> };
}
