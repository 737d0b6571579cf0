import { readFileSync } from 'node:fs';
import type { ResultEntry } from './runner';

// Markdown tables for docs/PERFORMANCE.md: `tsx bench/compare.ts bench/results.json [bench/results-before.json]`.

function read(path: string): ResultEntry[] {
  return JSON.parse(readFileSync(path, 'utf8')) as ResultEntry[];
}

function n(value: number | null, digits = 1): string {
  return value === null ? 'n/a' : value.toFixed(digits);
}

function figures(entries: ResultEntry[]): string {
  const head = '| scenario | direction | json µs | aesgcm-whole µs | sodium-whole µs | sealed µs | sealed/json | sealed/aesgcm | sealed/sodium | target | met |';
  const rule = '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |';
  const rows = entries.map((e) =>
    [
      e.scenario,
      e.direction,
      n(e.us.json),
      n(e.us['aesgcm-whole']),
      n(e.us['sodium-whole']),
      n(e.us.sealed),
      `${n(e.sealedVsJson, 2)}×`,
      `${n(e.sealedVsAesgcm, 2)}×`,
      `${n(e.sealedVsSodium, 2)}×`,
      `≤ ${e.target.maxVsJson}× json, < ${e.target.fasterThan}`,
      e.target.met ? 'yes' : '**no**',
    ].join(' | '),
  );
  return [head, rule, ...rows.map((r) => `| ${r} |`)].join('\n');
}

function beforeAfter(before: ResultEntry[], after: ResultEntry[]): string {
  const head = '| scenario | direction | sealed µs before | sealed µs after | sealed/json before | sealed/json after | sealed/aesgcm before | sealed/aesgcm after |';
  const rule = '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |';
  const rows = after.map((a) => {
    const b = before.find((x) => x.scenario === a.scenario && x.direction === a.direction);
    return `| ${a.scenario} | ${a.direction} | ${n(b?.us.sealed ?? null)} | ${n(a.us.sealed)} | ${n(b?.sealedVsJson ?? null, 2)}× | ${n(a.sealedVsJson, 2)}× | ${n(b?.sealedVsAesgcm ?? null, 2)}× | ${n(a.sealedVsAesgcm, 2)}× |`;
  });
  return [head, rule, ...rows].join('\n');
}

const [afterPath = 'bench/results.json', beforePath] = process.argv.slice(2);
const after = read(afterPath);
process.stdout.write(`${figures(after)}\n`);
if (beforePath !== undefined) process.stdout.write(`\n${beforeAfter(read(beforePath), after)}\n`);
