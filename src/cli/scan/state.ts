import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { usageError } from '../io';
import { emptyTotals, type ScanTotals } from './tally';

/**
 * What `--state FILE` holds: the finished run ids and the totals so far. Plain JSON, rewritten
 * atomically. Version 2: totals count the key ids of boxes inside sealed values, and the boxes
 * scan could not look into (version 1 files counted header key ids only, and are refused).
 */
export interface ScanState {
  version: 2;
  namespace: string;
  query: string | null;
  /** Run ids whose whole history has been read and counted. */
  done: string[];
  totals: ScanTotals;
}

export function newState(namespace: string, query: string | null): ScanState {
  return { version: 2, namespace, query, done: [], totals: emptyTotals() };
}

/** Loads a state file, or starts fresh when it does not exist; a state of another scan is a usage error. */
export function loadState(file: string, namespace: string, query: string | null): ScanState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return newState(namespace, query);
    throw usageError(`cannot read the state file ${file}`);
  }
  let state: ScanState;
  try {
    state = JSON.parse(text) as ScanState;
  } catch {
    throw usageError(`the state file ${file} is not JSON`);
  }
  if ((state as { version?: unknown })?.version === 1) {
    throw usageError(
      `the state file ${file} was written by an earlier scan that did not count key ids inside sealed values: start a new state file`,
    );
  }
  if (state?.version !== 2 || !Array.isArray(state.done) || typeof state.totals !== 'object')
    throw usageError(`the state file ${file} has an unknown shape`);
  if (state.namespace !== namespace || state.query !== query)
    throw usageError(`the state file ${file} belongs to another scan (namespace or query differ)`);
  state.totals.failed = []; // failed runs were not marked done: they are retried
  return state;
}

export function saveState(file: string, state: ScanState): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, file);
}
