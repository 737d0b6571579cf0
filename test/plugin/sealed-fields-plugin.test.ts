import type { PayloadCodec } from '@temporalio/common';
import path from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { createSealedPayloadConverter, SealedType, Sensitive, secret } from '../../src';
import { Keyring } from '../../src/codec';
import { SealedFieldsPlugin } from '../../src/plugin';
import { ensureBuilt } from '../support/dist';

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

void Login;
