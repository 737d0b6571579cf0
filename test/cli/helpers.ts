// Runs the sealed-fields command in process (fast) or as the real bin (exit codes of a process).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Keyring } from '../../src/codec';
import type { CliIo } from '../../src/cli/io';
import { runCli } from '../../src/cli/run';
import { ensureBuilt } from '../support/dist';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const ROOT = path.resolve(__dirname, '../..');

/** Runs `sealed-fields ...argv` in this process with only the given environment. */
export async function cli(
  argv: string[],
  options: { env?: Record<string, string>; stdin?: string; cwd?: string } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: Readable.from([Buffer.from(options.stdin ?? '')]),
    env: options.env ?? {},
    cwd: options.cwd ?? ROOT,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

/** Runs the real bin, `bin/sealed-fields.js` over dist/ (built first when missing or stale). */
export function bin(argv: string[], options: { env?: Record<string, string>; input?: string } = {}): CliResult {
  ensureBuilt();
  const result = spawnSync(process.execPath, [path.join(ROOT, 'bin/sealed-fields.js'), ...argv], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Environment variables for a keyring, as workers read them. */
export function keyringEnv(keys: Record<string, Uint8Array>, active: string): Record<string, string> {
  const list = Object.entries(keys).map(([id, key]) => `${id}:${Buffer.from(key).toString('base64')}`);
  return { SEALED_FIELDS_KEYS: list.join(','), SEALED_FIELDS_ACTIVE_KEY: active };
}

export function keyringFromEnv(env: Record<string, string>): Keyring {
  return Keyring.fromEnv(env);
}
