import { SealedError, sealedError, type SealedErrorCode } from '../../errors';

/** The KMS operation that failed, named in error details. */
export type KmsOperation = 'GenerateDataKey' | 'Decrypt' | 'DescribeKey';

const BY_NAME: Readonly<Record<string, SealedErrorCode>> = {
  ThrottlingException: 'SEALED_KMS_THROTTLED',
  LimitExceededException: 'SEALED_KMS_THROTTLED',
  TooManyRequestsException: 'SEALED_KMS_THROTTLED',
  RequestLimitExceeded: 'SEALED_KMS_THROTTLED',
  AccessDeniedException: 'SEALED_KMS_ACCESS_DENIED',
  NotAuthorizedException: 'SEALED_KMS_ACCESS_DENIED',
  UnrecognizedClientException: 'SEALED_KMS_ACCESS_DENIED',
  InvalidSignatureException: 'SEALED_KMS_ACCESS_DENIED',
  ExpiredTokenException: 'SEALED_KMS_ACCESS_DENIED',
  CredentialsProviderError: 'SEALED_KMS_ACCESS_DENIED',
  DisabledException: 'SEALED_KMS_KEY_DISABLED',
  KMSInvalidStateException: 'SEALED_KMS_KEY_DISABLED',
  KeyUnavailableException: 'SEALED_KMS_KEY_DISABLED',
  NotFoundException: 'SEALED_KMS_KEY_DISABLED',
  InvalidCiphertextException: 'SEALED_KMS_CONTEXT_MISMATCH',
  IncorrectKeyException: 'SEALED_KMS_CONTEXT_MISMATCH',
  KMSInternalException: 'SEALED_KMS_UNAVAILABLE',
  DependencyTimeoutException: 'SEALED_KMS_UNAVAILABLE',
  InternalFailure: 'SEALED_KMS_UNAVAILABLE',
  ServiceUnavailable: 'SEALED_KMS_UNAVAILABLE',
  ServiceUnavailableException: 'SEALED_KMS_UNAVAILABLE',
  TimeoutError: 'SEALED_KMS_UNAVAILABLE',
  RequestTimeout: 'SEALED_KMS_UNAVAILABLE',
  RequestTimeoutException: 'SEALED_KMS_UNAVAILABLE',
  AbortError: 'SEALED_KMS_UNAVAILABLE',
  ValidationException: 'SEALED_INVALID_OPTION',
  InvalidKeyUsageException: 'SEALED_INVALID_OPTION',
  InvalidGrantTokenException: 'SEALED_INVALID_OPTION',
};

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const MESSAGES: Readonly<Partial<Record<SealedErrorCode, string>>> = {
  SEALED_KMS_UNAVAILABLE:
    'KMS did not answer (unreachable, timed out or failing): retry when it is back; nothing was sealed or opened without it',
  SEALED_KMS_THROTTLED: 'KMS throttled the request: retry later, or raise the data-key cache limits so fewer calls are made',
  SEALED_KMS_ACCESS_DENIED:
    'KMS denied the request: check the credentials and the IAM / key policy (kms:GenerateDataKey, kms:Decrypt with the encryption context)',
  SEALED_KMS_KEY_DISABLED: 'the KMS key is disabled, pending deletion, unavailable or does not exist',
  SEALED_KMS_CONTEXT_MISMATCH:
    'KMS refused to unwrap the data key: its encryption context (namespace, purpose, key id) or KMS key does not match the box',
  SEALED_INVALID_OPTION: 'KMS refused the request as invalid: check the KMS key id and its key usage (ENCRYPT_DECRYPT, symmetric)',
};

/** Only names that look like identifiers are echoed: an SDK error name, never its message (it may name principals or values). */
function safeName(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(value) ? value : undefined;
}

/** The stable code for a failed KMS call. */
export function kmsErrorCode(err: unknown): SealedErrorCode {
  if (SealedError.is(err)) return err.code;
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown;
    code?: unknown;
    Code?: unknown;
    $metadata?: { httpStatusCode?: unknown };
    cause?: unknown;
  };
  for (const name of [e.name, e.Code, e.code]) {
    const code = typeof name === 'string' ? BY_NAME[name] : undefined;
    if (code !== undefined) return code;
    if (typeof name === 'string' && NETWORK_CODES.has(name)) return 'SEALED_KMS_UNAVAILABLE';
  }
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number') {
    if (status === 429) return 'SEALED_KMS_THROTTLED';
    if (status === 401 || status === 403) return 'SEALED_KMS_ACCESS_DENIED';
    if (status >= 500) return 'SEALED_KMS_UNAVAILABLE';
    return 'SEALED_INVALID_OPTION';
  }
  // No answer from KMS at all (no HTTP status): a network failure.
  return 'SEALED_KMS_UNAVAILABLE';
}

/**
 * A failed KMS call as a `SealedError`: a fixed message per code; the detail names the
 * operation, the KMS key, the data key id and the SDK's error name, never a message, value or credential.
 */
export function kmsError(
  err: unknown,
  operation: KmsOperation,
  ids: { kmsKeyId?: string | undefined; keyId?: string | undefined } = {},
): SealedError {
  if (SealedError.is(err)) return err;
  const code = kmsErrorCode(err);
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const detail: Record<string, string | number> = { operation };
  // A network failure is a plain `Error` whose `code` says what happened (ECONNREFUSED, ENOTFOUND...).
  const name = (e.name === 'Error' ? safeName(e.code) : undefined) ?? safeName(e.name) ?? safeName(e.code);
  if (name !== undefined) detail.kmsError = name;
  if (typeof e.$metadata?.httpStatusCode === 'number') detail.httpStatus = e.$metadata.httpStatusCode;
  if (ids.kmsKeyId !== undefined) detail.kmsKeyId = ids.kmsKeyId;
  if (ids.keyId !== undefined) detail.keyId = ids.keyId;
  return sealedError(code, MESSAGES[code] ?? 'KMS request failed', detail);
}
