// Values sealed inside sealed values (format v2 inner envelopes): decode opens them at every level
// the keyring allows, and scan counts their key ids, or refuses to retire keys it cannot rule out.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Keyring, SealingCodec } from '../../src/codec';
import { readEnvelope } from '../../src/codec/envelope';
import { createSealedPayloadConverter, secret } from '../../src/index';
import { SealedOpener } from '../../src/cli/history/open-sealed';
import { buildReport, printReport, type ScanReport } from '../../src/cli/scan/report';
import { scanNamespace, type ScanOptions } from '../../src/cli/scan/scanner';
import { Progress } from '../../src/cli/scan/progress';
import { loadState, newState } from '../../src/cli/scan/state';
import { DEFAULT_KEY_RULES } from '../../src/cli/scan/classify';
import { findLeaks } from '../support/payloads';
import { cli, keyringEnv } from './helpers';

interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}
interface Vector {
  name: string;
  sealed: JsonPayload;
  decoded: unknown;
  fields: Array<{ path: string; purpose: string; depth: number; value: unknown }>;
}
interface VectorFile {
  keys: Record<string, string>;
  active: string;
  vectors: Vector[];
}

const read = (file: string): VectorFile => JSON.parse(readFileSync(path.join(__dirname, '../vectors', file), 'utf8')) as VectorFile;
const V2 = read('v2.json');
const V1 = read('v1.json');
const KEYS = Object.fromEntries(Object.entries(V2.keys).map(([id, hex]) => [id, new Uint8Array(Buffer.from(hex, 'hex'))])) as Record<
  string,
  Uint8Array
>;
const FULL = keyringEnv(KEYS, V2.active);
const PHI_ONLY = keyringEnv({ 'phi-2026': KEYS['phi-2026']! }, 'phi-2026');

const vector = (file: VectorFile, name: string): Vector => {
  const found = file.vectors.find((v) => v.name === name);
  if (found === undefined) throw new Error(`no vector ${name}`);
  return found;
};
const REFERRAL = vector(V2, 'a tag of another purpose inside a sealed value');
const TWO_DEEP = vector(V2, 'inner envelopes two deep, two boxes inside one');
const NESTED = V2.vectors.filter((v) => v.fields.some((f) => f.depth > 0));
/** Every value of a vector (string values only), for leak checks. */
const valuesOf = (v: Vector): string[] =>
  v.fields.map((f) => f.value).filter((x): x is string => typeof x === 'string' && x.length >= 6 && !x.startsWith('{'));

/** The vectors' decoded form, as decode shows it: Secrets unwrapped. */
function unwrapSecrets(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(unwrapSecrets);
  if (typeof node !== 'object' || node === null) return node;
  if ('$secret' in node && 'value' in node) return unwrapSecrets((node as { value: unknown }).value);
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, unwrapSecrets(v)]));
}

const doc = (...payloads: JsonPayload[]): string => JSON.stringify({ payloads });
const shown = (stdout: string): unknown[] => (JSON.parse(stdout) as { payloads: unknown[] }).payloads;

const fromJson = (json: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(json.metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
  data: new Uint8Array(Buffer.from(json.data, 'base64')),
});
const toJson = (payload: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
  data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
});

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sealed-cli-nested-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('decode opens inner envelopes', () => {
  test('with the full keyring and no --purpose, the Referral vector shows the credential sealed inside the phi box', async () => {
    const result = await cli(['decode', '-'], { env: FULL, stdin: doc(REFERRAL.sealed) });
    expect(result.code).toBe(0);
    expect(shown(result.stdout)).toEqual([{ id: 'r-7', portal: { user: 'ana', password: 'hunter2' } }]);
    expect(result.stderr).toContain('2 fields opened');
    expect(result.stderr).not.toContain('left sealed');
  });

  test('every nested v2 vector decodes to its published value with the full keyring', async () => {
    expect(NESTED.length).toBeGreaterThanOrEqual(4);
    const result = await cli(['decode', '-'], { env: FULL, stdin: doc(...NESTED.map((v) => v.sealed)) });
    expect(result.code).toBe(0);
    expect(shown(result.stdout)).toEqual(NESTED.map((v) => unwrapSecrets(v.decoded)));
    expect(result.stderr).not.toContain('[sealed');
  });

  test.each([
    ['no --purpose', []],
    ['--purpose phi --purpose credential', ['--purpose', 'phi', '--purpose', 'credential']],
  ])('an inner box whose key the keyring lacks stays closed and is reported left sealed (%s), exit 0', async (_, purposes) => {
    const result = await cli(['decode', '-', '--detailed', ...purposes], { env: PHI_ONLY, stdin: doc(REFERRAL.sealed, TWO_DEEP.sealed) });
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('SEALED_KEY_UNKNOWN');
    const [referral, twoDeep] = shown(result.stdout) as Array<{ data: unknown; sealed: unknown[] }>;
    expect(referral!.data).toEqual({ id: 'r-7', portal: { user: 'ana', password: '[sealed:credential]' } });
    expect(referral!.sealed).toEqual([
      { keyId: 'phi-2026', purpose: 'phi', fields: ['/portal'], opened: true },
      { keyId: 'k1', purpose: 'credential', fields: ['/portal/password'], opened: false, nested: true },
    ]);
    // The phi box inside the closed credential box is never seen: only the credential box is reported.
    expect(twoDeep!.data).toEqual({ record: { owner: 'ana', login: '[sealed:credential]', pin: '4321' } });
    expect(twoDeep!.sealed).toEqual([
      { keyId: 'phi-2026', purpose: 'phi', fields: ['/record'], opened: true },
      { keyId: 'k1', purpose: 'credential', fields: ['/record/login'], opened: false, nested: true },
    ]);
    expect(result.stderr).toContain('left sealed: k1/credential x2');
    expect(findLeaks(result.stdout + result.stderr, ['hunter2', '999000'])).toEqual([]);
  });

  test('--purpose credential alone opens nothing when credential is only inside phi boxes', async () => {
    const result = await cli(['decode', '-', '--purpose', 'credential'], { env: FULL, stdin: doc(REFERRAL.sealed) });
    expect(result.code).toBe(0);
    expect(shown(result.stdout)).toEqual([{ id: 'r-7', portal: '[sealed:phi:phi-2026]' }]);
    expect(result.stderr).toContain('left sealed: phi-2026/phi x1');
    // --purpose phi opens the container and leaves the credential inside it sealed, reported.
    const phi = await cli(['decode', '-', '--purpose', 'phi'], { env: FULL, stdin: doc(REFERRAL.sealed) });
    expect(shown(phi.stdout)).toEqual([{ id: 'r-7', portal: { user: 'ana', password: '[sealed:credential]' } }]);
    expect(phi.stderr).toContain('left sealed: k1/credential x1');
  });

  test('a writer that sealed one purpose under two keys (the inner one missing): the purpose whose opening needs it stays closed, no SEALED_KEY_UNKNOWN', async () => {
    const { payload, keys } = await mixedKeyPayload();
    const env = keyringEnv({ 'phi-a': keys['phi-a']!, k1: keys.k1! }, 'k1'); // phi-b missing
    const result = await cli(['decode', '-'], { env, stdin: doc(toJson(payload)) });
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('SEALED_KEY_UNKNOWN');
    expect(shown(result.stdout)).toEqual([{ rec: { login: '[sealed:credential]', note: 'n' } }]);
    expect(result.stderr).toContain('left sealed: k1/credential x1');
    expect(findLeaks(result.stdout + result.stderr, ['999000'])).toEqual([]);
  });
});

describe('scan counts key ids inside sealed values', () => {
  test('with the keyring, --retire refuses a key used only inside a sealed value, and the report names it with its purpose', async () => {
    const report = await scan([REFERRAL], { keyring: FULL, retire: ['k1', 'k-old'] });
    expect(report.keys.map((k) => [k.keyId, k.payloads, k.purposes.map((p) => p.purpose)])).toEqual([
      ['k1', 1, ['credential']],
      ['phi-2026', 1, ['phi']],
    ]);
    expect(report.unopened.boxes).toBe(0);
    expect(report.retire).toEqual([
      { keyId: 'k1', payloads: 1, workflows: 1, safeToRemove: false, reason: 'needed' },
      { keyId: 'k-old', payloads: 0, workflows: 0, safeToRemove: true },
    ]);
    expect(report.missingKeys).toEqual([]);
  });

  test('inner boxes two levels down count, and a key the keyring lacks is reported missing', async () => {
    const full = await scan([TWO_DEEP], { keyring: FULL });
    expect(full.keys.map((k) => [k.keyId, k.purposes.map((p) => p.purpose)])).toEqual([
      ['k1', ['credential']],
      ['phi-2026', ['phi']],
    ]);
    const partial = await scan([TWO_DEEP], { keyring: PHI_ONLY, retire: ['k-old'] });
    expect(partial.missingKeys).toEqual(['k1']); // seen in the header of the inner box it could not open
    // What the closed credential box holds is unseen: no key can be called unused.
    expect(partial.unopened).toMatchObject({ payloads: 1, boxes: 1 });
    expect(partial.retire).toEqual([{ keyId: 'k-old', payloads: 0, workflows: 0, safeToRemove: false, reason: 'unopened' }]);
    expect(partial.problems).toEqual(['retire', 'missingKeys']);
  });

  test('without the keyring it cannot look inside v2 boxes: --retire never says safe, and says why; v1 payloads alone do not block it', async () => {
    const v1 = await scan(V1.vectors, { retire: ['k1', 'k-old'] });
    expect(v1.unopened.boxes).toBe(0);
    expect(v1.retire.map((r) => [r.keyId, r.safeToRemove])).toEqual([
      ['k1', false],
      ['k-old', true],
    ]);

    const v2 = await scan([...V1.vectors, REFERRAL], { retire: ['k1', 'k-old'] });
    expect(v2.keys.map((k) => k.keyId)).toEqual(['k1', 'phi-2026']); // k1 from the v1 vectors; the Referral's k1 is unseen
    expect(v2.unopened).toMatchObject({ payloads: 1, workflows: 1, boxes: 1 });
    expect(v2.retire).toEqual([
      { keyId: 'k1', payloads: 3, workflows: 1, safeToRemove: false, reason: 'needed' },
      { keyId: 'k-old', payloads: 0, workflows: 0, safeToRemove: false, reason: 'unopened' },
    ]);
    expect(v2.problems).toEqual(['retire']);
    const text = printed(v2);
    expect(text).toContain('cannot see inside 1 sealed boxes (1 payloads in 1 workflow runs) without their keys');
    expect(text).toMatch(/retire k-old: NOT known to be unused: cannot see inside 1 sealed boxes/);
    expect(text).not.toContain('retire k-old: no scanned history needs it');
  });

  test('a crafted payload that names an extra key only deep inside counts that key (key ids as the codec opened them)', async () => {
    const { payload, keys } = await mixedKeyPayload();
    const report = await scan([{ name: 'mixed', sealed: toJson(payload), decoded: null, fields: [] }], {
      keyring: keyringEnv(keys, 'k1'),
      retire: ['phi-b'],
    });
    expect(report.keys.map((k) => k.keyId)).toEqual(['k1', 'phi-a', 'phi-b']);
    expect(report.retire[0]).toMatchObject({ keyId: 'phi-b', safeToRemove: false, reason: 'needed' });
  });

  test('every nested vector: with the keyring the inner credential keys count, and no output holds a value, with or without keys', async () => {
    const values = NESTED.flatMap(valuesOf);
    expect(values).toContain('hunter2');
    const full = await scan(NESTED, { keyring: FULL, retire: ['k1'] });
    expect(full.keys.map((k) => [k.keyId, k.payloads, k.purposes.map((p) => [p.purpose, p.payloads])])).toEqual([
      ['k1', NESTED.length, [['credential', NESTED.length]]],
      ['phi-2026', NESTED.length, [['phi', NESTED.length]]],
    ]);
    for (const report of [full, await scan(NESTED, { keyring: PHI_ONLY, retire: ['k1'] }), await scan(NESTED, { retire: ['k1'] })]) {
      expect(report.retire[0]?.safeToRemove).toBe(false);
      expect(findLeaks(JSON.stringify(report) + printed(report), values)).toEqual([]);
    }
  });

  test('a state file of an earlier scan (header key ids only, or no KMS keys) is refused, not resumed', () => {
    const file = path.join(tmp, 'old-state.json');
    for (const version of [1, 2]) {
      writeFileSync(file, JSON.stringify({ ...newState('default', null), version }));
      expect(() => loadState(file, 'default', null)).toThrow(/earlier scan.*start a new state file/);
    }
    writeFileSync(file, JSON.stringify(newState('default', null)));
    expect(loadState(file, 'default', null).version).toBe(3);
  });
});

/** Scans one workflow run whose history holds the vectors' sealed payloads, through a stand-in for the frontend. */
async function scan(
  vectors: Array<Pick<Vector, 'sealed'> & Partial<Vector>>,
  options: { keyring?: Record<string, string> | undefined; retire?: string[] } = {},
): Promise<ScanReport> {
  const events = vectors.map((v, i) => ({
    eventId: i + 1,
    activityTaskScheduledEventAttributes: { input: { payloads: [fromJson(v.sealed)] } },
  }));
  const service = {
    countWorkflowExecutions: async () => ({ count: 1 }),
    listWorkflowExecutions: async () => ({
      executions: [{ execution: { workflowId: 'wf-1', runId: 'run-1' } }],
      nextPageToken: new Uint8Array(),
    }),
    getWorkflowExecutionHistory: async () => ({ history: { events }, nextPageToken: new Uint8Array() }),
  } as unknown as ScanOptions['service'];
  const keyring = options.keyring === undefined ? undefined : Keyring.fromEnv(options.keyring);
  const outcome = await scanNamespace({
    service,
    namespace: 'default',
    query: null,
    concurrency: 1,
    rules: DEFAULT_KEY_RULES,
    opener: keyring === undefined ? undefined : await SealedOpener.create(keyring),
    state: newState('default', null),
    progress: new Progress({ write: () => true }, 1, false),
  });
  const held = keyring === undefined ? undefined : new Set(keyring.describe().keyIds);
  return buildReport({
    address: 'test',
    namespace: 'default',
    query: null,
    complete: outcome.complete,
    retire: options.retire ?? [],
    held,
    totals: outcome.state.totals,
  });
}

function printed(report: ScanReport): string {
  let text = '';
  printReport({ write: (t: string) => (text += t) }, report);
  return text;
}

/**
 * A payload whose phi box (key phi-a) holds a credential box (k1) that holds a phi box under
 * another key, phi-b: no conforming writer does this (one key per purpose per payload), so the
 * sealing keyring answers phi-b for one of its phi look-ups (the codec asks per box); the call that lands inside is found by
 * opening each candidate with every key.
 */
async function mixedKeyPayload(): Promise<{ payload: Payload; keys: Record<string, Uint8Array> }> {
  const keys = { k1: Keyring.generateKey(), 'phi-a': Keyring.generateKey(), 'phi-b': Keyring.generateKey() };
  const all = new Keyring({ active: 'k1', keys, purposes: { phi: 'phi-a' } });
  const opener = await SealedOpener.create(all);
  for (let odd = 0; odd < 6; odd++) {
    let calls = 0;
    const keyring = new Proxy(all, {
      get(target, property) {
        // The codec asks its key source for each box's key: answer phi-b for one phi box.
        if (property === 'sealingKeyNow') {
          return (scope: { purpose: string; namespace: string }) =>
            scope.purpose === 'phi' && calls++ === odd
              ? { keyId: 'phi-b', key: target.key('phi-b'), wrapped: new Uint8Array() }
              : target.sealingKeyNow(scope);
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const codec = await SealingCodec.create({ keyring });
    const converter = createSealedPayloadConverter();
    const value = {
      rec: secret(
        { login: secret({ otp: secret('999000', { purpose: 'phi' }) }, { purpose: 'credential' }), note: 'n' },
        { purpose: 'phi' },
      ),
    };
    const [payload] = await codec.encode([converter.toPayload(value)!]);
    const top = readEnvelope(payload!.metadata!['sealed-fields']!).boxes.map((b) => b.keyId);
    const reached = opener.open(payload!).boxes.map((b) => `${b.keyId}/${b.purpose ?? '?'}`);
    if (top.join() === 'phi-a' && reached.some((b) => b.startsWith('phi-b/'))) return { payload: payload!, keys };
  }
  throw new Error('could not build a payload with phi-b only inside');
}
