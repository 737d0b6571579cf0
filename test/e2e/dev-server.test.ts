import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startDevServer, type DevServer } from '../support/dev-server';

let server: DevServer;

beforeAll(async () => {
  server = await startDevServer();
});

afterAll(async () => {
  await server?.teardown();
});

test('dev server runs a workflow and persists to its sqlite file', async () => {
  const taskQueue = `echo-${randomUUID()}`;
  const worker = await Worker.create({
    connection: server.env.nativeConnection,
    namespace: server.namespace,
    taskQueue,
    workflowsPath: path.join(__dirname, 'workflows/echo.ts'),
  });
  const result = await worker.runUntil(
    server.env.client.workflow.execute('echo', { taskQueue, workflowId: `echo-${randomUUID()}`, args: ['hello'] }),
  );
  expect(result).toBe('hello');
  expect(statSync(server.dbFilename).size).toBeGreaterThan(0);
});
