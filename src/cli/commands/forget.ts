import os from 'node:os';
import type { Connection } from '@temporalio/client';
import type { Keyring } from '../../codec/keyring';
import type { AwsKmsKeySource } from '../../codec/kms/aws-kms-key-source';
import type { ForgetRecord } from '../../keystore/subject-key-store';
import { boolFlag, intFlag, listFlag, noteRenamed, parseFlags, stringFlag, type Parsed } from '../args';
import type { Command } from '../command';
import { SealedOpener } from '../history/open-sealed';
import { EXIT, line, printHelp, usageError, type CliIo } from '../io';
import { KEYRING_ALIASES, KEYRING_FLAGS, keyringSourceOf, loadKeyring } from '../keyring-source';
import { KMS_FLAGS, KMS_FLAGS_HELP, kmsSourceOf, withKmsRegion } from '../kms-options';
import { DEFAULT_KEY_RULES } from '../scan/classify';
import { Progress } from '../scan/progress';
import { subjectReport, type RunReport } from '../scan/report';
import { scanNamespace } from '../scan/scanner';
import { newState } from '../scan/state';
import type { ScanTotals } from '../scan/tally';
import {
  checkSubjectSpacing,
  describeSubjectStore,
  openSubjectStore,
  storeError,
  SUBJECT_STORE_FLAGS,
  SUBJECT_STORE_FLAGS_HELP,
  subjectOf,
  subjectSetupOf,
  subjectStoreSpecOf,
  type SubjectSetup,
  withoutSubject,
} from '../subject-store';
import { printForget } from './forget-output';
import { connect } from './scan';

const HELP = `Usage: sealed-fields forget --subject ID|- [--subject-store STORE] [--actor NAME] [--reason TEXT]
                            [--namespace NS]... [--query QUERY] [--allow-open-runs] [--dry-run]
                            [--record-anyway] [--keyring FILE | --kms-key-id ID ...] [--json] [--quiet]
       sealed-fields forget --subject-hash HASH [the same options]
       sealed-fields forget --list-records [--subject-store STORE] [--json]

Erases one data subject (docs/ERASURE.md): destroys the subject's keys in the subject key
store, so that every value sealed under them, in every history, archive and export, can never
be opened again. Nothing in the histories changes.

First it reads the histories of the namespaces (as "scan --subject" does) and lists the
workflow runs that hold values of the subject:
  open runs    forget REFUSES while an open run holds values of the subject (exit 1, the
               runs listed): a workflow that replays after the erasure sees tombstones where
               it saw values, and code that branches on them, or reveals them, fails. Let the
               runs close (or terminate them) and run forget again, or give --allow-open-runs.
               It refuses too while some history could not be read.
  closed runs  decode with [erased:<purpose>] tombstones from then on (codec server, decode,
               workers); they are listed.
It refuses too (exit 1, nothing destroyed or recorded) when it finds nothing of the subject:
  nothing at all  the store holds no key and no tombstone of the subject, and no run read holds
               its values: a mistyped id, or another SEALED_FIELDS_SUBJECT_INDEX_KEY than the
               workers'. To record the erasure of a subject whose data never reached this
               system (the DPO's record), give --record-anyway.
  a wrong store   runs hold the subject's values but the store holds neither a key nor a
               tombstone of it: the store is not the one the workers use (or the index key
               differs). --record-anyway records it all the same (those runs stay readable
               wherever their keys are).
The store is never created: a store directory or tables that are not there (a typo in
--subject-store, a missing --subject-store-schema) is exit 2.
Then it destroys the keys (the store writes the audit record: who (--actor), when, why
(--reason), the subject's keyed hash and how many keys were destroyed; never the subject id)
and prints that record. Forgetting a subject again records again and destroys nothing more.
There is no undo. Processes that cached the subject's keys honour the erasure within their
cache TTL (SubjectKeys cacheTtlMs, 1 minute by default).

Output names the subject by its keyed hash only: the subject id is never printed, and a
workflow id that contains it shows <subject>. Values are never printed.

Options:
  --subject ID          the data subject id, as the application names it (@DataSubjectId,
                        secret(v, { subject })); "-": read it from the first line of stdin,
                        which keeps it out of process listings and shell history. Leading or
                        trailing white space is refused (exit 2)
  --subject-hash HASH   the subject's keyed hash instead of its id (base64url, as audit records
                        and scan name it): to re-apply erasures after restoring the store from a
                        backup (docs/ERASURE.md); the same checks as --subject. Without the
                        id, workflow ids that contain it are shown as they are (not <subject>)
  --list-records        print the store's audit records (forget's, oldest first; --json: an
                        array) and exit: needs only the store, not Temporal or the index key
  --record-anyway       destroy and record even when nothing of the subject is found (see above)
  --actor NAME          who asks, for the audit record (default: the OS user)
  --reason TEXT         why: a ticket, a legal basis (recommended; must not contain the id, in
                        any letter case)
  --namespace NS        a namespace whose histories to read (repeatable; default
                        $TEMPORAL_NAMESPACE or default)
  --query QUERY         visibility query narrowing the runs read (default: all runs)
  --allow-open-runs     erase even while open runs hold values of the subject (or some
                        history could not be read); the runs are listed
  --dry-run             read and report what forget would do; destroy nothing, record nothing;
                        also check that the store's credentials may do what forget does
                        (would refuse, exit 1, naming the missing privilege and table)
  --address HOST:PORT   Temporal frontend (default $TEMPORAL_ADDRESS or 127.0.0.1:7233)
  --concurrency N       histories read at once, 1..64 (default 4)
  --connect-timeout S   seconds to wait for the server (default 10)
  --json                machine-readable report on stdout
  --quiet               no progress on stderr
  -h, --help            this help

The subject key store (required: the same store and subject index key as the workers):
${SUBJECT_STORE_FLAGS_HELP}

Keys, to look inside sealed values (a subject's values sealed inside another value are seen
only then; without them, runs whose boxes could not be looked into are counted in a note):
  --keyring FILE        keyring JSON file (default: SEALED_FIELDS_* environment, when set)
  --env-prefix PREFIX   environment variable prefix (default SEALED_FIELDS)
${KMS_FLAGS_HELP}
TLS/API key: set TEMPORAL_API_KEY (implies TLS) or TEMPORAL_TLS=true.

Exit codes: 0 erased (--dry-run: forget would erase), 1 refused (open runs hold values of the
subject, histories could not be read, nothing of the subject found, or the store holds nothing
of a subject the histories hold; --dry-run: the store's credentials lack a privilege forget
needs) or the store failed, 2 bad arguments or settings (also: the
store is not there), 3 cannot reach the Temporal server or the subject key store (or it denies
the permission).`;

const OPTIONS = {
  subject: { type: 'string' },
  'subject-hash': { type: 'string' },
  'list-records': { type: 'boolean' },
  'record-anyway': { type: 'boolean' },
  actor: { type: 'string' },
  reason: { type: 'string' },
  namespace: { type: 'string', multiple: true },
  query: { type: 'string' },
  'allow-open-runs': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  address: { type: 'string' },
  concurrency: { type: 'string' },
  'connect-timeout': { type: 'string' },
  ...KEYRING_FLAGS,
  ...KMS_FLAGS,
  ...SUBJECT_STORE_FLAGS,
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

/** As `SubjectKeyStore.forget` checks them: a short actor, a reason of at most 1024 characters. */
const MAX_ACTOR_LENGTH = 256;
const MAX_REASON_LENGTH = 1024;

/** What `forget --json` prints: the subject by its keyed hash, the runs that hold its values, and what was done. */
export interface ForgetReport {
  subjectHash: string;
  /** The subject key store: `file DIRECTORY`, or the PostgreSQL URL without its password. */
  store: string;
  namespaces: string[];
  query: string | null;
  dryRun: boolean;
  /** `erased`; `refused` (nothing destroyed); with --dry-run `would-erase` or `would-refuse`. */
  outcome: 'erased' | 'refused' | 'would-erase' | 'would-refuse';
  /**
   * Why it refused (or would): open runs hold values of the subject, some histories could not be
   * read, nothing of the subject was found (`nothing-found`: no key, no tombstone, no run), or runs
   * hold its values while the store holds neither a key nor a tombstone (`store-holds-nothing`), or
   * (--dry-run only) the store's credentials lack a privilege forget needs (`store-privileges`: see `missingStoreAccess`).
   */
  refusedBecause: Array<'open-runs' | 'unread-runs' | 'unchecked-open-runs' | 'nothing-found' | 'store-holds-nothing' | 'store-privileges'>;
  /**
   * --dry-run: what the store's credentials may not do that forget does (`SubjectKeyStore.checkForgetAccess`:
   * e.g. `DELETE on "sealed_fields"."sealed_fields_subject_keys"`), empty when nothing is missing; null when not
   * checked (not a dry run: the real run finds out; or a store without `checkForgetAccess`).
   */
  missingStoreAccess: string[] | null;
  /** When the subject was forgotten before (the store's tombstone), or null. */
  forgottenBefore: string | null;
  /** The subject's keys in the store before this run (one per purpose it was sealed under); null when the store cannot list them. */
  keysHeld: number | null;
  /** The ids of those keys (`sk-...`), sorted; null when the store cannot list them. */
  keyIdsHeld: string[] | null;
  /** Workflow runs read, in every namespace. */
  workflowsRead: number;
  payloads: number;
  boxes: number;
  /** Runs still open that hold values of the subject. */
  openRuns: Array<RunReport & { payloads: number; keyIds: string[] }>;
  /** Closed runs that hold values of the subject (`keyIds`: the subject keys their boxes name). */
  closedRuns: Array<RunReport & { payloads: number; keyIds: string[] }>;
  /**
   * Runs (open or closed) whose boxes name a subject key this store did not hold: the erasure
   * does not reach them where those keys are kept (another store). Empty when the store forgot
   * the subject before (its keys are gone, the tombstone covers every box of the subject here).
   */
  keysNotInStore: Array<RunReport & { payloads: number; keyIds: string[] }>;
  /** Runs holding no box of the subject that scan could not look into entirely (no keyring, keys missing). */
  unchecked: { workflows: number; openWorkflows: number; runs: RunReport[] };
  /** Runs whose history could not be read. */
  failed: Array<{ namespace: string; workflowId: string; runId: string; reason: string }>;
  /** The store's audit record (the hash, never the id), once erased; null otherwise. */
  record: (Omit<ForgetRecord, 'at'> & { at: string }) | null;
}

async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(args, OPTIONS, false, KEYRING_ALIASES);
  if (boolFlag(parsed, 'help')) return printHelp(io, HELP);
  noteRenamed(io, 'forget', parsed);
  if (boolFlag(parsed, 'list-records')) return listRecords(parsed, io);
  const given = stringFlag(parsed, 'subject');
  const givenHash = stringFlag(parsed, 'subject-hash');
  if (given !== undefined && givenHash !== undefined) throw usageError('give --subject or --subject-hash, not both');
  if (given === undefined && givenHash === undefined)
    throw usageError('forget needs --subject ID (or --subject - to read it from stdin), or --subject-hash HASH');
  if (givenHash !== undefined && !isSubjectHash(givenHash))
    throw usageError('--subject-hash must be a subject keyed hash as audit records name it: base64url, 22 to 86 characters');
  const address = stringFlag(parsed, 'address') ?? io.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const namespaces = listFlag(parsed, 'namespace');
  if (namespaces.length === 0) namespaces.push(io.env.TEMPORAL_NAMESPACE ?? 'default');
  const concurrency = intFlag(parsed, 'concurrency', 4, 1, 64);
  const timeoutSeconds = intFlag(parsed, 'connect-timeout', 10, 1, 600);
  let subject: string | undefined;
  if (given !== undefined) {
    subject = await subjectOf(given, io);
    checkSubjectSpacing(subject);
  }
  const audit = auditOf(parsed, io, subject ?? (givenHash as string));
  const prefix = keyringSourceOf(parsed).prefix;
  const keyring = keyringOf(parsed, io);
  const withKms = stringFlag(parsed, 'kms-key-id') !== undefined;
  const kms = await kmsSourceOf(withKms ? withKmsRegion(parsed, io.env) : parsed, keyring);
  let subjects: SubjectSetup | undefined;
  let connection: Connection | undefined;
  try {
    // Never creates the store: a mistyped path or schema is an error (exit 2), not an empty store that says "0 keys".
    subjects = await subjectSetupOf(parsed, io, prefix, kms ?? keyring, { createTables: false, probe: true, defaultCacheTtlMs: 600_000 });
    if (subjects === undefined) throw usageError(`forget needs the subject key store: --subject-store STORE or ${prefix}_SUBJECT_STORE`);
    const setup = subjects;
    connection = await connect(address, timeoutSeconds, io, 'forget');
    const subjectHash = subject === undefined ? (givenHash as string) : setup.keys.subjectHash(subject);
    const report = await forget({ parsed, io, subject, subjectHash, audit, namespaces, concurrency, keyring, kms, setup, connection });
    output(io, subject === undefined ? report : withoutSubject(report, subject), boolFlag(parsed, 'json'));
    return report.outcome === 'erased' || report.outcome === 'would-erase' ? EXIT.ok : EXIT.problems;
  } finally {
    kms?.destroy();
    await subjects?.close();
    await connection?.close();
  }
}

interface ForgetInput {
  parsed: Parsed;
  io: CliIo;
  /** The subject id; undefined with --subject-hash. */
  subject: string | undefined;
  subjectHash: string;
  audit: { actor: string; reason?: string };
  namespaces: string[];
  concurrency: number;
  keyring: Keyring | undefined;
  kms: AwsKmsKeySource | undefined;
  setup: SubjectSetup;
  connection: Connection;
}

async function forget(input: ForgetInput): Promise<ForgetReport> {
  const { parsed, subjectHash, setup } = input;
  const query = stringFlag(parsed, 'query') ?? null;
  const found = await readHistories(input, query);
  const openRuns = found.runs.filter((r) => r.open);
  const refusedBecause = refusalsOfRuns(parsed, found, openRuns);
  const dryRun = boolFlag(parsed, 'dry-run');
  const forgottenBefore = await forgottenAt(setup, subjectHash);
  const keyIdsHeld = await keyIdsHeldBy(setup, subjectHash);
  // Nothing of the subject in the store (no key, no tombstone): a mistyped id, another index key, or another store.
  if (!boolFlag(parsed, 'record-anyway') && forgottenBefore === null && keyIdsHeld !== null && keyIdsHeld.length === 0)
    refusedBecause.push(found.runs.length === 0 ? 'nothing-found' : 'store-holds-nothing');
  // A dry run asks the store whether its credentials may do what the real run does (nothing written).
  const missingStoreAccess = dryRun ? await missingAccessOf(setup) : null;
  if (missingStoreAccess !== null && missingStoreAccess.length > 0) refusedBecause.push('store-privileges');
  const record = refusedBecause.length === 0 && !dryRun ? await destroyKeys(input) : null;
  const refused = refusedBecause.length > 0;
  return {
    subjectHash,
    store: setup.description,
    namespaces: input.namespaces,
    query,
    dryRun,
    outcome: dryRun ? (refused ? 'would-refuse' : 'would-erase') : refused ? 'refused' : 'erased',
    refusedBecause,
    missingStoreAccess,
    forgottenBefore,
    keysHeld: keyIdsHeld === null ? null : keyIdsHeld.length,
    keyIdsHeld,
    workflowsRead: found.workflowsRead,
    payloads: found.payloads,
    boxes: found.boxes,
    openRuns,
    closedRuns: found.runs.filter((r) => !r.open),
    keysNotInStore: keysNotInStoreOf(found.runs, forgottenBefore, keyIdsHeld),
    unchecked: { ...found.unchecked, runs: found.unchecked.runs.slice(0, 20) },
    failed: found.failed,
    record,
  };
}

/** What the histories of every namespace read hold of the subject. */
type Found = Pick<ForgetReport, 'workflowsRead' | 'payloads' | 'boxes' | 'unchecked' | 'failed'> & { runs: ForgetReport['openRuns'] };

/** Reads the histories of each namespace in turn, as `scan --subject` does. */
async function readHistories(input: ForgetInput, query: string | null): Promise<Found> {
  const { parsed, io, subjectHash, setup } = input;
  const opener =
    input.keyring === undefined && input.kms === undefined ? undefined : await SealedOpener.create(input.keyring, input.kms, setup.keys);
  const found: Found = {
    workflowsRead: 0,
    payloads: 0,
    boxes: 0,
    runs: [],
    unchecked: { workflows: 0, openWorkflows: 0, runs: [] },
    failed: [],
  };
  for (const namespace of input.namespaces) {
    const outcome = await scanNamespace({
      service: input.connection.workflowService,
      namespace,
      query,
      concurrency: input.concurrency,
      rules: DEFAULT_KEY_RULES,
      opener,
      subjectHash,
      state: newState(namespace, query, subjectHash),
      progress: (total) => new Progress(io.stderr, total, !boolFlag(parsed, 'quiet')),
    });
    addNamespace(found, outcome.state.totals, namespace, subjectHash);
  }
  return found;
}

function addNamespace(found: Found, totals: ScanTotals, namespace: string, subjectHash: string): void {
  const usage = subjectReport(totals.subject ?? emptySubject(subjectHash), namespace);
  found.workflowsRead += totals.workflows;
  found.payloads += usage.payloads;
  found.boxes += usage.boxes;
  found.runs.push(...usage.runs);
  found.unchecked.workflows += usage.unchecked.workflows;
  found.unchecked.openWorkflows += usage.unchecked.openWorkflows;
  found.unchecked.runs.push(...usage.unchecked.runs);
  found.failed.push(...totals.failed.map((f) => ({ namespace, ...f })));
}

/** Why the runs read forbid the erasure: nothing with --allow-open-runs. */
function refusalsOfRuns(parsed: Parsed, found: Found, openRuns: Found['runs']): ForgetReport['refusedBecause'] {
  const refusedBecause: ForgetReport['refusedBecause'] = [];
  if (!boolFlag(parsed, 'allow-open-runs')) {
    if (openRuns.length > 0) refusedBecause.push('open-runs');
    if (found.failed.length > 0) refusedBecause.push('unread-runs');
    // Fail closed: an open run whose boxes forget could not look into may hold the subject's values inside them.
    if (found.unchecked.openWorkflows > 0) refusedBecause.push('unchecked-open-runs');
  }
  return refusedBecause;
}

/** Destroys the subject's keys; the store writes and returns the audit record. */
async function destroyKeys(input: ForgetInput): Promise<NonNullable<ForgetReport['record']>> {
  const { subject, subjectHash, setup } = input;
  const done = await (subject === undefined ? setup.store.forget(subjectHash, input.audit) : setup.keys.forget(subject, input.audit)).catch(
    (err: unknown) => {
      throw storeError(err);
    },
  );
  return { ...done, at: done.at.toISOString() };
}

/** The keys this store holds (and forget destroys) open these runs' boxes; a run naming another key is out of its reach. */
function keysNotInStoreOf(runs: Found['runs'], forgottenBefore: string | null, keyIdsHeld: string[] | null): Found['runs'] {
  const held = new Set(keyIdsHeld ?? []);
  return forgottenBefore !== null || keyIdsHeld === null ? [] : runs.filter((r) => r.keyIds.some((keyId) => !held.has(keyId)));
}

function emptySubject(subjectHash: string) {
  return { subjectHash, payloads: 0, boxes: 0, runs: [], unchecked: { workflows: 0, openWorkflows: 0, runs: [] } };
}

/** When the store says the subject was forgotten (its tombstone), before this run. */
async function forgottenAt(setup: SubjectSetup, subjectHash: string): Promise<string | null> {
  try {
    const found = await setup.store.get(subjectHash, 'probe');
    return found !== undefined && 'erasedAt' in found ? found.erasedAt.toISOString() : null;
  } catch (err) {
    throw storeError(err);
  }
}

/** What the store's credentials may not do that forget does; null for a store that cannot tell. */
async function missingAccessOf(setup: SubjectSetup): Promise<string[] | null> {
  if (typeof setup.store.checkForgetAccess !== 'function') return null;
  try {
    return await setup.store.checkForgetAccess();
  } catch (err) {
    throw storeError(err);
  }
}

/** The ids of the keys the store holds for the subject (nothing unwrapped), sorted; null for a store that cannot list its keys. */
async function keyIdsHeldBy(setup: SubjectSetup, subjectHash: string): Promise<string[] | null> {
  if (typeof setup.store.listKeys !== 'function') return null;
  const held: string[] = [];
  try {
    for await (const key of setup.store.listKeys({ subjectHash })) held.push(key.keyId);
  } catch (err) {
    throw storeError(err);
  }
  return held.sort();
}

/** A keyed hash as audit records and scan print it: canonical base64url of 16 to 64 bytes. */
function isSubjectHash(text: string): boolean {
  return /^[A-Za-z0-9_-]{22,86}$/.test(text) && Buffer.from(text, 'base64url').toString('base64url') === text;
}

/** `forget --list-records`: the store's audit records, oldest first. Needs only the store (never created). */
async function listRecords(parsed: Parsed, io: CliIo): Promise<number> {
  const prefix = keyringSourceOf(parsed).prefix;
  const spec = subjectStoreSpecOf(parsed, io, prefix);
  if (spec === undefined)
    throw usageError(`forget --list-records needs the subject key store: --subject-store STORE or ${prefix}_SUBJECT_STORE`);
  const store = await openSubjectStore(spec, false);
  try {
    const records = await store.forgetRecords().catch((err: unknown) => {
      throw storeError(err);
    });
    const shown = records.map((r) => ({ ...r, at: r.at.toISOString() }));
    if (boolFlag(parsed, 'json')) line(io.stdout, JSON.stringify(shown, null, 2));
    else {
      line(io.stdout, `${shown.length} forget audit records in the subject key store (${describeSubjectStore(spec)}), oldest first:`);
      for (const r of shown)
        line(
          io.stdout,
          `${r.at}  ${r.subjectHash}  ${r.keysDestroyed} keys destroyed  by ${r.actor}${r.reason === undefined ? '' : `  (reason: ${r.reason})`}`,
        );
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/** The keyring to look inside sealed values with: named, or set in the environment; none is fine (headers only). */
function keyringOf(parsed: Parsed, io: CliIo): Keyring | undefined {
  const source = keyringSourceOf(parsed);
  if (source.file === undefined && io.env[`${source.prefix}_KEYS`] === undefined) return undefined;
  return loadKeyring(source, io);
}

/** Who and why, checked before anything is read: the store's limits, and never the subject id (the record keeps the hash only). */
function auditOf(parsed: Parsed, io: CliIo, subject: string): { actor: string; reason?: string } {
  const actor = stringFlag(parsed, 'actor') ?? osUser(io);
  const reason = stringFlag(parsed, 'reason');
  if (actor.trim() === '' || actor.length > MAX_ACTOR_LENGTH) throw usageError(`--actor must be 1 to ${MAX_ACTOR_LENGTH} characters`);
  if (reason !== undefined && reason.length > MAX_REASON_LENGTH)
    throw usageError(`--reason must be at most ${MAX_REASON_LENGTH} characters`);
  // Any letter case: "Patient-1042" in a reason names patient-1042 as well as the id does.
  const named = (text: string): boolean => text.toLowerCase().includes(subject.toLowerCase());
  if (named(actor) || (reason !== undefined && named(reason)))
    throw usageError('--actor and --reason must not contain the subject id: the audit record keeps only its keyed hash');
  return reason === undefined ? { actor } : { actor, reason };
}

function osUser(io: CliIo): string {
  try {
    const name = os.userInfo().username;
    if (name !== '') return name;
  } catch {
    // no passwd entry (a container's arbitrary uid): the environment may know
  }
  return io.env.USER ?? io.env.LOGNAME ?? 'unknown';
}

function output(io: CliIo, report: ForgetReport, json: boolean): void {
  if (json) line(io.stdout, JSON.stringify(report, null, 2));
  else printForget(io.stdout, report);
}

/** `sealed-fields forget`: erase one data subject, after checking no open run holds its values. */
export const forgetCommand: Command = {
  name: 'forget',
  summary: 'erase a data subject: destroy its keys (refuses while open runs hold its values)',
  help: HELP,
  run,
};
