import { parseArgs, type ParseArgsConfig } from 'node:util';
import { line, usageError, type CliIo } from './io';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Old flag names that still work, each mapped to the name that replaced it (`{ prefix: 'env-prefix' }`). */
export type Aliases = Readonly<Record<string, string>>;

/** Parsed flags and positionals; unknown flags and missing values become usage errors (exit 2). */
export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
  /** Deprecated names the arguments used, as `[old, new]`: their values are under the new name. */
  renamed: Array<[used: string, use: string]>;
}

/**
 * `node:util` parseArgs in strict mode, with `--help`/`-h` on every command. A deprecated alias
 * is read as the flag that replaced it; giving both is a usage error.
 *
 * @example
 * ```ts
 * const parsed = parseFlags(['--prefix', 'APP'], { 'env-prefix': { type: 'string' } }, false, { prefix: 'env-prefix' });
 * stringFlag(parsed, 'env-prefix'); // 'APP'
 * ```
 */
export function parseFlags(args: string[], options: Options, allowPositionals = false, aliases: Aliases = {}): Parsed {
  const all: Options = { help: { type: 'boolean', short: 'h' }, ...options };
  for (const [old, name] of Object.entries(aliases)) all[old] = { type: options[name]?.type ?? 'string' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options: all, allowPositionals, strict: true });
  } catch (err) {
    throw usageError(err instanceof Error ? err.message : 'bad arguments');
  }
  const values = { ...parsed.values } as Parsed['values'];
  return { values, positionals: parsed.positionals, renamed: applyAliases(values, aliases) };
}

function applyAliases(values: Parsed['values'], aliases: Aliases): Parsed['renamed'] {
  const renamed: Parsed['renamed'] = [];
  for (const [old, name] of Object.entries(aliases)) {
    if (values[old] === undefined) continue;
    if (values[name] !== undefined) throw usageError(`--${old} is the old name of --${name}: give one of them`);
    values[name] = values[old];
    delete values[old];
    renamed.push([old, name]);
  }
  return renamed;
}

/** One line on stderr per deprecated flag name used; the command runs as if the new name was given. */
export function noteRenamed(io: CliIo, command: string, parsed: Parsed): void {
  for (const [used, use] of parsed.renamed) line(io.stderr, `sealed-fields ${command}: --${used} is deprecated, use --${use}`);
}

export function stringFlag(parsed: Parsed, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function listFlag(parsed: Parsed, name: string): string[] {
  const value = parsed.values[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function boolFlag(parsed: Parsed, name: string): boolean {
  return parsed.values[name] === true;
}

/** An integer flag within bounds, or the default. */
export function intFlag(parsed: Parsed, name: string, fallback: number, min: number, max: number): number {
  const text = stringFlag(parsed, name);
  if (text === undefined) return fallback;
  if (!/^[0-9]+$/.test(text) || Number(text) < min || Number(text) > max)
    throw usageError(`--${name} must be an integer from ${min} to ${max}`);
  return Number(text);
}
