import { Bench } from 'tinybench';
import { createPipelines, PIPELINE_NAMES, type Pipeline, type PipelineName } from './pipelines';
import { createScenarios, hintFor, inputFor, type Scenario, type ScenarioName } from './scenarios';
import { TARGETS, targetMet } from './targets';
import { verifyPipeline, type Verification } from './verify';

export type Direction = 'encode' | 'decode';
export const DIRECTIONS: readonly Direction[] = ['encode', 'decode'];

export interface RunOptions {
  /** A short run for smoke tests: one round, few iterations. */
  quick?: boolean;
  /** Rounds of all tasks; each figure is the median of the rounds' medians. */
  rounds?: number;
  /** Only these pipelines (default: all); the others are not built, verified or timed (their figures are null). */
  pipelines?: readonly PipelineName[];
  /** Progress lines go here (stderr by default). */
  log?: (line: string) => void;
}

type PerPipeline<T> = Record<PipelineName, T>;

/** One row of `bench/results.json`: medians in µs per payload, ratios sealed / other. */
export interface ResultEntry {
  scenario: ScenarioName;
  direction: Direction;
  us: PerPipeline<number | null>;
  sealedVsJson: number | null;
  sealedVsAesgcm: number | null;
  sealedVsSodium: number | null;
  /** The KMS key source (cached data key) against the keyring and against plain JSON. */
  kmsVsSealed: number | null;
  kmsVsJson: number | null;
  /** Per-data-subject keys (cached) against the keyring and against plain JSON. */
  subjectVsSealed: number | null;
  subjectVsJson: number | null;
  target: { maxVsJson: number; fasterThan: PipelineName; met: boolean };
  /** Every pipeline gave back its input before it was timed. */
  roundTrip: PerPipeline<boolean>;
  /** No sensitive value in clear in the encoded payload (false is expected for `json` only). */
  hidesSensitive: PerPipeline<boolean>;
  /** Encoded payload size (data plus metadata values). */
  bytes: PerPipeline<number>;
}

export interface BenchReport {
  entries: ResultEntry[];
  /** True when every pipeline round-tripped and every encrypted one hid the sensitive values. */
  allVerified: boolean;
  rounds: number;
  node: string;
  date: string;
}

interface Timing {
  time: number;
  iterations: number;
  warmupTime: number;
  warmupIterations: number;
}

const FULL: Timing = { time: 250, iterations: 30, warmupTime: 80, warmupIterations: 10 };
const QUICK: Timing = { time: 25, iterations: 5, warmupTime: 10, warmupIterations: 3 };

/** A pipeline may be timed only if it round-tripped and, when it encrypts, hid the sensitive values. */
function trusted(name: PipelineName, v: Verification): boolean {
  return v.roundTrip && (name === 'json' || v.hidesSensitive);
}

function operation(pipeline: Pipeline, scenario: Scenario, direction: Direction, v: Verification): () => Promise<unknown> {
  const hint = hintFor(scenario, pipeline.name);
  if (direction === 'encode') {
    const input = inputFor(scenario, pipeline.name);
    return () => pipeline.encode(input, hint);
  }
  return () => pipeline.decode(v.payload, hint);
}

/** Times the trusted pipelines of one scenario and direction, starting at a rotating pipeline to spread drift. */
async function timeOnce(
  tasks: Array<[PipelineName, () => Promise<unknown>]>,
  timing: Timing,
  round: number,
): Promise<Map<PipelineName, number>> {
  const bench = new Bench({ ...timing, throws: true });
  const start = round % tasks.length;
  for (const [name, fn] of [...tasks.slice(start), ...tasks.slice(0, start)]) bench.add(name, fn);
  await bench.run();
  const out = new Map<PipelineName, number>();
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`bench task ${task.name} did not complete: ${result.state}`);
    out.set(task.name as PipelineName, result.latency.p50 * 1000);
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : round3(a / b);
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function perPipeline<T>(make: (name: PipelineName) => T): PerPipeline<T> {
  return Object.fromEntries(PIPELINE_NAMES.map((name) => [name, make(name)])) as PerPipeline<T>;
}

function entryFor(
  scenario: ScenarioName,
  direction: Direction,
  samples: Map<PipelineName, number[]>,
  checks: PerPipeline<Verification>,
): ResultEntry {
  const us = perPipeline((name) => {
    const list = samples.get(name);
    return list === undefined || list.length === 0 ? null : round3(median(list));
  });
  return {
    scenario,
    direction,
    us,
    sealedVsJson: ratio(us.sealed, us.json),
    sealedVsAesgcm: ratio(us.sealed, us['aesgcm-whole']),
    sealedVsSodium: ratio(us.sealed, us['sodium-whole']),
    kmsVsSealed: ratio(us.kms, us.sealed),
    kmsVsJson: ratio(us.kms, us.json),
    subjectVsSealed: ratio(us.subject, us.sealed),
    subjectVsJson: ratio(us.subject, us.json),
    target: { ...TARGETS[scenario], met: targetMet(scenario, us) },
    roundTrip: perPipeline((name) => checks[name].roundTrip),
    hidesSensitive: perPipeline((name) => checks[name].hidesSensitive),
    bytes: perPipeline((name) => checks[name].bytes),
  };
}

/** What a pipeline left out of the run shows: not verified, so never timed. */
const NOT_RUN: Verification = { roundTrip: false, hidesSensitive: false, bytes: 0, payload: {} };

async function verifyAll(pipelines: Partial<PerPipeline<Pipeline>>, scenario: Scenario): Promise<PerPipeline<Verification>> {
  const entries = await Promise.all(
    PIPELINE_NAMES.map(async (name) => {
      const pipeline = pipelines[name];
      return [name, pipeline === undefined ? NOT_RUN : await verifyPipeline(pipeline, scenario)] as const;
    }),
  );
  return Object.fromEntries(entries) as PerPipeline<Verification>;
}

type Samples = Map<string, Map<PipelineName, number[]>>;
type Checks = Map<ScenarioName, PerPipeline<Verification>>;

function sampleKey(scenario: ScenarioName, direction: Direction): string {
  return `${scenario}/${direction}`;
}

/** One round: every scenario and direction once, each pipeline's median added to its samples. */
async function runRound(
  round: number,
  pipelines: PerPipeline<Pipeline>,
  scenarios: Scenario[],
  checks: Checks,
  timing: Timing,
  samples: Samples,
): Promise<void> {
  for (const scenario of scenarios) {
    const verified = checks.get(scenario.name) as PerPipeline<Verification>;
    for (const direction of DIRECTIONS) {
      const tasks = PIPELINE_NAMES.filter((name) => trusted(name, verified[name])).map(
        (name) => [name, operation(pipelines[name], scenario, direction, verified[name])] as [PipelineName, () => Promise<unknown>],
      );
      const key = sampleKey(scenario.name, direction);
      const bucket = samples.get(key) ?? new Map<PipelineName, number[]>();
      samples.set(key, bucket);
      for (const [name, us] of await timeOnce(tasks, timing, round)) bucket.set(name, [...(bucket.get(name) ?? []), us]);
    }
  }
}

/** Runs every scenario through every pipeline, encode and decode apart, in one process. */
export async function runBench(options: RunOptions = {}): Promise<BenchReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const timing = options.quick === true ? QUICK : FULL;
  const rounds = options.rounds ?? (options.quick === true ? 1 : 7);
  const selected = options.pipelines ?? PIPELINE_NAMES;
  const pipelines = (await createPipelines(selected)) as Record<PipelineName, Pipeline>;
  const scenarios = createScenarios();
  const checks: Checks = new Map();
  for (const scenario of scenarios) checks.set(scenario.name, await verifyAll(pipelines, scenario));
  const samples: Samples = new Map();
  for (let round = 0; round < rounds; round++) {
    log(`round ${round + 1}/${rounds}`);
    await runRound(round, pipelines, scenarios, checks, timing, samples);
  }
  const entries = scenarios.flatMap((scenario) =>
    DIRECTIONS.map((direction) =>
      entryFor(
        scenario.name,
        direction,
        samples.get(sampleKey(scenario.name, direction)) ?? new Map(),
        checks.get(scenario.name) as PerPipeline<Verification>,
      ),
    ),
  );
  const allVerified = [...checks.values()].every((c) => selected.every((name) => trusted(name, c[name])));
  return { entries, allVerified, rounds, node: process.version, date: new Date().toISOString() };
}
