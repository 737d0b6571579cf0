import { describe, expect, it } from 'vitest';
import { Keyring } from '../../../src/codec/keyring';
import { isKeySource } from '../../../src/codec/key-source';
import { encryptionContext, newDataKeyId, selectKey } from '../../../src/codec/kms/aws-kms-key-source';
import { kmsError, kmsErrorCode } from '../../../src/codec/kms/kms-errors';
import { TtlLru } from '../../../src/codec/kms/ttl-lru';
import { readWrappedKey, writeWrappedKey } from '../../../src/codec/kms/wrapped-key';
import { codeOf, codeOfAsync } from '../../support/errors';

const arn = 'arn:aws:kms:us-east-1:123456789012:key/0d1c2b3a-0000-4000-8000-000000000001';

describe('KeySource', () => {
  it('a Keyring is a key source whose keys are not wrapped', async () => {
    const keyring = new Keyring({
      active: 'k1',
      keys: { k1: new Uint8Array(32).fill(1), 'phi-1': new Uint8Array(32).fill(2) },
      purposes: { phi: 'phi-1' },
    });
    expect(isKeySource(keyring)).toBe(true);
    const sealing = await keyring.sealingKey({ purpose: 'phi', namespace: 'default' });
    expect(sealing).toMatchObject({ keyId: 'phi-1', wrapped: new Uint8Array() });
    expect(sealing.key[0]).toBe(2);
    expect((await keyring.openingKey({ keyId: 'k1', wrapped: new Uint8Array(), purpose: 'x', namespace: '' }))[0]).toBe(1);
  });

  it('a Keyring refuses a box that carries a KMS-wrapped key, and unknown ids, by code', async () => {
    const keyring = new Keyring({ active: 'k1', keys: { k1: new Uint8Array(32) } });
    expect(
      await codeOfAsync(() => keyring.openingKey({ keyId: 'k1', wrapped: Uint8Array.of(1, 2, 3), purpose: 'phi', namespace: '' })),
    ).toBe('SEALED_KEY_UNKNOWN');
    expect(await codeOfAsync(() => keyring.openingKey({ keyId: 'k9', wrapped: new Uint8Array(), purpose: 'phi', namespace: '' }))).toBe(
      'SEALED_KEY_UNKNOWN',
    );
  });
});

describe('AWS KMS key source, offline parts', () => {
  it('KMS keys are chosen by namespace/purpose, namespace/*, */purpose, then the default', () => {
    const selection = { default: 'd', rules: { 'a/phi': 'a-phi', 'a/*': 'a-any', '*/credential': 'cred' } };
    expect(selectKey(selection, { namespace: 'a', purpose: 'phi' })).toBe('a-phi');
    expect(selectKey(selection, { namespace: 'a', purpose: 'credential' })).toBe('a-any');
    expect(selectKey(selection, { namespace: 'b', purpose: 'credential' })).toBe('cred');
    expect(selectKey(selection, { namespace: 'b', purpose: 'phi' })).toBe('d');
    expect(selectKey(({ namespace }) => `k-${namespace}`, { namespace: 'x', purpose: 'phi' })).toBe('k-x');
    expect(codeOf(() => selectKey(() => '', { namespace: 'x', purpose: 'phi' }))).toBe('SEALED_INVALID_OPTION');
  });

  it('the encryption context binds the library, purpose, data key id and namespace (no entry for no namespace)', () => {
    expect(encryptionContext({ namespace: 'tenant-a', purpose: 'phi', keyId: 'dk-1' })).toEqual({
      'sealed-fields': 'temporal-sealed-fields/v2',
      purpose: 'phi',
      'key-id': 'dk-1',
      namespace: 'tenant-a',
    });
    expect(encryptionContext({ namespace: '', purpose: 'phi', keyId: 'dk-1' })).not.toHaveProperty('namespace');
  });

  it('data key ids are random, dk- and 12 characters of the key-id grammar', () => {
    const ids = new Set(Array.from({ length: 200 }, newDataKeyId));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^dk-[A-Za-z0-9_-]{12}$/);
  });

  it('a wrapped key round-trips and malformed ones are SEALED_MALFORMED', () => {
    const blob = Uint8Array.of(9, 8, 7);
    const wrapped = writeWrappedKey(arn, blob);
    expect(readWrappedKey(wrapped)).toEqual({ kmsKeyArn: arn, ciphertextBlob: blob });
    expect(codeOf(() => readWrappedKey(Uint8Array.of(2, 0, 1, 65, 1)))).toBe('SEALED_MALFORMED');
    expect(codeOf(() => readWrappedKey(wrapped.subarray(0, 3 + arn.length)))).toBe('SEALED_MALFORMED');
    expect(codeOf(() => readWrappedKey(Uint8Array.of(1, 0, 1, 0x20, 5)))).toBe('SEALED_MALFORMED');
  });

  it('KMS failures map to stable codes; details name the SDK error, never its message', () => {
    const named = (name: string, status?: number) =>
      Object.assign(new Error(`User: arn:aws:iam::1:user/bob secret-ish ${name}`), {
        name,
        ...(status && { $metadata: { httpStatusCode: status } }),
      });
    expect(kmsErrorCode(named('ThrottlingException', 400))).toBe('SEALED_KMS_THROTTLED');
    expect(kmsErrorCode(named('AccessDeniedException', 400))).toBe('SEALED_KMS_ACCESS_DENIED');
    expect(kmsErrorCode(named('DisabledException', 400))).toBe('SEALED_KMS_KEY_DISABLED');
    expect(kmsErrorCode(named('KMSInvalidStateException', 400))).toBe('SEALED_KMS_KEY_DISABLED');
    expect(kmsErrorCode(named('InvalidCiphertextException', 400))).toBe('SEALED_KMS_CONTEXT_MISMATCH');
    expect(kmsErrorCode(named('TimeoutError'))).toBe('SEALED_KMS_UNAVAILABLE');
    expect(kmsErrorCode(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe('SEALED_KMS_UNAVAILABLE');
    expect(kmsErrorCode(named('Whatever', 503))).toBe('SEALED_KMS_UNAVAILABLE');
    expect(kmsErrorCode(named('Whatever', 429))).toBe('SEALED_KMS_THROTTLED');
    const err = kmsError(named('AccessDeniedException', 400), 'Decrypt', { kmsKeyId: arn, keyId: 'dk-1' });
    expect(err.detail).toEqual({ operation: 'Decrypt', kmsError: 'AccessDeniedException', httpStatus: 400, kmsKeyId: arn, keyId: 'dk-1' });
    expect(err.message).not.toContain('bob');
  });

  it('the key cache is bounded (least recently used goes) and forgets entries after the TTL, zeroing them', () => {
    let now = 0;
    const evicted: string[] = [];
    const cache = new TtlLru<string>(
      2,
      100,
      () => now,
      (v) => evicted.push(v),
    );
    cache.set('a', 'A');
    cache.set('b', 'B');
    expect(cache.get('a')).toBe('A');
    cache.set('c', 'C');
    expect(cache.get('b')).toBeUndefined();
    expect(evicted).toEqual(['B']);
    now = 100;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(1);
  });
});
