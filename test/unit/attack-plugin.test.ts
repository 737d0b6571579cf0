// Attack review of the 1.0 additions (SealedFieldsPlugin, readable SealedErrors in failures):
// reproductions of real problems, as test.fails until fixed.
import type { Payload, PayloadConverter } from '@temporalio/common';
import { expect, test } from 'vitest';
import { createSealedFailureConverter, createSealedPayloadConverter, SealedError, SealedType, Sensitive, secret } from '../../src';
import { Keyring } from '../../src/codec';
import { SealedFieldsPlugin } from '../../src/plugin';
import { dataJson, findLeaks } from '../support/payloads';

const keyring = new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } });

@SealedType('AttackPlugin.Login')
class Login {
  @Sensitive({ purpose: 'credential' }) password: string;
  constructor(password: string) {
    this.password = password;
  }
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

test.fails('MEDIUM: with payloadConverterPath, the plugin silently drops keyRules/strict/types (and still checks their purposes), so a rule-matching key goes in clear', () => {
  // The user believes the safety net is on: the plugin accepted it and even validated its purpose.
  const options = {
    keyring,
    payloadConverterPath: '/app/converter.js',
    keyRules: /^ssn$/i,
    strict: true,
    purposes: ['sensitive', 'failure', 'credential'],
  };
  const code = codeOf(() => new SealedFieldsPlugin(options));
  // What actually runs is the user's module, typically `export const payloadConverter = createSealedPayloadConverter()`:
  const theirs = createSealedPayloadConverter();
  const payload = theirs.toPayload({ patient: { ssn: 'CANARY-SSN-RULE' } });
  expect(JSON.stringify(dataJson(payload))).not.toContain('CANARY-SSN-RULE'); // fails today: the rule never applied
  expect(code).toBe('SEALED_INVALID_OPTION'); // a fix: refuse converter options next to payloadConverterPath
});

test.fails('LOW: a declared-purposes plugin sends a value nested under an undeclared purpose (typo inside a sealed field)', async () => {
  const sealed = new SealedFieldsPlugin({
    keyring,
    purposes: ['phi', 'failure', 'sensitive', 'credential'],
    payloadConverterPath: '/app/other-converter.js',
  });
  const converter = createSealedPayloadConverter();
  const payload: Payload = converter.toPayload(secret({ note: secret('NESTED-PHL', { purpose: 'phl' }) }, { purpose: 'phi' }));
  await expect(sealed.codec.encode([payload])).rejects.toThrow(
    expect.objectContaining({ code: 'SEALED_INVALID_OPTION', detail: { purpose: 'phl' } }),
  );
});

test.fails('MEDIUM: a SealedError whose message user code extended (a common "add context" rethrow) is written readable, value included', () => {
  const failureConverter = createSealedFailureConverter();
  const payloadConverter = createSealedPayloadConverter();
  const err = new SealedError('SEALED_VALIDATION_FAILED', 'decoded value does not match its schema', { type: 'Intake' });
  err.message = `${err.message} (patient CANARY-PHI-MSG)`; // e.g. in a catch block before rethrowing
  const failure = failureConverter.errorToFailure(err, payloadConverter);
  expect(findLeaks(Buffer.from(`${failure.message}\n${failure.stackTrace}`), ['CANARY-PHI-MSG'])).toEqual([]);
});

test.fails('LOW: any error carrying the public Symbol.for brand is written readable (message and stack unsealed)', () => {
  const failureConverter = createSealedFailureConverter();
  const payloadConverter = createSealedPayloadConverter();
  // e.g. an error class copying a SealedError's own properties, or a library mimicking it
  const mine = new Error('user error with CANARY-PHI-BRAND');
  Object.defineProperty(mine, Symbol.for('temporal-sealed-fields.SealedError'), { value: true });
  const failure = failureConverter.errorToFailure(mine, payloadConverter);
  expect(findLeaks(Buffer.from(`${failure.message}\n${failure.stackTrace}`), ['CANARY-PHI-BRAND'])).toEqual([]);
});

test.fails('HIGH: the plugin pairs its codec with any payloadConverterPath, also one that does not seal: a @Sensitive field is sent in clear', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  // e.g. the converter module the app had before (protobuf support, or the default one), kept by habit
  const dir = mkdtempSync(join(tmpdir(), 'attack-plugin-'));
  const path = join(dir, 'converter.cjs');
  writeFileSync(
    path,
    `exports.payloadConverter = require(${JSON.stringify(require.resolve('@temporalio/common'))}).defaultPayloadConverter;\n`,
  );
  let code: string | undefined;
  let options: ReturnType<SealedFieldsPlugin['configureClient']> | undefined;
  try {
    options = new SealedFieldsPlugin({ keyring, payloadConverterPath: path }).configureClient({});
  } catch (err) {
    code = (err as { code?: string }).code;
  }
  if (options !== undefined) {
    // what the SDK's loadDataConverter does with the path: require it and use its payloadConverter, then the codecs in order
    const converter = (require(options.dataConverter?.payloadConverterPath as string) as { payloadConverter: PayloadConverter })
      .payloadConverter;
    const codecs = options.dataConverter?.payloadCodecs ?? [];
    let sentList: Payload[] = [converter.toPayload(new Login('CANARY-PW-DEFAULT'))];
    for (const codec of codecs) sentList = await codec.encode(sentList);
    const sent = sentList[0];
    expect(
      findLeaks(Buffer.from(JSON.stringify(sent)), ['CANARY-PW-DEFAULT']).length +
        findLeaks(Buffer.from(sent!.data!), ['CANARY-PW-DEFAULT']).length,
    ).toBe(0);
  }
  expect(code).toBe('SEALED_INVALID_OPTION');
});

test.fails('LOW: an edited box header (purpose or key check) reads as SEALED_KEY_MISMATCH, a configuration error, instead of SEALED_TAMPERED', async () => {
  const { SealingCodec } = await import('../../src/codec');
  const { readEnvelope, writeEnvelope } = await import('../../src/codec/envelope');
  const codec = await SealingCodec.create({ keyring });
  const [sealed] = await codec.encode([createSealedPayloadConverter().toPayload({ a: secret('CANARY-V2', { purpose: 'phi' }) })]);
  async function codeAfter(edit: (box: { purpose: string; keyCheck?: Uint8Array }) => void): Promise<string | undefined> {
    const envelope = readEnvelope(sealed?.metadata?.['sealed-fields'] as Uint8Array);
    edit(envelope.boxes[0] as { purpose: string; keyCheck?: Uint8Array });
    try {
      await codec.decode([{ ...sealed, metadata: { ...sealed?.metadata, 'sealed-fields': writeEnvelope(envelope) } }]);
      return 'opened';
    } catch (err) {
      return (err as { code?: string }).code;
    }
  }
  expect(
    await codeAfter((box) => {
      box.purpose = 'credential';
    }),
  ).toBe('SEALED_TAMPERED');
  expect(
    await codeAfter((box) => {
      (box.keyCheck as Uint8Array)[0] ^= 1;
    }),
  ).toBe('SEALED_TAMPERED');
});
