import { sealedError } from '../../errors';
import type { AuthOptions } from '../auth/authenticate';
import type { CorsOptions } from '../cors/cors';

/**
 * The token page (`GET /token`): a person pastes a bearer token, the server keeps it in an
 * HttpOnly cookie for its own host, and the Web UI's "Include cross-origin credentials" setting
 * sends it with every `/decode`. Off unless set; meant for a person on a laptop.
 *
 * @example
 * ```ts
 * await createCodecServer({ keyring, cors: { origins: ['http://localhost:8233'] }, tokenPage: { maxAgeSeconds: 8 * 3600 } });
 * ```
 */
export interface TokenPageOptions {
  /** Cookie holding the token. Default `auth.tokenCookie`, else `sealed_codec_token`. */
  cookieName?: string;
  /** How long the browser keeps the token, in seconds. Default 28800 (8 hours). */
  maxAgeSeconds?: number;
  /**
   * The cookie's SameSite. Default `Strict` over http (the Web UI on `http://localhost:8233` and
   * the codec server on `http://localhost:8888` are the same site: ports do not count), `None`
   * over https (the Web UI may be on another site; `None` always comes with `Secure`).
   */
  sameSite?: 'Strict' | 'Lax' | 'None';
  /**
   * The cookie's `Secure` attribute. Default: set when the page is requested over https (the
   * request URL, or `X-Forwarded-Proto: https` from a TLS proxy). `sameSite: 'None'` needs it.
   */
  secure?: boolean;
}

/** The token page's settings with defaults filled in. */
export interface ResolvedTokenPage {
  cookieName: string;
  maxAgeSeconds: number;
  sameSite: TokenPageOptions['sameSite'] | undefined;
  secure: boolean | undefined;
  /** `/` or the server's basePath: the token cookie's Path, and where the page's routes live. */
  basePath: string;
}

/** What {@link withTokenPage} reads and adjusts of the codec app's options. */
export interface TokenPageHost {
  tokenPage?: boolean | TokenPageOptions;
  auth?: AuthOptions;
  cors?: CorsOptions;
  basePath?: string;
}

export const DEFAULT_TOKEN_COOKIE = 'sealed_codec_token';
const DEFAULT_MAX_AGE_SECONDS = 8 * 60 * 60;
const MAX_MAX_AGE_SECONDS = 400 * 24 * 60 * 60; // browsers cap cookie lifetimes at 400 days
// RFC 6265 cookie-name characters, without the rarely safe ones.
const COOKIE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function invalid(message: string): Error {
  return sealedError('SEALED_INVALID_OPTION', message);
}

/** The token page's settings, or undefined when it is off. Bad settings are SEALED_INVALID_OPTION. */
export function resolveTokenPage(host: TokenPageHost): ResolvedTokenPage | undefined {
  if (host.tokenPage === undefined || host.tokenPage === false) return undefined;
  const given: TokenPageOptions = host.tokenPage === true ? {} : host.tokenPage;
  const fromAuth = host.auth?.tokenCookie;
  if (given.cookieName !== undefined && fromAuth !== undefined && given.cookieName !== fromAuth) {
    throw invalid('tokenPage.cookieName and auth.tokenCookie name different cookies: give one');
  }
  const cookieName = given.cookieName ?? fromAuth ?? DEFAULT_TOKEN_COOKIE;
  if (!COOKIE_NAME.test(cookieName)) throw invalid('tokenPage cookie name must be 1 to 64 of A-Z a-z 0-9 _ . -');
  const maxAgeSeconds = given.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
  if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 60 || maxAgeSeconds > MAX_MAX_AGE_SECONDS) {
    throw invalid('tokenPage.maxAgeSeconds must be an integer from 60 to 34560000 (400 days)');
  }
  if (given.sameSite !== undefined && !['Strict', 'Lax', 'None'].includes(given.sameSite))
    throw invalid('tokenPage.sameSite must be Strict, Lax or None');
  if (given.sameSite === 'None' && given.secure === false)
    throw invalid('tokenPage.sameSite None needs a Secure cookie: browsers drop it otherwise');
  if ((host.cors?.origins ?? []).length === 0) {
    throw invalid('tokenPage needs cors.origins: the Web UI origin allowed to send the cookie');
  }
  const basePath = host.basePath === undefined || host.basePath === '' ? '/' : host.basePath;
  return { cookieName, maxAgeSeconds, sameSite: given.sameSite, secure: given.secure, basePath };
}

/**
 * The codec app's options with the token page's needs filled in: authentication also reads the
 * token cookie (only when there is no Authorization header, and only from requests without an
 * Origin or from an allowed one), and CORS sends `Access-Control-Allow-Credentials` to the
 * configured Web UI origins (never to others). Unchanged when the page is off.
 */
export function withTokenPage<T extends TokenPageHost>(options: T): T {
  const page = resolveTokenPage(options);
  if (page === undefined) return options;
  return {
    ...options,
    auth: { ...options.auth, tokenCookie: page.cookieName },
    cors: { ...options.cors, credentials: true },
  };
}
