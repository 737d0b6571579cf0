import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBaseline, rerunIncluding } from './baseline';
import { FIGURE_COLUMNS, figureCells, fixed, TEXT } from './format';
import { PIPELINE_NAMES, type PipelineName } from './pipelines';
import { runBench, type BenchReport } from './runner';

// `npm run bench` (full, writes bench/results.json) or `npm run bench -- --quick` (smoke run,
// writes to the temp dir unless `--out` says where). `--rounds N` overrides the round count;
// `--pipelines json,sealed` times only those (the same set as an older tree's, for a like-for-like run);
// `--baseline DIR` also times the `sealed` pipeline of the checkout in DIR, in the same rounds (bench/baseline.ts).

function argValue(args: string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at === -1 ? undefined : args[at + 1];
}

function textTable(head: string[], rows: string[][]): string {
  rows = [head, ...rows];
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

function baselineTable(report: BenchReport): string {
  const rows = report.entries.map((e) => [
    e.scenario,
    e.direction,
    fixed(e.baseline?.us ?? null),
    fixed(e.us.sealed),
    `${fixed(e.baseline?.sealedVsBaseline ?? null, 2)}x`,
  ]);
  return textTable(['scenario', 'direction', 'baseline sealed us', 'sealed us', 'sealed/baseline (median of rounds)'], rows);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const rounds = argValue(args, '--rounds');
  const out = argValue(args, '--out') ?? (quick ? join(tmpdir(), 'temporal-sealed-fields-bench.json') : join(__dirname, 'results.json'));
  const only = argValue(args, '--pipelines')?.split(',') as PipelineName[] | undefined;
  const unknown = only?.filter((name) => !(PIPELINE_NAMES as readonly string[]).includes(name)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown pipelines: ${unknown.join(', ')} (known: ${PIPELINE_NAMES.join(', ')})`);
  const baselineDir = argValue(args, '--baseline');
  const rerun = baselineDir === undefined ? undefined : rerunIncluding(baselineDir);
  if (rerun !== undefined) {
    process.exitCode = rerun;
    return;
  }
  const baseline = baselineDir === undefined ? undefined : await loadBaseline(baselineDir);
  const report = await runBench({
    ...(baseline === undefined ? {} : { baseline }),
    quick,
    ...(rounds === undefined ? {} : { rounds: Number(rounds) }),
    ...(only === undefined ? {} : { pipelines: only }),
  });
  process.stdout.write(`${formatTable(report)}\n\n${report.node}, ${report.rounds} round(s), medians in us per payload\n`);
  if (baseline !== undefined) process.stdout.write(`\nagainst the sealed pipeline of ${baseline.directory}:\n${baselineTable(report)}\n`);
  writeFileSync(out, `${JSON.stringify(report.entries, null, 2)}\n`);
  process.stdout.write(`wrote ${out}\n`);
  if (!report.allVerified) {
    process.stderr.write('a pipeline failed its round trip or leaked a sensitive value: its figures were not taken\n');
    process.exitCode = 1;
  }
}

void main();
