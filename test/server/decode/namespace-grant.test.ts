import { afterAll, beforeAll, expect, test } from 'vitest';
import { createCodecServer, type CodecServer } from '../../../src/server';
import { CLEAR, expectNoPlaintext, fromWire, keyring, memoryAudit, PLAINTEXT, post, sealedIntake, STATIC_TOKENS, TOKENS, toWire } from '../fixtures';

// A server that accepts payloads sealed in other namespaces (Nexus) must still hold each caller to the
// namespaces their token grants: the grant covers the namespace a payload was sealed in.
let server: CodecServer;
let url: string;

beforeAll(async () => {
  server = await createCodecServer({ keyring, acceptNamespaces: '*', auth: { staticTokens: STATIC_TOKENS }, audit: memoryAudit().sink });
  url = (await server.listen()).url;
});

afterAll(() => server?.close());

test('a token for one namespace cannot open payloads sealed in another by naming its own', async () => {
  const sealedInDefault = await sealedIntake('default');
  const { status, text } = await post(url, '/decode', toWire([sealedInDefault]), { token: TOKENS.otherNs, namespace: 'billing' });
  expect(status).toBe(200);
  expectNoPlaintext(text);
  expect(fromWire(text)[0]!.data).toMatchObject({ patientId: CLEAR.patientId, ssn: '[sealed:phi:k1]' });
});

test('the same token opens payloads sealed in its own namespace', async () => {
  const sealedInBilling = await sealedIntake('billing');
  const { status, text } = await post(url, '/decode', toWire([sealedInBilling]), { token: TOKENS.otherNs, namespace: 'billing' });
  expect(status).toBe(200);
  expect(fromWire(text)[0]!.data).toMatchObject({ ssn: PLAINTEXT.ssn });
});
