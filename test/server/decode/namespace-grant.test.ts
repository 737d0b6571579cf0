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

test('a caller allowed only the purpose of a value sealed inside a withheld one sees the container placeholder, not an error', async () => {
  const { SealingCodec } = await import('../../../src/codec');
  const { createSealedPayloadConverter, secret } = await import('../../../src');
  const codec = await SealingCodec.create({ keyring });
  const value = { patientId: CLEAR.patientId, contact: secret({ phone: secret(PLAINTEXT.ssn, { purpose: 'phi' }) }, { purpose: 'credential' }) };
  const [sealed] = await codec.encode([createSealedPayloadConverter().toPayload(value)], { type: 'workflow', namespace: 'default', workflowId: 'w' });
  const phiOnly = await createCodecServer({ keyring, auth: { staticTokens: [{ token: 'phi-only-token-0123456789', subject: 'p', purposes: ['phi'], namespaces: '*' }] }, audit: memoryAudit().sink });
  try {
    const { status, text } = await post((await phiOnly.listen()).url, '/decode', toWire([sealed!]), { token: 'phi-only-token-0123456789', namespace: 'default' });
    expect(status).toBe(200);
    expectNoPlaintext(text);
    expect(fromWire(text)[0]!.data).toEqual({ patientId: CLEAR.patientId, contact: '[sealed:credential:k1]' });
  } finally {
    await phiOnly.close();
  }
});
