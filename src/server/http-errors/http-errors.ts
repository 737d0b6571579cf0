import type { SealedErrorCode } from '../../errors';

/**
 * Every failure the codec server answers with; each has one fixed body that reveals nothing.
 *
 * @example
 * ```ts
 * const body = (await res.json()) as CodecHttpErrorBody;
 * if (body.error === 'forbidden') showSignIn();
 * ```
 */
export type CodecHttpErrorKind =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unprocessable'
  | 'timeout'
  | 'unavailable'
  | 'internal';

const STATUS: Record<CodecHttpErrorKind, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  timeout: 503,
  unavailable: 503,
  internal: 500,
};

/**
 * The JSON body of an error response: a kind and, for refused sealed payloads, the library's error code.
 *
 * @example
 * ```ts
 * const body = (await res.json()) as CodecHttpErrorBody; // { error: 'unprocessable', code: 'SEALED_TAMPERED' }
 * ```
 */
export interface CodecHttpErrorBody {
  error: CodecHttpErrorKind;
  code?: SealedErrorCode;
  /** For a KMS failure: the KMS key the payload names (or the server seals with), an ARN as box headers carry it. */
  kmsKeyId?: string;
}

/**
 * A request the codec server refuses. Carries no message: the response body is
 * `{"error": kind}` (plus the stable `code` for refused sealed payloads, and for KMS failures the
 * KMS key's ARN or id), never request content.
 */
export class CodecHttpError extends Error {
  readonly status: number;

  constructor(
    readonly kind: CodecHttpErrorKind,
    readonly code?: SealedErrorCode,
    readonly kmsKeyId?: string,
  ) {
    super(kind);
    this.name = 'CodecHttpError';
    this.status = STATUS[kind];
  }

  body(): CodecHttpErrorBody {
    if (this.code === undefined) return { error: this.kind };
    return { error: this.kind, code: this.code, ...(this.kmsKeyId !== undefined && { kmsKeyId: this.kmsKeyId }) };
  }
}

/** Builds the fixed response for an error kind. */
export function errorResponse(error: CodecHttpError): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (error.kind === 'unauthorized') headers['www-authenticate'] = 'Bearer';
  return new Response(JSON.stringify(error.body()), { status: error.status, headers });
}
