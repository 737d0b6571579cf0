// Wiring shared by the e2e suites: the sealed data converter, a bundle, workers and clients on one dev server.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Client, type ClientInterceptors } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { bundleWorkflowCode, Worker, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { sealedClientInterceptors } from '../../../src';
import { Keyring, SealingCodec } from '../../../src/codec';
import { type DevServer, startDevServer } from '../../support/dev-server';
import { quietLogger } from '../../support/quiet-logger';

export const CONVERTER_PATH = path.join(__dirname, '../fixtures/converter.ts');
export const WORKFLOWS_PATH = path.join(__dirname, '../fixtures/workflows.ts');
export const INTERCEPTORS_PATH = path.join(__dirname, '../fixtures/workflow-interceptors.ts');

let registered = false;

/** Lets Node's own require() (used by the SDK for payloadConverterPath) load our .ts converter module. */
export function registerTsRequire(): void {
  const { register } = createRequire(__filename)('tsx/cjs/api') as { register(): () => void };
  if (!registered) {
    register();
    registered = true;
  }
}

export function keyringWith(activeId: string, ...otherIds: string[]): Keyring {
  const keys = Object.fromEntries([activeId, ...otherIds].map((id) => [id, Keyring.generateKey()]));
  return new Keyring({ active: activeId, keys });
}

/** The data converter every sealed worker and client uses; without a codec it shows what leaks. */
export function sealedDataConverter(codec?: SealingCodec): DataConverter {
  return { payloadConverterPath: CONVERTER_PATH, failureConverterPath: CONVERTER_PATH, payloadCodecs: codec ? [codec] : [] };
}

/** One bundle per test file: swc compiles the decorated .ts workflows; the converters and interceptors ride along. */
export function bundleSealedWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    payloadConverterPath: CONVERTER_PATH,
    failureConverterPath: CONVERTER_PATH,
    workflowInterceptorModules: [INTERCEPTORS_PATH],
    logger: quietLogger,
  });
}

export interface SealedWorkerOptions {
  server: DevServer;
  bundle: WorkflowBundleWithSourceMap;
  taskQueue: string;
  codec?: SealingCodec;
  activities?: WorkerOptions['activities'];
}

export function createSealedWorker(opts: SealedWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.server.env.nativeConnection,
    namespace: opts.server.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: opts.bundle,
    activities: opts.activities ?? {},
    dataConverter: sealedDataConverter(opts.codec), // workflow interceptors are in the bundle
  });
}

export function createSealedClient(
  server: DevServer,
  codec?: SealingCodec,
  interceptors: ClientInterceptors = sealedClientInterceptors(),
): Client {
  return new Client({
    connection: server.env.connection,
    namespace: server.namespace,
    dataConverter: sealedDataConverter(codec),
    interceptors,
  });
}

export interface SealedDevServerOptions {
  taskQueue: string;
  /** The client's codec; also the worker's unless `workerCodec` is given. */
  codec: SealingCodec;
  /** The worker's codec, when it must be its own (as a separate process would have it). */
  workerCodec?: SealingCodec;
  activities?: WorkerOptions['activities'];
}

export interface SealedDevServer {
  server: DevServer;
  bundle: WorkflowBundleWithSourceMap;
  client: Client;
  worker: Worker;
  /** Settles when the worker has stopped (a test may shut it down before teardown). */
  workerDone: Promise<void>;
  /** Stops the worker if it still runs, tears the server down and removes the database's directory. */
  teardown(): Promise<void>;
}

/**
 * One test file's dev server, its SQLite file in a directory of the file's own (so the database can be
 * read at any time, also after the server has stopped), the workflows bundled, a sealed client, and a
 * sealed worker running on `taskQueue`. Call `teardown()` in afterAll.
 */
export async function startSealedDevServer(opts: SealedDevServerOptions): Promise<SealedDevServer> {
  registerTsRequire();
  const dbDir = mkdtempSync(path.join(os.tmpdir(), 'sealed-e2e-'));
  let server: DevServer | undefined;
  let worker: Worker | undefined;
  let workerDone: Promise<void> | undefined;
  const teardown = async (): Promise<void> => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await workerDone?.catch(() => undefined);
    await server?.teardown();
    rmSync(dbDir, { recursive: true, force: true });
  };
  try {
    const [started, bundle] = await Promise.all([
      startDevServer({ dbFilename: path.join(dbDir, 'temporal.sqlite') }),
      bundleSealedWorkflows(),
    ]);
    server = started;
    const client = createSealedClient(server, opts.codec);
    worker = await createSealedWorker({
      server,
      bundle,
      taskQueue: opts.taskQueue,
      codec: opts.workerCodec ?? opts.codec,
      ...(opts.activities !== undefined && { activities: opts.activities }),
    });
    workerDone = worker.run();
    return { server, bundle, client, worker, workerDone, teardown };
  } catch (err) {
    await teardown();
    throw err;
  }
}

export { SealingCodec };
