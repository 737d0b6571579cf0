// `sealed-fields serve --token-page`: the flag, its one requirement, and the page on a real socket.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseServeArgs, serveCommand } from '../../../src/cli/commands/serve';
import type { CliIo } from '../../../src/cli/io';
import { Keyring } from '../../../src/codec';

const UI = 'http://localhost:8233';
const TOKEN = 'serve-flag-token-0123456789';

function memoryIo(): CliIo & { err: () => string } {
  let err = '';
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'token-page-flag-'));
  writeFileSync(path.join(cwd, 'tokens.json'), JSON.stringify([{ token: TOKEN, subject: 'me', purposes: '*' }]));
  return {
    stdout: { write: () => true },
    stderr: { write: (text: string) => (err += text) },
    stdin: process.stdin,
    env: { SEALED_FIELDS_KEYS: `k1:${Buffer.from(Keyring.generateKey()).toString('base64')}` },
    cwd,
    err: () => err,
  };
}

describe('sealed-fields serve --token-page', () => {
  test('turns the page on and CORS credentials with it', () => {
    const options = parseServeArgs(['--tokens', 'tokens.json', '--ui-origin', UI, '--token-page'], memoryIo());
    if (options === 'help') throw new Error('help');
    expect(options.tokenPage).toBe(true);
    expect(options.cors).toEqual({ origins: [UI], credentials: true });
  });

  test('without the flag the page is off', () => {
    const options = parseServeArgs(['--tokens', 'tokens.json', '--ui-origin', UI], memoryIo());
    if (options === 'help') throw new Error('help');
    expect(options.tokenPage).toBeUndefined();
    expect(options.cors?.credentials).toBe(false);
  });

  test('without --ui-origin it is a usage error (exit 2)', () => {
    expect(() => parseServeArgs(['--tokens', 'tokens.json', '--token-page'], memoryIo())).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  test('--help lists the flag', async () => {
    let out = '';
    const io = { ...memoryIo(), stdout: { write: (text: string) => (out += text) } };
    await serveCommand(['--help'], io);
    expect(out).toContain('--token-page');
  });

  test('the running server says where the page is and serves it; the token never reaches stderr', async () => {
    const io = memoryIo();
    const stop = new AbortController();
    const running = serveCommand(['--tokens', 'tokens.json', '--ui-origin', UI, '--token-page', '--port', '0'], io, stop.signal);
    try {
      await expect.poll(() => io.err(), { timeout: 10_000 }).toContain('/token');
      const pageUrl = /token page at (\S+)/.exec(io.err())?.[1];
      expect(pageUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/token$/);
      const page = await fetch(pageUrl as string);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Store in this browser');
    } finally {
      stop.abort();
      expect(await running).toBe(0);
    }
    expect(io.err()).not.toContain(TOKEN);
  });
});
