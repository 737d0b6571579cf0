import { spawn } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseServeArgs, runServe, serveCommand } from '../../src/cli/commands/serve';
import type { CliIo } from '../../src/cli/io';
import { Keyring } from '../../src/codec';
import { cli } from '../cli/helpers';
import { ensureBuilt } from '../support/dist';
import { fromWire, PLAINTEXT, post, sealedIntake, toWire } from './fixtures';

function memoryIo(env: Record<string, string | undefined> = {}): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    stdin: process.stdin,
    env,
    cwd: mkdtempSync(path.join(os.tmpdir(), 'serve-cmd-')),
    out: () => out,
    err: () => err,
  };
}

function keyringEnv(key: Uint8Array): Record<string, string> {
  return { SEALED_FIELDS_KEYS: `k1:${Buffer.from(key).toString('base64')}`, SEALED_FIELDS_ACTIVE_KEY: 'k1' };
}

describe('sealed-fields serve', () => {
  test('--help prints the options and exits 0', async () => {
    const io = memoryIo();
    expect(await serveCommand(['--help'], io)).toBe(0);
    expect(io.out()).toContain('--jwks-url');
  });

  test('flags become server options: static tokens from a file, origins, limits', () => {
    const io = memoryIo({ SEALED_FIELDS_KEYS: `k1:${Buffer.from(Keyring.generateKey()).toString('base64')}` });
    writeFileSync(
      path.join(io.cwd, 'tokens.json'),
      JSON.stringify([{ token: 'serve-test-token-0123456789', subject: 'me', purposes: '*' }]),
    );
    const options = parseServeArgs(
      [
        '--tokens',
        'tokens.json',
        '--ui-origin',
        'http://localhost:8233',
        '--cors-credentials',
        '--port',
        '0',
        '--max-payloads',
        '50',
        '--anonymous-purposes',
        'demo, other',
      ],
      io,
    );
    expect(options).not.toBe('help');
    if (options === 'help') return;
    expect(options.port).toBe(0);
    expect(options.cors).toEqual({ origins: ['http://localhost:8233'], credentials: true });
    expect(options.limits?.maxPayloads).toBe(50);
    expect(options.auth?.staticTokens?.[0]?.subject).toBe('me');
    expect(options.auth?.allowAnonymousPurposes).toEqual(['demo', 'other']);
  });

  test.each([
    ['an unknown flag', ['--nope']],
    ['a port out of range', ['--port', '70000']],
    ['a missing tokens file', ['--tokens', 'missing.json']],
    ['an empty JWT secret variable', ['--jwt-secret-env', 'NOT_SET']],
  ])('%s is a usage error (exit 2)', (_name, args) => {
    const io = memoryIo({ SEALED_FIELDS_KEYS: `k1:${Buffer.from(Keyring.generateKey()).toString('base64')}` });
    expect(() => parseServeArgs(args, io)).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  test('a JWT secret shorter than 32 bytes stops the server from starting: usage error naming SEALED_INVALID_OPTION', async () => {
    const io = memoryIo({ ...keyringEnv(Keyring.generateKey()), JWT_SECRET: 'x' });
    const options = parseServeArgs(['--jwt-secret-env', 'JWT_SECRET', '--port', '0'], io);
    if (options === 'help') throw new Error('unexpected help');
    await expect(runServe(options)).rejects.toThrow(
      expect.objectContaining({ exitCode: 2, message: expect.stringContaining('SEALED_INVALID_OPTION') }),
    );
  });

  test('a port already in use fails (exit 1) with a message naming the address, the port and EADDRINUSE', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const env = keyringEnv(Keyring.generateKey());
      const result = await cli(['serve', '--port', String(port)], { env });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `sealed-fields serve: cannot listen on 127.0.0.1:${port}: port ${port} is in use (EADDRINUSE); stop what uses it, or give another --port\n`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  test('a missing keyring is a usage error (exit 2)', () => {
    expect(() => parseServeArgs([], memoryIo({}))).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  test('the running server reveals for a token from the tokens file and stops on abort', async () => {
    const key = Keyring.generateKey();
    const ring = new Keyring({ active: 'k1', keys: { k1: key } });
    const io = memoryIo(keyringEnv(key));
    writeFileSync(
      path.join(io.cwd, 'tokens.json'),
      JSON.stringify([{ token: 'serve-test-token-0123456789', subject: 'me', purposes: '*' }]),
    );
    const options = parseServeArgs(['--tokens', 'tokens.json', '--port', '0'], io);
    if (options === 'help') throw new Error('unexpected help');
    const { server, url } = await runServe({ ...options, audit: () => undefined });
    try {
      const [shown] = fromWire(
        (await post(url, '/decode', toWire([await sealedIntake('', ring)]), { token: 'serve-test-token-0123456789' })).text,
      );
      expect(JSON.stringify(shown!.data)).toContain(PLAINTEXT.ssn);
    } finally {
      await server.close();
    }
  });

  test('serveCommand listens, then closes when its signal aborts', async () => {
    const key = Keyring.generateKey();
    const io = memoryIo(keyringEnv(key));
    const controller = new AbortController();
    const done = serveCommand(['--port', '0'], io, controller.signal);
    await waitFor(() => io.err().includes('listening on'));
    const url = /listening on (\S+)/.exec(io.err())![1]!;
    expect((await fetch(`${url}/health`)).status).toBe(200);
    controller.abort();
    expect(await done).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});

async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the built sealed-fields binary', () => {
  const bin = path.join(__dirname, '../../bin/sealed-fields.js');

  test('serve runs the codec server until SIGTERM and exits 0', async () => {
    ensureBuilt();
    const key = Keyring.generateKey();
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0'], {
      env: { ...process.env, ...keyringEnv(key) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => stderr.includes('listening on'), 15_000);
      const url = /listening on (\S+)/.exec(stderr)![1]!;
      expect((await fetch(`${url}/health`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
