import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsKmsKeySource, AwsKmsKeySourceOptions } from '../../src/codec/kms/aws-kms-key-source';
import { readWrappedKey } from '../../src/codec/kms/wrapped-key';
import { Keyring } from '../../src/codec/keyring';
import { SealedError } from '../../src/errors';
import { codeOfAsync } from '../support/errors';
import { kmsKeySourceOn, startKmsServer, type KmsServer } from '../support/kms-server';

// Every KMS call here goes over HTTP to moto's KMS API (test/support/kms-server.ts): no mocked client.
let kms: KmsServer;
let kmsKey: string;

beforeAll(async () => {
  kms = await startKmsServer();
  kmsKey = await kms.createKey('sealed-fields test');
});
afterAll(async () => kms?.teardown());

function source(options: Partial<AwsKmsKeySourceOptions> = {}): Promise<AwsKmsKeySource> {
  return kmsKeySourceOn(kms, kmsKey, { connectionTimeoutMs: 500, ...options });
}

const phi = { purpose: 'phi', namespace: 'default' };

describe('AwsKmsKeySource against a KMS API server', () => {
  it('1,000 seals of one (namespace, purpose) make one GenerateDataKey call and no Decrypt', async () => {
    const keys = await source();
    kms.resetCalls();
    const sealed = await Promise.all(Array.from({ length: 1000 }, () => keys.sealingKey(phi)));
    expect(new Set(sealed.map((k) => k.keyId)).size).toBe(1);
    expect(kms.calls('GenerateDataKey')).toBe(1);
    expect(kms.calls('Decrypt')).toBe(0);
    expect(keys.stats()).toMatchObject({ generateDataKey: 1, decrypt: 0 });
    expect(sealed[0]?.key.length).toBe(32);
    expect(sealed[0]?.keyId).toMatch(/^dk-[A-Za-z0-9_-]{12}$/);
    expect(readWrappedKey(sealed[0]!.wrapped).kmsKeyArn).toBe(kmsKey);
  });

  it('each (namespace, purpose) gets its own data key; 1,000 seals over 3 scopes make 3 GenerateDataKey calls', async () => {
    const keys = await source();
    kms.resetCalls();
    const scopes = [phi, { purpose: 'credential', namespace: 'default' }, { purpose: 'phi', namespace: 'tenant-b' }];
    const sealed = await Promise.all(Array.from({ length: 1000 }, (_, i) => keys.sealingKey(scopes[i % 3]!)));
    expect(new Set(sealed.map((k) => k.keyId)).size).toBe(3);
    expect(kms.calls('GenerateDataKey')).toBe(3);
  });

  it('data keys rotate by use count', async () => {
    const keys = await source({ dataKeyMaxUses: 100 });
    kms.resetCalls();
    const ids: string[] = [];
    for (let i = 0; i < 1000; i++) ids.push((await keys.sealingKey(phi)).keyId);
    expect(new Set(ids).size).toBe(10);
    expect(kms.calls('GenerateDataKey')).toBe(10);
    expect(ids.filter((id) => id === ids[0]).length).toBe(100);
  });

  it('data keys rotate by age', async () => {
    let now = 1_000_000;
    const keys = await source({ dataKeyMaxAgeMs: 60_000, now: () => now });
    const first = await keys.sealingKey(phi);
    now += 59_999;
    expect((await keys.sealingKey(phi)).keyId).toBe(first.keyId);
    now += 1;
    const second = await keys.sealingKey(phi);
    expect(second.keyId).not.toBe(first.keyId);
    expect(keys.stats().generateDataKey).toBe(2);
  });

  it('opening a history under N data keys costs N Decrypt calls, then none', async () => {
    const writer = await source({ dataKeyMaxUses: 1 });
    const boxes = [];
    for (let i = 0; i < 7; i++) boxes.push({ ...phi, ...(await writer.sealingKey(phi)) });
    const reader = await source();
    kms.resetCalls();
    for (let round = 0; round < 3; round++) {
      for (const box of boxes) expect(Buffer.from(await reader.openingKey(box)).equals(Buffer.from(box.key))).toBe(true);
    }
    await Promise.all(boxes.flatMap((box) => [reader.openingKey(box), reader.openingKey(box)]));
    expect(kms.calls('Decrypt')).toBe(7);
    expect(kms.calls('GenerateDataKey')).toBe(0);
    expect(reader.stats()).toMatchObject({ decrypt: 7, cachedKeys: 7 });
  });

  it('concurrent opens of one data key share one Decrypt call', async () => {
    const writer = await source();
    const box = { ...phi, ...(await writer.sealingKey(phi)) };
    const reader = await source();
    kms.resetCalls();
    await Promise.all(Array.from({ length: 50 }, () => reader.openingKey(box)));
    expect(kms.calls('Decrypt')).toBe(1);
  });

  it('a bounded cache evicts the least recently used data key, and the TTL expires keys', async () => {
    const writer = await source({ dataKeyMaxUses: 1 });
    const boxes = [];
    for (let i = 0; i < 3; i++) boxes.push({ ...phi, ...(await writer.sealingKey(phi)) });
    let now = 0;
    const reader = await source({ cacheMaxEntries: 2, cacheTtlMs: 1000, now: () => now });
    for (const box of boxes) await reader.openingKey(box);
    expect(reader.stats().cachedKeys).toBe(2);
    await reader.openingKey(boxes[0]!); // evicted: unwrapped again
    expect(reader.stats().decrypt).toBe(4);
    now += 1000;
    await reader.openingKey(boxes[0]!); // expired
    expect(reader.stats().decrypt).toBe(5);
  });

  it('a wrapped key opened under another purpose, namespace or key id is refused by KMS (encryption context)', async () => {
    const writer = await source();
    const box = { ...phi, ...(await writer.sealingKey(phi)) };
    const reader = await source();
    expect(await codeOfAsync(() => reader.openingKey({ ...box, purpose: 'credential' }))).toBe('SEALED_KMS_CONTEXT_MISMATCH');
    expect(await codeOfAsync(() => reader.openingKey({ ...box, namespace: 'tenant-b' }))).toBe('SEALED_KMS_CONTEXT_MISMATCH');
    expect(await codeOfAsync(() => reader.openingKey({ ...box, namespace: '' }))).toBe('SEALED_KMS_CONTEXT_MISMATCH');
    expect(await codeOfAsync(() => reader.openingKey({ ...box, keyId: 'dk-AAAAAAAAAAAA' }))).toBe('SEALED_KMS_CONTEXT_MISMATCH');
    expect(Buffer.from(await reader.openingKey(box)).equals(Buffer.from(box.key))).toBe(true);
  });

  it('a payload naming a KMS key the reader is not configured for is refused before any KMS call', async () => {
    const otherKey = await kms.createKey('attacker');
    const writer = await source({ kmsKeyId: otherKey });
    const box = { ...phi, ...(await writer.sealingKey(phi)) };
    const reader = await source();
    kms.resetCalls();
    expect(await codeOfAsync(() => reader.openingKey(box))).toBe('SEALED_KMS_KEY_NOT_ALLOWED');
    expect(kms.calls('Decrypt')).toBe(0);
    const allowing = await source({ openKmsKeys: [otherKey] });
    expect((await allowing.openingKey(box)).length).toBe(32);
    const any = await source({ openKmsKeys: '*' });
    expect((await any.openingKey(box)).length).toBe(32);
  });

  it('a reader configured with an alias resolves it with DescribeKey once', async () => {
    await kms.call('CreateAlias', { AliasName: 'alias/sealed-test', TargetKeyId: kmsKey });
    const writer = await source({ kmsKeyId: 'alias/sealed-test' });
    const box = { ...phi, ...(await writer.sealingKey(phi)) };
    expect(readWrappedKey(box.wrapped).kmsKeyArn).toBe(kmsKey);
    const reader = await source({ kmsKeyId: 'alias/sealed-test' });
    expect((await reader.openingKey(box)).length).toBe(32);
    expect(reader.stats()).toMatchObject({ describeKey: 1, decrypt: 1 });
  });

  it('per-tenant and per-purpose KMS keys come from the rules', async () => {
    const tenantKey = await kms.createKey('tenant-a');
    const credentialKey = await kms.createKey('credentials');
    const keys = await source({ kmsKeyId: { default: kmsKey, rules: { 'tenant-a/*': tenantKey, '*/credential': credentialKey } } });
    const arnOf = async (namespace: string, purpose: string) =>
      readWrappedKey((await keys.sealingKey({ namespace, purpose })).wrapped).kmsKeyArn;
    expect(await arnOf('tenant-a', 'phi')).toBe(tenantKey);
    expect(await arnOf('tenant-a', 'credential')).toBe(tenantKey);
    expect(await arnOf('default', 'credential')).toBe(credentialKey);
    expect(await arnOf('default', 'phi')).toBe(kmsKey);
  });

  it('a disabled KMS key fails sealing and opening with SEALED_KMS_KEY_DISABLED, and works again once enabled', async () => {
    const key = await kms.createKey('to disable');
    const writer = await source({ kmsKeyId: key });
    const box = { ...phi, ...(await writer.sealingKey(phi)) };
    await kms.call('DisableKey', { KeyId: key.split('/').pop() }); // moto takes the bare key id here
    const fresh = await source({ kmsKeyId: key });
    expect(await codeOfAsync(() => fresh.sealingKey(phi))).toBe('SEALED_KMS_KEY_DISABLED');
    expect(await codeOfAsync(() => fresh.openingKey(box))).toBe('SEALED_KMS_KEY_DISABLED');
    await kms.call('EnableKey', { KeyId: key.split('/').pop() });
    expect((await fresh.openingKey(box)).length).toBe(32);
    expect((await fresh.sealingKey(phi)).key.length).toBe(32);
  });

  it('throttling and access denied from KMS are typed, and carry no message text of KMS', async () => {
    const keys = await source();
    kms.failNext('GenerateDataKey', 'ThrottlingException');
    const throttled = await keys.sealingKey(phi).catch((err: unknown) => err);
    expect(SealedError.is(throttled) && throttled.code).toBe('SEALED_KMS_THROTTLED');
    expect((throttled as SealedError).detail).toMatchObject({
      operation: 'GenerateDataKey',
      kmsError: 'ThrottlingException',
      kmsKeyId: kmsKey,
    });
    expect(String((throttled as Error).message)).not.toContain('injected');
    kms.failNext('GenerateDataKey', 'AccessDeniedException');
    expect(await codeOfAsync(() => keys.sealingKey(phi))).toBe('SEALED_KMS_ACCESS_DENIED');
    kms.failNext('GenerateDataKey', 'KMSInternalException', 1, 500);
    expect(await codeOfAsync(() => keys.sealingKey(phi))).toBe('SEALED_KMS_UNAVAILABLE');
    expect((await keys.sealingKey(phi)).key.length).toBe(32);
  });

  it('an unknown KMS key is SEALED_KMS_KEY_DISABLED (not usable), naming the key', async () => {
    const keys = await source({ kmsKeyId: 'alias/does-not-exist' });
    expect(await codeOfAsync(() => keys.sealingKey(phi))).toBe('SEALED_KMS_KEY_DISABLED');
  });

  it('an unreachable KMS (server paused) is SEALED_KMS_UNAVAILABLE within the timeout, and the same keys work after it resumes', async () => {
    const writer = await source({ dataKeyMaxUses: 1 });
    const box = { ...phi, ...(await writer.sealingKey(phi)) };
    const reader = await source();
    kms.pause();
    try {
      const started = Date.now();
      expect(await codeOfAsync(() => writer.sealingKey(phi))).toBe('SEALED_KMS_UNAVAILABLE');
      expect(await codeOfAsync(() => reader.openingKey(box))).toBe('SEALED_KMS_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      kms.resume();
    }
    expect(Buffer.from(await reader.openingKey(box)).equals(Buffer.from(box.key))).toBe(true);
    expect((await writer.sealingKey(phi)).key.length).toBe(32);
  });

  it('a stopped KMS (connection refused) is SEALED_KMS_UNAVAILABLE, and a restarted one answers again', async () => {
    const keys = await source();
    await kms.stop();
    try {
      expect(await codeOfAsync(() => keys.sealingKey({ purpose: 'phi', namespace: 'stopped' }))).toBe('SEALED_KMS_UNAVAILABLE');
    } finally {
      await kms.start();
    }
    // moto starts empty: the old keys are gone, a new one works.
    kmsKey = await kms.createKey('after restart');
    const fresh = await source();
    expect((await fresh.sealingKey(phi)).key.length).toBe(32);
  });

  it('boxes without a wrapped key open through staticKeys (a move from a Keyring to KMS)', async () => {
    const keyring = new Keyring({ active: 'k1', keys: { k1: new Uint8Array(32).fill(7) } });
    const keys = await source({ staticKeys: keyring });
    expect(Buffer.from(await keys.openingKey({ ...phi, keyId: 'k1', wrapped: new Uint8Array() }))[0]).toBe(7);
    const without = await source();
    expect(await codeOfAsync(() => without.openingKey({ ...phi, keyId: 'k1', wrapped: new Uint8Array() }))).toBe('SEALED_KEY_UNKNOWN');
  });

  it('check() generates and unwraps a data key under each configured KMS key', async () => {
    const keys = await source({ kmsKeyId: { default: kmsKey, rules: { '*/credential': 'alias/nope' } } });
    const results = await keys.check();
    expect(results).toEqual([
      { kmsKeyId: kmsKey, ok: true, kmsKeyArn: kmsKey },
      { kmsKeyId: 'alias/nope', ok: false, code: 'SEALED_KMS_KEY_DISABLED', kmsError: 'NotFoundException' },
    ]);
  });
});
