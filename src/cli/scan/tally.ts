import type { BoxName } from '../history/open-sealed';
import type { PayloadClass } from './classify';

/** Payloads and workflows that use something, with the oldest and newest event time (ms since epoch). */
export interface Usage {
  payloads: number;
  workflows: number;
  oldest: number | null;
  newest: number | null;
}

export interface KeyUsage extends Usage {
  purposes: Record<string, Usage>;
}

/** Where a finding was seen; identifiers only, never values. */
export interface Example {
  workflowId: string;
  runId: string;
  eventId: string;
  eventType: string;
  keys?: string[];
  code?: string;
}

export interface Finding {
  payloads: number;
  workflows: number;
  examples: Example[];
}

/** The running totals of a scan; plain JSON, so the state file can carry them across restarts. */
export interface ScanTotals {
  workflows: number;
  events: number;
  payloads: number;
  sealedPayloads: number;
  clearPayloads: number;
  otherPayloads: number;
  keys: Record<string, KeyUsage>;
  pending: Finding;
  keyRules: Finding & { keys: Record<string, number> };
  malformed: Finding & { codes: Record<string, number> };
  /** Version 2 payloads with boxes scan could not look into (no keyring, or keys missing): key ids inside them are not counted. */
  unopened: Finding & { boxes: number };
  failed: Array<{ workflowId: string; runId: string; reason: string }>;
}

const MAX_EXAMPLES = 20;

export function emptyTotals(): ScanTotals {
  const finding = (): Finding => ({ payloads: 0, workflows: 0, examples: [] });
  return {
    workflows: 0,
    events: 0,
    payloads: 0,
    sealedPayloads: 0,
    clearPayloads: 0,
    otherPayloads: 0,
    keys: {},
    pending: finding(),
    keyRules: { ...finding(), keys: {} },
    malformed: { ...finding(), codes: {} },
    unopened: { ...finding(), boxes: 0 },
    failed: [],
  };
}

/** One workflow run's tally; merged into the totals once the run is fully read. */
export class RunTally {
  readonly totals = emptyTotals();
  constructor(
    readonly workflowId: string,
    readonly runId: string,
  ) {
    this.totals.workflows = 1;
  }

  addEvent(): void {
    this.totals.events++;
  }

  addPayload(found: PayloadClass, event: { eventId: string; eventType: string; time: number | null }): void {
    const t = this.totals;
    t.payloads++;
    const at = { workflowId: this.workflowId, runId: this.runId, eventId: event.eventId, eventType: event.eventType };
    if (found.kind === 'other') {
      t.otherPayloads++;
      return;
    }
    if (found.kind === 'malformed') {
      this.note(t.malformed, { ...at, code: found.code });
      count(t.malformed.codes, found.code);
      return;
    }
    if (found.kind === 'pending') this.note(t.pending, at);
    if (found.kind === 'clear') t.clearPayloads++;
    if (found.kind === 'sealed') this.addSealed(found, at, event.time);
    if (found.ruleKeys.length > 0) this.noteRuleKeys(found.ruleKeys, at);
  }

  private addSealed(found: { boxes: BoxName[]; unopened: number; code?: string }, at: Example, time: number | null): void {
    const t = this.totals;
    t.sealedPayloads++;
    for (const keyId of new Set(found.boxes.map((b) => b.keyId)))
      touch(
        entry(t.keys, keyId, () => ({ ...emptyUsage(), purposes: {} })),
        time,
      );
    const pairs = new Set(found.boxes.filter((b) => b.purpose !== undefined).map((b) => `${b.keyId}/${b.purpose}`));
    for (const { keyId, purpose } of found.boxes) {
      if (purpose === undefined || !pairs.delete(`${keyId}/${purpose}`)) continue; // each pair once per payload
      touch(entry((t.keys[keyId] as KeyUsage).purposes, purpose, emptyUsage), time);
    }
    if (found.unopened > 0) {
      this.note(t.unopened, at);
      t.unopened.boxes += found.unopened;
    }
    if (found.code !== undefined) {
      this.note(t.malformed, { ...at, code: found.code });
      count(t.malformed.codes, found.code);
    }
  }

  private noteRuleKeys(keys: string[], at: Example): void {
    this.note(this.totals.keyRules, { ...at, keys });
    for (const key of keys) count(this.totals.keyRules.keys, key);
  }

  private note(finding: Finding, example: Example): void {
    finding.payloads++;
    finding.workflows = 1; // a run counts once per finding
    if (finding.examples.length < MAX_EXAMPLES) finding.examples.push(example);
  }
}

function emptyUsage(): Usage {
  return { payloads: 0, workflows: 1, oldest: null, newest: null };
}

function touch(usage: Usage, time: number | null): void {
  usage.payloads++;
  if (time === null) return;
  usage.oldest = usage.oldest === null ? time : Math.min(usage.oldest, time);
  usage.newest = usage.newest === null ? time : Math.max(usage.newest, time);
}

function count(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/** The record's entry under `key`, added by `make` when missing. */
function entry<T>(record: Record<string, T>, key: string, make: () => T): T {
  const found = record[key];
  if (found !== undefined) return found;
  const made = make();
  record[key] = made;
  return made;
}

/** Adds one run's tally to the totals (a run counts once per key, purpose and finding). */
export function mergeTotals(into: ScanTotals, run: ScanTotals): void {
  for (const name of ['workflows', 'events', 'payloads', 'sealedPayloads', 'clearPayloads', 'otherPayloads'] as const)
    into[name] += run[name];
  for (const [keyId, usage] of Object.entries(run.keys)) {
    const target = entry(into.keys, keyId, () => ({ ...zeroUsage(), purposes: {} }));
    mergeUsage(target, usage);
    for (const [purpose, p] of Object.entries(usage.purposes)) mergeUsage(entry(target.purposes, purpose, zeroUsage), p);
  }
  mergeFinding(into.pending, run.pending);
  mergeFinding(into.keyRules, run.keyRules);
  mergeFinding(into.malformed, run.malformed);
  mergeFinding(into.unopened, run.unopened);
  into.unopened.boxes += run.unopened.boxes;
  for (const [k, n] of Object.entries(run.keyRules.keys)) into.keyRules.keys[k] = (into.keyRules.keys[k] ?? 0) + n;
  for (const [k, n] of Object.entries(run.malformed.codes)) into.malformed.codes[k] = (into.malformed.codes[k] ?? 0) + n;
  into.failed.push(...run.failed);
}

function zeroUsage(): Usage {
  return { payloads: 0, workflows: 0, oldest: null, newest: null };
}

function mergeUsage(into: Usage, from: Usage): void {
  into.payloads += from.payloads;
  into.workflows += from.workflows;
  if (from.oldest !== null) into.oldest = into.oldest === null ? from.oldest : Math.min(into.oldest, from.oldest);
  if (from.newest !== null) into.newest = into.newest === null ? from.newest : Math.max(into.newest, from.newest);
}

function mergeFinding(into: Finding, from: Finding): void {
  into.payloads += from.payloads;
  into.workflows += from.workflows;
  into.examples.push(...from.examples.slice(0, Math.max(0, MAX_EXAMPLES - into.examples.length)));
}
