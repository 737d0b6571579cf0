import { line, type TextSink } from '../io';
import type { SubjectKeyCensus } from './subject-key-census';
import type { Finding, KmsKeyUsage, RunInfo, ScanTotals, SubjectUsage, Usage } from './tally';

/** Usage with ISO times, as printed. */
export interface UsageReport {
  payloads: number;
  workflows: number;
  oldest: string | null;
  newest: string | null;
}

type Counts = Pick<ScanTotals, 'workflows' | 'events' | 'payloads' | 'sealedPayloads' | 'clearPayloads' | 'otherPayloads'>;

/** What `scan --json` prints. Ids, counts and times only. */
export interface ScanReport extends Counts {
  address: string;
  namespace: string;
  query: string | null;
  complete: boolean;
  /**
   * Every key id, static keys and data keys alike. A data key wrapped by a KMS is marked `wrapped`,
   * with the ARN of the AWS KMS key that wrapped it (`kmsKeyArn`); the text report lists those under
   * their KMS key instead.
   */
  keys: Array<
    UsageReport & { keyId: string; wrapped?: true; kmsKeyArn?: string; subject?: true; purposes: Array<UsageReport & { purpose: string }> }
  >;
  /** Per AWS KMS key, from the wrapped data keys in box headers (no KMS call): what still needs it. */
  kmsKeys: KmsKeyReport[];
  pending: Finding;
  keyRules: ScanTotals['keyRules'];
  malformed: ScanTotals['malformed'];
  /** Version 2 payloads with boxes scan could not look into: without a keyring (--check-keyring, --keyring) all of them. */
  unopened: ScanTotals['unopened'];
  failed: ScanTotals['failed'];
  /**
   * Keys named with --retire. Not safe when a scanned payload needs the key (`needed`), when it
   * wraps data subject keys in the subject key store (`subjectKeys`, counted with --subject-store),
   * when boxes scan could not look into may hold it (`unopened`), or when the scan is incomplete.
   */
  retire: Array<{
    keyId: string;
    payloads: number;
    workflows: number;
    /** Subject keys in the store wrapped under this key (only when the store was checked). */
    subjectKeys?: number;
    safeToRemove: boolean;
    reason?: RetireReason;
  }>;
  /** KMS keys named with --retire-kms-key, judged as `retire` is; `kmsKeyArn` once a history names the key. */
  retireKmsKeys: Array<{
    kmsKeyId: string;
    kmsKeyArn?: string;
    payloads: number;
    workflows: number;
    openWorkflows: number;
    /** Subject keys in the store wrapped under data keys of this KMS key (only when the store was checked). */
    subjectKeys?: number;
    safeToRemove: boolean;
    reason?: RetireReason;
  }>;
  /**
   * With --check-keyring: key ids some history needs, or that wrap subject keys in the store, that
   * the keyring lacks (null: not checked).
   */
  missingKeys: string[] | null;
  /**
   * With a subject key store (--subject-store): its subject keys by the keyring key or KMS key that
   * wraps them, which must be kept as long as those keys are; null when not checked.
   */
  subjectKeys: SubjectKeyCensus | null;
  /** With --subject: the runs that hold values of that data subject (named by its keyed hash only); null otherwise. */
  subject: SubjectReport | null;
  /** Names of the problems found: pending, keyRules, malformed, failed, retire, missingKeys. Empty means exit 0. */
  problems: string[];
}

/** A workflow run as reports list it (times in ISO form). */
export interface RunReport {
  namespace: string;
  workflowId: string;
  runId: string;
  start: string | null;
  open: boolean;
}

/**
 * What retained histories hold of one data subject, named by its keyed hash: the payloads and boxes
 * sealed under its keys, and every run holding one (`runs`, open ones first; `openWorkflows` of
 * them still running). `unchecked`: runs without such a box whose sealed boxes scan could not all
 * look into (no keyring, or keys missing), where the subject's values may be sealed unseen.
 */
export interface SubjectReport {
  subjectHash: string;
  payloads: number;
  boxes: number;
  workflows: number;
  openWorkflows: number;
  /** `keyIds`: the subject key ids the run's boxes of the subject name (which store keys open them). */
  runs: Array<RunReport & { payloads: number; keyIds: string[] }>;
  unchecked: { workflows: number; openWorkflows: number; runs: RunReport[] };
  /** With a subject key store: when the store forgot the subject (its tombstone), or null; absent without a store. */
  forgottenAt?: string | null;
}

/**
 * What retained histories need of one AWS KMS key. Its data keys (`dataKeyIds`: one per
 * generation, as box headers name them), the payloads and boxes sealed under them, their purposes
 * and namespaces (`''`: an envelope bound to none), and the runs: how many, how many are still
 * open (`openWorkflows`; an open run needs the key until it closes), the start times of the oldest
 * and newest, and up to 20 of them, open ones first, then the newest.
 */
export interface KmsKeyReport {
  kmsKeyArn: string;
  payloads: number;
  boxes: number;
  dataKeys: number;
  dataKeyIds: string[];
  purposes: string[];
  namespaces: string[];
  workflows: number;
  openWorkflows: number;
  oldestRunStart: string | null;
  newestRunStart: string | null;
  runs: Array<{ workflowId: string; runId: string; start: string | null; open: boolean }>;
}

export type RetireReason = 'needed' | 'subjectKeys' | 'unopened' | 'incomplete';

/** What the report is built from; `held` is the keyring's key ids when --check-keyring asked for it. */
export interface ReportInput {
  address: string;
  namespace: string;
  query: string | null;
  complete: boolean;
  retire: string[];
  /** KMS keys (ARNs or key ids) named with --retire-kms-key. */
  retireKmsKeys?: string[];
  held?: ReadonlySet<string> | undefined;
  /** The subject key store's keys by wrapping key, when the store was checked. */
  subjectKeys?: SubjectKeyCensus | undefined;
  totals: ScanTotals;
}

export function buildReport(input: ReportInput): ScanReport {
  const t = input.totals;
  const keys = keyReports(t);
  const kmsKeys = kmsKeysOf(t, keys);
  const retire = retireReports(input);
  const retireKmsKeys = retireKmsKeyReports(input, kmsKeys);
  const missingKeys = missingKeysOf(input, keys);
  const { workflows, events, payloads, sealedPayloads, clearPayloads, otherPayloads } = t;
  return {
    address: input.address,
    namespace: input.namespace,
    query: input.query,
    complete: input.complete,
    workflows,
    events,
    payloads,
    sealedPayloads,
    clearPayloads,
    otherPayloads,
    keys,
    kmsKeys,
    pending: t.pending,
    keyRules: t.keyRules,
    malformed: t.malformed,
    unopened: t.unopened,
    failed: t.failed,
    retire,
    retireKmsKeys,
    missingKeys,
    subjectKeys: input.subjectKeys ?? null,
    subject: t.subject === undefined ? null : subjectReport(t.subject, input.namespace),
    problems: problemsOf(t, [...retire, ...retireKmsKeys], missingKeys),
  };
}

/** Every key id by name, each with its purposes by name. */
function keyReports(t: ScanTotals): ScanReport['keys'] {
  return Object.entries(t.keys)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([keyId, usage]) => ({
      keyId,
      ...(usage.wrapped && { wrapped: true as const }),
      ...(usage.kmsKeyArn !== undefined && { kmsKeyArn: usage.kmsKeyArn }),
      ...(usage.subject && { subject: true as const }),
      ...iso(usage),
      purposes: Object.entries(usage.purposes)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([purpose, p]) => ({ purpose, ...iso(p) })),
    }));
}

function retireReports(input: ReportInput): ScanReport['retire'] {
  const census = input.subjectKeys;
  return input.retire.map((keyId) => {
    const usage = input.totals.keys[keyId];
    const subjectKeys = subjectKeysWrappedBy(census, (w) => w.dataKey !== true && w.keyId === keyId);
    const reason = retireReason(input, usage !== undefined, subjectKeys);
    return {
      keyId,
      payloads: usage?.payloads ?? 0,
      workflows: usage?.workflows ?? 0,
      ...(census !== undefined && { subjectKeys }),
      safeToRemove: reason === undefined,
      ...(reason === undefined ? {} : { reason }),
    };
  });
}

function retireKmsKeyReports(input: ReportInput, kmsKeys: KmsKeyReport[]): ScanReport['retireKmsKeys'] {
  const census = input.subjectKeys;
  return (input.retireKmsKeys ?? []).map((kmsKeyId) => {
    const found = kmsKeys.find((k) => sameKmsKey(k.kmsKeyArn, kmsKeyId));
    const subjectKeys = subjectKeysWrappedBy(census, (w) => w.kmsKeyArn !== undefined && sameKmsKey(w.kmsKeyArn, kmsKeyId));
    const reason = retireReason(input, found !== undefined, subjectKeys);
    return {
      kmsKeyId,
      ...(found !== undefined && { kmsKeyArn: found.kmsKeyArn }),
      payloads: found?.payloads ?? 0,
      workflows: found?.workflows ?? 0,
      openWorkflows: found?.openWorkflows ?? 0,
      ...(census !== undefined && { subjectKeys }),
      safeToRemove: reason === undefined,
      ...(reason === undefined ? {} : { reason }),
    };
  });
}

/**
 * Why a key may not be retired; undefined when it may. A key may be needed only inside boxes scan did
 * not open: then nothing says it is unused. A key that wraps subject keys in the store is needed by
 * every box of those subjects, past and future.
 */
function retireReason(input: ReportInput, needed: boolean, wrapsSubjectKeys: number): RetireReason | undefined {
  if (needed) return 'needed';
  if (wrapsSubjectKeys > 0) return 'subjectKeys';
  if (input.totals.unopened.boxes > 0) return 'unopened';
  return input.complete ? undefined : 'incomplete';
}

/** How many subject keys in the store the matching wrapping keys wrap (0 when the store was not checked). */
function subjectKeysWrappedBy(
  census: SubjectKeyCensus | undefined,
  match: (w: SubjectKeyCensus['wrappingKeys'][number]) => boolean,
): number {
  return census?.wrappingKeys.filter(match).reduce((n, w) => n + w.subjectKeys, 0) ?? 0;
}

/**
 * With --check-keyring, the static key ids the keyring lacks. A keyring never holds data keys wrapped
 * by a KMS: only static key ids can be missing from it. Keys that wrap subject keys are needed as much
 * as those of the histories.
 */
function missingKeysOf(input: ReportInput, keys: ScanReport['keys']): string[] | null {
  const held = input.held;
  if (held === undefined) return null;
  const wrappers = input.subjectKeys?.wrappingKeys.filter((w) => w.dataKey !== true).map((w) => w.keyId) ?? [];
  const staticIds = [...new Set([...keys.filter((k) => !k.wrapped).map((k) => k.keyId), ...wrappers])].sort();
  return staticIds.filter((keyId) => !held.has(keyId));
}

/** The subject's usage as reported: runs with their namespace and ISO start times. */
export function subjectReport(usage: SubjectUsage, namespace: string): SubjectReport {
  const run = (r: RunInfo): RunReport => ({ namespace, workflowId: r.workflowId, runId: r.runId, start: isoTime(r.start), open: r.open });
  return {
    subjectHash: usage.subjectHash,
    payloads: usage.payloads,
    boxes: usage.boxes,
    workflows: usage.runs.length,
    openWorkflows: usage.runs.filter((r) => r.open).length,
    runs: usage.runs.map((r) => ({ ...run(r), payloads: r.payloads, keyIds: r.keyIds ?? [] })),
    unchecked: { workflows: usage.unchecked.workflows, openWorkflows: usage.unchecked.openWorkflows, runs: usage.unchecked.runs.map(run) },
  };
}

function kmsKeysOf(t: ScanTotals, keys: ScanReport['keys']): KmsKeyReport[] {
  return Object.entries(t.kmsKeys)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kmsKeyArn, usage]) =>
      kmsKeyReport(
        kmsKeyArn,
        usage,
        keys.filter((k) => k.kmsKeyArn === kmsKeyArn).map((k) => k.keyId),
      ),
    );
}

function kmsKeyReport(kmsKeyArn: string, usage: KmsKeyUsage, dataKeyIds: string[]): KmsKeyReport {
  return {
    kmsKeyArn,
    payloads: usage.payloads,
    boxes: usage.boxes,
    dataKeys: dataKeyIds.length,
    dataKeyIds: [...dataKeyIds].sort(),
    purposes: Object.keys(usage.purposes).sort(),
    namespaces: Object.keys(usage.namespaces).sort(),
    workflows: usage.workflows,
    openWorkflows: usage.openWorkflows,
    oldestRunStart: isoTime(usage.oldestRunStart),
    newestRunStart: isoTime(usage.newestRunStart),
    runs: usage.runs.map((run: RunInfo) => ({ workflowId: run.workflowId, runId: run.runId, start: isoTime(run.start), open: run.open })),
  };
}

/** A KMS key ARN and a key given as its ARN or bare key id (`1234abcd-...`, `mrk-...`) name the same key. */
export function sameKmsKey(arn: string, given: string): boolean {
  return arn === given || arn.endsWith(`:key/${given}`);
}

function problemsOf(t: ScanTotals, retire: Array<{ safeToRemove: boolean }>, missingKeys: string[] | null): string[] {
  const problems: string[] = [];
  if (t.pending.payloads > 0) problems.push('pending');
  if (t.keyRules.payloads > 0) problems.push('keyRules');
  if (t.malformed.payloads > 0) problems.push('malformed');
  if (t.failed.length > 0) problems.push('failed');
  if (retire.some((r) => !r.safeToRemove)) problems.push('retire');
  if (missingKeys !== null && missingKeys.length > 0) problems.push('missingKeys');
  return problems;
}

function iso(usage: Usage): UsageReport {
  return { payloads: usage.payloads, workflows: usage.workflows, oldest: isoTime(usage.oldest), newest: isoTime(usage.newest) };
}

function isoTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function printReport(out: TextSink, r: ScanReport): void {
  line(
    out,
    `namespace ${r.namespace}${r.query ? ` (query: ${r.query})` : ''}: ${r.workflows} workflow runs, ${r.events} events, ${r.payloads} payloads`,
  );
  line(
    out,
    `  ${r.sealedPayloads} sealed, ${r.clearPayloads} clear JSON, ${r.otherPayloads} other encodings${r.complete ? '' : '; INCOMPLETE (--max-workflows reached; rerun with the same --state)'}`,
  );
  printKeys(out, r);
  printKmsKeys(out, r);
  printFinding(
    out,
    r.pending,
    'carry sealed-pending metadata: sent without the SealingCodec (an inline list, from a workflow sandbox, holds the values in plaintext; a ref: reference holds none, and the values are lost)',
  );
  printFinding(
    out,
    r.keyRules,
    `have clear keys matching the sensitive-key rules (${Object.entries(r.keyRules.keys)
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ')})`,
  );
  printFinding(
    out,
    r.malformed,
    `have unreadable sealed envelopes (${Object.entries(r.malformed.codes)
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ')})`,
  );
  for (const f of r.failed) line(out, `problem: history of ${f.workflowId} (run ${f.runId}) could not be read: ${f.reason}`);
  if (r.unopened.boxes > 0) line(out, `note: ${unopenedText(r)}: key ids sealed inside them are not counted above`);
  if (r.subject !== null) printSubject(out, r.subject);
  if (r.subjectKeys !== null) printSubjectKeys(out, r.subjectKeys);
  else if (r.retire.length > 0 || r.retireKmsKeys.length > 0 || r.missingKeys !== null)
    line(
      out,
      'note: data subject keys are not checked: a keyring or KMS key may still wrap subject keys in a subject key store, and removing it makes those subjects unreadable (give --subject-store to count them)',
    );
  for (const k of r.retire) line(out, retireText(k, r));
  for (const k of r.retireKmsKeys) line(out, retireKmsText(k, r));
  if (r.missingKeys !== null && r.missingKeys.length > 0)
    line(out, `problem: histories need keys the keyring lacks: ${r.missingKeys.join(', ')}`);
  line(out, r.problems.length === 0 ? 'no problems' : `problems: ${r.problems.join(', ')}`);
}

function unopenedText(r: ScanReport): string {
  const codes = Object.entries(r.unopened.codes).map(([code, n]) => `${code}: ${n}`);
  const failed = codes.length === 0 ? '' : `; fetching keys failed for some (${codes.join(', ')})`;
  return `cannot see inside ${r.unopened.boxes} sealed boxes (${r.unopened.payloads} payloads in ${r.unopened.workflows} workflow runs) without their keys${failed}`;
}

/** The subject key store's keys by wrapping key, in one line per key. */
function printSubjectKeys(out: TextSink, c: SubjectKeyCensus): void {
  line(out, `data subject key store: ${c.keys} subject keys${c.unreadable > 0 ? ` (${c.unreadable} unreadable)` : ''}`);
  for (const w of c.wrappingKeys) {
    const name =
      w.kmsKeyArn !== undefined ? `KMS key ${w.kmsKeyArn} (data key ${w.keyId})` : `${w.dataKey ? 'data key' : 'keyring key'} ${w.keyId}`;
    line(out, `  ${w.subjectKeys} wrapped under ${name}; purposes: ${w.purposes.join(', ')}`);
  }
}

const SUBJECT_KEYS_TEXT = 'removing it makes those subjects unreadable, as if forgotten';

function retireText(k: ScanReport['retire'][number], r: ScanReport): string {
  if (k.reason === undefined)
    return `retire ${k.keyId}: no scanned history needs it${k.subjectKeys === 0 ? ', and it wraps no subject key' : ''}`;
  if (k.reason === 'subjectKeys')
    return `retire ${k.keyId}: NOT safe, it wraps ${k.subjectKeys} data subject keys in the subject key store (${SUBJECT_KEYS_TEXT})`;
  if (k.reason === 'needed')
    return `retire ${k.keyId}: NOT safe, still needed by ${k.payloads} payloads in ${k.workflows} workflow runs${r.complete ? '' : ' (and scan incomplete)'}`;
  if (k.reason === 'unopened')
    return `retire ${k.keyId}: NOT known to be unused: ${unopenedText(r)}, and it may be needed in there (scan with --keyring FILE or --check-keyring, holding every key, to look inside)${r.complete ? '' : ' (and scan incomplete)'}`;
  return `retire ${k.keyId}: NOT safe, scan incomplete`;
}

function retireKmsText(k: ScanReport['retireKmsKeys'][number], r: ScanReport): string {
  const name = `retire KMS key ${k.kmsKeyId}`;
  const incomplete = r.complete ? '' : ' (and scan incomplete)';
  if (k.reason === undefined)
    return `${name}: no scanned history needs it${k.subjectKeys === 0 ? ', and it wraps no subject key' : ''} (disable it first, delete later: see docs/KEYS.md)`;
  if (k.reason === 'subjectKeys')
    return `${name}: NOT safe, it wraps the data keys of ${k.subjectKeys} data subject keys in the subject key store (${SUBJECT_KEYS_TEXT})`;
  if (k.reason === 'needed')
    return `${name}: NOT safe, still needed by ${k.payloads} payloads in ${k.workflows} workflow runs (${k.openWorkflows} open)${incomplete}`;
  if (k.reason === 'unopened')
    return `${name}: NOT known to be unused: ${unopenedText(r)}, and it may be needed in there (scan with the --kms-* flags and the keyring, able to open every box, to look inside)${incomplete}`;
  return `${name}: NOT safe, scan incomplete`;
}

const SUBJECT_RUNS_SHOWN = 50;

/** The runs holding a data subject's values, open ones first; the subject by its hash only. */
export function printSubject(out: TextSink, s: SubjectReport): void {
  line(
    out,
    `data subject ${s.subjectHash}: ${s.payloads} payloads (${s.boxes} boxes) in ${s.workflows} workflow runs, ${s.openWorkflows} of them open`,
  );
  if (typeof s.forgottenAt === 'string')
    line(
      out,
      `this subject was forgotten at ${s.forgottenAt} (the subject key store holds its tombstone): its values below show [erased:<purpose>] wherever this store is used`,
    );
  else if (s.forgottenAt === null) line(out, 'the subject key store holds no tombstone of this subject: it was not forgotten');
  for (const run of s.runs.slice(0, SUBJECT_RUNS_SHOWN)) line(out, `  ${runText(run)}, ${run.payloads} payloads`);
  if (s.runs.length > SUBJECT_RUNS_SHOWN) line(out, `  ... and ${s.runs.length - SUBJECT_RUNS_SHOWN} more (--json lists them all)`);
  if (s.unchecked.workflows > 0) {
    line(
      out,
      `note: ${s.unchecked.workflows} other workflow runs (${s.unchecked.openWorkflows} open) have sealed boxes scan could not look into: values of this subject sealed inside them are not seen (give the keyring and the subject key store to look inside)`,
    );
    for (const run of s.unchecked.runs.slice(0, RUNS_SHOWN)) line(out, `  e.g. ${runText(run)}`);
  }
}

/** One run for people: `OPEN   id (run r) started t`. */
export function runText(run: RunReport): string {
  return `${run.open ? 'OPEN  ' : 'closed'} ${run.workflowId} (run ${run.runId}${run.namespace === '' ? '' : `, namespace ${run.namespace}`}) started ${run.start ?? '-'}`;
}

function printKeys(out: TextSink, r: ScanReport): void {
  if (r.keys.length === 0) {
    line(out, 'no sealed payloads');
    return;
  }
  // Data keys of a KMS key are listed under it, subject keys in one line; the table shows static keys (and other sources' data keys).
  const listed = r.keys.filter((k) => k.kmsKeyArn === undefined && k.subject !== true);
  const subjectKeys = r.keys.filter((k) => k.subject === true);
  if (subjectKeys.length > 0) {
    const payloads = subjectKeys.reduce((n, k) => n + k.payloads, 0);
    const purposes = [...new Set(subjectKeys.flatMap((k) => k.purposes.map((p) => p.purpose)))].sort();
    line(
      out,
      `data subject keys: ${subjectKeys.length} key ids (in the subject key store), ${payloads} payloads; purposes: ${purposes.join(', ')}`,
    );
  }
  if (listed.length > 0) line(out, pad(['key id', 'purpose', 'payloads', 'workflows', 'oldest event', 'newest event']));
  for (const k of listed) {
    line(out, pad([k.keyId, '(any)', String(k.payloads), String(k.workflows), k.oldest ?? '-', k.newest ?? '-']));
    for (const p of k.purposes) line(out, pad(['', p.purpose, String(p.payloads), String(p.workflows), p.oldest ?? '-', p.newest ?? '-']));
  }
}

const DATA_KEYS_SHOWN = 10;
const RUNS_SHOWN = 5;

function printKmsKeys(out: TextSink, r: ScanReport): void {
  for (const k of r.kmsKeys) {
    line(out, `KMS key ${k.kmsKeyArn}`);
    line(
      out,
      `  ${k.payloads} payloads (${k.boxes} boxes) in ${k.workflows} workflow runs, ${k.openWorkflows} of them open; runs started ${k.oldestRunStart ?? '-'} to ${k.newestRunStart ?? '-'}`,
    );
    const shown = k.dataKeyIds.slice(0, DATA_KEYS_SHOWN).join(', ');
    const more = k.dataKeys > DATA_KEYS_SHOWN ? `, ... (${k.dataKeys - DATA_KEYS_SHOWN} more)` : '';
    line(out, `  ${k.dataKeys} data keys: ${shown}${more}`);
    line(out, `  purposes: ${k.purposes.join(', ')}; namespaces: ${k.namespaces.map((n) => (n === '' ? '(none)' : n)).join(', ')}`);
    for (const run of k.runs.slice(0, RUNS_SHOWN))
      line(out, `  e.g. ${run.workflowId} (run ${run.runId}) started ${run.start ?? '-'}${run.open ? ', OPEN' : ', closed'}`);
  }
}

function printFinding(out: TextSink, f: Finding, what: string): void {
  if (f.payloads === 0) return;
  line(out, `problem: ${f.payloads} payloads in ${f.workflows} workflow runs ${what}`);
  for (const e of f.examples.slice(0, 5))
    line(
      out,
      `  e.g. ${e.workflowId} (run ${e.runId}) event ${e.eventId} ${e.eventType}${e.payloadIndex === undefined ? '' : ` payload #${e.payloadIndex}`}`,
    );
}

function pad(cells: string[]): string {
  const widths = [12, 12, 9, 10, 25, 25];
  return cells
    .map((c, i) => c.padEnd(widths[i] ?? 0))
    .join(' ')
    .trimEnd();
}
