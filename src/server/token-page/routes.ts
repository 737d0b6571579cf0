import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createAuthenticator, type AuthOptions } from '../auth/authenticate';
import { CodecHttpError } from '../http-errors/http-errors';
import { cookieValue, requestIsHttps, setCookie, tokenCookieAttributes, type CookieAttributes } from './cookies';
import { isSameOriginPost, newNonce, nonceMatches, NONCE_COOKIE, NONCE_MAX_AGE_SECONDS } from './csrf';
import { resolveTokenPage, type ResolvedTokenPage, type TokenPageHost } from './options';
import { renderPage, type PageView, type StoredToken } from './page';

// Bodies are a nonce and a token; a JWT with many claims stays well under this.
const MAX_FORM_BYTES = 16 * 1024;
// What fits in one cookie (browsers keep about 4096 bytes of name and value).
const MAX_TOKEN_CHARS = 4000;
// The bearer-header alphabet (RFC 6750 token68): every character is also a valid cookie value character.
const TOKEN = /^[A-Za-z0-9._~+/=-]+$/;

/** Every response of the page: no caching, no framing, no referrer to other origins, no script, nothing from elsewhere. */
function securityHeaders(styleNonce: string | undefined): Record<string, string> {
  const style = styleNonce === undefined ? "style-src 'none'" : `style-src 'nonce-${styleNonce}'`;
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': `default-src 'none'; ${style}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    // Not no-referrer: with it, browsers send `Origin: null` on the page's own form POST.
    'referrer-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}

type Outcome = 'stored' | 'cleared';
type Refusal = { status: 400 | 401 | 403 | 413 | 415 | 503; text: string };

const REFUSED: Record<'csrf' | 'media' | 'size' | 'shape' | 'token' | 'unavailable', Refusal> = {
  csrf: { status: 403, text: 'Refused: send this form from the token page itself. Reload the page and try again.' },
  media: { status: 415, text: 'Refused: the form must be sent as application/x-www-form-urlencoded.' },
  size: { status: 413, text: 'Refused: the form is too large.' },
  shape: { status: 400, text: 'Refused: paste one bearer token (letters, digits and . _ ~ + / = -, up to 4000 characters).' },
  token: { status: 401, text: 'The codec server does not accept this token: nothing was stored.' },
  unavailable: { status: 503, text: 'The token could not be checked just now (identity provider unreachable): nothing was stored.' },
};

/** What every route of the page needs: its resolved options, its path prefix and the token check. */
interface TokenSite {
  page: ResolvedTokenPage;
  /** The base path without a trailing `/`: empty at the root. */
  base: string;
  authenticate: ReturnType<typeof createAuthenticator>;
}

/**
 * Adds the token page to a codec app when `tokenPage` is set: `GET /token` (the form),
 * `POST /token` (store a pasted token in the HttpOnly cookie), `POST /token/clear`. Mount it
 * before the CORS middleware: the page grants no other origin anything. Does nothing when off.
 */
export function mountTokenPage(app: Hono, options: TokenPageHost): void {
  const page = resolveTokenPage(options);
  if (page === undefined) return;
  const authenticate = createAuthenticator(withoutCookie(options.auth));
  const site: TokenSite = { page, base: page.basePath === '/' ? '' : page.basePath, authenticate };

  app.get('/token', async (c) => respondWithPage(site, c, 200, { stored: await stored(site, c) }));

  // By Content-Length up front and while streaming (a chunked body has none).
  const limitForm = bodyLimit({ maxSize: MAX_FORM_BYTES, onError: () => refusedPage(site, REFUSED.size) });

  app.post('/token', limitForm, (c) => storePastedToken(site, c));
  app.post('/token/clear', limitForm, (c) => clearStoredToken(site, c));
}

async function storePastedToken(site: TokenSite, c: Context): Promise<Response> {
  const form = await formOf(c);
  if (!(form instanceof URLSearchParams)) return respondToRefusedForm(site, c, form);
  const token = pastedToken(form.get('token'));
  const refusal = token === undefined ? REFUSED.shape : refusalOf(await check(site, token));
  if (refusal !== undefined) return respondWithNotice(site, c, refusal);
  return redirectAfter(site, c, 'stored', token);
}

async function clearStoredToken(site: TokenSite, c: Context): Promise<Response> {
  const form = await formOf(c);
  if (!(form instanceof URLSearchParams)) return respondToRefusedForm(site, c, form);
  return redirectAfter(site, c, 'cleared', undefined);
}

/** A cross-origin post gets the fixed refusal page; any other refused form gets the page with the refusal as its notice. */
async function respondToRefusedForm(site: TokenSite, c: Context, refusal: Refusal): Promise<Response> {
  return refusal === REFUSED.csrf ? refusedPage(site, refusal) : respondWithNotice(site, c, refusal);
}

async function respondWithNotice(site: TokenSite, c: Context, refusal: Refusal): Promise<Response> {
  return respondWithPage(site, c, refusal.status, { stored: await stored(site, c), notice: { tone: 'error', text: refusal.text } });
}

/** Who a token stands for: the same checks `/decode` makes, as if sent in an Authorization header. */
async function check(site: TokenSite, token: string): Promise<StoredToken> {
  try {
    const principal = await site.authenticate({ headers: new Headers({ authorization: `Bearer ${token}` }), originAllowed: true });
    return principal.authenticated ? { state: 'accepted', principal } : { state: 'refused' };
  } catch (err) {
    if (err instanceof CodecHttpError && err.kind === 'unavailable') return { state: 'unchecked' };
    return { state: 'refused' };
  }
}

async function stored(site: TokenSite, c: Context): Promise<StoredToken> {
  const token = cookieValue(c.req.header('cookie'), site.page.cookieName);
  return token === undefined || !TOKEN.test(token) ? { state: 'none' } : check(site, token);
}

function attributesOf(site: TokenSite, c: Context): CookieAttributes {
  return tokenCookieAttributes(site.page, requestIsHttps(c.req.url, c.req.header('x-forwarded-proto')));
}

/** The page with a fresh nonce, in its form fields and in the nonce cookie. */
function respondWithPage(
  site: TokenSite,
  c: Context,
  status: 200 | Refusal['status'],
  view: Pick<PageView, 'stored' | 'notice'>,
): Response {
  const { page, base } = site;
  const nonce = newNonce();
  const styleNonce = newNonce();
  const attributes = attributesOf(site, c);
  const nonceAttributes: CookieAttributes = { path: `${base}/token`, secure: attributes.secure, sameSite: 'Strict' };
  const html = renderPage({ ...view, nonce, styleNonce, basePath: page.basePath, endpoint: `${new URL(c.req.url).origin}${base}` });
  const headers = new Headers(securityHeaders(styleNonce));
  headers.append('set-cookie', setCookie(NONCE_COOKIE, nonce, nonceAttributes, NONCE_MAX_AGE_SECONDS));
  return new Response(html, { status, headers });
}

/** A fixed page for refused cross-origin posts: no form, no new nonce. */
function refusedPage(site: TokenSite, refusal: Refusal): Response {
  return new Response(
    `<!doctype html><title>Refused</title><p>${refusal.text}</p><p><a href="${site.base}/token">Open the token page</a></p>\n`,
    {
      status: refusal.status,
      headers: securityHeaders(undefined),
    },
  );
}

/** After a successful POST: set (or delete) the token cookie and send the browser back to the page. */
function redirectAfter(site: TokenSite, c: Context, outcome: Outcome, token: string | undefined): Response {
  const { page, base } = site;
  const attributes = attributesOf(site, c);
  const headers = new Headers({ location: `${base}/token`, 'cache-control': 'no-store', 'referrer-policy': 'same-origin' });
  headers.append(
    'set-cookie',
    outcome === 'stored'
      ? setCookie(page.cookieName, token as string, attributes, page.maxAgeSeconds)
      : setCookie(page.cookieName, '', attributes, 0),
  );
  return new Response(null, { status: 303, headers });
}

/** The form fields of a same-origin POST carrying the page's nonce, or the refusal. */
async function formOf(c: Context): Promise<URLSearchParams | Refusal> {
  if (!isSameOriginPost(c.req.url, c.req.header('origin'), c.req.header('sec-fetch-site'))) return REFUSED.csrf;
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(c.req.header('content-type') ?? '')) return REFUSED.media;
  const form = new URLSearchParams(await c.req.text());
  if (!nonceMatches(form.get('nonce') ?? undefined, cookieValue(c.req.header('cookie'), NONCE_COOKIE))) return REFUSED.csrf;
  return form;
}

function refusalOf(result: StoredToken): Refusal | undefined {
  if (result.state === 'accepted') return undefined;
  return result.state === 'unchecked' ? REFUSED.unavailable : REFUSED.token;
}

/** The pasted token, with surrounding space and an optional `Bearer ` removed; undefined when it cannot be one. */
function pastedToken(field: string | null): string | undefined {
  if (field === null) return undefined;
  const token = field.trim().replace(/^Bearer\s+/i, '');
  return token.length > 0 && token.length <= MAX_TOKEN_CHARS && TOKEN.test(token) ? token : undefined;
}

/** The page checks tokens it is handed; it never falls back to a cookie of its own. */
function withoutCookie(auth: AuthOptions | undefined): AuthOptions {
  const { tokenCookie: _ignored, ...rest } = auth ?? {};
  return rest;
}
