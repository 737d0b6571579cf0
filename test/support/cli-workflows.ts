// Workers and clients of the CLI suites (test/cli/erasure.test.ts, erasure-postgres.test.ts,
// lifecycle.test.ts) on a dev server: test/cli/fixtures' workflows and payload converter, loaded by path.
import { createRequire } from 'node:module';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import type { DevServer } from './dev-server';

const CONVERTER = path.join(__dirname, '../cli/fixtures/payload-converter.ts');
const WORKFLOWS = path.join(__dirname, '../cli/fixtures/workflows.ts');

// Workers and clients require payloadConverterPath (a .ts file) in this process: let tsx compile it.
(createRequire(__filename)('tsx/cjs/api') as { register(): void }).register();

function dataConverter(codec?: PayloadCodec): DataConverter {
  return codec === undefined ? { payloadConverterPath: CONVERTER } : { payloadConverterPath: CONVERTER, payloadCodecs: [codec] };
}

/** A client of `server` with the fixtures' payload converter; without a codec it seals nothing (the values stay marked). */
export function cliWorkflowClient(server: DevServer, codec?: PayloadCodec): Client {
  return new Client({ connection: server.env.connection, namespace: server.namespace, dataConverter: dataConverter(codec) });
}

/**
 * Runs `work` while a worker of the fixtures' workflows polls `taskQueue`; the worker and the client
 * `work` is given both seal with `codec`. Returns that client, for runs no worker is to pick up.
 */
export async function withCliWorkflowWorker(
  server: DevServer,
  taskQueue: string,
  codec: PayloadCodec,
  work: (client: Client) => Promise<void>,
): Promise<Client> {
  const worker = await Worker.create({
    connection: server.env.nativeConnection,
    namespace: server.namespace,
    taskQueue,
    workflowsPath: WORKFLOWS,
    dataConverter: dataConverter(codec),
  });
  const client = cliWorkflowClient(server, codec);
  await worker.runUntil(() => work(client));
  return client;
}
