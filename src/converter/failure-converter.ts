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
import { checkPurpose } from '../model/purpose';
import { Secret } from '../model/secret';

/** Options of {@link createSealedFailureConverter}. */
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
    if (SealedError.is(err)) return this.errorToFailureInner(readableFailure(err), this.sealingAttributes(payloadConverter), context);
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

/** A SealedError as an ApplicationFailure whose type is its code and whose details are its safe detail (key id, purpose). */
function readableFailure(err: SealedError): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const failure = ApplicationFailure.create({ message: err.message, type: err.code, details: [err.detail] });
  failure.stack = err.stack ?? '';
  return failure;
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
