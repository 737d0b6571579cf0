import { line, type TextSink } from '../io';
import { runText } from '../scan/report';
import type { ForgetReport } from './forget';

const RUNS_SHOWN = 50;

/** The text report of `forget`: the subject and its store, the runs read, then what was (or would be) done. */
export function printForget(out: TextSink, r: ForgetReport): void {
  printSubjectInStore(out, r);
  printRunsRead(out, r);
  printRunsNotSeen(out, r);
  printKeysNotInStore(out, r);
  if (r.outcome === 'refused' || r.outcome === 'would-refuse') {
    printRefusal(out, r);
    return;
  }
  if (r.openRuns.length > 0)
    line(
      out,
      `warning: ${r.openRuns.length} open workflow runs hold values of the subject (--allow-open-runs): they see tombstones from now on`,
    );
  if (r.record === null) printDryRun(out, r);
  else printErased(out, r, r.record);
}

function printSubjectInStore(out: TextSink, r: ForgetReport): void {
  line(out, `data subject ${r.subjectHash} (subject key store: ${r.store})`);
  if (r.forgottenBefore !== null) line(out, `note: this subject was forgotten before, at ${r.forgottenBefore}: its keys are gone already`);
  else if (r.keysHeld !== null) line(out, `the store holds ${r.keysHeld} keys of this subject (one per purpose)`);
}

/** How many runs were read where, and the runs that hold values of the subject (open ones first). */
function printRunsRead(out: TextSink, r: ForgetReport): void {
  const where = `${r.namespaces.length === 1 ? `namespace ${r.namespaces[0]}` : `namespaces ${r.namespaces.join(', ')}`}${r.query === null ? '' : ` (query: ${r.query})`}`;
  const runs = r.openRuns.length + r.closedRuns.length;
  line(
    out,
    `read ${r.workflowsRead} workflow runs in ${where}: ${runs} hold values of the subject (${r.payloads} payloads, ${r.boxes} boxes), ${r.openRuns.length} of them open`,
  );
  for (const run of [...r.openRuns, ...r.closedRuns].slice(0, RUNS_SHOWN)) line(out, `  ${runText(run)}, ${run.payloads} payloads`);
  if (runs > RUNS_SHOWN) line(out, `  ... and ${runs - RUNS_SHOWN} more (--json lists them all)`);
}

/** Histories that could not be read, and runs whose boxes forget could not look into. */
function printRunsNotSeen(out: TextSink, r: ForgetReport): void {
  for (const f of r.failed)
    line(out, `problem: history of ${f.workflowId} (run ${f.runId}, namespace ${f.namespace}) could not be read: ${f.reason}`);
  if (r.unchecked.workflows > 0) {
    line(
      out,
      `note: ${r.unchecked.workflows} other workflow runs (${r.unchecked.openWorkflows} open) have sealed boxes forget could not look into: values of the subject sealed inside other values there are not seen (give the keyring or the --kms-* flags to look inside)`,
    );
    for (const run of r.unchecked.runs.slice(0, 5)) line(out, `  e.g. ${runText(run)}`);
  }
}

function printKeysNotInStore(out: TextSink, r: ForgetReport): void {
  if (r.keysNotInStore.length > 0)
    line(
      out,
      `warning: ${r.keysNotInStore.length} of these runs hold values under subject keys this store does not hold (${[
        ...new Set(r.keysNotInStore.flatMap((run) => run.keyIds)),
      ]
        .filter((id) => !(r.keyIdsHeld ?? []).includes(id))
        .slice(0, 5)
        .join(', ')}): erasing here does not reach them; they open wherever those keys are (another store?)`,
    );
}

function printRefusal(out: TextSink, r: ForgetReport): void {
  const why = r.refusedBecause.map((reason) => refusalText(r, reason)).join('; ');
  line(out, `${r.dryRun ? 'would refuse' : 'REFUSED, nothing destroyed or recorded'}: ${why}.`);
}

/** One reason to refuse, for people: what was found and what to do about it. */
function refusalText(r: ForgetReport, reason: ForgetReport['refusedBecause'][number]): string {
  const runs = r.openRuns.length + r.closedRuns.length;
  switch (reason) {
    case 'open-runs':
      return `${r.openRuns.length} open workflow runs hold values of the subject (listed above as OPEN): a run that replays after the erasure sees tombstones where it saw values. Let the runs close (or terminate them) and run forget again, or give --allow-open-runs`;
    case 'unread-runs':
      return `${r.failed.length} histories could not be read: they may hold values of the subject in open runs. Run forget again, or give --allow-open-runs`;
    case 'unchecked-open-runs':
      return `${r.unchecked.openWorkflows} open workflow runs have sealed boxes forget could not look into: values of the subject may be sealed inside them. Give the keyring or the --kms-* flags so forget can look inside, let the runs close, or give --allow-open-runs`;
    case 'nothing-found':
      return "nothing of this subject found: the store holds no key and no tombstone of it, and no run read holds its values. Check the id (exactly as the application names it) and SEALED_FIELDS_SUBJECT_INDEX_KEY (the workers' value). To record the erasure of a subject whose data never reached this system, give --record-anyway";
    case 'store-privileges':
      return `the subject key store's credentials may not do what forget does: missing ${(r.missingStoreAccess ?? []).join(', ')}. Run forget with the credentials (the role) docs/ERASURE.md gives it ("PostgreSQL with least privilege"), or grant what is missing`;
    case 'store-holds-nothing':
      return `the store holds nothing of this subject although ${runs} runs hold its values: wrong store or wrong SEALED_FIELDS_SUBJECT_INDEX_KEY? Check --subject-store and --subject-store-schema (the store the workers use); --record-anyway records the erasure all the same`;
    default:
      return reason;
  }
}

function printDryRun(out: TextSink, r: ForgetReport): void {
  line(
    out,
    `dry run: forget would destroy the subject's keys now${r.keysHeld === null ? '' : ` (${r.keysHeld})`}; nothing was destroyed or recorded`,
  );
  line(
    out,
    r.missingStoreAccess === null
      ? 'note: the subject key store could not be checked for the privileges forget needs (it has no checkForgetAccess): the real run finds out'
      : "the subject key store's credentials allow what forget does (checked, nothing written)",
  );
  const reached = reachedClosedRuns(r);
  if (reached > 0) line(out, `${reached} closed workflow runs would show [erased:<purpose>] in place of the subject's values`);
}

function printErased(out: TextSink, r: ForgetReport, record: NonNullable<ForgetReport['record']>): void {
  line(
    out,
    `erased: ${record.keysDestroyed} keys destroyed at ${record.at} by ${record.actor}${record.reason === undefined ? '' : ` (reason: ${record.reason})`}`,
  );
  line(out, `audit record: ${JSON.stringify(record)}`);
  const reached = reachedClosedRuns(r);
  if (reached > 0)
    line(
      out,
      r.forgottenBefore === null
        ? `${reached} closed workflow runs now show [erased:<purpose>] in place of the subject's values (listed above): their boxes name the keys just destroyed`
        : `${reached} closed workflow runs show [erased:<purpose>] in place of the subject's values wherever this store is used (listed above): its tombstone covers them`,
    );
}

/** Closed runs whose every subject box names a key this store held (or that its earlier tombstone covers). */
function reachedClosedRuns(r: ForgetReport): number {
  const outside = new Set(r.keysNotInStore.map((run) => `${run.namespace}/${run.workflowId}/${run.runId}`));
  return r.closedRuns.filter((run) => !outside.has(`${run.namespace}/${run.workflowId}/${run.runId}`)).length;
}
