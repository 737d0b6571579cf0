import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { CodecHttpError } from '../http-errors/http-errors';
import type { Principal } from './principal';

/** Claim names read from a verified token. */
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

/** Bearer JWTs verified with jose: give exactly one of `jwksUrl`, `publicKey` or `secret`. */
export interface JwtAuthOptions {
  /** The identity provider's JWKS, fetched and cached by jose. */
  jwksUrl?: string;
  /** A PEM (SPKI) public key. */
  publicKey?: string;
  /** A shared secret for HS256/384/512. */
  secret?: string | Uint8Array;
  /** Accepted `alg` values. Default: what the key allows (HS256 for a secret). */
  algorithms?: string[];
  issuer?: string | string[];
  audience?: string | string[];
  claims?: ClaimNames;
  /** Clock skew tolerated on `exp`/`nbf`, in seconds. Default 30. */
  clockToleranceSeconds?: number;
}

type VerificationKey = JWTVerifyGetKey | KeyObject | Uint8Array;

function verificationKey(options: JwtAuthOptions): VerificationKey {
  const given = [options.jwksUrl, options.publicKey, options.secret].filter((v) => v !== undefined);
  if (given.length !== 1) throw new TypeError('jwt auth needs exactly one of jwksUrl, publicKey, secret');
  if (options.jwksUrl !== undefined) return createRemoteJWKSet(new URL(options.jwksUrl));
  if (options.publicKey !== undefined) return createPublicKey(options.publicKey);
  return typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : (options.secret as Uint8Array);
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

/** Is this a failure of the token (401) rather than of reaching the identity provider (503)? */
function isTokenFailure(err: unknown): boolean {
  if (!(err instanceof errors.JOSEError)) return false;
  return !(err instanceof errors.JWKSTimeout) && !(err instanceof errors.JWKSInvalid);
}

/**
 * Verifies bearer JWTs (signature, `exp` required, issuer and audience when configured) and
 * maps their claims to a {@link Principal}. A bad token is a 401; an unreachable JWKS a 503.
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
      const { payload } = typeof key === 'function' ? await jwtVerify(token, key, verifyOptions) : await jwtVerify(token, key, verifyOptions);
      return principalFromClaims(payload, options.claims ?? {});
    } catch (err) {
      throw new CodecHttpError(isTokenFailure(err) ? 'unauthorized' : 'unavailable');
    }
  };
}
