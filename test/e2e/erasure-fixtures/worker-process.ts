// A worker in a process of its own, for the erasure suite's shared-store test: its own SubjectKeys (cache
// included) over its own PostgreSQL pool, the suite's prebuilt workflow bundle. Run with `node --import tsx`.
// Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TASK_QUEUE, WORKFLOW_BUNDLE (code path),
// SUBJECT_KEYS_URL, CACHE_TTL_MS, and the SEALED_FIELDS_* keys. Prints `ready` once polling; SIGTERM
// shuts it down.
import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Keyring, SubjectKeys } from '../../../src/codec';
import { PostgresSubjectKeyStore } from '../../../src/keystore';
import { SealedFieldsPlugin } from '../../../src/plugin';
import * as activities from './activities';

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const store = await PostgresSubjectKeyStore.create({ connectionString: env('SUBJECT_KEYS_URL') });
  const keys = SubjectKeys.fromEnv({ keys: Keyring.fromEnv(), store, cacheTtlMs: Number(env('CACHE_TTL_MS')) });
  const connection = await NativeConnection.connect({ address: env('TEMPORAL_ADDRESS') });
  const worker = await Worker.create({
    connection,
    namespace: env('TEMPORAL_NAMESPACE'),
    taskQueue: env('TASK_QUEUE'),
    workflowBundle: { codePath: env('WORKFLOW_BUNDLE') },
    activities,
    plugins: [new SealedFieldsPlugin({ keys, payloadConverterPath: path.join(__dirname, 'converter.ts') })],
  });
  process.once('SIGTERM', () => worker.shutdown());
  const running = worker.run();
  process.stdout.write('ready\n');
  await running;
  await connection.close();
  await store.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`worker process failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
