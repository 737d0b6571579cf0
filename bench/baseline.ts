import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Ready, TimeRequest } from './tree-worker';

// `npm run bench -- --baseline DIR`: this checkout's `sealed` pipeline against the one in DIR (an
// older commit: `git worktree add /tmp/before <commit>`, then link its node_modules to ours).
// Each runs in a worker thread of its own, so the two copies of the library keep their realm-global
// registries apart; the main thread has them take turns on the same scenario, so both share the
// machine's noise, and reports the median over rounds of each round's ratio.

const OURS = resolve(__dirname, '..');
const TREE_FOLDERS = ['src', 'test', 'bench'];

/**
 * tsx applies a tsconfig only to the files it includes, and this project's decorators need its
 * `experimentalDecorators`: so the run starts again under a tsconfig that includes both trees.
 * Returns the child's exit code, or undefined when this process already runs under one.
 */
export function rerunIncluding(directory: string): number | undefined {
  if (process.env.TSX_TSCONFIG_PATH !== undefined) return undefined;
  const folder = mkdtempSync(join(tmpdir(), 'bench-baseline-'));
  const config = join(folder, 'tsconfig.json');
  const include = [OURS, resolve(directory)].flatMap((root) => TREE_FOLDERS.map((name) => join(root, name)));
  writeFileSync(config, JSON.stringify({ extends: join(OURS, 'tsconfig.json'), include }));
  try {
    const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, TSX_TSCONFIG_PATH: config },
    });
    return child.status ?? 1;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

class TreeWorker {
  private constructor(
    private readonly worker: Worker,
    readonly scenarios: readonly string[],
  ) {}

  static async start(directory: string): Promise<TreeWorker> {
    // A worker thread does not inherit tsx's hooks: it registers them itself before loading TypeScript.
    const script = `require('tsx/cjs'); require(${JSON.stringify(join(__dirname, 'tree-worker.ts'))});`;
    const worker = new Worker(script, { eval: true, workerData: resolve(directory) });
    const ready = await TreeWorker.reply<Ready>(worker);
    return new TreeWorker(worker, ready.scenarios);
  }

  private static reply<T>(worker: Worker): Promise<T> {
    return new Promise((done, fail) => {
      const onError = (error: Error): void => fail(error);
      worker.once('error', onError);
      worker.once('message', (message: T) => {
        worker.off('error', onError);
        done(message);
      });
    });
  }

  time(request: TimeRequest): Promise<number | null> {
    const reply = TreeWorker.reply<number | null>(this.worker);
    this.worker.postMessage(request);
    return reply;
  }

  stop(): Promise<number> {
    return this.worker.terminate();
  }
}

export interface TreeComparison {
  scenario: string;
  direction: TimeRequest['direction'];
  baselineUs: number;
  oursUs: number;
  /** Median over rounds of ours / baseline, each round's pair timed back to back. */
  ratio: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Times this checkout's and `directory`'s sealed pipelines in turns, every scenario both share, encode and decode. */
export interface CompareOptions {
  rounds: number;
  /** Per scenario, direction and side: how long tinybench times, and warms up first (ms). */
  time: number;
  warmupTime: number;
  log: (line: string) => void;
}

export async function compareTrees(directory: string, { rounds, time, warmupTime, log }: CompareOptions): Promise<TreeComparison[]> {
  const [ours, baseline] = [await TreeWorker.start(OURS), await TreeWorker.start(directory)];
  const samples = new Map<string, { ours: number[]; baseline: number[] }>();
  try {
    const shared = ours.scenarios.filter((name) => baseline.scenarios.includes(name));
    for (const name of new Set([...ours.scenarios, ...baseline.scenarios])) {
      if (!shared.includes(name)) log(`scenario ${name} not timed: one side lacks it, or it failed its round trip or leaked there`);
    }
    for (let round = 0; round < rounds; round++) {
      log(`round ${round + 1}/${rounds}`);
      for (const scenario of shared) {
        for (const direction of ['encode', 'decode'] as const) {
          const request: TimeRequest = { scenario, direction, time, warmupTime };
          // Who goes first alternates, so neither side always meets the machine warmer.
          const first = round % 2 === 0 ? ours : baseline;
          const a = await first.time(request);
          const b = await (first === ours ? baseline : ours).time(request);
          const [us, them] = first === ours ? [a, b] : [b, a];
          if (us === null || them === null) continue;
          const bucket = samples.get(`${scenario}/${direction}`) ?? { ours: [], baseline: [] };
          bucket.ours.push(us);
          bucket.baseline.push(them);
          samples.set(`${scenario}/${direction}`, bucket);
        }
      }
    }
  } finally {
    await Promise.all([ours.stop(), baseline.stop()]);
  }
  return [...samples].map(([key, s]) => {
    const [scenario, direction] = key.split('/') as [string, TimeRequest['direction']];
    return {
      scenario,
      direction,
      baselineUs: median(s.baseline),
      oursUs: median(s.ours),
      ratio: median(s.ours.map((us, i) => us / (s.baseline[i] as number))),
    };
  });
}
