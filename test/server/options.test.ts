import { describe, expect, test } from 'vitest';
import { SealedError } from '../../src/errors';
import { createCodecServer } from '../../src/server';
import { createCodecApp } from '../../src/server/app';
import { SealingCodec } from '../../src/codec';
import { codeOfAsync, codeOf } from '../support/errors';
import { keyring, memoryAudit } from './fixtures';

// Every option the codec server refuses is refused with a SealedError and a code, never a bare Error or TypeError.
describe('codec server options', () => {
  test.each([
    ['a negative maxPayloads', { maxPayloads: -1 }],
    ['a zero maxBodyBytes', { maxBodyBytes: 0 }],
    ['a fractional timeoutMs', { timeoutMs: 1.5 }],
    ['a NaN timeoutMs', { timeoutMs: Number.NaN }],
  ])('%s is refused at startup (SEALED_INVALID_OPTION)', async (_name, limits) => {
    expect(await codeOfAsync(() => createCodecServer({ keyring, limits }))).toBe('SEALED_INVALID_OPTION');
  });

  test('createCodecApp refuses bad options with SealedErrors too', async () => {
    const codec = await SealingCodec.create({ keyring });
    const bad = [
      () => createCodecApp({ codec, basePath: '/a b' }),
      () => createCodecApp({ codec, limits: { maxPayloads: 0 } }),
      () => createCodecApp({ codec, auth: { staticTokens: [{ token: 'short', subject: 'x', purposes: '*' }] } }),
    ];
    for (const run of bad) {
      let thrown: unknown;
      try {
        run();
      } catch (err) {
        thrown = err;
      }
      expect(SealedError.is(thrown)).toBe(true);
      expect(codeOf(run)).toBe('SEALED_INVALID_OPTION');
    }
  });

  test('listen() twice without close() is SEALED_ALREADY_LISTENING, and close() makes it listen again', async () => {
    const server = await createCodecServer({ keyring, audit: memoryAudit().sink });
    await server.listen();
    try {
      expect(await codeOfAsync(() => server.listen())).toBe('SEALED_ALREADY_LISTENING');
    } finally {
      await server.close();
    }
    await server.listen();
    await server.close();
  });
});
