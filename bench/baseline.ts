import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Payload } from '@temporalio/common';
import type { Pipeline } from './pipelines';
import type { Scenario, ScenarioName } from './scenarios';

// The `sealed` pipeline of another checkout of this project (an older commit, say), loaded into
// this process so that `npm run bench -- --baseline DIR` times it beside today's `sealed`, in the
// same rounds: both share the machine's noise, and their ratio is what the run reports.
// Make the checkout with `git worktree add /tmp/before <commit>` and link its node_modules to ours.

const TREE_FOLDERS = ['src', 'test', 'bench'];

/**
 * tsx applies a tsconfig only to the files it includes, and this project's decorators need its
 * `experimentalDecorators`: so the run starts again under a tsconfig that includes both trees.
 * Returns the child's exit code, or undefined when this process already runs under one.
 */
export function rerunIncluding(directory: string): number | undefined {
  if (process.env.TSX_TSCONFIG_PATH !== undefined) return undefined;
  const ours = resolve(__dirname, '..');
  const config = join(mkdtempSync(join(tmpdir(), 'bench-baseline-')), 'tsconfig.json');
  const include = [ours, resolve(directory)].flatMap((root) => TREE_FOLDERS.map((folder) => join(root, folder)));
  writeFileSync(config, JSON.stringify({ extends: join(ours, 'tsconfig.json'), include }));
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, TSX_TSCONFIG_PATH: config },
  });
  return child.status ?? 1;
}

/** What the older tree's bench modules export (the names have been stable since the bench began). */
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

/** The baseline's own encode and decode of one scenario, each on that tree's own fixtures. */
export interface BaselineOperations {
  encode(): Promise<unknown>;
  decode(): Promise<unknown>;
}

export interface Baseline {
  /** The directory the tree was loaded from, for the report. */
  directory: string;
  /** Operations for each scenario that round-tripped and hid its sensitive values in that tree; the others are not timed. */
  scenarios: Map<ScenarioName, BaselineOperations>;
}

async function importTree(directory: string): Promise<TreeBench> {
  const load = (name: string): Promise<unknown> => import(resolve(directory, 'bench', `${name}.ts`));
  const [pipelines, scenarios, verify] = await Promise.all([load('pipelines'), load('scenarios'), load('verify')]);
  return { pipelines, scenarios, verify } as TreeBench;
}

/** Loads the `sealed` pipeline of the tree at `directory` and checks it on that tree's scenarios. */
export async function loadBaseline(directory: string): Promise<Baseline> {
  const tree = await importTree(directory);
  const sealed = (await tree.pipelines.createPipelines(['sealed'])).sealed;
  if (sealed === undefined) throw new Error(`${directory} has no sealed pipeline`);
  const scenarios = new Map<ScenarioName, BaselineOperations>();
  for (const scenario of tree.scenarios.createScenarios()) {
    const checked = await tree.verify.verifyPipeline(sealed, scenario);
    if (!checked.roundTrip || !checked.hidesSensitive) continue;
    const input = tree.scenarios.inputFor(scenario, 'sealed');
    const hint = tree.scenarios.hintFor(scenario, 'sealed');
    scenarios.set(scenario.name, {
      encode: () => sealed.encode(input, hint),
      decode: () => sealed.decode(checked.payload, hint),
    });
  }
  return { directory, scenarios };
}
