import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { sealedError, type SealedError } from '../../errors';
import { CodecHttpError } from '../http-errors/http-errors';
import type { Principal } from './principal';

/**
 * Claim names read from a verified token.
 *
 * @example
 * ```ts
 * auth: { jwt: { jwksUrl, issuer, audience, claims: { purposes: 'groups', namespaces: 'tenants' } } }
 * ```
 */
export interface ClaimNames {
  /** Default `sub`. */
  subject?: string;
  /** Purposes the caller may reveal: an array or a space-separated string. Default `sealed_purposes`. */
  purposes?: string;
  /** Namespaces the caller may use: an array or a space-separated string. Default `temporal_namespaces`. */
  namespaces?: string;
  /** `true` lets the caller use `/encode`. Default `sealed_encode`. */
  encode?: string;
}

/** What every kind of {@link JwtAuthOptions} shares: the checks on a verified token and the claims read from it. */
export interface JwtCheckOptions {
  /** Accepted `alg` values. Default: what the key allows (HS256 for a secret). HMAC only with a secret, never with a public key. */
  algorithms?: string[];
  issuer?: string | string[];
  audience?: string | string[];
  claims?: ClaimNames;
  /** Clock skew tolerated on `exp`/`nbf`, in seconds. Default 30. */
  clockToleranceSeconds?: number;
}

/** Verify against the identity provider's JWKS, fetched and cached by jose. */
export interface JwtJwksOptions extends JwtCheckOptions {
  jwksUrl: string;
  publicKey?: never;
  secret?: never;
}

/** Verify against a PEM (SPKI) public key. */
export interface JwtPublicKeyOptions extends JwtCheckOptions {
  publicKey: string;
  jwksUrl?: never;
  secret?: never;
}

/** Verify with a shared secret for HS256/384/512: at least 32 bytes (48 for HS384, 64 for HS512, RFC 7518 3.2). */
export interface JwtSecretOptions extends JwtCheckOptions {
  secret: string | Uint8Array;
  jwksUrl?: never;
  publicKey?: never;
}

/**
 * Bearer JWTs verified with jose: exactly one of `jwksUrl`, `publicKey` or `secret`, which the
 * compiler checks (from JavaScript, anything else is SEALED_INVALID_OPTION at construction).
 *
 * @example
 * ```ts
 * const jwt: JwtAuthOptions = { jwksUrl: 'https://idp.example/.well-known/jwks.json', issuer: 'https://idp.example/', audience: 'codec' };
 * ```
 */
export type JwtAuthOptions = JwtJwksOptions | JwtPublicKeyOptions | JwtSecretOptions;

type VerificationKey = JWTVerifyGetKey | KeyObject | Uint8Array;

// RFC 7518 3.2: an HMAC key at least as long as the hash output.
const HMAC_MIN_BYTES: Readonly<Record<string, number>> = { HS256: 32, HS384: 48, HS512: 64 };

function invalidOption(message: string): SealedError {
  return sealedError('SEALED_INVALID_OPTION', message);
}

/** A secret only with HMAC algorithms, long enough for each; a public key never with HMAC (algorithm confusion). */
function checkAlgorithms(options: JwtAuthOptions, algorithms: readonly string[] | undefined): void {
  const hmac = (algorithms ?? []).filter((alg) => alg in HMAC_MIN_BYTES);
  if (options.secret === undefined) {
    if (hmac.length > 0) throw invalidOption('jwt auth with a public key or JWKS cannot accept HMAC algorithms');
    return;
  }
  if (hmac.length !== algorithms?.length) throw invalidOption('jwt auth with a secret accepts only HS256, HS384 or HS512');
  const bytes = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret).length : options.secret.length;
  if (hmac.some((alg) => bytes < (HMAC_MIN_BYTES[alg] as number))) {
    throw invalidOption('jwt auth secret is too short: HS256 needs 32 bytes, HS384 48, HS512 64');
  }
}

/** The identity provider's keys could not be fetched or read: a 503, never a verdict on the token. */
class IdpUnavailable extends Error {}

// Key-lookup failures caused by the token's header (no usable key for its alg or kid), not by the identity provider.
const TOKEN_LOOKUP_FAILURES: ReadonlySet<string> = new Set([
  errors.JOSENotSupported.code,
  errors.JOSEAlgNotAllowed.code,
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
]);

/** The remote JWKS, with failures to reach or read it told apart from failures of the token. */
function remoteKeys(url: URL): JWTVerifyGetKey {
  const jwks = createRemoteJWKSet(url);
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (err) {
      if (err instanceof errors.JOSEError && TOKEN_LOOKUP_FAILURES.has(err.code)) throw err;
      throw new IdpUnavailable();
    }
  };
}

function verificationKey(options: JwtAuthOptions): VerificationKey {
  const given = [options.jwksUrl, options.publicKey, options.secret].filter((v) => v !== undefined);
  if (given.length !== 1) throw invalidOption('jwt auth needs exactly one of jwksUrl, publicKey, secret');
  if (options.jwksUrl !== undefined) return remoteKeys(parsed(() => new URL(options.jwksUrl as string), 'jwt auth jwksUrl is not a URL'));
  if (options.publicKey !== undefined)
    return parsed(() => createPublicKey(options.publicKey as string), 'jwt auth publicKey is not a PEM public key');
  if (typeof options.secret === 'string') return new TextEncoder().encode(options.secret);
  if (options.secret instanceof Uint8Array) return options.secret;
  throw invalidOption('jwt auth secret must be a string or a Uint8Array');
}

/** Runs a parser of an option; its own error (which may quote the option) becomes SEALED_INVALID_OPTION. */
function parsed<T>(parse: () => T, message: string): T {
  try {
    return parse();
  } catch {
    throw invalidOption(message);
  }
}

function namesIn(claim: unknown): Set<string> {
  if (typeof claim === 'string') return new Set(claim.split(' ').filter((name) => name !== ''));
  if (Array.isArray(claim)) return new Set(claim.filter((name): name is string => typeof name === 'string'));
  return new Set();
}

function principalFromClaims(claims: JWTPayload, names: ClaimNames): Principal {
  const subject = claims[names.subject ?? 'sub'];
  return {
    subject: typeof subject === 'string' ? subject : 'unknown',
    authenticated: true,
    purposes: namesIn(claims[names.purposes ?? 'sealed_purposes']),
    namespaces: namesIn(claims[names.namespaces ?? 'temporal_namespaces']),
    canEncode: claims[names.encode ?? 'sealed_encode'] === true,
  };
}

/**
 * Verifies bearer JWTs (signature, `exp` required, issuer and audience when configured) and
 * maps their claims to a {@link Principal}. Any token that fails verification is a 401 (jose
 * refuses e.g. an HS256 token against a public key with a TypeError: still the token's fault);
 * only a JWKS that cannot be fetched or read is a 503. Refuses weak secrets and algorithms that
 * do not fit the key at construction (SEALED_INVALID_OPTION).
 *
 * @example
 * ```ts
 * const verify = jwtVerifier({ jwksUrl: 'https://idp.example/.well-known/jwks.json', issuer: 'https://idp.example/', audience: 'codec' });
 * const principal = await verify(token);
 * ```
 */
export function jwtVerifier(options: JwtAuthOptions): (token: string) => Promise<Principal> {
  const key = verificationKey(options);
  const algorithms = options.algorithms ?? (options.secret !== undefined ? ['HS256'] : undefined);
  checkAlgorithms(options, algorithms);
  const verifyOptions = {
    requiredClaims: ['exp'],
    clockTolerance: options.clockToleranceSeconds ?? 30,
    ...(algorithms !== undefined ? { algorithms } : {}),
    ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
    ...(options.audience !== undefined ? { audience: options.audience } : {}),
  };
  return async (token) => {
    try {
      // Two calls because jose's overloads take a key or a key getter, not their union.
      const { payload } =
        typeof key === 'function' ? await jwtVerify(token, key, verifyOptions) : await jwtVerify(token, key, verifyOptions);
      return principalFromClaims(payload, options.claims ?? {});
    } catch (err) {
      throw new CodecHttpError(err instanceof IdpUnavailable ? 'unavailable' : 'unauthorized');
    }
  };
}
