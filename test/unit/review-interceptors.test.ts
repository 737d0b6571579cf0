// Security review: headers never pass through a codec, so nothing holding plaintext may go there.
import type { Payload } from '@temporalio/common';
import { expect, test } from 'vitest';
import { createSealedPayloadConverter, SealedError, secret } from '../../src';
import { Keyring, SealingCodec } from '../../src/codec';
import { refuseSealableHeaders } from '../../src/interceptors/guard';

test('review-header-opened: a header payload carrying opened (plaintext) sealed fields is refused like a pending one', async () => {
  const converter = createSealedPayloadConverter();
  const codec = await SealingCodec.create({ keyring: new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } }) });
  const [sealed] = await codec.encode([converter.toPayload({ jwt: secret('CANARY-HEADER-1', { purpose: 'credential' }) })]);
  const [opened] = (await codec.decode([sealed as Payload])) as [Payload];
  expect(Buffer.from(opened.metadata?.['sealed-opened'] ?? []).toString()).toContain('CANARY-HEADER-1');
  let code: string | undefined;
  try {
    refuseSealableHeaders({ auth: opened }, 'test.headers'); // e.g. an interceptor forwarding a decoded payload as a header
  } catch (err) {
    code = SealedError.is(err) ? err.code : 'other';
  }
  expect(code).toBe('SEALED_NOT_ALLOWED_HERE');
});
