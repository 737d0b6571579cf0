import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { defineSearchAttributeKey, type SearchAttributeType } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ClientOptions } from '@temporalio/client';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { devServerExecutable } from './temporal-cli';

export interface DevServerOptions {
  /** SQLite file to persist to; default: a fresh file in a temp dir (removed on teardown). */
  dbFilename?: string;
  /** Start the Web UI on this port (127.0.0.1). */
  uiPort?: number;
  /** Passed to the UI as `--ui-codec-endpoint` (needs uiPort to matter). */
  codecEndpoint?: string;
  extraArgs?: string[];
  namespace?: string;
  /** Custom search attributes to register at startup, e.g. `{ PatientIdx: 'KEYWORD' }`. */
  searchAttributes?: Record<string, SearchAttributeType>;
  /** Extra client options (dataConverter, interceptors...). */
  client?: Omit<ClientOptions, 'namespace' | 'connection'>;
}

export interface DevServer {
  env: TestWorkflowEnvironment;
  /** gRPC target, host:port */
  address: string;
  namespace: string;
  dbFilename: string;
  uiUrl?: string;
  teardown(): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1 (bind port 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

// Worker lifecycle INFO lines drown test output; keep WARN (workflow task failures), override via TEMPORAL_SDK_LOG_LEVEL.
function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger((process.env.TEMPORAL_SDK_LOG_LEVEL ?? 'WARN') as LogLevel) });
  } catch {
    // already installed (by us or by the test): keep that one
  }
}

/** Start attempts: the SDK gives the server 5 s to answer, which a loaded 2-core machine now and then misses. */
const START_ATTEMPTS = 3;

/** `start()`, tried again when the server did not answer in time (only that: any other failure is the test's). */
async function startedWithin(start: () => Promise<TestWorkflowEnvironment>): Promise<TestWorkflowEnvironment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= START_ATTEMPTS || !/did not start within/.test(String((err as Error)?.message))) throw err;
    }
  }
}

/** Starts `temporal server start-dev` through the SDK (random gRPC port, logs at error level). */
export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  quietRuntime();
  const tmpDir = opts.dbFilename ? undefined : mkdtempSync(path.join(os.tmpdir(), 'sealed-dev-'));
  const dbFilename = opts.dbFilename ?? path.join(tmpDir!, 'temporal.sqlite');
  const namespace = opts.namespace ?? 'default';
  const extraArgs = [...(opts.codecEndpoint ? ['--ui-codec-endpoint', opts.codecEndpoint] : []), ...(opts.extraArgs ?? [])];
  const searchAttributes = Object.entries(opts.searchAttributes ?? {}).map(([name, type]) => defineSearchAttributeKey(name, type));

  const env = await startedWithin(() =>
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: devServerExecutable(),
        ip: '127.0.0.1', // loopback only
        dbFilename,
        namespace,
        ui: opts.uiPort !== undefined,
        ...(opts.uiPort !== undefined ? { uiPort: opts.uiPort } : {}),
        log: { format: 'pretty', level: 'error' }, // the default 'warn' is noisy in test output
        extraArgs,
        searchAttributes,
      },
      client: opts.client ?? {},
    }),
  );

  let done: Promise<void> | undefined;
  return {
    env,
    address: env.address,
    namespace,
    dbFilename,
    ...(opts.uiPort !== undefined ? { uiUrl: `http://127.0.0.1:${opts.uiPort}` } : {}),
    // Idempotent, so both afterAll and a failing test's cleanup may call it.
    teardown: () =>
      (done ??= env.teardown().finally(() => {
        if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
      })),
  };
}

/** Waits until the server's visibility counts `expected` runs for `query` (a list filter; '' counts all). */
export async function waitForCount(server: DevServer, query: string, expected: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await server.env.client.workflow.count(query)).count === expected) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`visibility never showed ${expected} runs for ${query}`);
}
