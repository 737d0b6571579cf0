import type { Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Keyring, SealingCodec } from '../../../src/codec';
import { createCodecServer, type CodecServer } from '../../../src/server';
import {
  CLEAR,
  STATIC_TOKENS,
  TOKENS,
  converter,
  expectNoPlaintext,
  fromWire,
  intake,
  keyring,
  memoryAudit,
  PLAINTEXT,
  post,
  sealedIntake,
  toWire,
  withFlippedEnvelopeByte,
} from '../fixtures';

const audit = memoryAudit();
let server: CodecServer;
let url: string;
let sealed: Payload;

beforeAll(async () => {
  server = await createCodecServer({ keyring, auth: { staticTokens: STATIC_TOKENS }, audit: audit.sink });
  url = (await server.listen()).url;
  sealed = await sealedIntake('default');
});

afterAll(() => server?.close());

async function expectServerStillAnswers(): Promise<void> {
  const next = await post(url, '/decode', toWire([sealed]), { token: TOKENS.clinician, namespace: 'default' });
  expect(next.status).toBe(200);
}

describe('decode for display', () => {
  test('an authorized caller sees every sealed value merged into json/plain data', async () => {
    const { status, text } = await post(url, '/decode', toWire([sealed]), { token: TOKENS.clinician, namespace: 'default' });
    expect(status).toBe(200);
    const [shown] = fromWire(text);
    expect(shown!.data).toEqual({
      patientId: CLEAR.patientId,
      clinic: CLEAR.clinic,
      ssn: PLAINTEXT.ssn,
      jwt: PLAINTEXT.jwt,
      visits: [{ date: CLEAR.date, notes: PLAINTEXT.notes }],
    });
    expect(shown!.metadata).toEqual({ encoding: 'json/plain', 'sealed-type': 'UiView.Intake' });
  });

  test('a caller without credentials gets 200 with every sealed field left as its placeholder', async () => {
    const { status, text } = await post(url, '/decode', toWire([sealed]), { namespace: 'default' });
    expect(status).toBe(200);
    expectNoPlaintext(text);
    const [shown] = fromWire(text);
    expect(shown!.data).toMatchObject({ patientId: CLEAR.patientId, ssn: '[sealed:phi:k1]', jwt: '[sealed:credential:k1]' });
    expect(Object.keys(shown!.metadata)).not.toContain('sealed-fields');
  });

  test('a caller allowed no purposes sees placeholders only', async () => {
    const { status, text } = await post(url, '/decode', toWire([sealed]), { token: TOKENS.support, namespace: 'default' });
    expect(status).toBe(200);
    expectNoPlaintext(text);
  });

  test('the namespace may come from the path instead of X-Namespace', async () => {
    const { status, text } = await post(url, '/default/decode', toWire([sealed]), { token: TOKENS.clinician });
    expect(status).toBe(200);
    expect(text).not.toBe('');
    expect(JSON.stringify(fromWire(text))).toContain(PLAINTEXT.ssn);
  });

  test('a path namespace that contradicts X-Namespace is 400', async () => {
    const { status, text } = await post(url, '/default/decode', toWire([sealed]), { token: TOKENS.clinician, namespace: 'billing' });
    expect(status).toBe(400);
    expect(JSON.parse(text)).toEqual({ error: 'bad_request' });
  });

  test('a caller limited to some namespaces who names none is 403', async () => {
    const { status } = await post(url, '/decode', toWire([sealed]), { token: TOKENS.clinician });
    expect(status).toBe(403);
  });

  test('a token for another namespace is 403 with a fixed body', async () => {
    const { status, text } = await post(url, '/decode', toWire([sealed]), { token: TOKENS.otherNs, namespace: 'default' });
    expect(status).toBe(403);
    expect(JSON.parse(text)).toEqual({ error: 'forbidden' });
    await expectServerStillAnswers();
  });

  test('a payload sealed in another namespace is refused (422 SEALED_WRONG_NAMESPACE)', async () => {
    const elsewhere = await sealedIntake('billing');
    const { status, text } = await post(url, '/decode', toWire([elsewhere]), { token: TOKENS.clinician, namespace: 'default' });
    expect(status).toBe(422);
    expect(JSON.parse(text)).toEqual({ error: 'unprocessable', code: 'SEALED_WRONG_NAMESPACE' });
  });

  test('payloads this library did not write pass through unchanged', async () => {
    const plain = converter.toPayload({ hello: 'world' });
    const binary: Payload = { metadata: { encoding: new TextEncoder().encode('binary/encrypted') }, data: Uint8Array.from([0, 1, 2, 255]) };
    const { status, text } = await post(url, '/decode', toWire([plain, binary]), { token: TOKENS.clinician, namespace: 'default' });
    expect(status).toBe(200);
    expect(text).toBe(toWire([plain, binary]));
  });

  test('a batch reveals each payload and the audit log counts fields, never values', async () => {
    const before = audit.records.length;
    await post(url, '/decode', toWire([sealed, sealed]), { token: TOKENS.clinician, namespace: 'default' });
    const record = audit.records.slice(before).find((r) => r.event === 'reveal');
    expect(record).toMatchObject({
      event: 'reveal',
      subject: 'dr-ana',
      namespace: 'default',
      requestNamespace: 'default',
      purposes: ['credential', 'phi'],
      fields: 6,
      payloads: 2,
    });
    expectNoPlaintext(JSON.stringify(audit.records));
  });
});

describe('decode refuses what it cannot trust', () => {
  test('a tampered sealed value is 422 SEALED_TAMPERED, reveals nothing, and the server stays up', async () => {
    const { status, text } = await post(url, '/decode', toWire([sealed, withFlippedEnvelopeByte(sealed)]), {
      token: TOKENS.clinician,
      namespace: 'default',
    });
    expect(status).toBe(422);
    expect(JSON.parse(text)).toEqual({ error: 'unprocessable', code: 'SEALED_TAMPERED' });
    await expectServerStillAnswers();
  });

  test('a tampered clear field is 422 SEALED_TAMPERED', async () => {
    const data = new TextEncoder().encode(new TextDecoder().decode(sealed.data!).replace(CLEAR.patientId, 'patient-clear-43'));
    const { status, text } = await post(url, '/decode', toWire([{ ...sealed, data }]), { token: TOKENS.clinician, namespace: 'default' });
    expect(status).toBe(422);
    expect(JSON.parse(text).code).toBe('SEALED_TAMPERED');
  });

  test('a payload sealed under a key this server lacks is 422 SEALED_KEY_UNKNOWN', async () => {
    const foreign = new Keyring({ active: 'k9', keys: { k9: Keyring.generateKey() } });
    const codec = await SealingCodec.create({ keyring: foreign });
    const [other] = await codec.encode([converter.toPayload(intake())], { type: 'workflow', namespace: 'default', workflowId: 'w' });
    const { status, text } = await post(url, '/decode', toWire([other!]), { token: TOKENS.clinician, namespace: 'default' });
    expect(status).toBe(422);
    expect(JSON.parse(text)).toEqual({ error: 'unprocessable', code: 'SEALED_KEY_UNKNOWN' });
    await expectServerStillAnswers();
  });

  test('a truncated envelope is 422 SEALED_MALFORMED', async () => {
    const envelope = sealed.metadata!['sealed-fields']!.subarray(0, 10);
    const { status, text } = await post(
      url,
      '/decode',
      toWire([{ ...sealed, metadata: { ...sealed.metadata, 'sealed-fields': envelope } }]),
      { token: TOKENS.clinician, namespace: 'default' },
    );
    expect(status).toBe(422);
    expect(JSON.parse(text).code).toBe('SEALED_MALFORMED');
  });

  test('a pending payload (a client without the codec) is 422 SEALED_NOT_SEALED and its plaintext is not echoed', async () => {
    const pending = converter.toPayload(intake());
    const { status, text } = await post(url, '/decode', toWire([pending]), { token: TOKENS.clinician, namespace: 'default' });
    expect(status).toBe(422);
    expect(JSON.parse(text)).toEqual({ error: 'unprocessable', code: 'SEALED_NOT_SEALED' });
  });

  test('a payload carrying opened values (sealed-opened) is 422 SEALED_MALFORMED and its values are not echoed', async () => {
    const opened = await (await SealingCodec.create({ keyring })).open(sealed, { namespace: 'default' });
    const { status, text } = await post(url, '/decode', toWire([opened]), { token: TOKENS.clinician, namespace: 'default' });
    expect(status).toBe(422);
    expect(JSON.parse(text)).toEqual({ error: 'unprocessable', code: 'SEALED_MALFORMED' });
  });

  test.each([
    ['malformed JSON', '{"payloads":['],
    ['wrong base64', '{"payloads":[{"metadata":{},"data":"!!!"}]}'],
    ['a wrong shape', '{"payloads":"none"}'],
  ])('%s is 400 with a fixed body and the server stays up', async (_name, body) => {
    const { status, text } = await post(url, '/decode', body, { token: TOKENS.clinician, namespace: 'default' });
    expect(status).toBe(400);
    expect(JSON.parse(text)).toEqual({ error: 'bad_request' });
    await expectServerStillAnswers();
  });

  test('a missing or forged token on a bad request is still 401 first', async () => {
    const { status, text, headers } = await post(url, '/decode', toWire([sealed]), {
      token: 'forged-token-0123456789abcdef',
      namespace: 'default',
    });
    expect(status).toBe(401);
    expect(JSON.parse(text)).toEqual({ error: 'unauthorized' });
    expect(headers.get('www-authenticate')).toBe('Bearer');
  });

  test('no error body or audit record contains plaintext, ciphertext or tokens', () => {
    const everything = JSON.stringify(audit.records);
    expectNoPlaintext(everything);
    for (const token of Object.values(TOKENS)) expect(everything).not.toContain(token);
  });
});
