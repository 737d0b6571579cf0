// The CLI side of erasure (#13) on a real dev server with the embedded (file) store: scan --subject
// finds a subject's runs, forget refuses while one is open, --dry-run destroys nothing, forget
// destroys the keys and records the hash only, and decode shows tombstones for A and values for B.
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ForgetReport } from '../../src/cli/commands/forget';
import { printForget } from '../../src/cli/commands/forget-output';
import type { ScanReport } from '../../src/cli/scan/report';
import { Keyring, SealingCodec, SubjectKeys } from '../../src/codec';
import { createSealedPayloadConverter, secret } from '../../src/index';
import { FileSubjectKeyStore } from '../../src/keystore';
import { cliWorkflowClient, withCliWorkflowWorker } from '../support/cli-workflows';
import { startDevServer, waitForCount, type DevServer } from '../support/dev-server';
import { findLeaks } from '../support/payloads';
import { exportHistory } from '../support/temporal-cli';
import { type CliResult, cli, keyringEnv } from './helpers';

const RUN = randomUUID().slice(0, 8);
const payloadConverter = createSealedPayloadConverter();

const A = `patient-A-${RUN}`;
const B = `patient-B-${RUN}`;
const SSN_A = `111-22-${RUN.slice(0, 4)}`;
const SSN_B = `333-44-${RUN.slice(4, 8)}`;
const NOTES_A = `notes of A ${RUN}`;
const NESTED_A = `nested A ${RUN}`;
const k1 = Keyring.generateKey();
const INDEX_KEY = Buffer.from(Keyring.generateKey()).toString('base64');

let server: DevServer;
let tmp: string;
let storeDir: string;
/** Keyring, subject index key and the store, as a DPO's shell would have them. */
let env: Record<string, string>;
/** Every CLI output of this file, searched for subject ids (and, but for decode's, values) at the end. */
const outputs: Array<CliResult & { command: string }> = [];

async function run(argv: string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<CliResult> {
  const result = await cli(argv, { env: options.env ?? env, ...(options.stdin !== undefined && { stdin: options.stdin }) });
  outputs.push({ ...result, command: argv[0] as string });
  return result;
}

const intake = (subject: string, ssn: string, notes: string) => ({
  name: 'patient',
  ssn: secret(ssn, { purpose: 'phi', subject }),
  notes: secret(notes, { purpose: 'contact', subject }),
});

/** A value of no subject holding A's value: A's box is only inside the credential box. */
const wrapper = () => ({
  label: 'wrapper',
  login: secret({ who: secret(NESTED_A, { purpose: 'phi', subject: A }) }, { purpose: 'credential' }),
});

const ids = {
  a1: `intake-${A}`, // a workflow id that contains the subject id: printed as intake-<subject>
  a2: `a2-${RUN}`,
  aNested: `a-nested-${RUN}`,
  aOpen: `a-open-${RUN}`,
  b1: `b1-${RUN}`,
};

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sealed-cli-erasure-'));
  storeDir = path.join(tmp, 'subject-keys');
  env = {
    ...keyringEnv({ k1 }, 'k1'),
    SEALED_FIELDS_SUBJECT_INDEX_KEY: INDEX_KEY,
    SEALED_FIELDS_SUBJECT_STORE: `file:${storeDir}`,
  };
  server = await startDevServer();
  const store = await FileSubjectKeyStore.create({ directory: storeDir });
  const keys = new SubjectKeys({ keys: Keyring.fromEnv(env), store, subjectIndexKey: INDEX_KEY });
  const codec = await SealingCodec.create({ keys });
  const taskQueue = `erasure-${RUN}`;
  const client = await withCliWorkflowWorker(server, taskQueue, codec, async (client) => {
    await client.workflow.execute('echoIntake', { taskQueue, workflowId: ids.a1, args: [intake(A, SSN_A, NOTES_A)] });
    await client.workflow.execute('echoIntake', { taskQueue, workflowId: ids.a2, args: [intake(A, SSN_A, NOTES_A)] });
    await client.workflow.execute('echoIntake', { taskQueue, workflowId: ids.aNested, args: [wrapper()] });
    await client.workflow.execute('echoIntake', { taskQueue, workflowId: ids.b1, args: [intake(B, SSN_B, `notes of B ${RUN}`)] });
  });
  // A run of A that stays open: no worker polls its task queue.
  await client.workflow.start('neverRuns', { taskQueue: `nobody-${RUN}`, workflowId: ids.aOpen, args: [intake(A, SSN_A, NOTES_A)] });
  // Subject C's keys, made under a keyring key no history uses: only the store needs k-wrap.
  const wrapRing = new Keyring({ active: 'k-wrap', keys: { 'k-wrap': Keyring.generateKey() } });
  const wrapCodec = await SealingCodec.create({ keys: new SubjectKeys({ keys: wrapRing, store, subjectIndexKey: INDEX_KEY }) });
  await wrapCodec.encode([payloadConverter.toPayload(intake(`patient-C-${RUN}`, 'c', 'c'))], {
    type: 'workflow',
    namespace: server.namespace,
    workflowId: 'local',
  });
  await store.close();
  await waitForCount(server, '', 5);
}, 300_000);

afterAll(async () => {
  await server?.teardown();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const scanArgs = () => ['scan', '--address', server.address, '--namespace', server.namespace, '--json', '--quiet'];
const forgetArgs = () => ['forget', '--address', server.address, '--namespace', server.namespace, '--quiet'];
const runIds = (runs: Array<{ workflowId: string }>) => runs.map((r) => r.workflowId).sort();

describe('scan --subject', () => {
  test('with the keyring and the store: exactly A runs, the open one first, A nested inside a value of no subject too; the id never printed', async () => {
    const result = await run([...scanArgs(), '--subject', A]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as ScanReport;
    expect(report.subject).not.toBeNull();
    const subject = report.subject!;
    expect(subject.subjectHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(runIds(subject.runs)).toEqual([`intake-<subject>`, ids.a2, ids.aNested, ids.aOpen].sort());
    expect(subject.runs[0]).toMatchObject({ workflowId: ids.aOpen, open: true });
    expect(subject.openWorkflows).toBe(1);
    expect(subject.unchecked.workflows).toBe(0);
    // The subject's keys are reported as subject keys, not keyring keys.
    expect(report.keys.filter((k) => k.subject === true).length).toBeGreaterThan(0);
    expect(report.keys.filter((k) => k.subject !== true).map((k) => k.keyId)).toEqual(['k1']);
    const text = await run([...scanArgs().filter((a) => a !== '--json'), '--subject', A]);
    expect(text.stdout).toContain(`data subject ${subject.subjectHash}: `);
    expect(text.stdout).toMatch(/OPEN {3}a-open-/);
  });

  test('B: its one run; --subject - reads the id from stdin', async () => {
    const result = await run([...scanArgs(), '--subject', '-'], { stdin: `${B}\n` });
    expect(result.code).toBe(0);
    const subject = (JSON.parse(result.stdout) as ScanReport).subject!;
    expect(runIds(subject.runs)).toEqual([ids.b1]);
    expect(subject.openWorkflows).toBe(0);
  });

  test('without keys (index key only): the headers name A in its own runs; the run with A inside another value is unchecked', async () => {
    const result = await run([...scanArgs(), '--subject', A], { env: { SEALED_FIELDS_SUBJECT_INDEX_KEY: INDEX_KEY } });
    expect(result.code).toBe(0);
    const subject = (JSON.parse(result.stdout) as ScanReport).subject!;
    expect(runIds(subject.runs)).toEqual([`intake-<subject>`, ids.a2, ids.aOpen].sort());
    expect(subject.unchecked.workflows).toBeGreaterThanOrEqual(1);
    expect(runIds(subject.unchecked.runs)).toContain(ids.aNested);
  });

  test('--subject without the subject index key is a usage error (exit 2) before connecting', async () => {
    const result = await run(['scan', '--address', '127.0.0.1:1', '--subject', A], { env: {} });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('SEALED_FIELDS_SUBJECT_INDEX_KEY');
  });
});

describe('scan and the keys that wrap subject keys', () => {
  test('--retire of a key no history needs but that wraps subject keys in the store: NOT safe (subjectKeys), exit 1', async () => {
    const result = await run([...scanArgs(), '--retire', 'k-wrap']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as ScanReport;
    expect(report.retire).toEqual([
      { keyId: 'k-wrap', payloads: 0, workflows: 0, subjectKeys: 2, safeToRemove: false, reason: 'subjectKeys' },
    ]);
    expect(report.subjectKeys?.wrappingKeys.map((w) => [w.keyId, w.subjectKeys])).toEqual([
      ['k-wrap', 2],
      ['k1', 4],
    ]);
    // --check-keyring with a keyring that lacks k-wrap: missing.
    const check = await run([...scanArgs(), '--check-keyring']);
    expect((JSON.parse(check.stdout) as ScanReport).missingKeys).toEqual(['k-wrap']);
  });

  test('without the store, scan says subject keys were not checked (and cannot look inside subject boxes)', async () => {
    const { SEALED_FIELDS_SUBJECT_STORE: _, ...noStore } = env;
    const result = await run([...scanArgs().filter((a) => a !== '--json'), '--retire', 'k-wrap', '--check-keyring'], { env: noStore });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('note: data subject keys are not checked');
    expect(result.stdout).toMatch(/retire k-wrap: NOT known to be unused/);
  });
});

describe('forget', () => {
  test('--dry-run reports that it would refuse (an open run) and destroys nothing', async () => {
    const result = await run([...forgetArgs(), '--subject', A, '--dry-run', '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as ForgetReport;
    expect(report).toMatchObject({ dryRun: true, outcome: 'would-refuse', refusedBecause: ['open-runs'], record: null, keysHeld: 2 });
    // Allowed to go ahead, the dry run says it would erase (exit 0), and still destroys nothing.
    const wouldErase = await run([...forgetArgs(), '--subject', A, '--dry-run', '--allow-open-runs']);
    expect(wouldErase.code).toBe(0);
    expect(wouldErase.stdout).toContain("dry run: forget would destroy the subject's keys now (2)");
    // The dry run also asked the store whether forget may write there (a writable directory: nothing missing).
    expect(report.missingStoreAccess).toEqual([]);
    expect(wouldErase.stdout).toContain("the subject key store's credentials allow what forget does (checked, nothing written)");
    // A store of the user's own without checkForgetAccess: reported as not checked, nothing refused for it.
    const unchecked: string[] = [];
    printForget(
      { write: (text: string) => unchecked.push(text) > 0 },
      {
        ...report,
        outcome: 'would-erase',
        refusedBecause: [],
        missingStoreAccess: null,
      },
    );
    expect(unchecked.join('')).toContain('note: the subject key store could not be checked for the privileges forget needs');
    expect(runIds(report.openRuns)).toEqual([ids.aOpen]);
    // Nothing destroyed: A still opens.
    expect((await decodeInput(ids.a2)).ssn).toBe(SSN_A);
  });

  test('refuses while an open run holds values of A: exit 1, the run listed by workflow id and run id, nothing destroyed', async () => {
    const result = await run([...forgetArgs(), '--subject', A, '--actor', 'dpo@example.org', '--reason', 'ticket 7781']);
    expect(result.code).toBe(1);
    const open = await server.env.client.workflow.getHandle(ids.aOpen).describe();
    expect(result.stdout).toContain(`OPEN   ${ids.aOpen} (run ${open.runId}`);
    expect(result.stdout).toContain('REFUSED, nothing destroyed');
    expect(result.stdout).toContain('--allow-open-runs');
    expect((await decodeInput(ids.a2)).ssn).toBe(SSN_A);
    expect(existsSync(path.join(storeDir, 'forget-audit.jsonl'))).toBe(false); // no audit record: nothing was forgotten
  });

  test('without keys, an open run whose boxes forget cannot look into is a refusal too (it may hold A inside a value)', async () => {
    const codec = await SealingCodec.create({ keyring: Keyring.fromEnv(env) });
    const client = cliWorkflowClient(server, codec);
    const opaque = await client.workflow.start('neverRuns', {
      taskQueue: `nobody-${RUN}`,
      workflowId: `opaque-open-${RUN}`,
      args: [{ label: 'opaque', login: secret(`opaque ${RUN}`, { purpose: 'credential' }) }],
    });
    try {
      await waitForCount(server, 'ExecutionStatus = "Running"', 2);
      const { SEALED_FIELDS_KEYS: _keys, SEALED_FIELDS_ACTIVE_KEY: _active, ...noKeys } = env;
      const result = await run([...forgetArgs(), '--subject', A, '--dry-run', '--json'], { env: noKeys });
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout) as ForgetReport;
      expect(report.refusedBecause).toEqual(['open-runs', 'unchecked-open-runs']);
      expect(report.unchecked.openWorkflows).toBe(1);
      // With the keyring forget looks inside, finds no A there, and only A's own open run refuses.
      const withKeys = JSON.parse((await run([...forgetArgs(), '--subject', A, '--dry-run', '--json'])).stdout) as ForgetReport;
      expect(withKeys.refusedBecause).toEqual(['open-runs']);
    } finally {
      await opaque.terminate('test done');
    }
  });

  test('an --actor or --reason holding the subject id is refused (exit 2): the record keeps the hash only', async () => {
    const result = await run([...forgetArgs(), '--subject', A, '--allow-open-runs', '--reason', `erase ${A}`]);
    expect(result.code).toBe(2);
    // In any letter case.
    const upper = await run([...forgetArgs(), '--subject', A, '--allow-open-runs', '--actor', `dpo for ${A.toUpperCase()}`]);
    expect(upper.code).toBe(2);
    expect(upper.stderr).toContain('must not contain the subject id');
  });

  test('a store path with a typo: exit 2 naming the store flags, nothing created (dry run, forget, scan, decode)', async () => {
    const typo = path.join(tmp, 'subject-keyz');
    const bad = { ...env, SEALED_FIELDS_SUBJECT_STORE: `file:${typo}` };
    for (const argv of [
      [...forgetArgs(), '--subject', A, '--dry-run', '--allow-open-runs'],
      [...forgetArgs(), '--subject', A, '--allow-open-runs'],
      [...scanArgs(), '--subject', A],
      ['decode', '-'],
    ]) {
      const result = await run(argv, { env: bad, stdin: '{"payloads":[]}' });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('the subject key store is not there (SEALED_KEYSTORE_UNAVAILABLE, reason missing');
      expect(result.stderr).toContain('--subject-store');
      expect(result.stderr).not.toContain(typo);
      expect(existsSync(typo)).toBe(false);
    }
  });

  test('another (existing) store that holds nothing of A while runs hold its values: refused (exit 1), nothing recorded', async () => {
    const otherDir = path.join(tmp, 'other-store');
    await (await FileSubjectKeyStore.create({ directory: otherDir })).close();
    const other = { ...env, SEALED_FIELDS_SUBJECT_STORE: `file:${otherDir}` };
    const result = await run([...forgetArgs(), '--subject', A, '--allow-open-runs', '--json'], { env: other });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as ForgetReport;
    expect(report).toMatchObject({ outcome: 'refused', refusedBecause: ['store-holds-nothing'], keysHeld: 0, record: null });
    const text = await run([...forgetArgs(), '--subject', A, '--allow-open-runs', '--dry-run'], { env: other });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      'the store holds nothing of this subject although 4 runs hold its values: wrong store or wrong SEALED_FIELDS_SUBJECT_INDEX_KEY?',
    );
    expect(text.stdout).not.toContain('now show');
    expect(existsSync(path.join(otherDir, 'forget-audit.jsonl'))).toBe(false);
  });

  test('an unknown subject: refused (exit 1) unless --record-anyway; an id with spaces around it is exit 2', async () => {
    const nobody = `patient-nobody-${RUN}`;
    const result = await run([...forgetArgs(), '--subject', nobody, '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ outcome: 'refused', refusedBecause: ['nothing-found'], record: null });
    const text = await run([...forgetArgs(), '--subject', nobody]);
    expect(text.stdout).toContain('nothing of this subject found');
    expect(text.stdout).toContain('SEALED_FIELDS_SUBJECT_INDEX_KEY');
    expect(text.stdout).toContain('--record-anyway');
    const anyway = await run([...forgetArgs(), '--subject', nobody, '--record-anyway', '--dry-run']);
    expect(anyway.code).toBe(0);
    expect(existsSync(path.join(storeDir, 'forget-audit.jsonl'))).toBe(false);
    for (const spaced of [` ${A}`, `${A} `, `${A}\t`]) {
      const refused = await run([...forgetArgs(), '--subject', '-', '--allow-open-runs'], { stdin: `${spaced}\n` });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('white space');
    }
  });

  test('--allow-open-runs destroys A keys; the audit record names the hash, the actor and the reason, never the id', async () => {
    const scan = JSON.parse((await run([...scanArgs(), '--subject', A])).stdout) as ScanReport;
    const result = await run([
      ...forgetArgs(),
      '--subject',
      A,
      '--allow-open-runs',
      '--actor',
      'dpo@example.org',
      '--reason',
      'GDPR Art. 17, ticket 7781',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as ForgetReport;
    expect(report.outcome).toBe('erased');
    expect(report.subjectHash).toBe(scan.subject!.subjectHash);
    expect(report.record).toMatchObject({
      subjectHash: report.subjectHash,
      actor: 'dpo@example.org',
      reason: 'GDPR Art. 17, ticket 7781',
      keysDestroyed: 2, // phi and contact
    });
    expect(runIds(report.closedRuns)).toEqual([`intake-<subject>`, ids.a2, ids.aNested].sort());
    expect(runIds(report.openRuns)).toEqual([ids.aOpen]);
    const audit = readFileSync(path.join(storeDir, 'forget-audit.jsonl'), 'utf8');
    expect(audit).toContain(report.subjectHash);
    expect(audit).not.toContain(A);
    // Again: recorded again, nothing more destroyed.
    const again = await run([...forgetArgs(), '--subject', A, '--allow-open-runs', '--actor', 'dpo@example.org']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('forgotten before');
    expect(again.stdout).toContain('erased: 0 keys destroyed');
    // The audit records from the CLI, and forget again by hash (as after restoring the store from a backup).
    const listed = await run(['forget', '--list-records', '--json']);
    expect(listed.code).toBe(0);
    const records = JSON.parse(listed.stdout) as Array<{ subjectHash: string; keysDestroyed: number }>;
    expect(records.map((r) => [r.subjectHash, r.keysDestroyed])).toEqual([
      [report.subjectHash, 2],
      [report.subjectHash, 0],
    ]);
    const text = await run(['forget', '--list-records']);
    expect(text.stdout).toContain(`${report.subjectHash}  2 keys destroyed  by dpo@example.org  (reason: GDPR Art. 17, ticket 7781)`);
    // Not in `outputs`: without the id, forget cannot mask it in workflow ids (intake-<subject> shows as it is; documented).
    const byHash = await cli([...forgetArgs(), '--subject-hash', report.subjectHash, '--allow-open-runs', '--json'], { env });
    expect(byHash.code, byHash.stderr).toBe(0);
    expect(JSON.parse(byHash.stdout)).toMatchObject({ outcome: 'erased', subjectHash: report.subjectHash, record: { keysDestroyed: 0 } });
    const badHash = await run([...forgetArgs(), '--subject-hash', A]);
    expect(badHash.code).toBe(2);
    // scan --subject with the store says A was forgotten.
    const scanned = await run([...scanArgs().filter((a) => a !== '--json'), '--subject', A]);
    expect(scanned.stdout).toMatch(/this subject was forgotten at \S+ \(the subject key store holds its tombstone\)/);
  });

  test('decode shows tombstones for A, values for B, and A inside another value as a tombstone', async () => {
    const a = await decodeInput(ids.a2);
    expect(a).toEqual({ name: 'patient', ssn: '[erased:phi]', notes: '[erased:contact]' });
    const b = await decodeInput(ids.b1);
    expect(b).toEqual({ name: 'patient', ssn: SSN_B, notes: `notes of B ${RUN}` });
    const nested = await decodeInput(ids.aNested);
    expect(nested).toEqual({ label: 'wrapper', login: { who: '[erased:phi]' } });
    const detailed = await run(['decode', exportHistory(server, tmp, ids.a2), '--detailed', '--quiet']);
    expect(detailed.stdout).toContain('"erased": true');
    const summary = await run(['decode', exportHistory(server, tmp, ids.a2)]);
    expect(summary.stderr).toContain('4 erased (data subject forgotten)');
  });

  test('without the store, decode leaves the subject boxes sealed (placeholders), B included: exit 1, with the hint', async () => {
    const result = await run(['decode', exportHistory(server, tmp, ids.b1)], { env: keyringEnv({ k1 }, 'k1') });
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain(SSN_B);
    expect(result.stderr).toContain('sk-... keys are data subject keys: give --subject-store');
  });
});

describe('the store does not answer, or is set up wrong', () => {
  test('a store path that cannot be a directory: SEALED_KEYSTORE_UNAVAILABLE, exit 3, for decode, scan and forget', async () => {
    const file = path.join(tmp, 'not-a-dir');
    writeFileSync(file, 'x');
    const bad = { ...env, SEALED_FIELDS_SUBJECT_STORE: `file:${path.join(file, 'keys')}` };
    const input = JSON.stringify({ payloads: [] });
    for (const argv of [
      ['decode', '-'],
      [...scanArgs(), '--subject', A],
      [...forgetArgs(), '--subject', A, '--dry-run'],
    ]) {
      const result = await run(argv, { env: bad, stdin: input });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('cannot reach the subject key store (SEALED_KEYSTORE_UNAVAILABLE, reason unreachable');
      expect(result.stderr).not.toContain(file);
    }
  });

  test('a store directory others may enter is a usage error (exit 2); forget without a store too', async () => {
    const open = path.join(tmp, 'open-store');
    mkdirSync(open, { mode: 0o755 });
    chmodSync(open, 0o755);
    const result = await run(['decode', '-', '--subject-store', `file:${open}`], { stdin: '{"payloads":[]}' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('SEALED_INVALID_OPTION');
    const { SEALED_FIELDS_SUBJECT_STORE: _, ...noStore } = env;
    const forget = await run([...forgetArgs(), '--subject', A], { env: noStore });
    expect(forget.code).toBe(2);
    expect(forget.stderr).toContain('forget needs the subject key store');
  });
});

test('no output of any command above holds a subject id; none but decode a value', () => {
  expect(outputs.length).toBeGreaterThan(10);
  const all = outputs.map((o) => o.stdout + o.stderr).join('\n');
  expect(findLeaks(all, [A, B])).toEqual([]);
  const reports = outputs.filter((o) => o.command !== 'decode');
  expect(reports.length).toBeGreaterThan(8);
  expect(findLeaks(reports.map((o) => o.stdout + o.stderr).join('\n'), [SSN_A, SSN_B, NOTES_A, NESTED_A])).toEqual([]);
});

type Shown = Record<string, unknown>;
async function decodeInput(workflowId: string): Promise<Shown> {
  const result = await run(['decode', exportHistory(server, tmp, workflowId), '--quiet']);
  expect(result.code).toBe(0);
  const doc = JSON.parse(result.stdout) as {
    events: Array<{ workflowExecutionStartedEventAttributes?: { input: { payloads: Shown[] } } }>;
  };
  return doc.events[0]!.workflowExecutionStartedEventAttributes!.input.payloads[0]!;
}
