import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from './io';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed flags and positionals; unknown flags and missing values become usage errors (exit 2). */
export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/** `node:util` parseArgs in strict mode, with `--help`/`-h` on every command. */
export function parseFlags(args: string[], options: Options, allowPositionals = false): Parsed {
  try {
    const parsed = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' }, ...options }, allowPositionals, strict: true });
    return { values: parsed.values as Parsed['values'], positionals: parsed.positionals };
  } catch (err) {
    throw usageError(err instanceof Error ? err.message : 'bad arguments');
  }
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
  if (!/^[0-9]+$/.test(text) || Number(text) < min || Number(text) > max) throw usageError(`--${name} must be an integer from ${min} to ${max}`);
  return Number(text);
}
