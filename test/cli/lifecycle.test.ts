// Key lifecycle end to end on one dev server: write under k1, rotate to k2, scan, decode
// exported histories offline, find leaks, and search by blind index.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { blindIndex, Keyring, SealingCodec } from '../../src/codec';
import { readEnvelope } from '../../src/codec/envelope';
import { secret } from '../../src/index';
import { META } from '../../src/lib/metadata';
import type { ScanReport } from '../../src/cli/scan/report';
import { cliWorkflowClient, withCliWorkflowWorker } from '../support/cli-workflows';
import { startDevServer, waitForCount, type DevServer } from '../support/dev-server';
import { findLeaks } from '../support/payloads';
import { exportHistory } from '../support/temporal-cli';
import { bin, cli, keyringEnv } from './helpers';

const RUN = randomUUID().slice(0, 8);
const PatientIndex = defineSearchAttributeKey('PatientIndex', SearchAttributeType.KEYWORD);

const k1 = Keyring.generateKey();
const k2 = Keyring.generateKey();
const indexKey = Keyring.generateKey();
const ENV_K1 = keyringEnv({ k1 }, 'k1');
const ENV_ROTATED = keyringEnv({ k1, k2 }, 'k2');
const ENV_K2_ONLY = keyringEnv({ k2 }, 'k2');

// Values that must never appear in scan output or stored histories.
const SSN = `123-45-${RUN.slice(0, 4)}`;
const JWT = `eyJhbGciOiJIUzI1NiJ9.${RUN}.sig`;
const LEAKED_SSN = `987-65-${RUN.slice(4, 8)}`;
const PATIENT_ID = `P-${RUN}-7731`;

let server: DevServer;
let tmp: string;

function intake(i: number): unknown {
  return { name: `patient ${i}`, ssn: secret(SSN, { purpose: 'phi' }), jwt: secret(JWT, { purpose: 'credential' }) };
}

async function sealingClient(env: Record<string, string>): Promise<Client> {
  return cliWorkflowClient(server, await SealingCodec.create({ keyring: Keyring.fromEnv(env) }));
}

/** Runs `count` echo workflows through a worker whose keyring comes from `env`. */
async function runEchoes(env: Record<string, string>, prefix: string, count: number): Promise<void> {
  const codec = await SealingCodec.create({ keyring: Keyring.fromEnv(env) });
  const taskQueue = `${prefix}-${RUN}`;
  await withCliWorkflowWorker(server, taskQueue, codec, async (client) => {
    for (let i = 0; i < count; i++)
      await client.workflow.execute('echoIntake', { taskQueue, workflowId: `${prefix}-${RUN}-${i}`, args: [intake(i)] });
  });
}

const ECHOES = `WorkflowType = 'echoIntake'`;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sealed-cli-'));
  server = await startDevServer({ searchAttributes: { PatientIndex: SearchAttributeType.KEYWORD } });
  await runEchoes(ENV_K1, 'k1', 3); // before rotation: every worker and client holds only k1
  await runEchoes(ENV_ROTATED, 'k2', 2); // after rotation: k2 active, k1 kept to open old histories
  // A client that forgot the codec: the converter marked the values, nothing sealed them.
  const forgetful = cliWorkflowClient(server);
  await forgetful.workflow.start('neverRuns', { taskQueue: `nobody-${RUN}`, workflowId: `pending-${RUN}`, args: [intake(9)] });
  // A client without the sealed converter at all: a plain object with an ssn key.
  await server.env.client.workflow.start('neverRuns', {
    taskQueue: `nobody-${RUN}`,
    workflowId: `plain-${RUN}`,
    args: [{ name: 'x', ssn: LEAKED_SSN }],
  });
  await waitForCount(server, ECHOES, 5);
  await waitForCount(server, '', 7);
}, 300_000);

afterAll(async () => {
  await server?.teardown();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function scanJson(
  args: string[],
  env?: Record<string, string>,
): Promise<{ code: number; report: ScanReport; stderr: string; stdout: string }> {
  const result = await cli(
    ['scan', '--address', server.address, '--namespace', server.namespace, '--json', ...args],
    env === undefined ? {} : { env },
  );
  return { ...result, report: JSON.parse(result.stdout) as ScanReport };
}

describe('scan', () => {
  test('counts payloads and workflow runs per key id and purpose, as written before and after rotation', async () => {
    const { code, report } = await scanJson(['--query', ECHOES, '--concurrency', '2']);
    expect(code).toBe(0);
    expect(report.complete).toBe(true);
    expect(report.workflows).toBe(5);
    expect(report.sealedPayloads).toBe(10); // input and result of each run
    const [kOne, kTwo] = report.keys;
    expect(report.keys.map((k) => k.keyId)).toEqual(['k1', 'k2']);
    expect(kOne).toMatchObject({ payloads: 6, workflows: 3 });
    expect(kTwo).toMatchObject({ payloads: 4, workflows: 2 });
    expect(kOne?.purposes.map((p) => [p.purpose, p.payloads, p.workflows])).toEqual([
      ['credential', 6, 3],
      ['phi', 6, 3],
    ]);
    expect(kTwo?.purposes.map((p) => [p.purpose, p.payloads, p.workflows])).toEqual([
      ['credential', 4, 2],
      ['phi', 4, 2],
    ]);
    expect(Date.parse(kOne!.oldest!)).toBeLessThanOrEqual(Date.parse(kOne!.newest!));
    expect(Date.parse(kOne!.newest!)).toBeLessThanOrEqual(Date.parse(kTwo!.oldest!)); // k1 stopped sealing when k2 became active
    expect(report.problems).toEqual([]);
  });

  test('--retire exits 1 while a retained history still needs the key, 0 for a key nothing needs (looked inside with the keyring)', async () => {
    const needed = await scanJson(['--query', ECHOES, '--retire', 'k1', '--quiet']);
    expect(needed.code).toBe(1);
    expect(needed.report.retire).toEqual([{ keyId: 'k1', payloads: 6, workflows: 3, safeToRemove: false, reason: 'needed' }]);
    // Without keys scan cannot see inside the v2 boxes, where another key could be needed.
    const blind = await scanJson(['--query', ECHOES, '--retire', 'k-old', '--quiet']);
    expect(blind.code).toBe(1);
    expect(blind.report.retire).toEqual([{ keyId: 'k-old', payloads: 0, workflows: 0, safeToRemove: false, reason: 'unopened' }]);
    expect(blind.report.unopened).toMatchObject({ payloads: 10, workflows: 5, boxes: 20 });
    const unused = await scanJson(['--query', ECHOES, '--retire', 'k-old', '--check-keyring', '--quiet'], ENV_ROTATED);
    expect(unused.code).toBe(0);
    expect(unused.report.retire).toEqual([{ keyId: 'k-old', payloads: 0, workflows: 0, safeToRemove: true }]);
    expect(unused.report.unopened.boxes).toBe(0);
  });

  test('--check-keyring exits 1 when histories need a key the keyring lacks (k1 dropped too early)', async () => {
    const early = await cli(
      ['scan', '--address', server.address, '--namespace', server.namespace, '--query', ECHOES, '--check-keyring', '--json', '--quiet'],
      { env: ENV_K2_ONLY },
    );
    expect(early.code).toBe(1);
    expect((JSON.parse(early.stdout) as ScanReport).missingKeys).toEqual(['k1']);
    const held = await cli(
      ['scan', '--address', server.address, '--namespace', server.namespace, '--query', ECHOES, '--check-keyring', '--json', '--quiet'],
      { env: ENV_ROTATED },
    );
    expect(held.code).toBe(0);
    expect((JSON.parse(held.stdout) as ScanReport).missingKeys).toEqual([]);
    const noKeys = await cli(['scan', '--address', server.address, '--check-keyring']);
    expect(noKeys.code).toBe(2); // no keyring configured
  });

  test('reports a payload written without the codec and clear keys matching the rules, exit 1, without printing values', async () => {
    const result = await scanJson([]);
    expect(result.code).toBe(1);
    expect(result.report.workflows).toBe(7);
    expect(result.report.pending).toMatchObject({ payloads: 1, workflows: 1 });
    expect(result.report.pending.examples[0]).toMatchObject({ workflowId: `pending-${RUN}`, eventType: 'WorkflowExecutionStarted' });
    expect(result.report.keyRules).toMatchObject({ payloads: 1, workflows: 1, keys: { ssn: 1 } });
    expect(result.report.keyRules.examples[0]?.workflowId).toBe(`plain-${RUN}`);
    expect(result.report.problems).toEqual(['pending', 'keyRules']);
    const text = await cli(['scan', '--address', server.address, '--namespace', server.namespace]);
    expect(text.code).toBe(1);
    expect(findLeaks(result.stdout + result.stderr + text.stdout + text.stderr, [SSN, JWT, LEAKED_SSN])).toEqual([]);
  });

  test('--key-rules replaces the default rule', async () => {
    const { code, report } = await scanJson(['--query', `WorkflowId = 'plain-${RUN}'`, '--key-rules', '^name$', '--quiet']);
    expect(code).toBe(1);
    expect(report.keyRules.keys).toEqual({ name: 1 });
  });

  test('--state resumes: a scan stopped by --max-workflows finishes with the same totals', async () => {
    const state = path.join(tmp, 'scan-state.json');
    const first = await scanJson(['--query', ECHOES, '--state', state, '--max-workflows', '2', '--quiet']);
    expect(first.code).toBe(0);
    expect(first.report).toMatchObject({ complete: false, workflows: 2 });
    expect((JSON.parse(readFileSync(state, 'utf8')) as { done: string[] }).done).toHaveLength(2);
    const second = await scanJson(['--query', ECHOES, '--state', state, '--quiet']);
    expect(second.report).toMatchObject({ complete: true, workflows: 5, sealedPayloads: 10 });
    expect(second.report.keys.map((k) => [k.keyId, k.payloads, k.workflows])).toEqual([
      ['k1', 6, 3],
      ['k2', 4, 2],
    ]);
    const otherQuery = await cli([
      'scan',
      '--address',
      server.address,
      '--namespace',
      server.namespace,
      '--query',
      `WorkflowId = 'plain-${RUN}'`,
      '--state',
      state,
    ]);
    expect(otherQuery.code).toBe(2); // the state file belongs to another scan
  });

  test('the built bin scans the dev server (progress as plain lines off a TTY)', () => {
    const result = bin(['scan', '--address', server.address, '--namespace', server.namespace, '--query', ECHOES, '--json']);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as ScanReport).keys.map((k) => k.keyId)).toEqual(['k1', 'k2']);
    expect(result.stderr).toMatch(/scanned 5\/5 workflows/);
  });

  test('a bad visibility query or an unknown namespace is a usage error (exit 2)', async () => {
    expect((await cli(['scan', '--address', server.address, '--query', 'WorkflowType = = broken'])).code).toBe(2);
    expect((await cli(['scan', '--address', server.address, '--namespace', `missing-${RUN}`])).code).toBe(2);
  });
});

describe('decode', () => {
  type Shown = { name: string; ssn: unknown; jwt: unknown };
  const inputOf = (doc: unknown): Shown =>
    (doc as { events: Array<{ workflowExecutionStartedEventAttributes: { input: { payloads: Shown[] } } }> }).events[0]!
      .workflowExecutionStartedEventAttributes.input.payloads[0]!;

  test('opens a history sealed under k1 with the rotated keyring (k2 active, k1 kept)', async () => {
    const file = exportHistory(server, tmp, `k1-${RUN}-0`);
    const result = await cli(['decode', file], { env: ENV_ROTATED });
    expect(result.code).toBe(0);
    expect(inputOf(JSON.parse(result.stdout))).toEqual({ name: 'patient 0', ssn: SSN, jwt: JWT });
  });

  test('new histories are sealed under k2 and open without k1', async () => {
    const file = exportHistory(server, tmp, `k2-${RUN}-1`);
    const raw = JSON.parse(readFileSync(file, 'utf8')) as {
      events: Array<{ workflowExecutionStartedEventAttributes: { input: { payloads: Array<{ metadata: Record<string, string> }> } } }>;
    };
    const sealed = raw.events[0]!.workflowExecutionStartedEventAttributes.input.payloads[0]!.metadata[META.sealed]!;
    expect(readEnvelope(Buffer.from(sealed, 'base64')).boxes.map((b) => b.keyId)).toEqual(['k2', 'k2']);
    const result = await cli(['decode', file], { env: ENV_K2_ONLY });
    expect(result.code).toBe(0);
    expect(inputOf(JSON.parse(result.stdout))).toEqual({ name: 'patient 1', ssn: SSN, jwt: JWT });
  });

  test('opens exactly what the keys allow: without k1 the k1 fields keep their placeholders', async () => {
    const file = exportHistory(server, tmp, `k1-${RUN}-1`);
    const result = await cli(['decode', file, '--detailed'], { env: ENV_K2_ONLY });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(SSN);
    const shown = (
      JSON.parse(result.stdout) as {
        events: Array<{
          workflowExecutionStartedEventAttributes: {
            input: { payloads: Array<{ data: Shown; sealed: Array<{ keyId: string; opened: boolean }> }> };
          };
        }>;
      }
    ).events[0]!.workflowExecutionStartedEventAttributes.input.payloads[0]!;
    expect(shown.data).toEqual({ name: 'patient 1', ssn: '[sealed:phi:k1]', jwt: '[sealed:credential:k1]' });
    expect(shown.sealed.map((b) => [b.keyId, b.opened])).toEqual([
      ['k1', false],
      ['k1', false],
    ]);
  });

  test('--purpose opens only the named purposes', async () => {
    const file = exportHistory(server, tmp, `k1-${RUN}-2`);
    const result = await cli(['decode', file, '--purpose', 'phi'], { env: ENV_ROTATED });
    expect(result.code).toBe(0);
    expect(inputOf(JSON.parse(result.stdout))).toEqual({ name: 'patient 2', ssn: SSN, jwt: '[sealed:credential:k1]' });
  });

  test('--redact opens nothing and needs no keyring', async () => {
    const file = exportHistory(server, tmp, `k1-${RUN}-0`);
    const result = await cli(['decode', file, '--redact']);
    expect(result.code).toBe(0);
    expect(findLeaks(result.stdout, [SSN, JWT])).toEqual([]);
    expect(inputOf(JSON.parse(result.stdout)).ssn).toBe('[sealed:phi:k1]');
  });

  test('reads {"payloads":[...]} from stdin', async () => {
    const raw = JSON.parse(readFileSync(exportHistory(server, tmp, `k2-${RUN}-0`), 'utf8')) as {
      events: Array<{ workflowExecutionStartedEventAttributes: { input: unknown } }>;
    };
    const payloads = raw.events[0]!.workflowExecutionStartedEventAttributes.input;
    const result = await cli(['decode', '-'], { env: ENV_ROTATED, stdin: JSON.stringify(payloads) });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ payloads: [{ name: 'patient 0', ssn: SSN, jwt: JWT }] });
  });

  test('a tampered clear field fails to open: exit 1 and SEALED_TAMPERED, placeholders kept', async () => {
    const file = exportHistory(server, tmp, `k1-${RUN}-0`);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as {
      events: Array<{ workflowExecutionStartedEventAttributes: { input: { payloads: Array<{ data: string }> } } }>;
    };
    const payload = doc.events[0]!.workflowExecutionStartedEventAttributes.input.payloads[0]!;
    payload.data = Buffer.from(Buffer.from(payload.data, 'base64').toString('utf8').replace('patient 0', 'patient 9')).toString('base64');
    writeFileSync(file, JSON.stringify(doc));
    const result = await cli(['decode', file, '--detailed'], { env: ENV_ROTATED });
    expect(result.code).toBe(1);
    const shown = (
      JSON.parse(result.stdout) as {
        events: Array<{ workflowExecutionStartedEventAttributes: { input: { payloads: Array<{ error: string; data: Shown }> } } }>;
      }
    ).events[0]!.workflowExecutionStartedEventAttributes.input.payloads[0]!;
    expect(shown.error).toBe('SEALED_TAMPERED');
    expect(shown.data.ssn).toBe('[sealed:phi:k1]');
  });

  test('a history written without the codec decodes with exit 1 and its plaintext values are not shown', async () => {
    const result = await cli(['decode', exportHistory(server, tmp, `pending-${RUN}`)], { env: ENV_ROTATED });
    expect(result.code).toBe(1);
    expect(findLeaks(result.stdout, [SSN, JWT])).toEqual([]);
  });

  test('the old workflow result still decodes through a rotated client', async () => {
    const client = await sealingClient(ENV_ROTATED);
    const result = (await client.workflow.getHandle(`k1-${RUN}-1`).result()) as { ssn: { reveal(): string } };
    expect(result.ssn.reveal()).toBe(SSN);
  });
});

describe('values sealed inside sealed values', () => {
  test('scan with the keyring counts the inner key, and decode opens it', async () => {
    // Sealed under k1 only, inside a phi box sealed under phi-k: retiring k1 must be refused.
    const phiKey = Keyring.generateKey();
    const env = { ...keyringEnv({ k1, k2, 'phi-k': phiKey }, 'k1'), SEALED_FIELDS_PURPOSE_KEYS: 'phi:phi-k' };
    const client = await sealingClient(env);
    const workflowId = `nested-${RUN}`;
    await client.workflow.start('neverRuns', {
      taskQueue: `nobody-${RUN}`,
      workflowId,
      args: [{ name: 'n', portal: secret({ user: 'ana', password: secret(JWT, { purpose: 'credential' }) }, { purpose: 'phi' }) }],
    });
    const query = `WorkflowId = '${workflowId}'`;
    await waitForCount(server, query, 1);
    const keyed = await scanJson(['--query', query, '--retire', 'k1', '--check-keyring', '--quiet'], env);
    expect(keyed.report.keys.map((k) => [k.keyId, k.purposes.map((p) => p.purpose)])).toEqual([
      ['k1', ['credential']],
      ['phi-k', ['phi']],
    ]);
    expect(keyed.report.retire[0]).toMatchObject({ keyId: 'k1', safeToRemove: false, reason: 'needed' });
    expect(keyed.code).toBe(1);
    const blind = await scanJson(['--query', query, '--retire', 'k1', '--quiet']);
    expect(blind.report.keys.map((k) => k.keyId)).toEqual(['phi-k']); // the header names only the container's key
    expect(blind.report.retire[0]).toMatchObject({ keyId: 'k1', safeToRemove: false, reason: 'unopened' });
    const text = await cli([
      'scan',
      '--address',
      server.address,
      '--namespace',
      server.namespace,
      '--query',
      query,
      '--retire',
      'k1',
      '--quiet',
    ]);
    expect(text.stdout).toContain('retire k1: NOT known to be unused: cannot see inside 1 sealed boxes');
    const decoded = await cli(['decode', exportHistory(server, tmp, workflowId)], { env });
    expect(decoded.code).toBe(0);
    const input = (
      JSON.parse(decoded.stdout) as { events: Array<{ workflowExecutionStartedEventAttributes: { input: { payloads: unknown[] } } }> }
    ).events[0]!.workflowExecutionStartedEventAttributes.input.payloads[0];
    expect(input).toEqual({ name: 'n', portal: { user: 'ana', password: JWT } });
    expect(findLeaks(keyed.stdout + keyed.stderr + blind.stdout + text.stdout, [JWT])).toEqual([]);
  });
});

describe('blind index', () => {
  test('a workflow started with PatientIndex = blindIndex(patientId) is found by a visibility query; the id is not stored', async () => {
    const idx = blindIndex(PATIENT_ID, { purpose: 'patient', key: indexKey });
    const client = await sealingClient(ENV_ROTATED);
    const workflowId = `indexed-${RUN}`;
    await client.workflow.start('neverRuns', {
      taskQueue: `nobody-${RUN}`,
      workflowId,
      args: [{ patientId: secret(PATIENT_ID, { purpose: 'phi' }) }],
      typedSearchAttributes: [{ key: PatientIndex, value: idx }],
    });
    await waitForCount(server, `PatientIndex = "${idx}"`, 1);
    const found: string[] = [];
    for await (const wf of client.workflow.list({ query: `PatientIndex = "${idx}"` })) found.push(wf.workflowId);
    expect(found).toEqual([workflowId]);
    const other = blindIndex(`P-${RUN}-7732`, { purpose: 'patient', key: indexKey });
    expect((await client.workflow.count(`PatientIndex = "${other}"`)).count).toBe(0);
    const history = readFileSync(exportHistory(server, tmp, workflowId), 'utf8');
    expect(findLeaks(history, [PATIENT_ID])).toEqual([]);
    expect(history).toContain(Buffer.from(JSON.stringify(idx)).toString('base64')); // the search attribute is stored in clear: only the index
  });
});
