import { describe, expect, test } from 'vitest';
import { SealingCodec } from '../../../src/codec';
import { createCodecApp } from '../../../src/server';
import { keyring, memoryAudit } from '../fixtures';

const UI = 'http://localhost:8233';

async function app(credentials: boolean) {
  return createCodecApp({ codec: await SealingCodec.create({ keyring }), cors: { origins: [UI], credentials }, audit: memoryAudit().sink });
}

function preflight(origin: string): RequestInit {
  return { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' } };
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
