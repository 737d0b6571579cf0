import { KEY_BYTES } from '../../codec/keyring';
import { decodeBase64, KEY_MATERIAL } from '../../lib/base64';
import { equalBytes } from '../../lib/bytes';
import { KEY_ID_PATTERN, PURPOSE_PATTERN, shownIdentifier } from '../../lib/identifiers';
import { boolFlag, noteRenamed, parseFlags, stringFlag, type Parsed } from '../args';
import { KMS_FLAGS, KMS_FLAGS_HELP, kmsSourceOf, withKmsRegion } from '../kms-options';
import type { Command } from '../command';
import { EXIT, line, printHelp, usageError, type CliIo } from '../io';
import {
  describeSource,
  KEYRING_ALIASES,
  KEYRING_FLAGS,
  keyringSourceOf,
  loadKeyring,
  noKeyringSet,
  noKeysMessage,
  readRawKeyring,
  type KeyringSource,
  type RawKeyring,
} from '../keyring-source';

const HELP = `Usage: sealed-fields keys check [--keyring FILE] [--env-prefix PREFIX] [--json]
       sealed-fields keys check --kms-key-id ID [--kms-key-rule NS/P=ID]... [--kms-region R] [--kms-endpoint URL] [--json]

Loads the keyring the way workers do and reports key ids, the active key, purpose keys
and problems. Never prints key material.
  default   the environment: SEALED_FIELDS_KEYS="id:base64,id:base64",
            SEALED_FIELDS_ACTIVE_KEY, SEALED_FIELDS_PURPOSE_KEYS="phi:id",
            SEALED_FIELDS_INDEX_KEY (blind-index key, optional)
  --keyring a keyring JSON file {"active","keys","purposes"} (Keyring.fromFile)

Problems: key-id-invalid, key-id-looks-like-key, key-duplicate, key-bad-base64, key-wrong-length, key-reused,
keys-missing, active-missing, active-unknown, purpose-invalid, purpose-key-unknown,
index-key-invalid, index-key-reuses-sealing-key, file-unreadable, file-not-json, load-failed.

Options:
  --keyring FILE        read a keyring file instead of the environment (was --file)
  --env-prefix PREFIX   environment variable prefix (default SEALED_FIELDS; was --prefix)
  --json                machine-readable report
  -h, --help            this help

With --kms-key-id it checks the AWS KMS key source instead (and the keyring too when --keyring
is given): for each configured KMS key it generates one data key and unwraps it again. Problems:
kms-unavailable, kms-throttled, kms-access-denied, kms-key-disabled, kms-context-mismatch,
kms-invalid-option.
${KMS_FLAGS_HELP}

Exit codes: 0 keyring loads and has no problems, 1 problems found, 2 bad arguments.`;

/** One problem with the keyring settings; names only ids and purposes. */
export interface KeyProblem {
  problem: string;
  keyId?: string;
  purpose?: string;
}

/** What `keys check --json` prints. */
export interface KeysReport {
  source: string;
  active: string | null;
  keys: Array<{ id: string; bytes: number | null }>;
  purposes: Record<string, string>;
  indexKey: boolean;
  problems: KeyProblem[];
  /** When no keyring is set at all: the other way to give keys (AWS KMS, `--kms-key-id`). */
  hint?: string;
}

async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(args, { ...KEYRING_FLAGS, ...KMS_FLAGS, json: { type: 'boolean' } }, true, {
    ...KEYRING_ALIASES,
    file: 'keyring',
  });
  if (boolFlag(parsed, 'help')) return printHelp(io, HELP);
  noteRenamed(io, 'keys', parsed);
  const [verb, ...rest] = parsed.positionals;
  if (verb !== 'check' || rest.length > 0) throw usageError('usage: sealed-fields keys check [--keyring FILE] [--json]');
  if (Object.keys(KMS_FLAGS).some((flag) => parsed.values[flag] !== undefined)) return runKmsCheck(parsed, io);
  const source = keyringSourceOf(parsed);
  const checked = checkKeyring(source, io);
  // Nothing configured at all: keys may come from AWS KMS instead, checked with --kms-key-id.
  const report: KeysReport = noKeyringSet(source, io)
    ? { ...checked, hint: `${noKeysMessage(source)}; check a KMS configuration with keys check --kms-key-id ARN` }
    : checked;
  if (boolFlag(parsed, 'json')) line(io.stdout, JSON.stringify(report, null, 2));
  else printReport(io, report);
  return report.problems.length === 0 ? EXIT.ok : EXIT.problems;
}

/** Checks keyring settings from the environment or a file; the report holds no key material. */
export function checkKeyring(source: KeyringSource, io: CliIo): KeysReport {
  const raw = readRawKeyring(source, io);
  const base = { source: describeSource(source), active: null, keys: [], purposes: {}, indexKey: false };
  if ('unreadable' in raw) return { ...base, problems: [{ problem: raw.unreadable }] };
  const decoded = raw.keys.map(([id, material]) => ({ id, bytes: decodeBase64(material, KEY_MATERIAL) }));
  const problems = [...keyProblems(raw, decoded), ...activeProblems(raw), ...purposeProblems(raw), ...indexProblems(raw, decoded)];
  if (problems.length === 0) problems.push(...loadProblems(source, io));
  return {
    ...base,
    active: typeof raw.active === 'string' ? shownIdentifier(raw.active) : null,
    keys: decoded.map(({ id, bytes }) => ({ id: shownIdentifier(id), bytes: bytes === undefined ? null : bytes.length })),
    purposes: Object.fromEntries(raw.purposes.map(([p, id]) => [shownIdentifier(p), shownIdentifier(String(id))])),
    indexKey: raw.indexKey !== undefined && raw.indexKey !== '',
    problems,
  };
}

function keyProblems(raw: RawKeyring, decoded: Array<{ id: string; bytes: Uint8Array | undefined }>): KeyProblem[] {
  const problems: KeyProblem[] = raw.keys.length === 0 ? [{ problem: 'keys-missing' }] : [];
  for (const id of new Set(raw.duplicates)) problems.push({ problem: 'key-duplicate', keyId: shownIdentifier(id) });
  const byValue = new Map<string, string>();
  for (const { id, bytes } of decoded) {
    if (!KEY_ID_PATTERN.test(id)) problems.push({ problem: 'key-id-invalid', keyId: shownIdentifier(id) });
    else if (looksLikeKey(id)) problems.push({ problem: 'key-id-looks-like-key', keyId: shownIdentifier(id) });
    if (bytes === undefined) problems.push({ problem: 'key-bad-base64', keyId: shownIdentifier(id) });
    else if (bytes.length !== KEY_BYTES) problems.push({ problem: 'key-wrong-length', keyId: shownIdentifier(id) });
    const hex = bytes === undefined ? undefined : Buffer.from(bytes).toString('hex');
    const same = hex === undefined ? undefined : byValue.get(hex);
    if (same !== undefined && same !== id) problems.push({ problem: 'key-reused', keyId: shownIdentifier(id) });
    if (hex !== undefined) byValue.set(hex, id);
  }
  return problems;
}

/** An id of 40 or more characters that reads as 30+ bytes of base64 is most likely a key given where its id belongs. */
function looksLikeKey(id: string): boolean {
  return id.length >= 40 && (decodeBase64(id, KEY_MATERIAL)?.length ?? 0) >= 30;
}

function activeProblems(raw: RawKeyring): KeyProblem[] {
  if (typeof raw.active !== 'string' || raw.active === '') return [{ problem: 'active-missing' }];
  return raw.keys.some(([id]) => id === raw.active) ? [] : [{ problem: 'active-unknown', keyId: shownIdentifier(raw.active) }];
}

function purposeProblems(raw: RawKeyring): KeyProblem[] {
  const problems: KeyProblem[] = [];
  for (const [purpose, id] of raw.purposes) {
    if (!PURPOSE_PATTERN.test(purpose)) problems.push({ problem: 'purpose-invalid', purpose: shownIdentifier(purpose) });
    if (!raw.keys.some(([known]) => known === id))
      problems.push({ problem: 'purpose-key-unknown', purpose: shownIdentifier(purpose), keyId: shownIdentifier(String(id)) });
  }
  return problems;
}

function indexProblems(raw: RawKeyring, decoded: Array<{ bytes: Uint8Array | undefined }>): KeyProblem[] {
  if (raw.indexKey === undefined || raw.indexKey === '') return [];
  const bytes = decodeBase64(raw.indexKey, KEY_MATERIAL);
  if (bytes === undefined || bytes.length < KEY_BYTES) return [{ problem: 'index-key-invalid' }];
  return decoded.some((k) => k.bytes !== undefined && equalBytes(k.bytes, bytes)) ? [{ problem: 'index-key-reuses-sealing-key' }] : [];
}

// Anything the checks above missed: the real loader is the judge.
function loadProblems(source: KeyringSource, io: CliIo): KeyProblem[] {
  try {
    loadKeyring(source, io);
    return [];
  } catch {
    return [{ problem: 'load-failed' }];
  }
}

/** Prints the report; its ids and purposes are already in the form `shownIdentifier` allows. */
function printReport(io: CliIo, report: KeysReport): void {
  line(io.stdout, `keyring from ${report.source}`);
  line(io.stdout, `  active key: ${report.active ?? '(none)'}`);
  for (const key of report.keys) line(io.stdout, `  key ${key.id}: ${key.bytes === null ? 'not base64' : `${key.bytes} bytes`}`);
  for (const [purpose, id] of Object.entries(report.purposes)) line(io.stdout, `  purpose ${purpose} -> key ${id}`);
  line(io.stdout, `  blind-index key: ${report.indexKey ? 'set' : 'not set'}`);
  if (report.problems.length === 0) {
    line(io.stdout, 'no problems');
    return;
  }
  for (const p of report.problems)
    line(io.stdout, `problem: ${p.problem}${p.keyId ? ` (key ${p.keyId})` : ''}${p.purpose ? ` (purpose ${p.purpose})` : ''}`);
  if (report.hint !== undefined) line(io.stdout, `hint: ${report.hint}`);
}

/** What `keys check --kms-key-id ... --json` prints. */
export interface KmsKeysReport {
  kms: {
    region: string | null;
    endpoint: string | null;
    keys: Array<{ kmsKeyId: string; ok: boolean; kmsKeyArn?: string; code?: string; kmsError?: string }>;
  };
  keyring?: KeysReport;
  problems: KeyProblem[];
}

/** `keys check` with KMS flags: one GenerateDataKey and one Decrypt per configured KMS key (no caches), and the keyring when given. */
async function runKmsCheck(parsed: Parsed, io: CliIo): Promise<number> {
  if (stringFlag(parsed, 'kms-key-id') === undefined) throw usageError('the --kms-* flags need --kms-key-id');
  const withRegion = withKmsRegion(parsed, io.env);
  const region = stringFlag(withRegion, 'kms-region') as string;
  const source = await kmsSourceOf(withRegion);
  if (source === undefined) throw usageError('keys check needs --kms-key-id for a KMS check');
  const checks = await source.check();
  source.destroy();
  const keyring = stringFlag(parsed, 'keyring') !== undefined ? checkKeyring(keyringSourceOf(parsed), io) : undefined;
  const problems: KeyProblem[] = [
    ...checks.filter((c) => !c.ok).map((c) => ({ problem: kmsProblem(c.code), keyId: c.kmsKeyId })),
    ...(keyring?.problems ?? []),
  ];
  const report: KmsKeysReport = {
    kms: { region, endpoint: shownEndpoint(stringFlag(parsed, 'kms-endpoint')), keys: checks },
    ...(keyring && { keyring }),
    problems,
  };
  if (boolFlag(parsed, 'json')) line(io.stdout, JSON.stringify(report, null, 2));
  else {
    line(io.stdout, `AWS KMS key source (region ${region}${report.kms.endpoint === null ? '' : `, endpoint ${report.kms.endpoint}`})`);
    for (const c of checks)
      line(
        io.stdout,
        `  KMS key ${c.kmsKeyId}: ${c.ok ? 'ok (generated and unwrapped a data key)' : `${c.code}${c.kmsError ? ` (${c.kmsError})` : ''}`}`,
      );
    if (keyring !== undefined) printReport(io, keyring);
    else if (problems.length === 0) line(io.stdout, 'no problems');
    for (const p of problems.filter((q) => q.problem.startsWith('kms-'))) line(io.stdout, `problem: ${p.problem} (KMS key ${p.keyId})`);
  }
  return problems.length === 0 ? EXIT.ok : EXIT.problems;
}

/** The endpoint as printed: a user name or password written into the URL (a proxy's) is not shown. */
function shownEndpoint(endpoint: string | undefined): string | null {
  if (endpoint === undefined) return null;
  try {
    const url = new URL(endpoint);
    if (url.username === '' && url.password === '') return endpoint;
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return endpoint.replace(/\/\/[^/@]*@/, '//');
  }
}

/** `SEALED_KMS_ACCESS_DENIED` -> `kms-access-denied`. */
function kmsProblem(code: string | undefined): string {
  return `kms-${(code ?? 'SEALED_KMS_UNAVAILABLE')
    .replace(/^SEALED_(KMS_)?/, '')
    .toLowerCase()
    .replace(/_/g, '-')}`;
}

/** `sealed-fields keys check`: validates keyring settings without printing keys. */
export const keysCommand: Command = { name: 'keys', summary: 'keys check: validate the keyring workers would load', help: HELP, run };
