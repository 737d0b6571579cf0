import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { usageError } from '../io';
import { emptyTotals, type ScanTotals } from './tally';

/**
 * What `--state FILE` holds: the finished run ids and the totals so far. Plain JSON, rewritten
 * atomically. Version 3: totals count the KMS keys that wrap data keys, with the runs that need
 * them. Earlier files are refused: version 1 counted header key ids only, version 2 no KMS keys.
 */
export interface ScanState {
  version: 3;
  namespace: string;
  query: string | null;
  /** With `--subject`: the keyed hash of the subject the totals count (never the id). */
  subjectHash?: string;
  /** Run ids whose whole history has been read and counted. */
  done: string[];
  totals: ScanTotals;
}

export function newState(namespace: string, query: string | null, subjectHash?: string): ScanState {
  return { version: 3, namespace, query, ...(subjectHash !== undefined && { subjectHash }), done: [], totals: emptyTotals(subjectHash) };
}

/** Loads a state file, or starts fresh when it does not exist; a state of another scan is a usage error. */
export function loadState(file: string, namespace: string, query: string | null, subjectHash?: string): ScanState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return newState(namespace, query, subjectHash);
    throw usageError(`cannot read the state file ${file}`);
  }
  let state: ScanState;
  try {
    state = JSON.parse(text) as ScanState;
  } catch {
    throw usageError(`the state file ${file} is not JSON`);
  }
  const version = (state as { version?: unknown })?.version;
  if (version === 1 || version === 2) {
    const missing = version === 1 ? 'key ids inside sealed values' : 'KMS keys';
    throw usageError(`the state file ${file} was written by an earlier scan that did not count ${missing}: start a new state file`);
  }
  if (state?.version !== 3 || !Array.isArray(state.done) || typeof state.totals !== 'object')
    throw usageError(`the state file ${file} has an unknown shape`);
  if (state.namespace !== namespace || state.query !== query)
    throw usageError(`the state file ${file} belongs to another scan (namespace or query differ)`);
  if (state.subjectHash !== subjectHash || (subjectHash !== undefined && state.totals.subject?.subjectHash !== subjectHash))
    throw usageError(`the state file ${file} belongs to another scan (it looked for another data subject, or for none)`);
  state.totals.failed = []; // failed runs were not marked done: they are retried
  return state;
}

export function saveState(file: string, state: ScanState): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, file);
}
