// SealingCodec with the AWS KMS key source, against a real KMS API server (moto, no mocked client).
import type { Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSealedPayloadConverter, secret, type Secret } from '../../src';
import { type AwsKmsKeySource, Keyring, SealingCodec, type AwsKmsKeySourceOptions } from '../../src/codec';
import { readEnvelope } from '../../src/codec/envelope';
import { readWrappedKey } from '../../src/codec/kms/wrapped-key';
import { codeOfAsync } from '../support/errors';
import { kmsKeySourceOn, startKmsServer, type KmsServer } from '../support/kms-server';

let kms: KmsServer;
let kmsKey: string;
const converter = createSealedPayloadConverter();
const context = { type: 'workflow' as const, namespace: 'default', workflowId: 'wf' };

beforeAll(async () => {
  kms = await startKmsServer();
  kmsKey = await kms.createKey('codec');
  await SealingCodec.create({ keyring: new Keyring({ active: 'k', keys: { k: Keyring.generateKey() } }) }); // the converter marks values only in a process with a codec
});
afterAll(async () => kms?.teardown());

function kmsKeys(options: Partial<AwsKmsKeySourceOptions> = {}): Promise<AwsKmsKeySource> {
  return kmsKeySourceOn(kms, kmsKey, options);
}

const pending = (i: number): Payload =>
  converter.toPayload({ id: `p-${i}`, ssn: secret(`SSN-${i}`, { purpose: 'phi' }), token: secret(`T-${i}`, { purpose: 'credential' }) });

describe('SealingCodec with AwsKmsKeySource', () => {
  it('encoding 1,000 payloads of two purposes makes 2 GenerateDataKey calls; each box names its data key and carries it wrapped', async () => {
    const codec = await SealingCodec.create({ keys: await kmsKeys() });
    kms.resetCalls();
    const sealed = await codec.encode(
      Array.from({ length: 1000 }, (_, i) => pending(i)),
      context,
    );
    expect(kms.calls('GenerateDataKey')).toBe(2);
    expect(kms.calls('Decrypt')).toBe(0);
    const boxes = readEnvelope(sealed[0]!.metadata!['sealed-fields']!).boxes;
    expect(boxes.map((b) => b.purpose)).toEqual(['phi', 'credential']);
    for (const box of boxes) {
      expect(box.keyId).toMatch(/^dk-/);
      expect(readWrappedKey(box.wrappedKey!).kmsKeyArn).toBe(kmsKey);
    }
    expect(Buffer.from(sealed[0]!.data!).toString()).toContain(`[sealed:phi:${boxes[0]!.keyId}]`);
  });

  it('decoding a history written under N data keys costs N Decrypt calls in a fresh process, then none', async () => {
    const writer = await SealingCodec.create({ keys: await kmsKeys({ dataKeyMaxUses: 10 }) });
    const history = await writer.encode(
      Array.from({ length: 50 }, (_, i) => converter.toPayload({ ssn: secret(`SSN-${i}`, { purpose: 'phi' }) })),
      context,
    );
    const dataKeys = new Set(history.map((p) => readEnvelope(p.metadata!['sealed-fields']!).boxes[0]!.keyId));
    expect(dataKeys.size).toBe(5);
    const reader = await SealingCodec.create({ keys: await kmsKeys() });
    kms.resetCalls();
    const opened = await reader.decode(history, context);
    await reader.decode(history, context);
    expect(kms.calls('Decrypt')).toBe(5);
    const values = opened.map((p) => converter.fromPayload(p) as { ssn: Secret<string> });
    expect(values.map((v) => v.ssn.reveal())).toEqual(Array.from({ length: 50 }, (_, i) => `SSN-${i}`));
  });

  it('values sealed inside sealed values open level by level (inner data keys unwrapped once their container is open)', async () => {
    const writer = await SealingCodec.create({ keys: await kmsKeys() });
    const [sealed] = await writer.encode(
      [converter.toPayload({ rec: secret({ login: secret('otp-1', { purpose: 'credential' }) }, { purpose: 'phi' }) })],
      context,
    );
    const reader = await SealingCodec.create({ keys: await kmsKeys() });
    kms.resetCalls();
    const [opened] = await reader.decode([sealed!], context);
    expect(kms.calls('Decrypt')).toBe(2);
    const value = converter.fromPayload(opened!) as { rec: Secret<{ login: Secret<string> }> };
    expect(value.rec.reveal().login.reveal()).toBe('otp-1');
  });

  it('with the KMS unreachable, encode fails with SEALED_KMS_UNAVAILABLE and writes nothing; it works once the KMS answers', async () => {
    const codec = await SealingCodec.create({ keys: await kmsKeys() });
    kms.pause();
    try {
      expect(await codeOfAsync(() => codec.encode([pending(1)], context))).toBe('SEALED_KMS_UNAVAILABLE');
    } finally {
      kms.resume();
    }
    // Requests that queued while it was stopped are answered first: retry as Temporal retries a task.
    const started = Date.now();
    let sealed: Payload | undefined;
    while (sealed === undefined && Date.now() - started < 20_000) {
      sealed = (await codec.encode([pending(2)], context).catch(() => [undefined]))[0];
    }
    expect(readEnvelope(sealed!.metadata!['sealed-fields']!).boxes).toHaveLength(2);
  });

  it('a box moved to another namespace does not unwrap (encryption context), even for a reader that accepts every namespace', async () => {
    const writer = await SealingCodec.create({ keys: await kmsKeys() });
    const [sealed] = await writer.encode([pending(3)], context);
    const env = readEnvelope(sealed!.metadata!['sealed-fields']!);
    const { writeEnvelope } = await import('../../src/codec/envelope');
    const moved = { ...sealed!, metadata: { ...sealed!.metadata, 'sealed-fields': writeEnvelope({ ...env, namespace: 'tenant-b' }) } };
    const reader = await SealingCodec.create({ keys: await kmsKeys(), acceptNamespaces: '*' });
    expect(await codeOfAsync(() => reader.decode([moved], { ...context, namespace: 'tenant-b' }))).toBe('SEALED_KMS_CONTEXT_MISMATCH');
  });

  it('a reader with the keyring as staticKeys opens payloads of both eras (a move from static keys to KMS)', async () => {
    const keyring = new Keyring({ active: 'k-old', keys: { 'k-old': Keyring.generateKey() } });
    const before = await (await SealingCodec.create({ keyring })).encode([pending(4)], context);
    const after = await (await SealingCodec.create({ keys: await kmsKeys() })).encode([pending(5)], context);
    const reader = await SealingCodec.create({ keys: await kmsKeys({ staticKeys: keyring }) });
    const opened = await reader.decode([...before, ...after], context);
    expect(opened.map((p) => (converter.fromPayload(p) as { ssn: Secret<string> }).ssn.reveal())).toEqual(['SSN-4', 'SSN-5']);
  });
});
