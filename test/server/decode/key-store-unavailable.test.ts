// The codec server while a key service it depends on (the subject key store) does not answer: 503, not 422 or 500.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { KeySource } from '../../../src/codec';
import { sealedError } from '../../../src/errors';
import { type CodecServer, createCodecServer } from '../../../src/server';
import { keyring, memoryAudit, post, STATIC_TOKENS, sealedIntake, TOKENS, toWire } from '../fixtures';

let down = false;
// The keyring's keys behind a store that can stop answering, as SubjectKeys does when its store is unreachable.
const keys: KeySource = {
  sealingKey: (scope) => keyring.sealingKey(scope),
  openingKey: async (box) => {
    if (down)
      throw sealedError('SEALED_KEYSTORE_UNAVAILABLE', 'the subject key store did not answer', {
        store: 'postgres',
        reason: 'unreachable',
      });
    return keyring.openingKey(box);
  },
};
let server: CodecServer;
let url: string;

beforeAll(async () => {
  server = await createCodecServer({ keys, auth: { staticTokens: STATIC_TOKENS }, audit: memoryAudit().sink });
  url = (await server.listen()).url;
});
afterAll(() => server?.close());

test('while the key store does not answer, /decode is 503 SEALED_KEYSTORE_UNAVAILABLE, and 200 once it answers again', async () => {
  const sealed = await sealedIntake();
  down = true;
  const refused = await post(url, '/decode', toWire([sealed]), { token: TOKENS.clinician, namespace: 'default' });
  expect(refused.status).toBe(503);
  expect(JSON.parse(refused.text)).toEqual({ error: 'unavailable', code: 'SEALED_KEYSTORE_UNAVAILABLE' });
  down = false;
  expect((await post(url, '/decode', toWire([sealed]), { token: TOKENS.clinician, namespace: 'default' })).status).toBe(200);
});
