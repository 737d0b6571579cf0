// The token page through hono's app.request: cookie attributes, CSRF refusals, clearing, the
// token never in a body or a log line, and /decode reading the cookie only when the page is on.
import type { Hono } from 'hono';
import { generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, test, vi, type MockInstance } from 'vitest';
import { SealingCodec } from '../../../src/codec';
import { createCodecApp, type CodecAppOptions } from '../../../src/server/app';
import { codeOf } from '../../support/errors';
import { fromWire, keyring, memoryAudit, PLAINTEXT, sealedIntake, STATIC_TOKENS, TOKENS, toWire } from '../fixtures';

const UI = 'http://localhost:8233';
const SELF = 'http://localhost'; // app.request's default origin
const COOKIE = 'sealed_codec_token';
const NONCE_COOKIE = 'sealed_token_page_nonce';
const FORGED = 'forged-token-0123456789abcdef';

let codec: SealingCodec;
let body: string;

beforeAll(async () => {
  codec = await SealingCodec.create({ keyring });
  body = toWire([await sealedIntake()]);
});

function appWith(overrides: Partial<CodecAppOptions> = {}): Hono {
  return createCodecApp({
    codec,
    auth: { staticTokens: STATIC_TOKENS },
    cors: { origins: [UI] },
    tokenPage: true,
    audit: memoryAudit().sink,
    ...overrides,
  });
}

/** The page as a browser gets it: status, HTML, the form's nonce and the Set-Cookie lines. */
async function getPage(app: Hono, options: { url?: string; cookie?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie !== undefined) headers.cookie = options.cookie;
  const response = await app.request(options.url ?? '/token', { headers });
  const html = await response.text();
  const nonce = /name="nonce" value="([^"]+)"/.exec(html)?.[1];
  return { response, html, nonce, cookies: response.headers.getSetCookie() };
}

interface PostForm {
  url?: string;
  fields?: Record<string, string>;
  origin?: string | null;
  cookie?: string;
  headers?: Record<string, string>;
}

/** A form POST as the page's own form sends it (same origin, nonce in field and cookie) unless told otherwise. */
async function postForm(app: Hono, path: string, form: PostForm = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...form.headers };
  if (form.origin !== null) headers.origin = form.origin ?? SELF;
  if (form.cookie !== undefined) headers.cookie = form.cookie;
  const response = await app.request(form.url ?? path, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form.fields ?? {}).toString(),
  });
  return { response, text: await response.text(), cookies: response.headers.getSetCookie() };
}

/** Opens the page, then posts `token` with that page's nonce. */
async function storeToken(app: Hono, token: string, form: Omit<PostForm, 'fields'> = {}) {
  const page = await getPage(app, form.url !== undefined ? { url: form.url } : {});
  return postForm(app, '/token', {
    ...form,
    fields: { nonce: page.nonce ?? '', token },
    cookie: `${NONCE_COOKIE}=${page.nonce}${form.cookie ? `; ${form.cookie}` : ''}`,
  });
}

function decode(app: Hono, headers: Record<string, string>, path = '/decode') {
  return app.request(path, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers } });
}

async function revealed(response: Response): Promise<boolean> {
  const text = await response.text();
  expect(response.status).toBe(200);
  return JSON.stringify(fromWire(text)).includes(PLAINTEXT.ssn);
}

// Every write to stdout/stderr during a test, to show no token reaches a log.
let writes: string[];
let spies: MockInstance[];
beforeEach(() => {
  writes = [];
  const keep = (chunk: unknown) => void writes.push(String(chunk));
  spies = [
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      keep(chunk);
      return true;
    }),
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      keep(chunk);
      return true;
    }),
    ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation((...args: unknown[]) => keep(args.join(' '))),
    ),
  ];
});
afterEach(() => {
  for (const spy of spies) spy.mockRestore();
  for (const token of [...Object.values(TOKENS), FORGED]) expect(writes.join('\n')).not.toContain(token);
});

describe('GET /token', () => {
  test('serves a form with a per-page nonce, a strict CSP and no CORS grant, even to the Web UI origin', async () => {
    const { response, html, nonce, cookies } = await getPage(appWith(), { headers: { origin: UI } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(
      /^default-src 'none'; style-src 'nonce-[A-Za-z0-9_-]{43}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/,
    );
    expect(html).not.toContain('<script');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookies).toEqual([`${NONCE_COOKIE}=${nonce}; Path=/token; Max-Age=3600; HttpOnly; SameSite=Strict`]);
    expect(html).toContain('No token is stored');
    expect(html).toContain('<code>http://localhost</code>'); // the endpoint to enter in the Web UI
  });

  test('each rendering gets a new nonce', async () => {
    const app = appWith();
    expect((await getPage(app)).nonce).not.toBe((await getPage(app)).nonce);
  });

  test('names the subject and grants of a stored token, never the token', async () => {
    const { html } = await getPage(appWith(), { cookie: `${COOKIE}=${TOKENS.clinician}` });
    expect(html).toContain('<strong>dr-ana</strong>: purposes credential, phi; namespaces default');
    expect(html).not.toContain(TOKENS.clinician);
  });

  test('says when the stored token is no longer accepted', async () => {
    const { html } = await getPage(appWith(), { cookie: `${COOKIE}=${FORGED}` });
    expect(html).toContain('no longer accepts it');
    expect(html).not.toContain(FORGED);
  });
});

describe('POST /token', () => {
  test('stores an accepted token in a host-only HttpOnly SameSite=Strict cookie over http, and redirects to the page', async () => {
    const { response, text, cookies } = await storeToken(appWith(), TOKENS.clinician);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/token');
    expect(text).toBe('');
    expect(cookies).toEqual([`${COOKIE}=${TOKENS.clinician}; Path=/; Max-Age=28800; HttpOnly; SameSite=Strict`]);
  });

  test('a pasted "Bearer " prefix and surrounding space are dropped; Sec-Fetch-Site: same-origin is accepted', async () => {
    const { cookies } = await storeToken(appWith(), `  Bearer ${TOKENS.clinician}\n`, { headers: { 'sec-fetch-site': 'same-origin' } });
    expect(cookies[0]).toMatch(new RegExp(`^${COOKIE}=${TOKENS.clinician}; `));
  });

  test('over https the cookie is Secure and SameSite=None (the Web UI may be on another site)', async () => {
    const { cookies } = await storeToken(appWith(), TOKENS.clinician, {
      url: 'https://codec.example.test/token',
      origin: 'https://codec.example.test',
    });
    expect(cookies).toEqual([`${COOKIE}=${TOKENS.clinician}; Path=/; Max-Age=28800; HttpOnly; SameSite=None; Secure`]);
  });

  test('behind a TLS proxy (X-Forwarded-Proto: https) the cookie is Secure too', async () => {
    const { cookies } = await storeToken(appWith(), TOKENS.clinician, {
      origin: 'https://localhost',
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(cookies[0]).toMatch(/; SameSite=None; Secure$/);
  });

  test('sameSite, secure, maxAgeSeconds and the cookie name are configurable', async () => {
    const lax = await storeToken(appWith({ tokenPage: { sameSite: 'Lax', maxAgeSeconds: 600 } }), TOKENS.clinician);
    expect(lax.cookies).toEqual([`${COOKIE}=${TOKENS.clinician}; Path=/; Max-Age=600; HttpOnly; SameSite=Lax`]);
    const secureStrict = await storeToken(appWith({ tokenPage: { sameSite: 'Strict', secure: true } }), TOKENS.clinician);
    expect(secureStrict.cookies[0]).toMatch(/; SameSite=Strict; Secure$/);
    const named = await storeToken(appWith({ auth: { staticTokens: STATIC_TOKENS, tokenCookie: 'my_codec' } }), TOKENS.clinician);
    expect(named.cookies[0]).toMatch(new RegExp(`^my_codec=${TOKENS.clinician}; `));
  });

  test('under a basePath the forms post there and the cookie Path is the basePath', async () => {
    const app = appWith({ basePath: '/codec' });
    const page = await getPage(app, { url: '/codec/token' });
    expect(page.html).toContain('action="/codec/token"');
    expect(page.html).toContain('action="/codec/token/clear"');
    expect(page.cookies[0]).toContain('; Path=/codec/token;');
    const { response, cookies } = await postForm(app, '/codec/token', {
      fields: { nonce: page.nonce ?? '', token: TOKENS.clinician },
      cookie: `${NONCE_COOKIE}=${page.nonce}`,
    });
    expect(response.headers.get('location')).toBe('/codec/token');
    expect(cookies[0]).toContain('; Path=/codec;');
  });

  test('a token the server does not accept is refused with 401 and not stored or echoed', async () => {
    const { response, text, cookies } = await storeToken(appWith(), FORGED);
    expect(response.status).toBe(401);
    expect(text).toContain('does not accept this token');
    expect(text).not.toContain(FORGED);
    expect(cookies.some((c) => c.startsWith(`${COOKIE}=`))).toBe(false);
    expect(cookies.some((c) => c.startsWith(`${NONCE_COOKIE}=`))).toBe(true); // a fresh page to try again
  });

  test('a JWT that cannot be checked (JWKS unreachable) is refused with 503 and not stored', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const jwt = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('5m').sign(privateKey);
    const app = appWith({ auth: { staticTokens: STATIC_TOKENS, jwt: { jwksUrl: 'http://127.0.0.1:1/jwks.json' } } });
    const { response, text, cookies } = await storeToken(app, jwt);
    expect(response.status).toBe(503);
    expect(text).not.toContain(jwt);
    expect(cookies.some((c) => c.startsWith(`${COOKIE}=`))).toBe(false);
  });

  test.each([
    ['an empty field', ''],
    ['a token with a space inside', 'clinician token 0123456789'],
    ['a token with a semicolon (would split the cookie)', `${TOKENS.clinician};evil=1`],
    ['a token over 4000 characters', 'a'.repeat(4001)],
  ])('%s is refused with 400 and not stored or echoed', async (_name, token) => {
    const { response, text, cookies } = await storeToken(appWith(), token);
    expect(response.status).toBe(400);
    expect(cookies.some((c) => c.startsWith(`${COOKIE}=`))).toBe(false);
    if (token.length > 0) expect(text).not.toContain(token);
  });

  test('a body that is not a form is refused with 415; one over 16 KiB with 413', async () => {
    const app = appWith();
    const page = await getPage(app);
    const cookie = `${NONCE_COOKIE}=${page.nonce}`;
    const json = await app.request('/token', {
      method: 'POST',
      headers: { origin: SELF, cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ nonce: page.nonce, token: TOKENS.clinician }),
    });
    expect(json.status).toBe(415);
    expect(json.headers.getSetCookie().some((c) => c.startsWith(`${COOKIE}=`))).toBe(false);
    const big = await postForm(app, '/token', {
      fields: { nonce: page.nonce ?? '', token: TOKENS.clinician, pad: 'x'.repeat(17 * 1024) },
      cookie,
    });
    expect(big.response.status).toBe(413);
    expect(big.cookies).toEqual([]);
  });
});

describe('CSRF: only the page itself may store or clear', () => {
  const refusals: Array<[string, (nonce: string) => PostForm]> = [
    ['no Origin header', (nonce) => ({ origin: null, cookie: `${NONCE_COOKIE}=${nonce}` })],
    ['Origin: null', (nonce) => ({ origin: 'null', cookie: `${NONCE_COOKIE}=${nonce}` })],
    ['the Web UI origin (same site, another origin)', (nonce) => ({ origin: UI, cookie: `${NONCE_COOKIE}=${nonce}` })],
    ['another site', (nonce) => ({ origin: 'https://evil.example', cookie: `${NONCE_COOKIE}=${nonce}` })],
    ['the same host on another port', (nonce) => ({ origin: 'http://localhost:9999', cookie: `${NONCE_COOKIE}=${nonce}` })],
    ['Sec-Fetch-Site: same-site', (nonce) => ({ cookie: `${NONCE_COOKIE}=${nonce}`, headers: { 'sec-fetch-site': 'same-site' } })],
    ['Sec-Fetch-Site: cross-site', (nonce) => ({ cookie: `${NONCE_COOKIE}=${nonce}`, headers: { 'sec-fetch-site': 'cross-site' } })],
    ['no nonce cookie', () => ({})],
    ['a nonce cookie that differs from the form', () => ({ cookie: `${NONCE_COOKIE}=${'A'.repeat(43)}` })],
  ];

  test.each(refusals)('POST /token with %s is 403 and sets no cookie', async (_name, build) => {
    const app = appWith();
    const page = await getPage(app);
    const { response, text, cookies } = await postForm(app, '/token', {
      ...build(page.nonce ?? ''),
      fields: { nonce: page.nonce ?? '', token: TOKENS.clinician },
    });
    expect(response.status).toBe(403);
    expect(cookies).toEqual([]);
    expect(text).not.toContain(TOKENS.clinician);
    expect(text).not.toContain('<form');
  });

  test.each(refusals)('POST /token/clear with %s is 403 and sets no cookie', async (_name, build) => {
    const app = appWith();
    const page = await getPage(app);
    const { response, cookies } = await postForm(app, '/token/clear', { ...build(page.nonce ?? ''), fields: { nonce: page.nonce ?? '' } });
    expect(response.status).toBe(403);
    expect(cookies).toEqual([]);
  });

  test('a form without its nonce field is 403', async () => {
    const app = appWith();
    const page = await getPage(app);
    const { response } = await postForm(app, '/token', { fields: { token: TOKENS.clinician }, cookie: `${NONCE_COOKIE}=${page.nonce}` });
    expect(response.status).toBe(403);
  });
});

describe('POST /token/clear', () => {
  test('deletes the cookie with the attributes it was set with and redirects to the page', async () => {
    const app = appWith();
    const page = await getPage(app, { cookie: `${COOKIE}=${TOKENS.clinician}` });
    const { response, text, cookies } = await postForm(app, '/token/clear', {
      fields: { nonce: page.nonce ?? '' },
      cookie: `${NONCE_COOKIE}=${page.nonce}; ${COOKIE}=${TOKENS.clinician}`,
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/token');
    expect(text).toBe('');
    expect(cookies).toEqual([`${COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict`]);
  });
});

describe('/decode with the token page on', () => {
  test('reads the token from the cookie for the Web UI origin and allows credentials for it', async () => {
    const response = await decode(appWith(), { origin: UI, cookie: `${COOKIE}=${TOKENS.clinician}` });
    expect(response.headers.get('access-control-allow-origin')).toBe(UI);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(await revealed(response)).toBe(true);
  });

  test('without the cookie the sealed fields stay placeholders', async () => {
    expect(await revealed(await decode(appWith(), { origin: UI }))).toBe(false);
  });

  test('an Authorization header wins over the cookie', async () => {
    const response = await decode(appWith(), {
      origin: UI,
      cookie: `${COOKIE}=${TOKENS.clinician}`,
      authorization: `Bearer ${TOKENS.support}`,
    });
    expect(await revealed(response)).toBe(false);
  });

  test('the cookie from another origin is ignored and that origin gets no CORS grant', async () => {
    const response = await decode(appWith(), { origin: 'http://localhost:9999', cookie: `${COOKIE}=${TOKENS.clinician}` });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(await revealed(response)).toBe(false);
  });

  test('a preflight from the Web UI origin is granted with credentials; other origins get nothing', async () => {
    const preflight = (origin: string) =>
      appWith().request('/decode', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
      });
    const ui = await preflight(UI);
    expect(ui.headers.get('access-control-allow-origin')).toBe(UI);
    expect(ui.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await preflight('http://localhost:9999');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('access-control-allow-credentials')).toBeNull();
  });

  test('under a basePath the cookie is read on basePath/decode', async () => {
    const response = await decode(
      appWith({ basePath: '/codec' }),
      { origin: UI, cookie: `${COOKIE}=${TOKENS.clinician}` },
      '/codec/decode',
    );
    expect(await revealed(response)).toBe(true);
  });
});

describe('with the token page off', () => {
  const off = () => createCodecApp({ codec, auth: { staticTokens: STATIC_TOKENS }, cors: { origins: [UI] }, audit: memoryAudit().sink });

  test('GET and POST /token are 404', async () => {
    expect((await off().request('/token')).status).toBe(404);
    expect(
      (
        await off().request('/token', {
          method: 'POST',
          headers: { origin: SELF, 'content-type': 'application/x-www-form-urlencoded' },
          body: `token=${TOKENS.clinician}`,
        })
      ).status,
    ).toBe(404);
  });

  test('the token cookie is not read and CORS allows no credentials', async () => {
    const response = await decode(off(), { origin: UI, cookie: `${COOKIE}=${TOKENS.clinician}` });
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(await revealed(response)).toBe(false);
  });

  test('tokenPage: false is off too', async () => {
    expect((await appWith({ tokenPage: false }).request('/token')).status).toBe(404);
  });
});

describe('token page options', () => {
  test.each<[string, Partial<CodecAppOptions>]>([
    ['no Web UI origin', { cors: {} }],
    ['a cookie name that differs from auth.tokenCookie', { auth: { tokenCookie: 'a_cookie' }, tokenPage: { cookieName: 'b_cookie' } }],
    ['a cookie name with a separator', { tokenPage: { cookieName: 'a;b' } }],
    ['SameSite=None without Secure', { tokenPage: { sameSite: 'None', secure: false } }],
    ['a lifetime under a minute', { tokenPage: { maxAgeSeconds: 30 } }],
    ['a lifetime over 400 days', { tokenPage: { maxAgeSeconds: 401 * 24 * 3600 } }],
  ])('%s is SEALED_INVALID_OPTION', (_name, overrides) => {
    expect(codeOf(() => appWith(overrides))).toBe('SEALED_INVALID_OPTION');
  });
});
