import { describe, expect, test } from 'vitest';
import { createCodecServer } from '../../src/server';
import { codeOfAsync } from '../support/errors';
import { STATIC_TOKENS, TOKENS, keyring, memoryAudit, post, sealedIntake, toWire } from './fixtures';

describe('mounting', () => {
  test('with a basePath the routes answer under it and not at the root', async () => {
    const mounted = await createCodecServer({
      keyring,
      auth: { staticTokens: STATIC_TOKENS },
      audit: memoryAudit().sink,
      basePath: '/codec',
    });
    const base = (await mounted.listen()).url;
    try {
      expect(
        (await post(`${base}/codec`, '/decode', toWire([await sealedIntake()]), { token: TOKENS.clinician, namespace: 'default' })).status,
      ).toBe(200);
      expect((await post(`${base}/codec`, '/default/decode', toWire([]), { token: TOKENS.clinician })).status).toBe(200);
      expect((await fetch(`${base}/codec/health`)).status).toBe(200);
      expect((await post(base, '/decode', toWire([]), { token: TOKENS.clinician, namespace: 'default' })).status).toBe(404);
    } finally {
      await mounted.close();
    }
  });

  test('a basePath that is not a plain path is refused at startup (SEALED_INVALID_OPTION)', async () => {
    expect(await codeOfAsync(() => createCodecServer({ keyring, basePath: 'codec/' }))).toBe('SEALED_INVALID_OPTION');
  });
});
