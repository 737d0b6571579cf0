import { readdirSync, statSync } from 'node:fs';
import Module from 'node:module';
import { join, resolve } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { Payload } from '@temporalio/common';
import { Bench } from 'tinybench';
import type { Pipeline } from './pipelines';
import type { Scenario } from './scenarios';

// One checkout's `sealed` pipeline in a worker thread of its own (bench/baseline.ts): its own JS
// realm, so two copies of the library do not share the realm-global class registry. The library
// is its build (dist/, what users run), not its sources through tsx, whose per-module export
// getters and `__name` calls would charge a codebase of more, smaller modules for what users never pay.

/** What a checkout's bench modules export (stable since the bench began). */
interface TreeBench {
  pipelines: { createPipelines(names?: readonly string[]): Promise<Partial<Record<string, Pipeline>>> };
  scenarios: {
    createScenarios(): Scenario[];
    inputFor(scenario: Scenario, pipeline: string): unknown;
    hintFor(scenario: Scenario, pipeline: string): Parameters<Pipeline['encode']>[1];
  };
  verify: {
    verifyPipeline(pipeline: Pipeline, scenario: Scenario): Promise<{ roundTrip: boolean; hidesSensitive: boolean; payload: Payload }>;
  };
}

/** Asks the worker to time one scenario and direction. */
export interface TimeRequest {
  scenario: string;
  direction: 'encode' | 'decode';
  time: number;
  warmupTime: number;
}

/** The worker's first message: the scenarios it may time (they round-tripped and hid their sensitive values). */
export interface Ready {
  scenarios: string[];
}

const ENTRY_POINTS = ['index', 'codec', 'keystore', 'server'];

/** The newest modification time under `folder`, in ms. */
function newest(folder: string): number {
  let latest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

/** Has the tree's `src/<entry>.ts` load its `dist/<entry>.js`; refuses a build older than its sources. */
function loadBuiltLibrary(directory: string): void {
  const built = join(directory, 'dist', 'index.js');
  let builtAt: number;
  try {
    builtAt = statSync(built).mtimeMs;
  } catch {
    throw new Error(`${directory} has no build: run npm run build there`);
  }
  if (newest(join(directory, 'src')) > builtAt) throw new Error(`${directory}/dist is older than its src: run npm run build there`);
  const redirects = new Map(ENTRY_POINTS.map((name) => [join(directory, 'src', `${name}.ts`), join(directory, 'dist', `${name}.js`)]));
  const hooked = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
  const resolveFilename = hooked._resolveFilename;
  hooked._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    const found = resolveFilename.call(this, request, ...rest);
    return redirects.get(found) ?? found;
  };
}

/** `require`, not `import()`: the worker registered tsx's CommonJS hooks only (bench/baseline.ts). */
function load(directory: string): TreeBench {
  const module = (name: string): unknown => require(resolve(directory, 'bench', `${name}.ts`));
  return { pipelines: module('pipelines'), scenarios: module('scenarios'), verify: module('verify') } as TreeBench;
}

async function main(directory: string): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('bench/tree-worker.ts runs as a worker thread');
  loadBuiltLibrary(directory);
  const tree = load(directory);
  const sealed = (await tree.pipelines.createPipelines(['sealed'])).sealed;
  if (sealed === undefined) throw new Error(`${directory} has no sealed pipeline`);
  const operations = new Map<string, Record<TimeRequest['direction'], () => Promise<unknown>>>();
  for (const scenario of tree.scenarios.createScenarios()) {
    const checked = await tree.verify.verifyPipeline(sealed, scenario);
    if (!checked.roundTrip || !checked.hidesSensitive) continue;
    const input = tree.scenarios.inputFor(scenario, 'sealed');
    const hint = tree.scenarios.hintFor(scenario, 'sealed');
    operations.set(scenario.name, { encode: () => sealed.encode(input, hint), decode: () => sealed.decode(checked.payload, hint) });
  }
  port.on('message', async (request: TimeRequest) => {
    const operation = operations.get(request.scenario)?.[request.direction];
    if (operation === undefined) return port.postMessage(null);
    const bench = new Bench({ time: request.time, warmupTime: request.warmupTime, throws: true });
    bench.add('sealed', operation);
    await bench.run();
    const result = bench.tasks[0]?.result;
    port.postMessage(result?.state === 'completed' ? result.latency.p50 * 1000 : null);
  });
  port.postMessage({ scenarios: [...operations.keys()] } satisfies Ready);
}

void main(workerData as string);
