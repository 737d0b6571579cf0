import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCodecServer, type CodecServer } from '../../../src/server';
import { CodecHttpError, errorResponse } from '../../../src/server/http-errors/http-errors';
import { limitTime } from '../../../src/server/limits/limits';
import { STATIC_TOKENS, TOKENS, keyring, memoryAudit, post, sealedIntake, toWire } from '../fixtures';

let server: CodecServer;
let url: string;

beforeAll(async () => {
  server = await createCodecServer({
    keyring,
    auth: { staticTokens: STATIC_TOKENS },
    audit: memoryAudit().sink,
    limits: { maxBodyBytes: 64 * 1024, maxPayloads: 20 },
  });
  url = (await server.listen()).url;
});

afterAll(() => server?.close());

describe('request limits', () => {
  test('a body over maxBodyBytes is 413 with a fixed body, and the server stays up', async () => {
    const big = toWire(Array.from({ length: 15 }, () => ({ metadata: {}, data: new Uint8Array(8 * 1024) })));
    const { status, text } = await post(url, '/decode', big, { token: TOKENS.clinician, namespace: 'default' });
    expect(status).toBe(413);
    expect(JSON.parse(text)).toEqual({ error: 'payload_too_large' });
    expect((await post(url, '/decode', toWire([await sealedIntake()]), { token: TOKENS.clinician, namespace: 'default' })).status).toBe(
      200,
    );
  });

  test('a streamed body without Content-Length is cut off at the limit too', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(16 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await fetch(`${url}/decode`, {
      method: 'POST',
      body,
      duplex: 'half',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.clinician}`, 'x-namespace': 'default' },
    } as RequestInit);
    expect(response.status).toBe(413);
  });

  test('more payloads than maxPayloads is 413', async () => {
    const many = toWire(Array.from({ length: 21 }, () => ({ metadata: {}, data: new Uint8Array() })));
    expect((await post(url, '/decode', many, { token: TOKENS.clinician, namespace: 'default' })).status).toBe(413);
  });

  test('a 10 KB body whose unknown field nests 5,000 levels deep is 400 with a fixed body, on both routes', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const body = `{"payloads":[{"metadata":{},"data":"","x":${deep}}]}`;
    for (const [route, token] of [
      ['/decode', TOKENS.clinician],
      ['/encode', TOKENS.encoder],
    ] as const) {
      const { status, text } = await post(url, route, body, { token, namespace: 'default' });
      expect(status).toBe(400);
      expect(JSON.parse(text)).toEqual({ error: 'bad_request' });
    }
    expect((await post(url, '/decode', toWire([await sealedIntake()]), { token: TOKENS.clinician, namespace: 'default' })).status).toBe(
      200,
    );
  });

  test('a body not declared as JSON is 415', async () => {
    const { status } = await post(url, '/decode', '{}', {
      token: TOKENS.clinician,
      namespace: 'default',
      headers: { 'content-type': 'text/plain' },
    });
    expect(status).toBe(415);
  });

  test('unknown routes are 404 and GET /health answers ok', async () => {
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok' });
  });

  test('a request slower than the timeout is 503', async () => {
    const app = new Hono();
    app.onError((err) => errorResponse(err instanceof CodecHttpError ? err : new CodecHttpError('internal')));
    app.use('*', limitTime(50));
    app.get('/slow', async (c) => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      return c.text('late');
    });
    const response = await app.request('/slow');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: 'timeout' });
  });
});
