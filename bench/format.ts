import type { ResultEntry } from './runner';

/** How a table writes multiplication, "at most" and a missed target. */
export interface Notation {
  times: string;
  atMost: string;
  missed: string;
}

export const TEXT: Notation = { times: 'x', atMost: '<=', missed: 'NO' };
export const MARKDOWN: Notation = { times: '×', atMost: '≤ ', missed: '**no**' };

export const FIGURE_COLUMNS = [
  'scenario',
  'direction',
  'json µs',
  'aesgcm-whole µs',
  'sodium-whole µs',
  'sealed µs',
  'kms µs',
  'subject µs',
  'sealed/json',
  'sealed/aesgcm',
  'sealed/sodium',
  'kms/sealed',
  'kms/json',
  'subject/sealed',
  'subject/json',
  'target',
  'met',
];

export function fixed(value: number | null, digits = 1): string {
  return value === null ? 'n/a' : value.toFixed(digits);
}

/** One row of figures: medians, ratios, the target and whether it was met. */
export function figureCells(e: ResultEntry, notation: Notation): string[] {
  const ratio = (value: number | null): string => `${fixed(value, 2)}${notation.times}`;
  return [
    e.scenario,
    e.direction,
    fixed(e.us.json),
    fixed(e.us['aesgcm-whole']),
    fixed(e.us['sodium-whole']),
    fixed(e.us.sealed),
    fixed(e.us.kms),
    fixed(e.us.subject),
    ratio(e.sealedVsJson),
    ratio(e.sealedVsAesgcm),
    ratio(e.sealedVsSodium),
    ratio(e.kmsVsSealed),
    ratio(e.kmsVsJson),
    ratio(e.subjectVsSealed),
    ratio(e.subjectVsJson),
    `${notation.atMost}${e.target.maxVsJson}${notation.times} json, < ${e.target.fasterThan}`,
    e.target.met ? 'yes' : notation.missed,
  ];
}
