import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Hono } from 'hono';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAuthenticator, type AuthOptions } from '../../../src/server/auth/authenticate';
import type { Principal } from '../../../src/server/auth/principal';
import { CodecHttpError } from '../../../src/server/http-errors/http-errors';
import { codeOf } from '../../support/errors';

const ISSUER = 'https://idp.test/';
const AUDIENCE = 'temporal-codec';
const SECRET = 'a-shared-secret-of-at-least-32-bytes!!';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
let rsa: KeyPair;
let jwksServer: Server;
let jwksUrl: string;

beforeAll(async () => {
  rsa = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(rsa.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const app = new Hono().get('/jwks.json', (c) => c.json({ keys: [jwk] })).get('/broken.json', (c) => c.text('idp down', 500));
  jwksServer = await new Promise<Server>((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(server as Server)) as Server;
  });
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
});

afterAll(() => new Promise<void>((resolve) => jwksServer?.close(() => resolve())));

function claims(extra: JWTPayload = {}): JWTPayload {
  return { sub: 'ana@example.test', sealed_purposes: ['phi'], temporal_namespaces: 'default billing', ...extra };
}

async function signRsa(
  payload: JWTPayload,
  options: { issuer?: string; audience?: string; expiresIn?: string | number } = {},
): Promise<string> {
  let jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
    .setIssuedAt()
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE);
  if (options.expiresIn !== undefined) jwt = jwt.setExpirationTime(options.expiresIn);
  return jwt.sign(rsa.privateKey);
}

async function signHs(payload: JWTPayload, secret = SECRET): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));
}

function request(headers: Record<string, string>, originAllowed = true) {
  return { headers: new Headers(headers), originAllowed };
}

async function failureKind(run: Promise<unknown>): Promise<string | undefined> {
  return run.then(
    () => undefined,
    (err: unknown) => (err instanceof CodecHttpError ? err.kind : 'other'),
  );
}

function names(grant: Principal['purposes']): string[] | '*' {
  return grant === '*' ? '*' : [...grant].sort();
}

describe('without credentials', () => {
  test('a caller is anonymous and may reveal no purpose by default', async () => {
    const principal = await createAuthenticator({})(request({}));
    expect(principal).toMatchObject({ subject: 'anonymous', authenticated: false, canEncode: false });
    expect(names(principal.purposes)).toEqual([]);
  });

  test('allowAnonymousPurposes reveals exactly those purposes to anyone', async () => {
    const principal = await createAuthenticator({ allowAnonymousPurposes: ['demo'] })(request({}));
    expect(names(principal.purposes)).toEqual(['demo']);
  });

  test('requireAuthentication answers 401 instead', async () => {
    expect(await failureKind(createAuthenticator({ requireAuthentication: true })(request({})))).toBe('unauthorized');
  });

  test('an Authorization header that is not a bearer token is 401, never anonymous', async () => {
    for (const value of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer two words', '']) {
      expect(await failureKind(createAuthenticator({})(request({ authorization: value })))).toBe('unauthorized');
    }
  });
});

describe('static tokens', () => {
  const options: AuthOptions = { staticTokens: [{ token: 'local-token-0123456789', subject: 'me', purposes: '*', canEncode: true }] };

  test('a configured token maps to its subject, purposes, namespaces and encode right', async () => {
    const principal = await createAuthenticator(options)(request({ authorization: 'Bearer local-token-0123456789' }));
    expect(principal).toMatchObject({ subject: 'me', authenticated: true, purposes: '*', namespaces: '*', canEncode: true });
  });

  test('an unknown token is 401', async () => {
    expect(await failureKind(createAuthenticator(options)(request({ authorization: 'Bearer local-token-0123456780' })))).toBe(
      'unauthorized',
    );
  });

  test('tokens shorter than 16 characters or outside the bearer alphabet are refused at startup (SEALED_INVALID_OPTION)', () => {
    for (const token of ['short', 'has spaces in it 0123456789', 'quote"0123456789abcdef']) {
      expect(codeOf(() => createAuthenticator({ staticTokens: [{ token, subject: 'x', purposes: [] }] }))).toBe('SEALED_INVALID_OPTION');
    }
  });

  test('the token cookie counts only when the request origin is allowed', async () => {
    const auth = createAuthenticator({ ...options, tokenCookie: 'codec_token' });
    const cookie = { cookie: 'other=1; codec_token=local-token-0123456789' };
    expect((await auth(request(cookie, true))).subject).toBe('me');
    expect((await auth(request(cookie, false))).subject).toBe('anonymous');
  });
});

describe('JWT bearer tokens', () => {
  test('a token signed by a key in the JWKS maps its claims to purposes and namespaces', async () => {
    const auth = createAuthenticator({ jwt: { jwksUrl, issuer: ISSUER, audience: AUDIENCE } });
    const principal = await auth(request({ authorization: `Bearer ${await signRsa(claims(), { expiresIn: '5m' })}` }));
    expect(principal.subject).toBe('ana@example.test');
    expect(names(principal.purposes)).toEqual(['phi']);
    expect(names(principal.namespaces)).toEqual(['billing', 'default']);
    expect(principal.canEncode).toBe(false);
  });

  test('a PEM public key verifies as well as the JWKS', async () => {
    const auth = createAuthenticator({ jwt: { publicKey: await exportSPKI(rsa.publicKey), issuer: ISSUER } });
    expect((await auth(request({ authorization: `Bearer ${await signRsa(claims(), { expiresIn: '5m' })}` }))).subject).toBe(
      'ana@example.test',
    );
  });

  test('claim names are configurable', async () => {
    const auth = createAuthenticator({
      jwt: { secret: SECRET, claims: { subject: 'email', purposes: 'scp', namespaces: 'ns', encode: 'enc' } },
    });
    const token = await signHs({ email: 'bo@example.test', scp: 'phi credential', ns: ['default'], enc: true });
    const principal = await auth(request({ authorization: `Bearer ${token}` }));
    expect(principal).toMatchObject({ subject: 'bo@example.test', canEncode: true });
    expect(names(principal.purposes)).toEqual(['credential', 'phi']);
  });

  test.each([
    ['expired', () => signRsa(claims(), { expiresIn: Math.floor(Date.now() / 1000) - 3600 })],
    ['without exp', () => signRsa(claims())],
    ['from another issuer', () => signRsa(claims(), { issuer: 'https://evil.test/', expiresIn: '5m' })],
    ['for another audience', () => signRsa(claims(), { audience: 'someone-else', expiresIn: '5m' })],
    ['signed with an unknown secret (HS256 against a JWKS)', () => signHs(claims())],
    ['not a JWT', async () => 'not.a.jwt'],
  ])('a token %s is 401', async (_name, token) => {
    const auth = createAuthenticator({ jwt: { jwksUrl, issuer: ISSUER, audience: AUDIENCE } });
    expect(await failureKind(auth(request({ authorization: `Bearer ${await token()}` })))).toBe('unauthorized');
  });

  test('a token with a forged signature is 401', async () => {
    const token = await signHs(claims());
    const forged = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    expect(await failureKind(createAuthenticator({ jwt: { secret: SECRET } })(request({ authorization: `Bearer ${forged}` })))).toBe(
      'unauthorized',
    );
  });

  test('an unreachable JWKS is 503 (unavailable), not a verdict on the token', async () => {
    const auth = createAuthenticator({ jwt: { jwksUrl: 'http://127.0.0.1:9/jwks.json' } });
    expect(await failureKind(auth(request({ authorization: `Bearer ${await signRsa(claims(), { expiresIn: '5m' })}` })))).toBe(
      'unavailable',
    );
  });

  test('an HS256 token signed with the RSA public key (algorithm confusion) is 401, never 503', async () => {
    const pem = await exportSPKI(rsa.publicKey);
    const forged = await signHs(claims({ iss: ISSUER, aud: AUDIENCE }), pem);
    for (const jwt of [{ publicKey: pem }, { jwksUrl }]) {
      const auth = createAuthenticator({ jwt: { ...jwt, issuer: ISSUER, audience: AUDIENCE } });
      expect(await failureKind(auth(request({ authorization: `Bearer ${forged}` })))).toBe('unauthorized');
    }
  });

  test('a token with an unsupported or unknown alg is 401', async () => {
    const [, payload, signature] = (await signRsa(claims(), { expiresIn: '5m' })).split('.');
    for (const alg of ['none', 'XX999', 'HS256']) {
      const token = [Buffer.from(JSON.stringify({ alg, kid: 'test-key' })).toString('base64url'), payload, signature].join('.');
      for (const jwt of [{ publicKey: await exportSPKI(rsa.publicKey) }, { jwksUrl }]) {
        expect(await failureKind(createAuthenticator({ jwt })(request({ authorization: `Bearer ${token}` })))).toBe('unauthorized');
      }
    }
  });

  test('a JWKS endpoint that answers with an error is 503 (unavailable)', async () => {
    const auth = createAuthenticator({ jwt: { jwksUrl: jwksUrl.replace('jwks.json', 'broken.json') } });
    expect(await failureKind(auth(request({ authorization: `Bearer ${await signRsa(claims(), { expiresIn: '5m' })}` })))).toBe(
      'unavailable',
    );
  });

  test.each([
    ['a one-character secret', { secret: 'x' }],
    ['a 31-byte secret', { secret: 'a'.repeat(31) }],
    ['a 16-byte secret as bytes', { secret: new Uint8Array(16).fill(7) }],
    ['a 32-byte secret for HS512', { secret: 'a'.repeat(32), algorithms: ['HS512'] }],
    ['a secret with an asymmetric algorithm', { secret: SECRET, algorithms: ['RS256'] }],
    ['a public key with an HMAC algorithm', { jwksUrl: 'https://idp.test/jwks.json', algorithms: ['RS256', 'HS256'] }],
  ])('%s is refused at configuration (SEALED_INVALID_OPTION)', (_name, jwt) => {
    expect(codeOf(() => createAuthenticator({ jwt }))).toBe('SEALED_INVALID_OPTION');
  });

  test('a 32-byte secret is accepted', () => {
    expect(() => createAuthenticator({ jwt: { secret: 'a'.repeat(32) } })).not.toThrow();
    expect(() => createAuthenticator({ jwt: { secret: new Uint8Array(64).fill(1), algorithms: ['HS512'] } })).not.toThrow();
  });

  test('jwt options need exactly one key source: the compiler says so, and from JavaScript it is SEALED_INVALID_OPTION', () => {
    // @ts-expect-error no key source
    expect(codeOf(() => createAuthenticator({ jwt: {} }))).toBe('SEALED_INVALID_OPTION');
    // @ts-expect-error two key sources
    expect(codeOf(() => createAuthenticator({ jwt: { secret: SECRET, jwksUrl } }))).toBe('SEALED_INVALID_OPTION');
  });

  test.each([
    ['a jwksUrl that is not a URL', { jwksUrl: 'not a url' }],
    ['a publicKey that is not PEM', { publicKey: 'not a key' }],
    ['a secret that is neither a string nor bytes', { secret: 42 as unknown as string }],
  ])('%s is refused at configuration (SEALED_INVALID_OPTION)', (_name, jwt) => {
    expect(codeOf(() => createAuthenticator({ jwt }))).toBe('SEALED_INVALID_OPTION');
  });
});
