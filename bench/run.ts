import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareTrees, rerunIncluding, type TreeComparison } from './baseline';
import { FIGURE_COLUMNS, figureCells, fixed, TEXT } from './format';
import { PIPELINE_NAMES, type PipelineName } from './pipelines';
import { runBench, type BenchReport } from './runner';

// `npm run bench` (full, writes bench/results.json) or `npm run bench -- --quick` (smoke run,
// writes to the temp dir unless `--out` says where). `--rounds N` overrides the round count;
// `--pipelines json,sealed` times only those (the same set as an older tree's, for a like-for-like run).
// `--baseline DIR` instead times this checkout's `sealed` pipeline against DIR's (bench/baseline.ts).

function argValue(args: string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at === -1 ? undefined : args[at + 1];
}

function textTable(head: string[], body: string[][]): string {
  const rows = [head, ...body];
  const widths = head.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  const line = (r: string[]): string => r.map((cell, i) => cell.padStart(widths[i] as number)).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function formatTable(report: BenchReport): string {
  return textTable(
    FIGURE_COLUMNS.map((c) => c.replace(' µs', ' us')),
    report.entries.map((e) => figureCells(e, TEXT)),
  );
}

function comparisonTable(rows: TreeComparison[]): string {
  return textTable(
    ['scenario', 'direction', 'baseline us', 'this tree us', 'this/baseline (median of rounds)'],
    rows.map((r) => [r.scenario, r.direction, fixed(r.baselineUs), fixed(r.oursUs), `${fixed(r.ratio, 2)}x`]),
  );
}

/** `--baseline DIR`: this checkout's sealed pipeline against DIR's, in turns; writes the rows to `out`. */
async function compareWith(directory: string, quick: boolean, rounds: number, out: string): Promise<void> {
  const rerun = rerunIncluding(directory);
  if (rerun !== undefined) {
    process.exitCode = rerun;
    return;
  }
  const rows = await compareTrees(directory, {
    rounds,
    ...(quick ? { time: 25, warmupTime: 10 } : { time: 250, warmupTime: 80 }),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`sealed pipeline of this checkout against ${directory}, ${rounds} round(s):\n${comparisonTable(rows)}\n`);
  writeFileSync(out, `${JSON.stringify(rows, null, 2)}\n`);
  process.stdout.write(`wrote ${out}\n`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const rounds = argValue(args, '--rounds');
  const baseline = argValue(args, '--baseline');
  const scratch = quick || baseline !== undefined;
  const out = argValue(args, '--out') ?? (scratch ? join(tmpdir(), 'temporal-sealed-fields-bench.json') : join(__dirname, 'results.json'));
  if (baseline !== undefined) return compareWith(baseline, quick, Number(rounds ?? (quick ? 1 : 7)), out);
  const only = argValue(args, '--pipelines')?.split(',') as PipelineName[] | undefined;
  const unknown = only?.filter((name) => !(PIPELINE_NAMES as readonly string[]).includes(name)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown pipelines: ${unknown.join(', ')} (known: ${PIPELINE_NAMES.join(', ')})`);
  const report = await runBench({
    quick,
    ...(rounds === undefined ? {} : { rounds: Number(rounds) }),
    ...(only === undefined ? {} : { pipelines: only }),
  });
  process.stdout.write(`${formatTable(report)}\n\n${report.node}, ${report.rounds} round(s), medians in us per payload\n`);
  writeFileSync(out, `${JSON.stringify(report.entries, null, 2)}\n`);
  process.stdout.write(`wrote ${out}\n`);
  if (!report.allVerified) {
    process.stderr.write('a pipeline failed its round trip or leaked a sensitive value: its figures were not taken\n');
    process.exitCode = 1;
  }
}

void main();
