import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SealingCodec } from '../../../src/codec';
import { createCodecServer, type CodecServer } from '../../../src/server';
import { parsePayloadsBody } from '../../../src/server/protocol/payloads-json';
import { findLeaks } from '../../support/payloads';
import { peekPending } from '../../../src/lib/handoff';
import {
  PLAINTEXT,
  STATIC_TOKENS,
  TOKENS,
  converter,
  expectNoPlaintext,
  inlinePending,
  intake,
  keyring,
  memoryAudit,
  post,
  sealedIntake,
  toWire,
  type Intake,
} from '../fixtures';

const audit = memoryAudit();
let server: CodecServer;
let url: string;

beforeAll(async () => {
  server = await createCodecServer({ keyring, auth: { staticTokens: STATIC_TOKENS }, audit: audit.sink });
  url = (await server.listen()).url;
});

afterAll(() => server?.close());

describe('encode', () => {
  test('a caller allowed to encode gets pending payloads sealed, and a worker codec opens them', async () => {
    const pending = inlinePending(converter.toPayload(intake()));
    const { status, text } = await post(url, '/encode', toWire([pending]), { token: TOKENS.encoder, namespace: 'default' });
    expect(status).toBe(200);
    expect(findLeaks(text, Object.values(PLAINTEXT))).toEqual([]);
    const [sealed] = parsePayloadsBody(text, 10);
    expect(Object.keys(sealed!.metadata!)).toContain('sealed-fields');
    const codec = await SealingCodec.create({ keyring });
    const [opened] = await codec.decode([sealed!], { type: 'workflow', namespace: 'default', workflowId: 'any' });
    expect(converter.fromPayload<Intake>(opened!).ssn.reveal()).toBe('078-05-1120');
    expect(audit.records.at(-1)).toMatchObject({ event: 'seal', subject: 'ui-starter', namespace: 'default', payloads: 1 });
  });

  test('payloads that are not pending (the Web UI starting a workflow with plain JSON) pass through', async () => {
    const plain = converter.toPayload({ orderId: 'o-1' });
    const { status, text } = await post(url, '/encode', toWire([plain]), { token: TOKENS.encoder, namespace: 'default' });
    expect(status).toBe(200);
    expect(text).toBe(toWire([plain]));
  });

  test('without credentials encode is 401', async () => {
    const { status, text } = await post(url, '/encode', toWire([converter.toPayload(intake())]), { namespace: 'default' });
    expect(status).toBe(401);
    expect(JSON.parse(text)).toEqual({ error: 'unauthorized' });
  });

  test('a token that may reveal but not encode is 403', async () => {
    const { status } = await post(url, '/encode', toWire([converter.toPayload(intake())]), {
      token: TOKENS.clinician,
      namespace: 'default',
    });
    expect(status).toBe(403);
  });

  test('a payload carrying opened plaintext (sealed-opened) is sealed again, never handed back open', async () => {
    const opened = await (await SealingCodec.create({ keyring })).open(await sealedIntake('default'), { namespace: 'default' });
    expect(Object.keys(opened.metadata!)).toContain('sealed-opened');
    const { status, text } = await post(url, '/encode', toWire([opened]), { token: TOKENS.encoder, namespace: 'default' });
    expect(status).toBe(200);
    expect(findLeaks(text, Object.values(PLAINTEXT))).toEqual([]);
    const [sealed] = parsePayloadsBody(text, 10);
    expect(Object.keys(sealed!.metadata!).sort()).toEqual(['encoding', 'sealed-fields', 'sealed-type']);
    const [reopened] = await (await SealingCodec.create({ keyring })).decode([sealed!], {
      type: 'workflow',
      namespace: 'default',
      workflowId: 'any',
    });
    expect(converter.fromPayload<Intake>(reopened!).ssn.reveal()).toBe(PLAINTEXT.ssn);
  });

  test('a pending payload never comes back carrying its pending plaintext, whatever else it carries', async () => {
    const pending = inlinePending(converter.toPayload(intake()));
    const meta = pending.metadata!;
    const variants = [
      pending,
      { ...pending, metadata: { ...meta, 'sealed-opened': meta['sealed-pending']! } },
      { ...pending, metadata: { ...meta, encoding: new TextEncoder().encode('binary/plain') } },
      { ...pending, metadata: { ...meta, 'sealed-fields': Uint8Array.from([1, 2, 3]) } },
      {
        ...pending,
        metadata: { ...meta, 'sealed-pending': new TextEncoder().encode('{"v":1,"f":[["/ssn","phi",0]],"x":["078-05-1120","extra"]}') },
      },
    ];
    for (const payload of variants) {
      const { status, text } = await post(url, '/encode', toWire([payload]), { token: TOKENS.encoder, namespace: 'default' });
      expect(findLeaks(text, Object.values(PLAINTEXT))).toEqual([]);
      if (status === 200) {
        const [out] = parsePayloadsBody(text, 10);
        expect(Object.keys(out!.metadata!)).not.toContain('sealed-pending');
        expect(Object.keys(out!.metadata!)).not.toContain('sealed-opened');
      } else {
        expect(status).toBe(422);
        expect(Object.keys(JSON.parse(text))).toEqual(['error', 'code']);
      }
    }
  });

  test('a pending reference is never resolved for a remote caller: 422 SEALED_NOT_SEALED, the values stay with the process that wrote them', async () => {
    // The codec server shares this process with a converter: a caller naming its hand-off reference must not get those values sealed for it.
    const pending = converter.toPayload(intake());
    const reference = Buffer.from(pending.metadata!['sealed-pending']!).toString('utf8');
    expect(reference.startsWith('ref:')).toBe(true);
    for (const entry of ['sealed-pending', 'sealed-opened']) {
      const { 'sealed-pending': _, ...rest } = pending.metadata!;
      const payload = { ...pending, metadata: { ...rest, [entry]: new TextEncoder().encode(reference) } };
      const { status, text } = await post(url, '/encode', toWire([payload]), { token: TOKENS.encoder, namespace: 'default' });
      expect(status).toBe(422);
      expect(JSON.parse(text)).toEqual({ error: 'unprocessable', code: 'SEALED_NOT_SEALED' });
    }
    expect(peekPending(reference)).toBeDefined();
  });

  test('refusals never echo the pending plaintext', () => {
    expectNoPlaintext(JSON.stringify(audit.records));
  });
});
