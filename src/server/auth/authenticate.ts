import { CodecHttpError } from '../http-errors/http-errors';
import { readBearerToken } from './bearer-token';
import { jwtVerifier, type JwtAuthOptions } from './jwt';
import { anonymousPrincipal, type Principal } from './principal';
import { StaticTokenTable, type StaticToken } from './static-tokens';

/**
 * How the codec server knows its callers. With no option set, every caller is anonymous.
 *
 * @example
 * ```ts
 * await createCodecServer({ keyring, auth: { staticTokens: [{ token: process.env.CODEC_TOKEN!, subject: 'oncall', purposes: ['failure'] }] } });
 * ```
 */
export interface AuthOptions {
  /** Bearer JWTs from an identity provider. */
  jwt?: JwtAuthOptions;
  /** Fixed tokens for local use. Checked before `jwt`. */
  staticTokens?: readonly StaticToken[];
  /**
   * Purposes revealed to callers without credentials, e.g. `['demo']` on a developer's laptop.
   * Default none: anonymous callers get 200 with every sealed field left as its placeholder.
   */
  allowAnonymousPurposes?: readonly string[];
  /** Answer 401 to callers without credentials instead of placeholders. Default false. */
  requireAuthentication?: boolean;
  /** Also read the bearer token from this cookie (for the Web UI's "include credentials" option). */
  tokenCookie?: string;
}

/** Request facts authentication looks at. */
export interface AuthRequest {
  headers: Headers;
  /** False when the request carries an `Origin` that CORS does not allow: its cookies are ignored. */
  originAllowed: boolean;
}

/**
 * Builds the function that turns a request into a {@link Principal}: static token, then JWT;
 * no credentials means anonymous (or 401 with `requireAuthentication`); bad credentials are a 401.
 *
 * @example
 * ```ts
 * const authenticate = createAuthenticator({ staticTokens: [{ token: process.env.CODEC_TOKEN!, subject: 'me', purposes: '*' }] });
 * const principal = await authenticate({ headers: request.headers, originAllowed: true });
 * ```
 */
export function createAuthenticator(options: AuthOptions = {}): (request: AuthRequest) => Promise<Principal> {
  const table = new StaticTokenTable(options.staticTokens ?? []);
  const verifyJwt = options.jwt !== undefined ? jwtVerifier(options.jwt) : undefined;
  const anonymous = anonymousPrincipal(options.allowAnonymousPurposes ?? []);
  return async ({ headers, originAllowed }) => {
    const token = readBearerToken(headers, originAllowed ? options.tokenCookie : undefined);
    if (token === undefined) {
      if (options.requireAuthentication === true) throw new CodecHttpError('unauthorized');
      return anonymous;
    }
    const fromTable = table.find(token);
    if (fromTable !== undefined) return fromTable;
    if (verifyJwt === undefined) throw new CodecHttpError('unauthorized');
    return verifyJwt(token);
  };
}
