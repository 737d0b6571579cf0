import { line, type TextSink } from '../io';
import type { Finding, ScanTotals, Usage } from './tally';

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
  keys: Array<UsageReport & { keyId: string; purposes: Array<UsageReport & { purpose: string }> }>;
  pending: Finding;
  keyRules: ScanTotals['keyRules'];
  malformed: ScanTotals['malformed'];
  /** Version 2 payloads with boxes scan could not look into: without a keyring (--check-keyring, --keyring) all of them. */
  unopened: ScanTotals['unopened'];
  failed: ScanTotals['failed'];
  /**
   * Keys named with --retire. Not safe when a scanned payload needs the key (`needed`), when
   * boxes scan could not look into may hold it (`unopened`), or when the scan is incomplete.
   */
  retire: Array<{ keyId: string; payloads: number; workflows: number; safeToRemove: boolean; reason?: RetireReason }>;
  /** With --check-keyring: key ids some history needs that the keyring lacks (null: not checked). */
  missingKeys: string[] | null;
  /** Names of the problems found: pending, keyRules, malformed, failed, retire, missingKeys. Empty means exit 0. */
  problems: string[];
}

export type RetireReason = 'needed' | 'unopened' | 'incomplete';

/** What the report is built from; `held` is the keyring's key ids when --check-keyring asked for it. */
export interface ReportInput {
  address: string;
  namespace: string;
  query: string | null;
  complete: boolean;
  retire: string[];
  held?: ReadonlySet<string> | undefined;
  totals: ScanTotals;
}

export function buildReport(input: ReportInput): ScanReport {
  const t = input.totals;
  const keys = Object.entries(t.keys)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([keyId, usage]) => ({
      keyId,
      ...iso(usage),
      purposes: Object.entries(usage.purposes)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([purpose, p]) => ({ purpose, ...iso(p) })),
    }));
  const retire = input.retire.map((keyId) => {
    const usage = t.keys[keyId];
    // A key may be needed only inside boxes scan did not open: then nothing says it is unused.
    const reason: RetireReason | undefined =
      usage !== undefined ? 'needed' : t.unopened.boxes > 0 ? 'unopened' : input.complete ? undefined : 'incomplete';
    return {
      keyId,
      payloads: usage?.payloads ?? 0,
      workflows: usage?.workflows ?? 0,
      safeToRemove: reason === undefined,
      ...(reason === undefined ? {} : { reason }),
    };
  });
  const { workflows, events, payloads, sealedPayloads, clearPayloads, otherPayloads } = t;
  const report = {
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
  };
  const held = input.held;
  const missingKeys = held === undefined ? null : keys.map((k) => k.keyId).filter((id) => !held.has(id));
  const findings = {
    pending: t.pending,
    keyRules: t.keyRules,
    malformed: t.malformed,
    unopened: t.unopened,
    failed: t.failed,
    retire,
    missingKeys,
  };
  return { ...report, keys, ...findings, problems: problemsOf(t, retire, missingKeys) };
}

function problemsOf(t: ScanTotals, retire: ScanReport['retire'], missingKeys: string[] | null): string[] {
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
  const time = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  return { payloads: usage.payloads, workflows: usage.workflows, oldest: time(usage.oldest), newest: time(usage.newest) };
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
  for (const k of r.retire) line(out, retireText(k, r));
  if (r.missingKeys !== null && r.missingKeys.length > 0)
    line(out, `problem: histories need keys the keyring lacks: ${r.missingKeys.join(', ')}`);
  line(out, r.problems.length === 0 ? 'no problems' : `problems: ${r.problems.join(', ')}`);
}

function unopenedText(r: ScanReport): string {
  return `cannot see inside ${r.unopened.boxes} sealed boxes (${r.unopened.payloads} payloads in ${r.unopened.workflows} workflow runs) without their keys`;
}

function retireText(k: ScanReport['retire'][number], r: ScanReport): string {
  if (k.reason === undefined) return `retire ${k.keyId}: no scanned history needs it`;
  if (k.reason === 'needed')
    return `retire ${k.keyId}: NOT safe, still needed by ${k.payloads} payloads in ${k.workflows} workflow runs${r.complete ? '' : ' (and scan incomplete)'}`;
  if (k.reason === 'unopened')
    return `retire ${k.keyId}: NOT known to be unused: ${unopenedText(r)}, and it may be needed in there (scan with --keyring FILE or --check-keyring, holding every key, to look inside)${r.complete ? '' : ' (and scan incomplete)'}`;
  return `retire ${k.keyId}: NOT safe, scan incomplete`;
}

function printKeys(out: TextSink, r: ScanReport): void {
  if (r.keys.length === 0) {
    line(out, 'no sealed payloads');
    return;
  }
  line(out, pad(['key id', 'purpose', 'payloads', 'workflows', 'oldest event', 'newest event']));
  for (const k of r.keys) {
    line(out, pad([k.keyId, '(any)', String(k.payloads), String(k.workflows), k.oldest ?? '-', k.newest ?? '-']));
    for (const p of k.purposes) line(out, pad(['', p.purpose, String(p.payloads), String(p.workflows), p.oldest ?? '-', p.newest ?? '-']));
  }
}

function printFinding(out: TextSink, f: Finding, what: string): void {
  if (f.payloads === 0) return;
  line(out, `problem: ${f.payloads} payloads in ${f.workflows} workflow runs ${what}`);
  for (const e of f.examples.slice(0, 5)) line(out, `  e.g. ${e.workflowId} (run ${e.runId}) event ${e.eventId} ${e.eventType}`);
}

function pad(cells: string[]): string {
  const widths = [12, 12, 9, 10, 25, 25];
  return cells
    .map((c, i) => c.padEnd(widths[i] ?? 0))
    .join(' ')
    .trimEnd();
}
