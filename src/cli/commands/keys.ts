import { KEY_BYTES } from '../../codec/keyring';
import { boolFlag, parseFlags, stringFlag } from '../args';
import type { Command } from '../command';
import { EXIT, line, printHelp, usageError, type CliIo } from '../io';
import { describeSource, loadKeyring, readRawKeyring, type KeyringSource, type RawKeyring } from '../keyring-source';

const HELP = `Usage: sealed-fields keys check [--file FILE] [--prefix PREFIX] [--json]

Loads the keyring the way workers do and reports key ids, the active key, purpose keys
and problems. Never prints key material.
  default   the environment: SEALED_FIELDS_KEYS="id:base64,id:base64",
            SEALED_FIELDS_ACTIVE_KEY, SEALED_FIELDS_PURPOSE_KEYS="phi:id",
            SEALED_FIELDS_INDEX_KEY (blind-index key, optional)
  --file    a keyring JSON file {"active","keys","purposes"} (Keyring.fromFile)

Problems: key-id-invalid, key-id-looks-like-key, key-duplicate, key-bad-base64, key-wrong-length, key-reused,
keys-missing, active-missing, active-unknown, purpose-invalid, purpose-key-unknown,
index-key-invalid, index-key-reuses-sealing-key, file-unreadable, file-not-json, load-failed.

Options:
  --file FILE       read a keyring file instead of the environment
  --prefix PREFIX   environment variable prefix (default SEALED_FIELDS)
  --json            machine-readable report
  -h, --help        this help

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
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const PURPOSE = /^[a-z][a-z0-9_-]{0,31}$/;

async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(args, { file: { type: 'string' }, keyring: { type: 'string' }, prefix: { type: 'string' }, json: { type: 'boolean' } }, true);
  if (boolFlag(parsed, 'help')) return printHelp(io, HELP);
  const [verb, ...rest] = parsed.positionals;
  if (verb !== 'check' || rest.length > 0) throw usageError('usage: sealed-fields keys check [--file FILE] [--json]');
  const source: KeyringSource = { file: stringFlag(parsed, 'file') ?? stringFlag(parsed, 'keyring'), prefix: stringFlag(parsed, 'prefix') ?? 'SEALED_FIELDS' };
  const report = checkKeyring(source, io);
  if (boolFlag(parsed, 'json')) line(io.stdout, JSON.stringify(report, null, 2));
  else printReport(io, report);
  return report.problems.length === 0 ? EXIT.ok : EXIT.problems;
}

/** Checks keyring settings from the environment or a file; the report holds no key material. */
export function checkKeyring(source: KeyringSource, io: CliIo): KeysReport {
  const raw = readRawKeyring(source, io);
  const base = { source: describeSource(source), active: null, keys: [], purposes: {}, indexKey: false };
  if ('unreadable' in raw) return { ...base, problems: [{ problem: raw.unreadable }] };
  const decoded = raw.keys.map(([id, material]) => ({ id, bytes: decodeMaterial(material) }));
  const problems = [...keyProblems(raw, decoded), ...activeProblems(raw), ...purposeProblems(raw), ...indexProblems(raw, decoded)];
  if (problems.length === 0) problems.push(...loadProblems(source, io));
  return {
    ...base,
    active: typeof raw.active === 'string' ? safeId(raw.active) : null,
    keys: decoded.map(({ id, bytes }) => ({ id: safeId(id), bytes: bytes === undefined ? null : bytes.length })),
    purposes: Object.fromEntries(raw.purposes.map(([p, id]) => [safeId(p), safeId(String(id))])),
    indexKey: raw.indexKey !== undefined && raw.indexKey !== '',
    problems,
  };
}

function keyProblems(raw: RawKeyring, decoded: Array<{ id: string; bytes: Buffer | undefined }>): KeyProblem[] {
  const problems: KeyProblem[] = raw.keys.length === 0 ? [{ problem: 'keys-missing' }] : [];
  for (const id of new Set(raw.duplicates)) problems.push({ problem: 'key-duplicate', keyId: safeId(id) });
  const byValue = new Map<string, string>();
  for (const { id, bytes } of decoded) {
    if (!KEY_ID.test(id)) problems.push({ problem: 'key-id-invalid', keyId: safeId(id) });
    else if (id.length >= PRINTABLE_ID_LENGTH && (decodeMaterial(id)?.length ?? 0) >= 30) problems.push({ problem: 'key-id-looks-like-key', keyId: safeId(id) });
    if (bytes === undefined) problems.push({ problem: 'key-bad-base64', keyId: safeId(id) });
    else if (bytes.length !== KEY_BYTES) problems.push({ problem: 'key-wrong-length', keyId: safeId(id) });
    const same = bytes === undefined ? undefined : byValue.get(bytes.toString('hex'));
    if (same !== undefined && same !== id) problems.push({ problem: 'key-reused', keyId: safeId(id) });
    if (bytes !== undefined) byValue.set(bytes.toString('hex'), id);
  }
  return problems;
}

function activeProblems(raw: RawKeyring): KeyProblem[] {
  if (typeof raw.active !== 'string' || raw.active === '') return [{ problem: 'active-missing' }];
  return raw.keys.some(([id]) => id === raw.active) ? [] : [{ problem: 'active-unknown', keyId: safeId(raw.active) }];
}

function purposeProblems(raw: RawKeyring): KeyProblem[] {
  const problems: KeyProblem[] = [];
  for (const [purpose, id] of raw.purposes) {
    if (!PURPOSE.test(purpose)) problems.push({ problem: 'purpose-invalid', purpose: safeId(purpose) });
    if (!raw.keys.some(([known]) => known === id)) problems.push({ problem: 'purpose-key-unknown', purpose: safeId(purpose), keyId: safeId(String(id)) });
  }
  return problems;
}

function indexProblems(raw: RawKeyring, decoded: Array<{ bytes: Buffer | undefined }>): KeyProblem[] {
  if (raw.indexKey === undefined || raw.indexKey === '') return [];
  const bytes = decodeMaterial(raw.indexKey);
  if (bytes === undefined || bytes.length < KEY_BYTES) return [{ problem: 'index-key-invalid' }];
  return decoded.some((k) => k.bytes !== undefined && k.bytes.equals(bytes)) ? [{ problem: 'index-key-reuses-sealing-key' }] : [];
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

function decodeMaterial(material: unknown): Buffer | undefined {
  if (typeof material !== 'string') return undefined;
  const text = material.trim();
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : undefined;
}

// Ids are printed; a mangled entry (e.g. a key pasted where an id belongs) must not echo key
// material, so long ids (a base64url key is 43 characters) are not printed either.
const PRINTABLE_ID_LENGTH = 40;
function safeId(id: string): string {
  if (id.length < PRINTABLE_ID_LENGTH && (KEY_ID.test(id) || PURPOSE.test(id))) return id;
  return `(not shown, ${id.length} characters)`;
}

function printReport(io: CliIo, report: KeysReport): void {
  line(io.stdout, `keyring from ${report.source}`);
  line(io.stdout, `  active key: ${report.active === null ? '(none)' : safeId(report.active)}`);
  for (const key of report.keys) line(io.stdout, `  key ${safeId(key.id)}: ${key.bytes === null ? 'not base64' : `${key.bytes} bytes`}`);
  for (const [purpose, id] of Object.entries(report.purposes)) line(io.stdout, `  purpose ${safeId(purpose)} -> key ${safeId(id)}`);
  line(io.stdout, `  blind-index key: ${report.indexKey ? 'set' : 'not set'}`);
  if (report.problems.length === 0) return line(io.stdout, 'no problems');
  for (const p of report.problems) line(io.stdout, `problem: ${p.problem}${p.keyId ? ` (key ${p.keyId})` : ''}${p.purpose ? ` (purpose ${p.purpose})` : ''}`);
}

/** `sealed-fields keys check`: validates keyring settings without printing keys. */
export const keysCommand: Command = { name: 'keys', summary: 'keys check: validate the keyring workers would load', help: HELP, run };
