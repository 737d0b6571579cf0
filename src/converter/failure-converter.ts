import {
  ApplicationFailure,
  DefaultFailureConverter,
  type ConverterHint,
  type FailureConverter,
  type Payload,
  type PayloadConverter,
  type ProtoFailure,
  type SerializationContext,
} from '@temporalio/common';
import { SealedError } from '../errors';
import { KMS_KEY_ID_PATTERN } from '../lib/identifiers';
import { checkPurpose } from '../model/purpose';
import { Secret } from '../model/secret';

/**
 * Options of {@link createSealedFailureConverter}.
 *
 * @example
 * ```ts
 * export const failureConverter = createSealedFailureConverter({ purpose: 'failure' });
 * ```
 */
export interface SealedFailureConverterOptions {
  /** Purpose under which error messages and stack traces are sealed. Default `failure`. */
  purpose?: string;
}

const WRAPPED = Symbol('sealed-failure-attributes');

/**
 * A failure converter that moves error messages and stack traces into a payload
 * (`encodeCommonAttributes`) and seals that payload whole, under the `failure` purpose (grant it to
 * whoever debugs failures in the Web UI). Sensitive values in `ApplicationFailure` details are
 * sealed like any other payload. This library's own `SealedError`s stay readable: code, message
 * and detail (key ids, purposes, type names, JSON pointers; never values).
 */
export class SealedFailureConverter extends DefaultFailureConverter {
  private readonly purpose: string;

  constructor(options: SealedFailureConverterOptions = {}) {
    super({ encodeCommonAttributes: true });
    this.purpose = checkPurpose(options.purpose ?? 'failure');
  }

  override errorToFailure(err: unknown, payloadConverter: PayloadConverter, context?: SerializationContext): ProtoFailure {
    // This library's own errors carry codes, key ids and purposes, never values: their message and
    // stack stay readable in history (a worker with the wrong key could not seal them readably anyway).
    if (isLibraryError(err)) return this.errorToFailureInner(readableFailure(err), this.sealingAttributes(payloadConverter), context);
    return super.errorToFailure(err, this.sealingAttributes(payloadConverter), context);
  }

  override failureToError(failure: ProtoFailure, payloadConverter: PayloadConverter, context?: SerializationContext): Error {
    return super.failureToError(failure, this.sealingAttributes(payloadConverter), context);
  }

  private sealingAttributes(inner: PayloadConverter): PayloadConverter {
    if ((inner as unknown as Record<symbol, unknown>)[WRAPPED] === true) return inner;
    const purpose = this.purpose;
    return {
      [WRAPPED]: true,
      toPayload<T>(value: T, context?: SerializationContext, hint?: ConverterHint<T>): Payload {
        return isCommonAttributes(value) ? inner.toPayload(new Secret(value, purpose), context) : inner.toPayload(value, context, hint);
      },
      fromPayload<T>(payload: Payload, context?: SerializationContext, hint?: ConverterHint<T>): T {
        const value: unknown = inner.fromPayload(payload, context, hint);
        if (Secret.isSecret(value) && value.purpose === purpose && isCommonAttributes(value.reveal())) return value.reveal() as T;
        return value as T;
      },
    } as PayloadConverter;
  }
}

const FAILURE_CONVERTER_BRAND = Symbol.for('temporal-sealed-fields.SealedFailureConverter');
Object.defineProperty(SealedFailureConverter.prototype, FAILURE_CONVERTER_BRAND, { value: true });

/** True for this library's sealed failure converter, from any copy of the package. */
export function isSealedFailureConverter(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[FAILURE_CONVERTER_BRAND] === true;
}

/** A SealedError with a code of ours: anything else (a forged brand included) is sealed like any error. */
function isLibraryError(err: unknown): err is SealedError {
  return SealedError.is(err) && typeof err.code === 'string' && /^SEALED_[A-Z_]{1,40}$/.test(err.code);
}

/** Detail keys that hold identifiers, never values: the only ones a readable failure carries. */
const READABLE_DETAIL = new Set([
  'keyId',
  'purpose',
  'type',
  'path',
  'maxBytes',
  'maxDepth',
  'maxPayloadBytes',
  'version',
  'alg',
  'where',
  'sealedIn',
  'current',
]);

/**
 * Detail keys of KMS errors, kept only in their own grammar: the KMS key a payload names or the
 * writer uses (an ARN is no secret: box headers carry it), the KMS operation and the SDK's error name.
 */
const READABLE_KMS_DETAIL: Readonly<Record<string, (value: string | number) => boolean>> = {
  kmsKeyId: (value) => typeof value === 'string' && KMS_KEY_ID_PATTERN.test(value),
  operation: (value) => value === 'GenerateDataKey' || value === 'Decrypt' || value === 'DescribeKey',
  kmsError: (value) => typeof value === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(value),
};

function readableDetail(key: string, value: unknown): boolean {
  if (typeof value !== 'number' && typeof value !== 'string') return false;
  if (READABLE_DETAIL.has(key)) return true;
  return Object.hasOwn(READABLE_KMS_DETAIL, key) && (READABLE_KMS_DETAIL[key] as (value: string | number) => boolean)(value);
}

/**
 * A SealedError as an ApplicationFailure readable in history: its type is the code, its message
 * a fixed text for that code, its details the allow-listed identifiers (for KMS errors also the KMS
 * key, the operation and the SDK's error name). Nothing is taken from
 * the error's own message or stack text, which code may have edited (or forged) to carry a value.
 */
function readableFailure(err: SealedError): ApplicationFailure {
  const message = `${err.code}: refused by temporal-sealed-fields (see docs/ERRORS.md)`;
  const detail = Object.fromEntries(Object.entries(err.detail ?? {}).filter(([key, value]) => readableDetail(key, value)));
  const failure = ApplicationFailure.create({ message, type: err.code, details: [detail] });
  failure.stack = `${message}\n${framesOf(err.stack)}`;
  return failure;
}

/** The stack's frame lines only (`    at ...`): the first lines repeat the message. */
function framesOf(stack: string | undefined): string {
  return (stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
}

function isCommonAttributes(value: unknown): value is { message: unknown; stack_trace: unknown } {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  const keys = Object.keys(value);
  return keys.length === 2 && keys.includes('message') && keys.includes('stack_trace');
}

/**
 * Creates the sealed failure converter. Export it as `failureConverter` from the module given
 * as `dataConverter.failureConverterPath`, next to the sealed payload converter.
 *
 * @example
 * ```ts
 * export const failureConverter = createSealedFailureConverter({ purpose: 'failure' });
 * ```
 */
export function createSealedFailureConverter(options: SealedFailureConverterOptions = {}): FailureConverter {
  return new SealedFailureConverter(options);
}
