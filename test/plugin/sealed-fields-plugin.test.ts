import type { PayloadCodec } from '@temporalio/common';
import path from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { createSealedPayloadConverter, SealedType, Sensitive, secret } from '../../src';
import { AwsKmsKeySource, Keyring, type KeySource, type KmsKeySelection } from '../../src/codec';
import { readEnvelope } from '../../src/codec/envelope';
import { META } from '../../src/lib/metadata';
import { SealedFieldsPlugin } from '../../src/plugin';
import { ensureBuilt } from '../support/dist';

// The pinned AWS SDK warns on Node 20 once per process; the KMS sources here are never called.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const keyring = new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } });
// A user's own converter module: the plugin loads it to check it exports the sealed converters.
const OWN_CONVERTER = path.join(__dirname, 'fixtures/sealed-converter.cjs');

beforeAll(() => ensureBuilt()); // the fixture module loads the built package, as a user's module does
const passThrough: PayloadCodec = { encode: async (p) => p, decode: async (p) => p };

@SealedType('PluginUnit.Login')
class Login {
  @Sensitive({ purpose: 'credential' }) password!: string;
}

test('a purpose outside the declared list fails when the plugin is created', () => {
  expect(() => new SealedFieldsPlugin({ keyring, purposes: ['phi', 'failure'] })).toThrow(
    expect.objectContaining({ code: 'SEALED_INVALID_OPTION', detail: { purpose: 'credential', where: 'PluginUnit.Login.password' } }),
  );
  expect(
    () => new SealedFieldsPlugin({ keyring, purposes: ['credential', 'failure'], keyRules: [{ pattern: /^ssn$/, purpose: 'phl' }] }),
  ).toThrow(expect.objectContaining({ code: 'SEALED_INVALID_OPTION' }));
});

test('the plugin keeps the user codecs and puts the SealingCodec first (sealed before compression)', () => {
  const sealed = new SealedFieldsPlugin({ keyring });
  const options = sealed.configureClient({ dataConverter: { payloadCodecs: [passThrough] } });
  expect(options.dataConverter?.payloadCodecs).toEqual([sealed.codec, passThrough]);
  const again = sealed.configureClient(options); // idempotent
  expect(again.dataConverter?.payloadCodecs).toEqual([sealed.codec, passThrough]);
  expect(again.interceptors?.workflow).toHaveLength(1);
  expect(again.interceptors?.schedule).toHaveLength(1);
});

test('a payload converter set outside the plugin is refused rather than paired with the codec', () => {
  const sealed = new SealedFieldsPlugin({ keyring });
  expect(() => sealed.configureClient({ dataConverter: { payloadConverterPath: '/elsewhere/converter.js' } })).toThrow(
    expect.objectContaining({ code: 'SEALED_INVALID_OPTION' }),
  );
});

test('one process serves one set of default converter options', () => {
  new SealedFieldsPlugin({ keyring, strict: false });
  expect(() => new SealedFieldsPlugin({ keyring, strict: true })).toThrow(expect.objectContaining({ code: 'SEALED_INVALID_OPTION' }));
  expect(() => new SealedFieldsPlugin({ keyring, payloadConverterPath: OWN_CONVERTER })).not.toThrow();
});

test('with a converter module of your own, converter options given to the plugin are refused, not silently dropped', () => {
  expect(() => new SealedFieldsPlugin({ keyring, strict: true, payloadConverterPath: OWN_CONVERTER })).toThrow(
    expect.objectContaining({ code: 'SEALED_INVALID_OPTION' }),
  );
  expect(() => new SealedFieldsPlugin({ keyring, keyRules: [{ pattern: /^ssn$/ }], payloadConverterPath: OWN_CONVERTER })).toThrow(
    expect.objectContaining({ code: 'SEALED_INVALID_OPTION' }),
  );
});

test('a converter module that does not export the sealed converters, or cannot load, is refused', () => {
  expect(() => new SealedFieldsPlugin({ keyring, payloadConverterPath: '/no/such/converter.js' })).toThrow(
    expect.objectContaining({ code: 'SEALED_INVALID_OPTION' }),
  );
  expect(() => new SealedFieldsPlugin({ keyring, failureConverterPath: require.resolve('@temporalio/common') })).toThrow(
    expect.objectContaining({ code: 'SEALED_INVALID_OPTION' }),
  );
});

test('a value sealed under an undeclared purpose is refused before it is sent', async () => {
  const sealed = new SealedFieldsPlugin({ keyring, purposes: ['credential', 'failure'], payloadConverterPath: OWN_CONVERTER });
  const converter = createSealedPayloadConverter();
  await expect(sealed.codec.encode([converter.toPayload(secret('x', { purpose: 'credential' }))])).resolves.toHaveLength(1);
  await expect(sealed.codec.encode([converter.toPayload(secret('x', { purpose: 'phi' }))])).rejects.toThrow(
    expect.objectContaining({ code: 'SEALED_INVALID_OPTION', detail: { purpose: 'phi' } }),
  );
  // Nested purposes count too: a typo inside a sealed value is refused like one at the top.
  const nested = secret({ note: secret('x', { purpose: 'phl' }) }, { purpose: 'credential' });
  await expect(sealed.codec.encode([converter.toPayload(nested)])).rejects.toThrow(
    expect.objectContaining({ code: 'SEALED_INVALID_OPTION', detail: { purpose: 'phl' } }),
  );
});

test('any KeySource seals and opens through the plugin when given as keys instead of keyring', async () => {
  // A key source of your own (not a Keyring): the plugin's codec asks it for every key.
  const asked: string[] = [];
  const own: KeySource = {
    sealingKey: async (scope) => {
      asked.push(`seal:${scope.purpose}`);
      return keyring.sealingKey(scope);
    },
    openingKey: async (box) => {
      asked.push(`open:${box.keyId}`);
      return keyring.openingKey(box);
    },
  };
  const sealed = new SealedFieldsPlugin({ keys: own, payloadConverterPath: OWN_CONVERTER });
  const converter = createSealedPayloadConverter();
  const [payload] = await sealed.codec.encode([converter.toPayload(secret('s3cr3t', { purpose: 'credential' }))]);
  expect(readEnvelope(payload?.metadata?.[META.sealed] as Uint8Array).boxes.map((box) => box.keyId)).toEqual(['k1']);
  const [opened] = await sealed.codec.decode([payload as NonNullable<typeof payload>]);
  expect((converter.fromPayload(opened as NonNullable<typeof opened>) as { reveal(): string }).reveal()).toBe('s3cr3t');
  expect(asked).toEqual(['seal:credential', 'open:k1']);
});

test('the plugin takes keys or keyring, one of them (the same object twice is fine), and keys must be a KeySource', () => {
  const other = new Keyring({ active: 'k2', keys: { k2: Keyring.generateKey() } });
  const options = { payloadConverterPath: OWN_CONVERTER };
  for (const wrong of [{}, { keys: {} as KeySource }, { keyring, keys: other }, { keyring: {} as Keyring }]) {
    expect(() => new SealedFieldsPlugin({ ...wrong, ...options })).toThrow(expect.objectContaining({ code: 'SEALED_INVALID_OPTION' }));
  }
  expect(() => new SealedFieldsPlugin({ keyring, keys: keyring, ...options })).not.toThrow();
});

const KMS_KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const KMS_KEY_2 = 'arn:aws:kms:us-east-1:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890ab';
/** A KMS source that is never called here: the endpoint answers nothing. */
const offlineKms = (kmsKeyId: KmsKeySelection): Promise<AwsKmsKeySource> =>
  AwsKmsKeySource.create({
    kmsKeyId,
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
    maxAttempts: 1,
  });

test('with declared purposes, a KMS key rule naming another purpose fails when the plugin is created', async () => {
  const ruled = await offlineKms({ default: KMS_KEY, rules: { '*/phl': KMS_KEY_2, 'tenant-a/*': KMS_KEY_2 } });
  expect(() => new SealedFieldsPlugin({ keys: ruled, purposes: ['credential', 'failure'], payloadConverterPath: OWN_CONVERTER })).toThrow(
    expect.objectContaining({ code: 'SEALED_INVALID_OPTION', detail: { purpose: 'phl', where: 'keys' } }),
  );
  const fine = await offlineKms({ default: KMS_KEY, rules: { '*/credential': KMS_KEY_2, 'tenant-a/*': KMS_KEY_2 } });
  expect(
    () => new SealedFieldsPlugin({ keys: fine, purposes: ['credential', 'failure'], payloadConverterPath: OWN_CONVERTER }),
  ).not.toThrow();
});

test('a KMS source that chooses keys with a function names no purposes up front: an undeclared one is refused when sent, before any KMS call', async () => {
  const chosen = await offlineKms(() => KMS_KEY);
  const sealed = new SealedFieldsPlugin({ keys: chosen, purposes: ['credential', 'failure'], payloadConverterPath: OWN_CONVERTER });
  const converter = createSealedPayloadConverter();
  await expect(sealed.codec.encode([converter.toPayload(secret('x', { purpose: 'phi' }))])).rejects.toThrow(
    expect.objectContaining({ code: 'SEALED_INVALID_OPTION', detail: { purpose: 'phi' } }),
  );
  expect(chosen.stats().generateDataKey).toBe(0);
  chosen.destroy();
});

void Login;
