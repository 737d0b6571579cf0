import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Keyring } from '../codec/keyring';
import { SealedError } from '../errors';
import { stringFlag, type Aliases, type Parsed } from './args';
import { usageError, type CliIo } from './io';

/** Where the keyring comes from: the environment (as workers read it) or a JSON file. */
export interface KeyringSource {
  file?: string | undefined;
  prefix: string;
}

/** The flags every command that loads a keyring takes, under one name each. */
export const KEYRING_FLAGS = {
  keyring: { type: 'string' },
  'env-prefix': { type: 'string' },
} as const;

/** Earlier names of {@link KEYRING_FLAGS} that still work: `--prefix` (keys, decode, scan). `keys` also takes `--file`. */
export const KEYRING_ALIASES: Aliases = { prefix: 'env-prefix' };

/** Where the parsed {@link KEYRING_FLAGS} say the keyring is. */
export function keyringSourceOf(parsed: Parsed): KeyringSource {
  return { file: stringFlag(parsed, 'keyring'), prefix: stringFlag(parsed, 'env-prefix') ?? 'SEALED_FIELDS' };
}

export function describeSource(source: KeyringSource): string {
  return source.file !== undefined ? `file ${source.file}` : `environment ${source.prefix}_*`;
}

/** True when no keyring is named: no `--keyring FILE` and no `<prefix>_KEYS` in the environment. */
export function noKeyringSet(source: KeyringSource, io: CliIo): boolean {
  return source.file === undefined && (io.env[`${source.prefix}_KEYS`] ?? '').trim() === '';
}

/** What to say when a command that opens payloads has no keys at all: both ways to give them. */
export function noKeysMessage(source: KeyringSource): string {
  return `no keys: set ${source.prefix}_KEYS (or --keyring FILE) for static keys, or give --kms-key-id ARN for keys from AWS KMS`;
}

/** Loads the keyring exactly as workers do (Keyring.fromEnv / Keyring.fromFile); a bad one is a usage error (exit 2). */
export function loadKeyring(source: KeyringSource, io: CliIo): Keyring {
  try {
    return source.file !== undefined ? Keyring.fromFile(path.resolve(io.cwd, source.file)) : Keyring.fromEnv(io.env, source.prefix);
  } catch (err) {
    const code = SealedError.is(err) ? err.code : 'unknown error';
    throw usageError(`cannot load the keyring from ${describeSource(source)} (${code}); run "sealed-fields keys check" for details`);
  }
}

/** The keyring settings as written, before any validation. */
export interface RawKeyring {
  active: unknown;
  keys: Array<[id: string, material: unknown]>;
  purposes: Array<[purpose: string, keyId: unknown]>;
  indexKey: unknown;
  /** Ids written twice (env lists, or JSON object keys). */
  duplicates: string[];
}

/** Reads the settings without validating them; unreadable input returns a problem code instead. */
export function readRawKeyring(source: KeyringSource, io: CliIo): RawKeyring | { unreadable: string } {
  if (source.file === undefined) return rawFromEnv(io.env, source.prefix);
  let text: string;
  try {
    text = readFileSync(path.resolve(io.cwd, source.file), 'utf8');
  } catch {
    return { unreadable: 'file-unreadable' };
  }
  return rawFromJson(text, io.env[`${source.prefix}_INDEX_KEY`]);
}

function rawFromEnv(env: Record<string, string | undefined>, prefix: string): RawKeyring {
  const keys = pairs(env[`${prefix}_KEYS`]);
  const purposes = pairs(env[`${prefix}_PURPOSE_KEYS`]);
  const seen = new Set<string>();
  const duplicates = keys.map(([id]) => id).filter((id) => seen.has(id) || !seen.add(id));
  return { active: env[`${prefix}_ACTIVE_KEY`] ?? implicitActive(keys), keys, purposes, indexKey: env[`${prefix}_INDEX_KEY`], duplicates };
}

// Keyring.fromEnv takes the only key as active when none is named.
function implicitActive(keys: Array<[string, unknown]>): string | undefined {
  return keys.length === 1 ? keys[0]?.[0] : undefined;
}

function pairs(text: string | undefined): Array<[string, string]> {
  if (text === undefined || text.trim() === '') return [];
  return text.split(',').map((pair) => {
    const at = pair.indexOf(':');
    // No "id:" prefix: most likely a key pasted alone, so it is the material, never the id.
    return at < 0 ? ['', pair.trim()] : [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
  });
}

function rawFromJson(text: string, indexKey: string | undefined): RawKeyring | { unreadable: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { unreadable: 'file-not-json' };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { unreadable: 'file-not-an-object' };
  const record = doc as Record<string, unknown>;
  return {
    active: record.active,
    keys: entries(record.keys),
    purposes: entries(record.purposes),
    indexKey: record.indexKey ?? indexKey,
    duplicates: duplicateKeysIn(text, 'keys'),
  };
}

function entries(value: unknown): Array<[string, unknown]> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.entries(value) : [];
}

/** Keys that occur twice in the top-level object `member` of a JSON text (JSON.parse keeps only the last). */
export function duplicateKeysIn(text: string, member: string): string[] {
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|[{}[\]:,]/g) ?? [];
  const out: string[] = [];
  let depth = 0;
  let inMember = false;
  const seen = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token === '{' || token === '[') depth++;
    if (token === '}' || token === ']') inMember = --depth >= 2 && inMember;
    if (!token.startsWith('"') || tokens[i + 1] !== ':') continue;
    const key = JSON.parse(token) as string;
    if (depth === 1) inMember = key === member;
    else if (depth === 2 && inMember && seen.has(key)) out.push(key);
    else if (depth === 2 && inMember) seen.add(key);
  }
  return out;
}
