import { afterAll, beforeAll, expect, test } from 'vitest';
import { createCodecServer, type CodecServer } from '../../../src/server';
import {
  CLEAR,
  expectNoPlaintext,
  fromWire,
  keyring,
  memoryAudit,
  PLAINTEXT,
  post,
  sealedIntake,
  STATIC_TOKENS,
  TOKENS,
  toWire,
} from '../fixtures';

// A server that accepts payloads sealed in other namespaces (Nexus) must still hold each caller to the
// namespaces their token grants: the grant covers the namespace a payload was sealed in.
const audit = memoryAudit();
const BOTH = { token: 'two-namespaces-token-0123', subject: 'nia-nexus', purposes: '*', namespaces: ['default', 'billing'] } as const;
const ANY = { token: 'any-namespace-token-01234', subject: 'ops-any', purposes: '*', namespaces: '*' } as const;
let server: CodecServer;
let url: string;

beforeAll(async () => {
  server = await createCodecServer({
    keyring,
    acceptNamespaces: '*',
    auth: { staticTokens: [...STATIC_TOKENS, BOTH, ANY] },
    audit: audit.sink,
  });
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

test('the audit line names the namespace each payload was sealed in, and the request namespace apart', async () => {
  const before = audit.records.length;
  const batch = [await sealedIntake('billing'), await sealedIntake('default'), await sealedIntake('billing')];
  const { status } = await post(url, '/decode', toWire(batch), { token: BOTH.token, namespace: 'default' });
  expect(status).toBe(200);
  const reveals = audit.records.slice(before).filter((r) => r.event === 'reveal');
  expect(reveals).toHaveLength(2);
  expect(reveals).toContainEqual(
    expect.objectContaining({
      event: 'reveal',
      subject: 'nia-nexus',
      namespace: 'billing',
      requestNamespace: 'default',
      fields: 6,
      payloads: 2,
    }),
  );
  expect(reveals).toContainEqual(
    expect.objectContaining({
      event: 'reveal',
      subject: 'nia-nexus',
      namespace: 'default',
      requestNamespace: 'default',
      fields: 3,
      payloads: 1,
    }),
  );
});

test('a payload sealed with no namespace is audited as such (null), not as the request namespace', async () => {
  const before = audit.records.length;
  const { status } = await post(url, '/decode', toWire([await sealedIntake('')]), { token: ANY.token, namespace: 'billing' });
  expect(status).toBe(200);
  expect(audit.records.slice(before).find((r) => r.event === 'reveal')).toMatchObject({
    namespace: null,
    requestNamespace: 'billing',
    fields: 3,
  });
});

test('a caller allowed only the purpose of a value sealed inside a withheld one sees the container placeholder, not an error', async () => {
  const { SealingCodec } = await import('../../../src/codec');
  const { createSealedPayloadConverter, secret } = await import('../../../src');
  const codec = await SealingCodec.create({ keyring });
  const value = {
    patientId: CLEAR.patientId,
    contact: secret({ phone: secret(PLAINTEXT.ssn, { purpose: 'phi' }) }, { purpose: 'credential' }),
  };
  const [sealed] = await codec.encode([createSealedPayloadConverter().toPayload(value)], {
    type: 'workflow',
    namespace: 'default',
    workflowId: 'w',
  });
  const phiOnly = await createCodecServer({
    keyring,
    auth: { staticTokens: [{ token: 'phi-only-token-0123456789', subject: 'p', purposes: ['phi'], namespaces: '*' }] },
    audit: memoryAudit().sink,
  });
  try {
    const { status, text } = await post((await phiOnly.listen()).url, '/decode', toWire([sealed!]), {
      token: 'phi-only-token-0123456789',
      namespace: 'default',
    });
    expect(status).toBe(200);
    expectNoPlaintext(text);
    expect(fromWire(text)[0]!.data).toEqual({ patientId: CLEAR.patientId, contact: '[sealed:credential:k1]' });
  } finally {
    await phiOnly.close();
  }
});
