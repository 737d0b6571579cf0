import { META } from './lib/metadata';

/**
 * Stable codes for every failure this library reports; each means one thing (docs/ERRORS.md
 * lists them with what to do). Switch on `code`, never on message text.
 *
 * @example
 * ```ts
 * if (SealedError.is(err) && err.code === 'SEALED_KEY_UNKNOWN') alertOps(err.detail);
 * ```
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
  | 'SEALED_ALG_UNSUPPORTED'
  | 'SEALED_WRONG_NAMESPACE'
  | 'SEALED_UNREGISTERED_TYPE'
  | 'SEALED_UNSUPPORTED_VALUE'
  | 'SEALED_TOO_DEEP'
  | 'SEALED_TOO_LARGE'
  | 'SEALED_FORBIDDEN_KEY'
  | 'SEALED_INVALID_OPTION'
  | 'SEALED_NOT_ALLOWED_HERE'
  | 'SEALED_VALIDATION_FAILED'
  | 'SEALED_ALREADY_LISTENING'
  | 'SEALED_KMS_UNAVAILABLE'
  | 'SEALED_KMS_THROTTLED'
  | 'SEALED_KMS_ACCESS_DENIED'
  | 'SEALED_KMS_KEY_DISABLED'
  | 'SEALED_KMS_KEY_NOT_ALLOWED'
  | 'SEALED_KMS_CONTEXT_MISMATCH'
  | 'SEALED_KEYSTORE_UNAVAILABLE'
  | 'SEALED_ERASED';

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
export function sealedError(code: SealedErrorCode, message: string, detail?: Record<string, string | number>): SealedError {
  return new SealedError(code, message, detail);
}

/** A payload state a reader refuses: `pending` (marked, never sealed), `sealed` (never opened), `opened` (from outside). */
export type RefusedState = 'pending' | 'sealed' | 'opened';

const REFUSALS: Readonly<Record<RefusedState, readonly [SealedErrorCode, string]>> = {
  pending: [
    'SEALED_NOT_SEALED',
    'payload was marked for sealing but never sealed: seal it with the SealingCodec of the process that wrote it',
  ],
  // test/unit/bundle-replay reads this message: the code does not cross a replay failure.
  sealed: ['SEALED_NOT_OPENED', 'payload is sealed: register the SealingCodec to open it'],
  opened: ['SEALED_MALFORMED', 'payload arrived with an opened field list: opened values live in one process only'],
};

/**
 * The one error, with its one message, for a payload in a state its reader refuses.
 *
 * @example
 * ```ts
 * if (claimPending(reference) === undefined) throw refusal('pending');
 * ```
 */
export function refusal(state: RefusedState): SealedError {
  const [code, message] = REFUSALS[state];
  return new SealedError(code, message);
}

/**
 * Throws {@link refusal} for the first of `states` the metadata is in; returns otherwise.
 *
 * @example
 * ```ts
 * refuseStates(payload.metadata ?? {}, ['pending', 'opened']); // the codec and the codec server, before opening
 * refuseStates(payload.metadata ?? {}, ['pending', 'sealed']); // the converter, when no codec ran
 * ```
 */
export function refuseStates(metadata: Readonly<Record<string, Uint8Array | null | undefined>>, states: readonly RefusedState[]): void {
  for (const state of states) {
    if (metadata[META[state]] !== undefined) throw refusal(state);
  }
}
