import { describe, expect, test } from 'vitest';
import { createCodecServer } from '../../src/server';
import { STATIC_TOKENS, TOKENS, keyring, memoryAudit, sealedIntake, toWire } from './fixtures';

async function startServer() {
  const server = await createCodecServer({ keyring, auth: { staticTokens: STATIC_TOKENS }, audit: memoryAudit().sink });
  return { server, url: (await server.listen()).url };
}

/** A request body that sends its first half now and the rest when `finish` is called. */
function slowBody(text: string): { body: ReadableStream<Uint8Array>; finish: () => void } {
  const bytes = new TextEncoder().encode(text);
  let finish = () => {};
  const rest = new Promise<void>((resolve) => (finish = resolve));
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(bytes.subarray(0, bytes.length >> 1));
      await rest;
      controller.enqueue(bytes.subarray(bytes.length >> 1));
      controller.close();
    },
  });
  return { body, finish };
}

describe('codec server lifecycle', () => {
  test('listens on 127.0.0.1 by default', async () => {
    const { server, url } = await startServer();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await server.close();
  });

  test('close() lets a request in flight finish, then refuses new connections', async () => {
    const { server, url } = await startServer();
    const { body, finish } = slowBody(toWire([await sealedIntake()]));
    const inFlight = fetch(`${url}/decode`, {
      method: 'POST',
      body,
      duplex: 'half',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.clinician}`, 'x-namespace': 'default' },
    } as RequestInit);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = server.close();
    finish();
    expect((await inFlight).status).toBe(200);
    await closed;
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  test('close() is idempotent and listen() twice is refused', async () => {
    const { server } = await startServer();
    await expect(server.listen()).rejects.toThrow();
    await server.close();
    await server.close();
  });
});
