// Wiring of the erasure suites (#13): one keyring and one subject index key shared by every "process"
// (worker, client, codec server, the data protection officer's forget), each with its own SubjectKeys,
// its own store instance and its own cache, as separate processes would have them.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Keyring, SubjectKeys } from '../../../src/codec';
import type { SubjectKeyStore } from '../../../src/keystore';
import { SealedFieldsPlugin } from '../../../src/plugin';
import type { DevServer } from '../../support/dev-server';
import { findTemporalCli } from '../../support/temporal-cli';
import { eventBytes, rawHistory, type Execution } from './leak-scan';
import { quietLogger } from '../../support/quiet-logger';

export const ERASURE_WORKFLOWS_PATH = path.join(__dirname, '../erasure-fixtures/workflows.ts');
export const ERASURE_CONVERTER_PATH = path.join(__dirname, '../erasure-fixtures/converter.ts');
export const ERASURE_WORKER_PROCESS = path.join(__dirname, '../erasure-fixtures/worker-process.ts');

/** What every process of one deployment shares: the keyring that wraps subject keys and the subject index key. */
export interface ErasureSecrets {
  keyringKey: Uint8Array;
  subjectIndexKey: Uint8Array;
}

export function newErasureSecrets(): ErasureSecrets {
  return { keyringKey: Keyring.generateKey(), subjectIndexKey: randomBytes(32) };
}

/** The environment a separate process reads them from (SEALED_FIELDS_KEYS, _ACTIVE_KEY, _SUBJECT_INDEX_KEY). */
export function erasureEnv(secrets: ErasureSecrets): Record<string, string> {
  return {
    SEALED_FIELDS_KEYS: `k1:${Buffer.from(secrets.keyringKey).toString('base64')}`,
    SEALED_FIELDS_ACTIVE_KEY: 'k1',
    SEALED_FIELDS_SUBJECT_INDEX_KEY: Buffer.from(secrets.subjectIndexKey).toString('base64'),
  };
}

/** One process's SubjectKeys over its own store instance. */
export function subjectKeysOf(secrets: ErasureSecrets, store: SubjectKeyStore, cacheTtlMs: number): SubjectKeys {
  const keys = new Keyring({ active: 'k1', keys: { k1: secrets.keyringKey } });
  return new SubjectKeys({ keys, store, subjectIndexKey: secrets.subjectIndexKey, cacheTtlMs });
}

/** The plugin a worker or client of the suite registers: the suite's converter module (it knows the zod consent schema) and these keys. */
export function erasurePlugin(keys: SubjectKeys): SealedFieldsPlugin {
  return new SealedFieldsPlugin({ keys, payloadConverterPath: ERASURE_CONVERTER_PATH });
}

export function erasureClient(server: DevServer, keys: SubjectKeys): Client {
  return new Client({ connection: server.env.connection, namespace: server.namespace, plugins: [erasurePlugin(keys)] });
}

/** One bundle per file (bundling costs tens of seconds on two cores); workers made later reuse it. */
export function bundleErasureWorkflows(plugin: SealedFieldsPlugin): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: ERASURE_WORKFLOWS_PATH, plugins: [plugin], logger: quietLogger });
}

type RawPayload = temporal.api.common.v1.IPayload;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Every payload of some events (inputs, results, signals, updates, markers), in history order. */
export function payloadsOf(events: HistoryEvent[]): RawPayload[] {
  const found: RawPayload[] = [];
  const walk = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return;
    const candidate = value as RawPayload;
    if (candidate.metadata?.encoding !== undefined && 'data' in candidate) {
      found.push(candidate);
      return;
    }
    for (const child of Object.values(value)) walk(child);
  };
  walk(events);
  return found;
}

/** Only the payloads our codec sealed (metadata `sealed-fields`). */
export function sealedPayloadsOf(events: HistoryEvent[]): RawPayload[] {
  return payloadsOf(events).filter((payload) => payload.metadata?.['sealed-fields'] !== undefined);
}

/**
 * Posts payloads to the codec server's `/decode` as the Web UI and `temporal workflow show` do;
 * returns the HTTP status and, on 200, each payload's `data` as text.
 */
export async function codecServerDecode(
  url: string,
  token: string,
  namespace: string,
  payloads: readonly (RawPayload | Payload)[],
): Promise<{ status: number; texts: string[] }> {
  const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('base64');
  const body = JSON.stringify({
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
      data: b64(p.data),
    })),
  });
  const res = await fetch(`${url}/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-namespace': namespace },
    body,
  });
  const text = await res.text();
  if (res.status !== 200) return { status: res.status, texts: [] };
  const doc = JSON.parse(text) as { payloads: Array<{ data?: string }> };
  return { status: 200, texts: doc.payloads.map((p) => Buffer.from(p.data ?? '', 'base64').toString('utf8')) };
}

/** `temporal workflow show --output json` for one run, as the real CLI prints it (no codec). */
export async function workflowShowJson(server: DevServer, execution: Execution, codecArgs: string[] = []): Promise<string> {
  const cli = findTemporalCli();
  if (cli === undefined) throw new Error('temporal CLI not found (set TEMPORAL_CLI_PATH)');
  const args = ['workflow', 'show', '--address', server.address, '--namespace', server.namespace, '-w', execution.workflowId];
  if (execution.runId) args.push('-r', execution.runId);
  const { stdout } = await promisify(execFile)(cli, [...args, '--output', 'json', ...codecArgs], {
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** A run's history as protobuf (and proto3-JSON) bytes: what the frontend serves, no converter, no codec. */
export async function historyBytes(client: Client, execution: Execution): Promise<Buffer> {
  return eventBytes(await rawHistory(client, execution));
}

/** Polls until `check` returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A worker running in a process of its own (erasure-fixtures/worker-process.ts). */
export interface WorkerProcess {
  /** What the process wrote to stderr so far (for a failing test's message). */
  stderr(): string;
  /** SIGTERM, then SIGKILL after 20 s; resolves when it exited. Idempotent. */
  stop(): Promise<void>;
}

export interface WorkerProcessOptions {
  server: DevServer;
  taskQueue: string;
  /** A file with the workflow bundle's code (`bundle.code`). */
  bundlePath: string;
  subjectKeysUrl: string;
  secrets: ErasureSecrets;
  cacheTtlMs: number;
}

/** Starts a worker process sharing the store; resolves once it polls. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ERASURE_WORKER_PROCESS], {
    cwd: path.resolve(__dirname, '../../..'),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      TEMPORAL_ADDRESS: options.server.address,
      TEMPORAL_NAMESPACE: options.server.namespace,
      TASK_QUEUE: options.taskQueue,
      WORKFLOW_BUNDLE: options.bundlePath,
      SUBJECT_KEYS_URL: options.subjectKeysUrl,
      CACHE_TTL_MS: String(options.cacheTtlMs),
      ...erasureEnv(options.secrets),
    },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
    })());
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker process not ready in 120 s: ${stderr}`)), 120_000);
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('ready\n')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`worker process exited (${child.exitCode}): ${stderr}`));
      });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { stderr: () => stderr, stop };
}

export interface BinResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `sealed-fields` bin as a process of its own, as a data protection officer's shell
 * would: only `env` (and PATH) in its environment, `input` on stdin. Call `ensureBuilt()` (test/support/dist.ts)
 * in the file's beforeAll: a build started mid-test would race the suite's other processes.
 */
export async function sealedFieldsBin(argv: string[], options: { env: Record<string, string>; input?: string }): Promise<BinResult> {
  const root = path.resolve(__dirname, '../../..');
  const child = spawn(process.execPath, [path.join(root, 'bin/sealed-fields.js'), ...argv], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin?.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
  const code = await new Promise<number>((resolve) => child.once('close', (status) => resolve(status ?? -1)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}
