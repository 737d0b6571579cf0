// Wiring shared by the e2e suites: the sealed data converter, a bundle, workers and clients on one dev server.
import { createRequire } from 'node:module';
import path from 'node:path';
import { Client, type ClientInterceptors } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { bundleWorkflowCode, Worker, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { sealedClientInterceptors } from '../../../src';
import { Keyring, SealingCodec } from '../../../src/codec';
import type { DevServer } from '../../support/dev-server';
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

export { SealingCodec };
