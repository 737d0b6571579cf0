// What every example needs around its own code: a dev server, a keyring and codec, a worker and a client.
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { sealedClientInterceptors } from '../../src';
import { Keyring, SealingCodec } from '../../src/codec';
import { startDevServer, type DevServer } from './dev-server';

export interface ExampleSetup {
  /** Run on this server instead of starting (and stopping) one. */
  server?: DevServer | undefined;
  /** The module exporting `payloadConverter` and `failureConverter`. */
  converterPath: string;
  workflowsPath: string;
  /** A module exporting `interceptors` (the sealed workflow interceptors). */
  workflowInterceptorsPath?: string;
  activities: NonNullable<WorkerOptions['activities']>;
  keyring?: Keyring;
}

export interface ExampleContext {
  server: DevServer;
  client: Client;
  codec: SealingCodec;
  taskQueue: string;
  /** Runs the worker until `work` settles. */
  withWorker<T>(work: () => Promise<T>): Promise<T>;
  /** A run's raw history, straight from the service: no converter, no codec. */
  rawEvents(workflowId: string): Promise<temporal.api.history.v1.IHistoryEvent[]>;
}

/** SEALED_FIELDS_KEYS from the environment when set; otherwise one throwaway key. */
export function exampleKeyring(): Keyring {
  if (process.env.SEALED_FIELDS_KEYS) return Keyring.fromEnv();
  return new Keyring({ active: 'example-key', keys: { 'example-key': Keyring.generateKey() } });
}

/** Sets up server, codec, worker and client for `body`, and tears down what it started. */
export async function withExample<T>(setup: ExampleSetup, body: (ctx: ExampleContext) => Promise<T>): Promise<T> {
  const server = setup.server ?? (await startDevServer());
  try {
    const codec = await SealingCodec.create({ keyring: setup.keyring ?? exampleKeyring() });
    const dataConverter: DataConverter = {
      payloadConverterPath: setup.converterPath,
      failureConverterPath: setup.converterPath,
      payloadCodecs: [codec],
    };
    const taskQueue = `example-${randomUUID()}`;
    const worker = await Worker.create({
      connection: server.env.nativeConnection,
      namespace: server.namespace,
      taskQueue,
      workflowsPath: setup.workflowsPath,
      activities: setup.activities,
      dataConverter,
      ...(setup.workflowInterceptorsPath ? { interceptors: { workflowModules: [setup.workflowInterceptorsPath] } } : {}),
    });
    const client = new Client({
      connection: server.env.connection,
      namespace: server.namespace,
      dataConverter,
      interceptors: sealedClientInterceptors(),
    });
    const rawEvents = async (workflowId: string) =>
      (await client.workflowService.getWorkflowExecutionHistory({ namespace: server.namespace, execution: { workflowId } })).history
        ?.events ?? [];
    return await body({ server, client, codec, taskQueue, withWorker: (work) => worker.runUntil(work), rawEvents });
  } finally {
    if (setup.server === undefined) await server.teardown();
  }
}
