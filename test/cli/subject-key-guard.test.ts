// scan --retire / --retire-kms-key / --check-keyring and the subject key store (#13): a key that no history
// needs but that wraps data subject keys in the store is not safe to retire; without the store, scan says
// subject keys were not checked. The store's keys are counted by the key that wraps each (nothing unwrapped).
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { subjectKeyCensus } from '../../src/cli/scan/subject-key-census';
import { buildReport, printReport, type ReportInput, type ScanReport } from '../../src/cli/scan/report';
import { emptyTotals } from '../../src/cli/scan/tally';
import { Keyring, type KeySource, SealingCodec, SubjectKeys } from '../../src/codec';
import { writeWrappedKey } from '../../src/codec/kms/wrapped-key';
import { createSealedPayloadConverter, secret } from '../../src/index';
import { MemorySubjectKeyStore, type SubjectKeyStore } from '../../src/keystore';
import { WORKFLOW_CONTEXT } from '../support/payloads';

const converter = createSealedPayloadConverter();
const ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OTHER_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/ffff0000-12ab-34cd-56ef-1234567890ab';
const indexKey = Keyring.generateKey();

/** A stand-in for the AWS KMS source: data keys wrapped in its format, naming the KMS key by ARN (no KMS call). */
function fakeKms(arn: string): KeySource {
  const dataKeys = new Map<string, Uint8Array>();
  return {
    async sealingKey({ purpose }) {
      const keyId = `dk-${purpose}`;
      const key = dataKeys.get(keyId) ?? new Uint8Array(randomBytes(32));
      dataKeys.set(keyId, key);
      return { keyId, key: key.slice(), wrapped: writeWrappedKey(arn, new Uint8Array(randomBytes(40))) };
    },
    async openingKey({ keyId }) {
      return (dataKeys.get(keyId) as Uint8Array).slice();
    },
  };
}

/** Seals one value per subject and purpose through SubjectKeys over `inner`: each makes (and stores) a subject key. */
async function makeSubjectKeys(store: MemorySubjectKeyStore, inner: KeySource, subjects: string[], purposes: string[]): Promise<void> {
  const codec = await SealingCodec.create({ keys: new SubjectKeys({ keys: inner, store, subjectIndexKey: indexKey }) });
  for (const subject of subjects) {
    const value = Object.fromEntries(purposes.map((purpose) => [purpose, secret(`v-${subject}-${purpose}`, { purpose, subject })]));
    await codec.encode([converter.toPayload(value)], WORKFLOW_CONTEXT);
  }
}

function report(input: Partial<ReportInput>): ScanReport {
  return buildReport({ address: 'test', namespace: 'default', query: null, complete: true, retire: [], totals: emptyTotals(), ...input });
}

function printed(r: ScanReport): string {
  let text = '';
  printReport({ write: (t: string) => (text += t) }, r);
  return text;
}

describe('the subject key census', () => {
  test('counts the store keys by wrapping key: keyring keys by id, KMS data keys with their KMS key ARN; forgotten subjects drop out', async () => {
    const store = new MemorySubjectKeyStore();
    const keyring = new Keyring({ active: 'k-wrap', keys: { 'k-wrap': Keyring.generateKey() } });
    await makeSubjectKeys(store, keyring, ['a', 'b'], ['phi', 'contact']);
    await makeSubjectKeys(store, fakeKms(ARN), ['c'], ['phi']);
    const census = await subjectKeyCensus(store);
    expect(census).toEqual({
      keys: 5,
      unreadable: 0,
      wrappingKeys: [
        { keyId: 'k-wrap', subjectKeys: 4, purposes: ['contact', 'phi'] },
        { keyId: 'dk-phi', dataKey: true, kmsKeyArn: ARN, subjectKeys: 1, purposes: ['phi'] },
      ],
    });
    const keys = new SubjectKeys({ keys: keyring, store, subjectIndexKey: indexKey });
    await keys.forget('a', { actor: 'dpo' });
    expect((await subjectKeyCensus(store))?.wrappingKeys[0]).toMatchObject({ keyId: 'k-wrap', subjectKeys: 2 });
  });

  test('a store that cannot list its keys gives no census (reported as not checked)', async () => {
    const store = new MemorySubjectKeyStore();
    const withoutList: SubjectKeyStore = {
      get: (hash, purpose) => store.get(hash, purpose),
      putIfAbsent: (key) => store.putIfAbsent(key),
      forget: (hash, audit) => store.forget(hash, audit),
      forgetRecords: () => store.forgetRecords(),
      close: () => store.close(),
    };
    expect(await subjectKeyCensus(withoutList)).toBeUndefined();
  });
});

describe('retiring a key that wraps subject keys', () => {
  test('--retire: a keyring key no history needs but that wraps subject keys is NOT safe (reason subjectKeys); one that wraps none is', async () => {
    const store = new MemorySubjectKeyStore();
    await makeSubjectKeys(store, new Keyring({ active: 'k-wrap', keys: { 'k-wrap': Keyring.generateKey() } }), ['a'], ['phi']);
    const census = await subjectKeyCensus(store);
    const r = report({ retire: ['k-wrap', 'k-free'], subjectKeys: census });
    expect(r.retire).toEqual([
      { keyId: 'k-wrap', payloads: 0, workflows: 0, subjectKeys: 1, safeToRemove: false, reason: 'subjectKeys' },
      { keyId: 'k-free', payloads: 0, workflows: 0, subjectKeys: 0, safeToRemove: true },
    ]);
    expect(r.problems).toEqual(['retire']);
    const text = printed(r);
    expect(text).toContain('retire k-wrap: NOT safe, it wraps 1 data subject keys in the subject key store');
    expect(text).toContain('data subject key store: 1 subject keys');
    expect(text).toContain('1 wrapped under keyring key k-wrap; purposes: phi');
  });

  test('--retire-kms-key: a KMS key whose data keys wrap subject keys is NOT safe, by ARN or key id; another KMS key is', async () => {
    const store = new MemorySubjectKeyStore();
    await makeSubjectKeys(store, fakeKms(ARN), ['a', 'b'], ['phi']);
    const r = report({ retireKmsKeys: ['1234abcd-12ab-34cd-56ef-1234567890ab', OTHER_ARN], subjectKeys: await subjectKeyCensus(store) });
    expect(r.retireKmsKeys).toEqual([
      {
        kmsKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
        payloads: 0,
        workflows: 0,
        openWorkflows: 0,
        subjectKeys: 2,
        safeToRemove: false,
        reason: 'subjectKeys',
      },
      { kmsKeyId: OTHER_ARN, payloads: 0, workflows: 0, openWorkflows: 0, subjectKeys: 0, safeToRemove: true },
    ]);
    expect(printed(r)).toContain('NOT safe, it wraps the data keys of 2 data subject keys');
  });

  test('--check-keyring: a keyring lacking a key that wraps subject keys is missing it', async () => {
    const store = new MemorySubjectKeyStore();
    await makeSubjectKeys(store, new Keyring({ active: 'k-wrap', keys: { 'k-wrap': Keyring.generateKey() } }), ['a'], ['phi']);
    const r = report({ held: new Set(['k1']), subjectKeys: await subjectKeyCensus(store) });
    expect(r.missingKeys).toEqual(['k-wrap']);
    expect(r.problems).toEqual(['missingKeys']);
  });

  test('without the store: retire judges histories only, the report says subject keys were not checked', () => {
    const r = report({ retire: ['k-wrap'], retireKmsKeys: [ARN] });
    expect(r.subjectKeys).toBeNull();
    expect(r.retire[0]).toEqual({ keyId: 'k-wrap', payloads: 0, workflows: 0, safeToRemove: true });
    expect(printed(r)).toContain('note: data subject keys are not checked');
    // Nothing to retire or check: no note.
    expect(printed(report({}))).not.toContain('not checked');
  });
});
