// One flag name per concept across commands; the old names keep working as deprecated aliases.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseFlags } from '../../src/cli/args';
import { parseServeArgs, SERVE_FLAGS, SERVE_HELP } from '../../src/cli/commands/serve';
import type { KeysReport } from '../../src/cli/commands/keys';
import type { CliIo } from '../../src/cli/io';
import { Keyring } from '../../src/codec';
import { cli } from './helpers';

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const prefixed = { APP_KEYS: `k1:${b64(Keyring.generateKey())}`, APP_ACTIVE_KEY: 'k1' };

function io(env: Record<string, string | undefined> = {}): CliIo & { err: () => string } {
  let err = '';
  return {
    stdout: { write: () => true },
    stderr: { write: (text: string) => (err += text) },
    stdin: process.stdin,
    env,
    cwd: mkdtempSync(path.join(os.tmpdir(), 'cli-flags-')),
    err: () => err,
  };
}

async function keysCheck(args: string[], env: Record<string, string> = {}): Promise<{ code: number; report: KeysReport; stderr: string }> {
  const result = await cli(['keys', 'check', '--json', ...args], { env });
  return { code: result.code, report: JSON.parse(result.stdout) as KeysReport, stderr: result.stderr };
}

describe('keyring flags are --keyring FILE and --env-prefix PREFIX on every command', () => {
  test('keys check reads --env-prefix, and the old --prefix still works with a note on stderr', async () => {
    const current = await keysCheck(['--env-prefix', 'APP'], prefixed);
    expect(current.code).toBe(0);
    expect(current.stderr).toBe('');
    const old = await keysCheck(['--prefix', 'APP'], prefixed);
    expect(old.code).toBe(0);
    expect(old.report).toEqual(current.report);
    expect(old.stderr).toContain('--env-prefix');
  });

  test('keys check reads --keyring FILE, and the old --file still works', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-flags-'));
    const file = path.join(dir, 'ring.json');
    writeFileSync(file, JSON.stringify({ active: 'k1', keys: { k1: b64(Keyring.generateKey()) } }));
    const current = await keysCheck(['--keyring', file]);
    const old = await keysCheck(['--file', file]);
    expect([current.code, old.code]).toEqual([0, 0]);
    expect(old.report).toEqual(current.report);
    expect(current.report.source).toBe(`file ${file}`);
  });

  test('an old name and its new name together are a usage error (exit 2)', async () => {
    expect((await cli(['keys', 'check', '--prefix', 'APP', '--env-prefix', 'APP'], { env: prefixed })).code).toBe(2);
    expect((await cli(['keys', 'check', '--file', 'a.json', '--keyring', 'a.json'])).code).toBe(2);
  });

  test('decode takes --env-prefix, and the old --prefix, to find the keyring', async () => {
    const input = JSON.stringify({ payloads: [] });
    expect((await cli(['decode', '-', '--quiet'], { env: prefixed, stdin: input })).code).toBe(2); // SEALED_FIELDS_* not set
    expect((await cli(['decode', '-', '--quiet', '--env-prefix', 'APP'], { env: prefixed, stdin: input })).code).toBe(0);
    expect((await cli(['decode', '-', '--quiet', '--prefix', 'APP'], { env: prefixed, stdin: input })).code).toBe(0);
  });

  test('scan takes --env-prefix and the old --prefix (a bad keyring under that prefix is exit 2 before any connection)', async () => {
    for (const flag of ['--env-prefix', '--prefix']) {
      const result = await cli(['scan', '--check-keyring', flag, 'NOPE', '--address', '127.0.0.1:1'], { env: prefixed });
      expect(result.code).toBe(2);
    }
  });

  test('serve takes --env-prefix and the old --prefix', () => {
    for (const flag of ['--env-prefix', '--prefix']) {
      const options = parseServeArgs([flag, 'APP'], io(prefixed));
      expect(options === 'help' ? undefined : options.keyring?.describe().active).toBe('k1');
    }
  });

  test('parseFlags moves an alias value to the new name and reports the rename', () => {
    const parsed = parseFlags(['--prefix', 'APP'], { 'env-prefix': { type: 'string' } }, false, { prefix: 'env-prefix' });
    expect(parsed.values).toEqual({ 'env-prefix': 'APP' });
    expect(parsed.renamed).toEqual([['prefix', 'env-prefix']]);
  });
});

describe('serve flags', () => {
  test('--help documents every flag serve takes, each under a group heading', () => {
    for (const flag of Object.keys(SERVE_FLAGS)) expect(SERVE_HELP).toMatch(new RegExp(`^  --${flag}\\b`, 'm'));
    const groups = SERVE_HELP.split('\n').filter((row) => /^[A-Z][^:]*:$/.test(row));
    expect(groups.length).toBeGreaterThanOrEqual(6);
  });

  test('JWT claim flags are --jwt-*-claim; the old --*-claim names still work', () => {
    const env = { ...prefixed, JWT_SECRET: 'x'.repeat(32) };
    const base = ['--env-prefix', 'APP', '--jwt-secret-env', 'JWT_SECRET'];
    const current = parseServeArgs([...base, '--jwt-purposes-claim', 'roles', '--jwt-subject-claim', 'email'], io(env));
    const oldIo = io(env);
    const old = parseServeArgs([...base, '--purposes-claim', 'roles', '--subject-claim', 'email'], oldIo);
    const claimsOf = (options: typeof current) => (options === 'help' ? undefined : options.auth?.jwt?.claims);
    expect(claimsOf(current)).toEqual({ purposes: 'roles', subject: 'email' });
    expect(claimsOf(old)).toEqual(claimsOf(current));
    expect(oldIo.err()).toContain('--jwt-purposes-claim');
  });

  test.each([
    ['two JWT key sources', ['--jwks-url', 'https://idp.test/jwks.json', '--jwt-secret-env', 'JWT_SECRET']],
    ['a JWT issuer without a key source', ['--jwt-issuer', 'https://idp.test/']],
    ['a JWT claim name without a key source', ['--jwt-purposes-claim', 'roles']],
  ])('%s is a usage error (exit 2), not a setting silently ignored', (_name, args) => {
    const env = { ...prefixed, JWT_SECRET: 'x'.repeat(32) };
    expect(() => parseServeArgs(['--env-prefix', 'APP', ...args], io(env))).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});

describe('with no keys configured, decode, serve and keys check name both ways to give them', () => {
  test('decode and serve without a keyring or KMS flags are usage errors (exit 2) naming SEALED_FIELDS_KEYS, --keyring and --kms-key-id', async () => {
    const decoded = await cli(['decode', '-'], { env: {}, stdin: JSON.stringify({ payloads: [] }) });
    expect(decoded.code).toBe(2);
    expect(decoded.stderr).toContain('set SEALED_FIELDS_KEYS (or --keyring FILE)');
    expect(decoded.stderr).toContain('--kms-key-id ARN');
    expect(decoded.stderr).toContain('--redact');
    const served = await cli(['serve', '--port', '0'], { env: {} });
    expect(served.code).toBe(2);
    expect(served.stderr).toContain('--kms-key-id ARN');
    // With another prefix, the message names that prefix.
    expect(() => parseServeArgs(['--env-prefix', 'NOPE'], io())).toThrow(
      expect.objectContaining({ message: expect.stringContaining('NOPE_KEYS') }),
    );
  });

  test('keys check with nothing configured reports keys-missing (exit 1) with a hint at --kms-key-id; a keyring that is set gets no such hint', async () => {
    const empty = await keysCheck([]);
    expect(empty.code).toBe(1);
    expect(empty.report.hint).toContain('keys check --kms-key-id ARN');
    const text = await cli(['keys', 'check'], { env: {} });
    expect(text.stdout).toMatch(/^hint: no keys: set SEALED_FIELDS_KEYS .*--kms-key-id ARN/m);
    expect((await keysCheck(['--env-prefix', 'APP'], prefixed)).report.hint).toBeUndefined();
  });

  test('the first line of decode --help names the KMS flags', async () => {
    const help = await cli(['decode', '--help']);
    expect(help.stdout.split('\n')[0]).toContain('--kms-key-id');
  });
});
