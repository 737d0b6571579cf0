import { readFileSync } from 'node:fs';
import { FIGURE_COLUMNS, figureCells, fixed, MARKDOWN } from './format';
import type { ResultEntry } from './runner';

// Markdown tables for docs/PERFORMANCE.md: `tsx bench/compare.ts bench/results.json [bench/results-before.json]`.

function read(path: string): ResultEntry[] {
  return JSON.parse(readFileSync(path, 'utf8')) as ResultEntry[];
}

function figures(entries: ResultEntry[]): string {
  const head = `| ${FIGURE_COLUMNS.join(' | ')} |`;
  // Text columns (scenario, direction, target, met) left, figures right.
  const rule = `| ${FIGURE_COLUMNS.map((_column, i) => (i < 2 || i >= FIGURE_COLUMNS.length - 2 ? '---' : '---:')).join(' | ')} |`;
  return [head, rule, ...entries.map((e) => `| ${figureCells(e, MARKDOWN).join(' | ')} |`)].join('\n');
}

function beforeAfter(before: ResultEntry[], after: ResultEntry[]): string {
  const head =
    '| scenario | direction | sealed µs before | sealed µs after | sealed/json before | sealed/json after | sealed/aesgcm before | sealed/aesgcm after |';
  const rule = '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |';
  const rows = after.map((a) => {
    const b = before.find((x) => x.scenario === a.scenario && x.direction === a.direction);
    return `| ${a.scenario} | ${a.direction} | ${fixed(b?.us.sealed ?? null)} | ${fixed(a.us.sealed)} | ${fixed(b?.sealedVsJson ?? null, 2)}× | ${fixed(a.sealedVsJson, 2)}× | ${fixed(b?.sealedVsAesgcm ?? null, 2)}× | ${fixed(a.sealedVsAesgcm, 2)}× |`;
  });
  return [head, rule, ...rows].join('\n');
}

const [afterPath = 'bench/results.json', beforePath] = process.argv.slice(2);
const after = read(afterPath);
process.stdout.write(`${figures(after)}\n`);
if (beforePath !== undefined) process.stdout.write(`\n${beforeAfter(read(beforePath), after)}\n`);
