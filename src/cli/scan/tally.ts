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
  /** A data key wrapped by a KMS (the box carries it wrapped): not a key of any keyring. */
  wrapped?: true;
  /** ... wrapped by this AWS KMS key (from the wrapped key in the box header). */
  kmsKeyArn?: string;
  /** A data subject's key (wrapped key 0x02): it lives in the subject key store, not in a keyring. */
  subject?: true;
}

/** A workflow run as visibility lists it: its start time (ms since epoch) and whether it is still open. */
export interface RunInfo {
  workflowId: string;
  runId: string;
  start: number | null;
  open: boolean;
}

/**
 * What the retained histories need of one KMS key: the payloads and boxes sealed under its data
 * keys, the purposes and namespaces (payloads of each), and the runs: how many, how many still
 * open, the start times of the oldest and newest, and some of them (open ones first, then newest).
 * The data keys themselves are the `keys` entries naming this KMS key.
 */
export interface KmsKeyUsage {
  payloads: number;
  boxes: number;
  workflows: number;
  openWorkflows: number;
  oldestRunStart: number | null;
  newestRunStart: number | null;
  purposes: Record<string, number>;
  namespaces: Record<string, number>;
  runs: RunInfo[];
}

/**
 * What the histories hold of one data subject (`scan --subject`, `forget`): the payloads and boxes
 * sealed under its key (boxes whose header names its keyed hash, at every level scan reached), and
 * every run holding one. `unchecked`: runs without such a box that have boxes scan could not look
 * into, where the subject's values may be sealed unseen (up to 20 listed, open ones first).
 */
export interface SubjectUsage {
  subjectHash: string;
  payloads: number;
  boxes: number;
  /** `keyIds`: the subject key ids (`sk-...`) the run's boxes of the subject name, sorted (absent in a state file of an older scan). */
  runs: Array<RunInfo & { payloads: number; keyIds?: string[] }>;
  unchecked: { workflows: number; openWorkflows: number; runs: RunInfo[] };
}

/** Where a finding was seen; identifiers only, never values. */
export interface Example {
  workflowId: string;
  runId: string;
  eventId: string;
  eventType: string;
  /** Which payload of the event (0-based, in the order scan visits them), as an event may carry several. */
  payloadIndex?: number;
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
  /** By KMS key ARN, from the wrapped data keys in box headers. */
  kmsKeys: Record<string, KmsKeyUsage>;
  pending: Finding;
  keyRules: Finding & { keys: Record<string, number> };
  malformed: Finding & { codes: Record<string, number> };
  /**
   * Version 2 payloads with boxes scan could not look into (no keyring, or keys missing): key ids
   * inside them are not counted. `codes`: payloads whose keys failed to fetch, by failure (a KMS
   * key disabled, KMS not answering...).
   */
  unopened: Finding & { boxes: number; codes: Record<string, number> };
  failed: Array<{ workflowId: string; runId: string; reason: string }>;
  /** With a subject to look for: what the histories hold of it. */
  subject?: SubjectUsage;
}

const MAX_EXAMPLES = 20;
/** Runs listed per KMS key. */
const MAX_RUNS = 20;

/** Empty totals; with `subjectHash`, they also count the boxes of that data subject. */
export function emptyTotals(subjectHash?: string): ScanTotals {
  const finding = (): Finding => ({ payloads: 0, workflows: 0, examples: [] });
  const subject: SubjectUsage | undefined =
    subjectHash === undefined
      ? undefined
      : { subjectHash, payloads: 0, boxes: 0, runs: [], unchecked: { workflows: 0, openWorkflows: 0, runs: [] } };
  return {
    ...(subject !== undefined && { subject }),
    workflows: 0,
    events: 0,
    payloads: 0,
    sealedPayloads: 0,
    clearPayloads: 0,
    otherPayloads: 0,
    keys: {},
    kmsKeys: {},
    pending: finding(),
    keyRules: { ...finding(), keys: {} },
    malformed: { ...finding(), codes: {} },
    unopened: { ...finding(), boxes: 0, codes: {} },
    failed: [],
  };
}

/** One workflow run's tally; merged into the totals once the run is fully read. */
export class RunTally {
  readonly workflowId: string;
  readonly runId: string;
  readonly totals: ScanTotals;
  constructor(
    readonly run: RunInfo,
    subjectHash?: string,
  ) {
    this.totals = emptyTotals(subjectHash);
    this.workflowId = run.workflowId;
    this.runId = run.runId;
    this.totals.workflows = 1;
  }

  addEvent(): void {
    this.totals.events++;
  }

  addPayload(found: PayloadClass, event: { eventId: string; eventType: string; time: number | null; payloadIndex?: number }): void {
    const t = this.totals;
    t.payloads++;
    const at: Example = {
      workflowId: this.workflowId,
      runId: this.runId,
      eventId: event.eventId,
      eventType: event.eventType,
      ...(event.payloadIndex !== undefined && { payloadIndex: event.payloadIndex }),
    };
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

  private addSealed(
    found: { boxes: BoxName[]; every: BoxName[]; namespace: string; unopened: number; closedBy?: string; code?: string },
    at: Example,
    time: number | null,
  ): void {
    const t = this.totals;
    t.sealedPayloads++;
    for (const keyId of new Set(found.boxes.map((b) => b.keyId)))
      touch(
        entry(t.keys, keyId, () => ({ ...emptyUsage(), purposes: {} })),
        time,
      );
    for (const box of found.boxes)
      if (box.wrapped) markWrapped(t.keys[box.keyId] as KeyUsage, box.kmsKeyArn, box.subjectHash !== undefined);
    this.addKmsKeys(found.every, found.namespace);
    this.addSubject(found.every, found.unopened);
    const pairs = new Set(found.boxes.filter((b) => b.purpose !== undefined).map((b) => `${b.keyId}/${b.purpose}`));
    for (const { keyId, purpose } of found.boxes) {
      if (purpose === undefined || !pairs.delete(`${keyId}/${purpose}`)) continue; // each pair once per payload
      touch(entry((t.keys[keyId] as KeyUsage).purposes, purpose, emptyUsage), time);
    }
    if (found.unopened > 0) {
      this.note(t.unopened, at);
      t.unopened.boxes += found.unopened;
      if (found.closedBy !== undefined) count(t.unopened.codes, found.closedBy);
    }
    if (found.code !== undefined) {
      this.note(t.malformed, { ...at, code: found.code });
      count(t.malformed.codes, found.code);
    }
  }

  /** Each KMS key named by a wrapped data key in this payload: one payload, its boxes, purposes and namespace, this run. */
  private addKmsKeys(every: BoxName[], namespace: string): void {
    const byKey = new Map<string, BoxName[]>();
    for (const box of every) {
      if (box.kmsKeyArn === undefined) continue;
      const boxes = byKey.get(box.kmsKeyArn);
      if (boxes === undefined) byKey.set(box.kmsKeyArn, [box]);
      else boxes.push(box);
    }
    for (const [arn, boxes] of byKey) {
      const usage = entry(this.totals.kmsKeys, arn, () => this.kmsUsage());
      usage.payloads++;
      usage.boxes += boxes.length;
      count(usage.namespaces, namespace);
      for (const purpose of new Set(boxes.map((b) => b.purpose))) if (purpose !== undefined) count(usage.purposes, purpose);
    }
  }

  /** The boxes of the data subject looked for in this payload; a payload with boxes left closed may hide some. */
  private addSubject(every: BoxName[], unopened: number): void {
    const subject = this.totals.subject;
    if (subject === undefined) return;
    const mine = every.filter((box) => box.subjectHash === subject.subjectHash);
    const boxes = mine.length;
    if (boxes === 0) {
      if (unopened > 0 && subject.unchecked.workflows === 0)
        subject.unchecked = { workflows: 1, openWorkflows: this.run.open ? 1 : 0, runs: [this.run] };
      return;
    }
    subject.payloads++;
    subject.boxes += boxes;
    const run = subject.runs[0] ?? { ...this.run, payloads: 0, keyIds: [] };
    run.payloads++;
    run.keyIds = [...new Set([...(run.keyIds ?? []), ...mine.map((box) => box.keyId)])].sort();
    subject.runs = [run];
  }

  /** A KMS key's usage in this run, before its first payload. */
  private kmsUsage(): KmsKeyUsage {
    const { start, open } = this.run;
    return {
      payloads: 0,
      boxes: 0,
      workflows: 1,
      openWorkflows: open ? 1 : 0,
      oldestRunStart: start,
      newestRunStart: start,
      purposes: {},
      namespaces: {},
      runs: [this.run],
    };
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

/** A key id names a wrapped data key (and which KMS key wrapped it); once seen wrapped, always. */
function markWrapped(usage: KeyUsage, kmsKeyArn: string | undefined, subject = false): void {
  usage.wrapped = true;
  if (subject) usage.subject = true;
  if (kmsKeyArn !== undefined) usage.kmsKeyArn ??= kmsKeyArn;
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
    if (usage.wrapped) markWrapped(target, usage.kmsKeyArn, usage.subject === true);
    for (const [purpose, p] of Object.entries(usage.purposes)) mergeUsage(entry(target.purposes, purpose, zeroUsage), p);
  }
  for (const [arn, usage] of Object.entries(run.kmsKeys)) mergeKmsUsage(entry(into.kmsKeys, arn, zeroKmsUsage), usage);
  mergeFinding(into.pending, run.pending);
  mergeFinding(into.keyRules, run.keyRules);
  mergeFinding(into.malformed, run.malformed);
  mergeFinding(into.unopened, run.unopened);
  into.unopened.boxes += run.unopened.boxes;
  for (const [k, n] of Object.entries(run.unopened.codes)) into.unopened.codes[k] = (into.unopened.codes[k] ?? 0) + n;
  for (const [k, n] of Object.entries(run.keyRules.keys)) into.keyRules.keys[k] = (into.keyRules.keys[k] ?? 0) + n;
  for (const [k, n] of Object.entries(run.malformed.codes)) into.malformed.codes[k] = (into.malformed.codes[k] ?? 0) + n;
  into.failed.push(...run.failed);
  if (into.subject !== undefined && run.subject !== undefined) mergeSubject(into.subject, run.subject);
}

/** A run that holds the subject's boxes is listed (all of them, open ones first); one that may hide them only when it holds none. */
function mergeSubject(into: SubjectUsage, run: SubjectUsage): void {
  into.payloads += run.payloads;
  into.boxes += run.boxes;
  if (run.runs.length > 0) {
    into.runs = [...into.runs, ...run.runs].sort((a, b) => Number(b.open) - Number(a.open) || (b.start ?? 0) - (a.start ?? 0));
    return;
  }
  into.unchecked.workflows += run.unchecked.workflows;
  into.unchecked.openWorkflows += run.unchecked.openWorkflows;
  into.unchecked.runs = [...into.unchecked.runs, ...run.unchecked.runs]
    .sort((a, b) => Number(b.open) - Number(a.open) || (b.start ?? 0) - (a.start ?? 0))
    .slice(0, MAX_RUNS);
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

function zeroKmsUsage(): KmsKeyUsage {
  return {
    payloads: 0,
    boxes: 0,
    workflows: 0,
    openWorkflows: 0,
    oldestRunStart: null,
    newestRunStart: null,
    purposes: {},
    namespaces: {},
    runs: [],
  };
}

function mergeKmsUsage(into: KmsKeyUsage, from: KmsKeyUsage): void {
  into.payloads += from.payloads;
  into.boxes += from.boxes;
  into.workflows += from.workflows;
  into.openWorkflows += from.openWorkflows;
  into.oldestRunStart = earliest(into.oldestRunStart, from.oldestRunStart);
  into.newestRunStart = latest(into.newestRunStart, from.newestRunStart);
  for (const [k, n] of Object.entries(from.purposes)) into.purposes[k] = (into.purposes[k] ?? 0) + n;
  for (const [k, n] of Object.entries(from.namespaces)) into.namespaces[k] = (into.namespaces[k] ?? 0) + n;
  // The runs that keep the key needed longest first: open ones, then the newest.
  into.runs = [...into.runs, ...from.runs]
    .sort((a, b) => Number(b.open) - Number(a.open) || (b.start ?? 0) - (a.start ?? 0))
    .slice(0, MAX_RUNS);
}

function earliest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function latest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

function mergeFinding(into: Finding, from: Finding): void {
  into.payloads += from.payloads;
  into.workflows += from.workflows;
  into.examples.push(...from.examples.slice(0, Math.max(0, MAX_EXAMPLES - into.examples.length)));
}
