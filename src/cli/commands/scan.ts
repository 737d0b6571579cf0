import path from 'node:path';
import type { Connection } from '@temporalio/client';
import type { Keyring } from '../../codec/keyring';
import type { AwsKmsKeySource } from '../../codec/kms/aws-kms-key-source';
import { boolFlag, intFlag, listFlag, noteRenamed, parseFlags, stringFlag, type Parsed } from '../args';
import type { Command } from '../command';
import { CliError, EXIT, line, printHelp, usageError, type CliIo } from '../io';
import { SealedOpener } from '../history/open-sealed';
import { KEYRING_ALIASES, KEYRING_FLAGS, keyringSourceOf, loadKeyring } from '../keyring-source';
import { KMS_FLAGS, KMS_FLAGS_HELP, kmsSourceOf, withKmsRegion } from '../kms-options';
import { DEFAULT_KEY_RULES } from '../scan/classify';
import { Progress } from '../scan/progress';
import { buildReport, printReport, type ScanReport } from '../scan/report';
import { scanNamespace } from '../scan/scanner';
import { loadState, newState, type ScanState } from '../scan/state';
import { type SubjectKeyCensus, subjectKeyCensus } from '../scan/subject-key-census';
import {
  storeError,
  type SubjectSetup,
  SUBJECT_STORE_FLAGS,
  SUBJECT_STORE_FLAGS_HELP,
  checkSubjectSpacing,
  subjectHashFor,
  subjectOf,
  subjectSetupOf,
  subjectStoreSpecOf,
  withoutSubject,
} from '../subject-store';

const HELP = `Usage: sealed-fields scan [--address HOST:PORT] [--namespace NS] [--query QUERY]
                          [--concurrency N] [--state FILE] [--key-rules REGEX]
                          [--retire KEY_ID]... [--retire-kms-key ARN]...
                          [--check-keyring [--keyring FILE]] [--kms-key-id ID ...]
                          [--subject ID] [--subject-store STORE ...]
                          [--max-workflows N] [--json] [--quiet]

Lists the workflow runs of a namespace (visibility), reads every event history and
reports, per key id and purpose, how many payloads and workflows still need that key
and the oldest and newest event time. Data keys wrapped by AWS KMS are reported per KMS
key (the ARN in each box's wrapped key; no KMS call): payloads and boxes, the data keys
(one per generation), purposes, namespaces, and the runs that need it: how many, how
many are still open, when the oldest and newest started. Also reports problems:
  pending     payloads carrying sealed-pending metadata: a client or worker without the
              SealingCodec wrote them, so their "sealed" values are stored in PLAINTEXT
  keyRules    clear JSON keys matching the sensitive-key rules (default ${DEFAULT_KEY_RULES})
  malformed   sealed payloads whose envelope cannot be read
  failed      runs whose history could not be read (retried on the next run with --state)
  retire      a key named with --retire (or a KMS key named with --retire-kms-key) that
              some history still needs, or that may be needed inside sealed values scan
              could not open (below)
  missingKeys with --check-keyring: key ids some history needs that the keyring lacks
Values sealed inside a sealed value (format v2) are in an inner envelope inside its box:
with --check-keyring or --keyring (and the --kms-* flags for boxes under KMS data keys:
one Decrypt per data key), scan opens every sealed payload in memory to count the key
ids and purposes of those inner boxes too (values are dropped, never printed); without
the keys it cannot, reports how many boxes it could not look into, and --retire then
never calls a key unused.
With --subject, also lists every run holding values of that data subject (boxes whose
header names its keyed hash, at every level scan can look into), open ones first, to answer
an erasure request (see "sealed-fields forget").
Prints key ids, purposes, workflow ids and counts; never a value, never a subject id.

Options:
  --address HOST:PORT   Temporal frontend (default $TEMPORAL_ADDRESS or 127.0.0.1:7233)
  --namespace NS        namespace (default $TEMPORAL_NAMESPACE or default)
  --query QUERY         visibility query selecting the runs (default: all)
  --concurrency N       histories read at once, 1..64 (default 4)
  --state FILE          resume file: finished run ids and totals so far
  --key-rules REGEX     sensitive-key rule (case-insensitive), replaces the default
  --retire KEY_ID       exit 1 while any scanned history still needs this key (repeatable)
  --retire-kms-key ARN  exit 1 while any scanned history still needs a data key wrapped
                        by this KMS key (ARN or key id; repeatable)
  --check-keyring       compare with the keyring workers load (SEALED_FIELDS_* environment),
                        and look inside sealed values with it
  --keyring FILE        ... or with this keyring file (implies --check-keyring)
  --env-prefix PREFIX   environment variable prefix (default SEALED_FIELDS; was --prefix)
  --subject ID          also report the runs holding values of this data subject, named by
                        its keyed hash (needs the subject index key); "-": read the id from
                        stdin. Never printed: a workflow id containing it shows <subject>
  --max-workflows N     read at most N more runs, then stop (use with --state)
  --connect-timeout S   seconds to wait for the server (default 10)
  --json                machine-readable report on stdout
  --quiet               no progress on stderr
  -h, --help            this help
Keys from AWS KMS, to look inside boxes sealed under KMS data keys (the keyring, when
named or set, opens the others):
${KMS_FLAGS_HELP}
Data subject keys (docs/ERASURE.md). With a store, scan opens data subjects' boxes (with the
keyring or KMS flags) to look inside them, and counts the subject keys each keyring key or KMS
key wraps: --retire, --retire-kms-key and --check-keyring then keep a key that wraps subject
keys. Without one, subject keys are not checked (a note says so).
${SUBJECT_STORE_FLAGS_HELP}
TLS/API key: set TEMPORAL_API_KEY (implies TLS) or TEMPORAL_TLS=true.

Exit codes: 0 no problems, 1 problems found, 2 bad arguments or query or unknown
namespace, 3 cannot reach the server or the subject key store.`;

const OPTIONS = {
  address: { type: 'string' },
  namespace: { type: 'string' },
  query: { type: 'string' },
  concurrency: { type: 'string' },
  state: { type: 'string' },
  'key-rules': { type: 'string' },
  retire: { type: 'string', multiple: true },
  'retire-kms-key': { type: 'string', multiple: true },
  'check-keyring': { type: 'boolean' },
  ...KEYRING_FLAGS,
  ...KMS_FLAGS,
  ...SUBJECT_STORE_FLAGS,
  subject: { type: 'string' },
  'max-workflows': { type: 'string' },
  'connect-timeout': { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(args, OPTIONS, false, KEYRING_ALIASES);
  if (boolFlag(parsed, 'help')) return printHelp(io, HELP);
  noteRenamed(io, 'scan', parsed);
  const options = await scanOptionsOf(parsed, io);
  const keys = await openKeys(parsed, io, options.prefix);
  // Whatever fails after the keys are open (the state file, the store, the connection), they are let go of.
  try {
    const prepared = await prepareScan(parsed, io, options, keys);
    const connection = await connect(options.address, options.timeoutSeconds, io);
    try {
      return await scanAndReport(parsed, io, options, prepared, connection);
    } finally {
      await connection.close();
    }
  } finally {
    await keys.closeKeys();
  }
}

/** The flags of a scan that need no key, server or store. */
interface ScanOptions {
  address: string;
  namespace: string;
  query: string | null;
  concurrency: number;
  maxWorkflows: number | undefined;
  timeoutSeconds: number;
  rules: RegExp;
  statePath: string | undefined;
  retireKmsKeys: string[];
  prefix: string;
  subjectId: string | undefined;
}

async function scanOptionsOf(parsed: Parsed, io: CliIo): Promise<ScanOptions> {
  const address = stringFlag(parsed, 'address') ?? io.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const namespace = stringFlag(parsed, 'namespace') ?? io.env.TEMPORAL_NAMESPACE ?? 'default';
  const query = stringFlag(parsed, 'query') ?? null;
  const concurrency = intFlag(parsed, 'concurrency', 4, 1, 64);
  const maxWorkflows =
    stringFlag(parsed, 'max-workflows') === undefined ? undefined : intFlag(parsed, 'max-workflows', 0, 1, Number.MAX_SAFE_INTEGER);
  const timeoutSeconds = intFlag(parsed, 'connect-timeout', 10, 1, 600);
  const rules = keyRules(stringFlag(parsed, 'key-rules'));
  const statePath = stringFlag(parsed, 'state');
  const retireKmsKeys = listFlag(parsed, 'retire-kms-key').map(kmsKeyToRetire);
  const prefix = keyringSourceOf(parsed).prefix;
  const subjectGiven = stringFlag(parsed, 'subject');
  const subjectId = subjectGiven === undefined ? undefined : await subjectOf(subjectGiven, io);
  if (subjectId !== undefined) checkSubjectSpacing(subjectId);
  return { address, namespace, query, concurrency, maxWorkflows, timeoutSeconds, rules, statePath, retireKmsKeys, prefix, subjectId };
}

/** The keys scan opens boxes with (`checked`: the keyring to compare with), and how to let go of them. */
interface ScanKeys {
  checked: Keyring | undefined;
  keyring: Keyring | undefined;
  kms: AwsKmsKeySource | undefined;
  subjects: SubjectSetup | undefined;
  closeKeys: () => Promise<void>;
}

async function openKeys(parsed: Parsed, io: CliIo, prefix: string): Promise<ScanKeys> {
  const checked = checkedKeyring(parsed, io);
  const withKms = stringFlag(parsed, 'kms-key-id') !== undefined;
  // With a subject key store, the keyring of the environment unwraps subject keys too, when it is set.
  const withStore = subjectStoreSpecOf(parsed, io, prefix) !== undefined;
  const keyring = checked ?? (withKms || withStore ? envKeyring(parsed, io) : undefined);
  // Boxes under static keys open with the keyring; the other --kms-* flags without --kms-key-id are a usage error.
  const kms = await kmsSourceOf(withKms ? withKmsRegion(parsed, io.env) : parsed, keyring);
  const subjects = await subjectSetupOf(parsed, io, prefix, kms ?? keyring, {
    createTables: false,
    probe: true,
    defaultCacheTtlMs: 600_000,
  }).catch((err: unknown) => {
    kms?.destroy();
    throw err;
  });
  const closeKeys = async (): Promise<void> => {
    kms?.destroy();
    await subjects?.close();
  };
  return { checked, keyring, kms, subjects, closeKeys };
}

/** What the scan and its report need besides the connection. */
interface PreparedScan {
  subjectHash: string | undefined;
  state: ScanState;
  held: Set<string> | undefined;
  opener: SealedOpener | undefined;
  subjectKeys: SubjectKeyCensus | undefined;
  forgottenAt: string | null | undefined;
}

async function prepareScan(parsed: Parsed, io: CliIo, options: ScanOptions, keys: ScanKeys): Promise<PreparedScan> {
  const { namespace, query, statePath } = options;
  const { checked, keyring, kms, subjects } = keys;
  const subjectHash = options.subjectId === undefined ? undefined : subjectHashFor(options.subjectId, subjects, parsed, io, options.prefix);
  const state =
    statePath === undefined
      ? newState(namespace, query, subjectHash)
      : loadState(path.resolve(io.cwd, statePath), namespace, query, subjectHash);
  const held = checked === undefined ? undefined : new Set(checked.describe().keyIds);
  const opener = keyring === undefined && kms === undefined ? undefined : await SealedOpener.create(keyring, kms, subjects?.keys);
  const subjectKeys = subjects === undefined ? undefined : await censusOf(subjects);
  const forgottenAt = subjects === undefined || subjectHash === undefined ? undefined : await tombstoneOf(subjects, subjectHash);
  return { subjectHash, state, held, opener, subjectKeys, forgottenAt };
}

/** Reads the histories, prints the report and returns the exit code. */
async function scanAndReport(
  parsed: Parsed,
  io: CliIo,
  options: ScanOptions,
  prepared: PreparedScan,
  connection: Connection,
): Promise<number> {
  const { address, namespace, query, statePath, subjectId } = options;
  const outcome = await scanNamespace({
    service: connection.workflowService,
    namespace,
    query,
    concurrency: options.concurrency,
    rules: options.rules,
    opener: prepared.opener,
    subjectHash: prepared.subjectHash,
    state: prepared.state,
    statePath: statePath === undefined ? undefined : path.resolve(io.cwd, statePath),
    maxWorkflows: options.maxWorkflows,
    progress: (total) => new Progress(io.stderr, total, !boolFlag(parsed, 'quiet')),
  });
  const report = buildReport({
    address,
    namespace,
    query,
    complete: outcome.complete,
    retire: listFlag(parsed, 'retire'),
    retireKmsKeys: options.retireKmsKeys,
    held: prepared.held,
    subjectKeys: prepared.subjectKeys,
    totals: outcome.state.totals,
  });
  if (report.subject !== null && prepared.forgottenAt !== undefined) report.subject.forgottenAt = prepared.forgottenAt;
  output(io, subjectId === undefined ? report : withoutSubject(report, subjectId), boolFlag(parsed, 'json'));
  return report.problems.length === 0 ? EXIT.ok : EXIT.problems;
}

/** When the store forgot the subject (its tombstone; ISO time), or null; a store that fails ends the command. */
async function tombstoneOf(subjects: SubjectSetup, subjectHash: string): Promise<string | null> {
  try {
    const found = await subjects.store.get(subjectHash, 'probe');
    return found !== undefined && 'erasedAt' in found ? found.erasedAt.toISOString() : null;
  } catch (err) {
    throw storeError(err);
  }
}

/** The store's subject keys by wrapping key; a store that fails ends the command (exit 3). */
async function censusOf(subjects: SubjectSetup): Promise<SubjectKeyCensus | undefined> {
  try {
    return await subjectKeyCensus(subjects.store);
  } catch (err) {
    throw storeError(err);
  }
}

function output(io: CliIo, report: ScanReport, json: boolean): void {
  if (json) line(io.stdout, JSON.stringify(report, null, 2));
  else printReport(io.stdout, report);
}

/** `--key-rules` as a case-insensitive pattern; `/source/flags` is accepted too. */
export function keyRules(text: string | undefined): RegExp {
  if (text === undefined) return DEFAULT_KEY_RULES;
  const literal = /^\/(.*)\/([a-z]*)$/s.exec(text);
  try {
    return literal ? new RegExp(literal[1] as string, (literal[2] as string).replace(/[gy]/g, '')) : new RegExp(text, 'i');
  } catch {
    throw usageError('--key-rules is not a valid regular expression');
  }
}

/** The keyring to compare with and open payloads with, when --check-keyring or --keyring asks for it. */
function checkedKeyring(parsed: Parsed, io: CliIo): Keyring | undefined {
  const source = keyringSourceOf(parsed);
  if (source.file === undefined && !boolFlag(parsed, 'check-keyring')) return undefined;
  return loadKeyring(source, io);
}

/** With the KMS flags, the keyring of the environment opens the boxes under static keys, when it is set. */
function envKeyring(parsed: Parsed, io: CliIo): Keyring | undefined {
  const source = keyringSourceOf(parsed);
  return io.env[`${source.prefix}_KEYS`] === undefined ? undefined : loadKeyring(source, io);
}

/** A KMS key to retire is named by ARN or key id: an alias names whichever key it points to today, not the one histories name. */
function kmsKeyToRetire(given: string): string {
  if (given.startsWith('alias/') || /^arn:[^:]+:kms:[^:]*:[^:]*:alias\//.test(given))
    throw usageError('--retire-kms-key takes the key ARN or key id, not an alias');
  if (!/^[\x21-\x7e]+$/.test(given)) throw usageError('--retire-kms-key takes a KMS key ARN or key id');
  return given;
}

type ClientModule = typeof import('@temporalio/client');

/** Connects to the Temporal frontend (TEMPORAL_API_KEY, TEMPORAL_TLS); a server that does not answer is exit 3. */
export async function connect(address: string, timeoutSeconds: number, io: CliIo, command = 'scan'): Promise<Connection> {
  let client: ClientModule;
  try {
    client = await import('@temporalio/client');
  } catch {
    throw new CliError(EXIT.problems, `${command} needs @temporalio/client: npm install @temporalio/client`);
  }
  const apiKey = io.env.TEMPORAL_API_KEY;
  const tls = apiKey !== undefined || io.env.TEMPORAL_TLS === 'true';
  try {
    return await client.Connection.connect({
      address,
      connectTimeout: timeoutSeconds * 1000,
      ...(tls ? { tls: true } : {}),
      ...(apiKey ? { apiKey } : {}),
    });
  } catch {
    throw new CliError(EXIT.unreachable, `cannot reach the Temporal server at ${address}`);
  }
}

/** `sealed-fields scan`: which keys retained histories still need, and what leaked. */
export const scanCommand: Command = {
  name: 'scan',
  summary: 'report which keys histories still need, and unsealed sensitive payloads',
  help: HELP,
  run,
};
