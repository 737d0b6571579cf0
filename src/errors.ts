/**
 * Stable codes for every failure this library reports. Switch on `code`, never on message text.
 */
export type SealedErrorCode =
  | 'SEALED_KEY_UNKNOWN'
  | 'SEALED_KEY_MISMATCH'
  | 'SEALED_KEY_INVALID'
  | 'SEALED_TAMPERED'
  | 'SEALED_NOT_SEALED'
  | 'SEALED_NO_CODEC'
  | 'SEALED_NOT_OPENED'
  | 'SEALED_MALFORMED'
  | 'SEALED_VERSION_UNSUPPORTED'
  | 'SEALED_WRONG_NAMESPACE'
  | 'SEALED_UNREGISTERED_TYPE'
  | 'SEALED_UNSUPPORTED_VALUE'
  | 'SEALED_TOO_DEEP'
  | 'SEALED_TOO_LARGE'
  | 'SEALED_FORBIDDEN_KEY'
  | 'SEALED_INVALID_OPTION'
  | 'SEALED_NOT_ALLOWED_HERE'
  | 'SEALED_VALIDATION_FAILED';

const ERROR_BRAND = Symbol.for('temporal-sealed-fields.SealedError');

/**
 * The one error type of this library. Messages are fixed per situation and never contain
 * plaintext, key material or ciphertext; `detail` holds only safe identifiers (key ids,
 * purposes, type names, JSON pointers).
 *
 * @example
 * ```ts
 * try { await codec.decode(payloads); }
 * catch (err) { if (SealedError.is(err) && err.code === 'SEALED_KEY_UNKNOWN') alertOps(err.detail); }
 * ```
 */
export class SealedError extends Error {
  readonly code: SealedErrorCode;
  readonly detail: Readonly<Record<string, string | number>>;

  constructor(code: SealedErrorCode, message: string, detail: Record<string, string | number> = {}) {
    super(message);
    this.name = 'SealedError';
    this.code = code;
    this.detail = Object.freeze({ ...detail });
    Object.defineProperty(this, ERROR_BRAND, { value: true });
  }

  /** True for a SealedError from any copy of this package or any vm context. */
  static is(err: unknown): err is SealedError {
    return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[ERROR_BRAND] === true;
  }
}

/** Shorthand used across the library: `throw sealedError('SEALED_MALFORMED', '...')`. */
export function sealedError(
  code: SealedErrorCode,
  message: string,
  detail?: Record<string, string | number>,
): SealedError {
  return new SealedError(code, message, detail);
}
