import { describe, expect, test } from 'vitest';
import { SealingCodec } from '../../../src/codec';
import { createCodecApp } from '../../../src/server/app';
import { STATIC_TOKENS, TOKENS, expectNoPlaintext, fromWire, keyring, memoryAudit, PLAINTEXT, sealedIntake, toWire } from '../fixtures';

const UI = 'http://localhost:8233';

async function app(credentials: boolean) {
  return createCodecApp({ codec: await SealingCodec.create({ keyring }), cors: { origins: [UI], credentials }, audit: memoryAudit().sink });
}

function preflight(origin: string): RequestInit {
  return {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type,x-namespace',
    },
  };
}

describe('CORS for the Web UI', () => {
  test('a preflight from the UI origin allows POST with Authorization, Content-Type and X-Namespace', async () => {
    const response = await (await app(false)).request('/decode', preflight(UI));
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-origin')).toBe(UI);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const header of ['authorization', 'content-type', 'x-namespace']) expect(allowed).toContain(header);
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  test('credentials are allowed only when configured', async () => {
    const response = await (await app(true)).request('/decode', preflight(UI));
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
  });

  test('another origin gets no CORS grant', async () => {
    const response = await (await app(true)).request('/decode', preflight('http://evil.test'));
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the token cookie', () => {
  async function decodeWithCookie(origin: string): Promise<string> {
    const codecApp = createCodecApp({
      codec: await SealingCodec.create({ keyring }),
      auth: { staticTokens: STATIC_TOKENS, tokenCookie: 'codec_token' },
      cors: { origins: [UI], credentials: true },
      audit: memoryAudit().sink,
    });
    const headers = { 'content-type': 'application/json', 'x-namespace': 'default', origin, cookie: `codec_token=${TOKENS.clinician}` };
    const response = await codecApp.request('/decode', { method: 'POST', body: toWire([await sealedIntake()]), headers });
    expect(response.status).toBe(200);
    return response.text();
  }

  test('reveals for a request from the Web UI origin', async () => {
    expect(JSON.stringify(fromWire(await decodeWithCookie(UI)))).toContain(PLAINTEXT.ssn);
  });

  test('is ignored on a request from another origin, which gets placeholders', async () => {
    expectNoPlaintext(await decodeWithCookie('http://evil.test'));
  });
});
