// The sealed-fields command without a server: keygen, keys check, argument errors, offline decode, blind indexes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Payload } from '@temporalio/common';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { blindIndex, Keyring, SealingCodec, SubjectKeys } from '../../src/codec';
import { MemorySubjectKeyStore } from '../../src/keystore';
import { BlindIndexer } from '../../src/codec/blind-index';
import { createSealedPayloadConverter, secret } from '../../src/index';
import type { KeysReport } from '../../src/cli/commands/keys';
import { duplicateKeysIn } from '../../src/cli/keyring-source';
import { Progress } from '../../src/cli/scan/progress';
import { freePort } from '../support/dev-server';
import { codeOf } from '../support/errors';
import { findLeaks } from '../support/payloads';
import { pendingText } from '../support/pending';
import { bin, cli, keyringEnv } from './helpers';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sealed-cli-unit-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

function envFromLines(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line);
    if (match) env[match[1] as string] = match[2] as string;
  }
  return env;
}

describe('keygen', () => {
  test('prints a key whose env lines load with Keyring.fromEnv and whose JSON loads with Keyring.fromFile', async () => {
    const result = await cli(['keygen', '--id', 'k-2026']);
    expect(result.code).toBe(0);
    const env = envFromLines(result.stdout);
    expect(Keyring.fromEnv(env).describe()).toEqual({ active: 'k-2026', keyIds: ['k-2026'], purposes: {} });
    const json = result.stdout.slice(result.stdout.indexOf('{'));
    const file = path.join(tmp, 'keyring.json');
    writeFileSync(file, json);
    expect(Keyring.fromFile(file).describe().active).toBe('k-2026');
    const base64 = result.stdout.split('\n')[1] as string;
    expect(Buffer.from(base64, 'base64')).toHaveLength(32);
    expect(env.SEALED_FIELDS_KEYS).toBe(`k-2026:${base64}`);
    expect(result.stderr).toBe('');
  });

  test('each call draws a new key and, without --id, a new random id', async () => {
    const [a, b] = [await cli(['keygen', '--format', 'json']), await cli(['keygen', '--format', 'json'])];
    const [ka, kb] = [
      JSON.parse(a.stdout) as { active: string; keys: Record<string, string> },
      JSON.parse(b.stdout) as { active: string; keys: Record<string, string> },
    ];
    expect(ka.active).toMatch(/^k-[0-9a-f]{8}$/);
    expect(ka.active).not.toBe(kb.active);
    expect(ka.keys[ka.active]).not.toBe(kb.keys[kb.active]);
  });

  test('--format env prints exactly the two environment lines', async () => {
    const result = await cli(['keygen', '--id', 'k9', '--format', 'env']);
    expect(
      result.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('=')[0]),
    ).toEqual(['SEALED_FIELDS_KEYS', 'SEALED_FIELDS_ACTIVE_KEY']);
    expect(Keyring.fromEnv(envFromLines(result.stdout)).has('k9')).toBe(true);
  });

  test('--subject-index prints a subject index key that SubjectKeys.fromEnv accepts; with --index it is a usage error', async () => {
    const result = await cli(['keygen', '--subject-index']);
    expect(result.code).toBe(0);
    const env = envFromLines(result.stdout);
    expect(Buffer.from(env.SEALED_FIELDS_SUBJECT_INDEX_KEY ?? '', 'base64')).toHaveLength(32);
    const keys = SubjectKeys.fromEnv(
      { keys: new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } }), store: new MemorySubjectKeyStore() },
      env,
    );
    expect(keys.subjectHash('patient-1042')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await cli(['keygen', '--index', '--subject-index'])).code).toBe(2);
  });

  test('--index prints a blind-index key that BlindIndexer.fromEnv accepts', async () => {
    const result = await cli(['keygen', '--index']);
    expect(result.code).toBe(0);
    const env = envFromLines(result.stdout);
    expect(Buffer.from(env.SEALED_FIELDS_INDEX_KEY ?? '', 'base64')).toHaveLength(32);
    expect(BlindIndexer.fromEnv(env).index('P-1', 'patient')).toMatch(/^[A-Za-z0-9_-]{11}$/);
  });

  test('a bad --id or --format is a usage error (exit 2)', async () => {
    expect((await cli(['keygen', '--id', 'no spaces allowed'])).code).toBe(2);
    expect((await cli(['keygen', '--format', 'yaml'])).code).toBe(2);
    expect((await cli(['keygen', '--id'])).code).toBe(2);
  });
});

describe('keys check', () => {
  const k1 = Keyring.generateKey();
  const k2 = Keyring.generateKey();

  async function check(env: Record<string, string>, extra: string[] = []): Promise<{ code: number; report: KeysReport; text: string }> {
    const result = await cli(['keys', 'check', '--json', ...extra], { env });
    return { code: result.code, report: JSON.parse(result.stdout) as KeysReport, text: result.stdout + result.stderr };
  }

  test('reports ids, the active key and purposes of a good keyring, exit 0, and never prints key material', async () => {
    const env = { ...keyringEnv({ k1, k2 }, 'k2'), SEALED_FIELDS_PURPOSE_KEYS: 'phi:k1' };
    const { code, report, text } = await check(env);
    expect(code).toBe(0);
    expect(report).toMatchObject({
      active: 'k2',
      keys: [
        { id: 'k1', bytes: 32 },
        { id: 'k2', bytes: 32 },
      ],
      purposes: { phi: 'k1' },
      problems: [],
    });
    const plain = await cli(['keys', 'check'], { env });
    expect(plain.code).toBe(0);
    for (const key of [k1, k2]) expect(text + plain.stdout).not.toContain(b64(key).slice(0, 16));
  });

  test.each([
    ['key-wrong-length', { SEALED_FIELDS_KEYS: `k1:${b64(k1.subarray(0, 16))}` }],
    ['key-bad-base64', { SEALED_FIELDS_KEYS: 'k1:not*base64!' }],
    ['key-duplicate', { SEALED_FIELDS_KEYS: `k1:${b64(k1)},k1:${b64(k2)}`, SEALED_FIELDS_ACTIVE_KEY: 'k1' }],
    ['active-missing', { SEALED_FIELDS_KEYS: `k1:${b64(k1)},k2:${b64(k2)}` }],
    ['active-unknown', { ...keyringEnv({ k1 }, 'k1'), SEALED_FIELDS_ACTIVE_KEY: 'k3' }],
    ['purpose-key-unknown', { ...keyringEnv({ k1 }, 'k1'), SEALED_FIELDS_PURPOSE_KEYS: 'phi:k7' }],
    ['key-reused', { SEALED_FIELDS_KEYS: `k1:${b64(k1)},k2:${b64(k1)}`, SEALED_FIELDS_ACTIVE_KEY: 'k1' }],
    ['keys-missing', {}],
    ['index-key-reuses-sealing-key', { ...keyringEnv({ k1 }, 'k1'), SEALED_FIELDS_INDEX_KEY: b64(k1) }],
    ['index-key-invalid', { ...keyringEnv({ k1 }, 'k1'), SEALED_FIELDS_INDEX_KEY: b64(k1.subarray(0, 8)) }],
  ])('reports %s with exit 1', async (problem, env) => {
    const { code, report, text } = await check(env as Record<string, string>);
    expect(code).toBe(1);
    expect(report.problems.map((p) => p.problem)).toContain(problem);
    for (const key of [k1, k2]) expect(text).not.toContain(b64(key).slice(0, 16));
  });

  test('a key pasted without its id, or where an id belongs, is reported without echoing it', async () => {
    const url = Buffer.from(k1).toString('base64url'); // 43 characters that also match the key id pattern
    for (const env of [
      { SEALED_FIELDS_KEYS: b64(k1) },
      { SEALED_FIELDS_KEYS: url },
      { SEALED_FIELDS_KEYS: `${url}:${b64(k2)}`, SEALED_FIELDS_ACTIVE_KEY: url },
    ]) {
      const { code, text } = await check(env);
      expect(code).toBe(1);
      expect(text).not.toContain(url.slice(0, 16));
      expect(text).not.toContain(b64(k1).slice(0, 16));
    }
  });

  test('--keyring checks a keyring file, including ids written twice in JSON', async () => {
    const good = path.join(tmp, 'good.json');
    writeFileSync(good, JSON.stringify({ active: 'k2', keys: { k1: b64(k1), k2: b64(k2) } }));
    expect((await check({}, ['--keyring', good])).code).toBe(0);
    const dup = path.join(tmp, 'dup.json');
    writeFileSync(dup, `{"active":"k1","keys":{"k1":"${b64(k1)}","k1":"${b64(k2)}"}}`);
    const dupReport = await check({}, ['--keyring', dup]);
    expect(dupReport.code).toBe(1);
    expect(dupReport.report.problems).toContainEqual({ problem: 'key-duplicate', keyId: 'k1' });
    const notJson = path.join(tmp, 'bad.json');
    writeFileSync(notJson, 'active=k1');
    expect((await check({}, ['--keyring', notJson])).report.problems).toEqual([{ problem: 'file-not-json' }]);
    const missing = await check({}, ['--keyring', path.join(tmp, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.report.problems).toEqual([{ problem: 'file-unreadable' }]);
  });

  test('duplicateKeysIn finds repeated members only inside the named object', () => {
    expect(duplicateKeysIn('{"keys":{"a":"1","b":{"a":1},"a":"2"},"purposes":{"x":"a","x":"b"}}', 'keys')).toEqual(['a']);
    expect(duplicateKeysIn('{"other":{"a":1,"a":2},"keys":{"a":"1"}}', 'keys')).toEqual([]);
  });

  test('"keys" without "check", or with extra words, is a usage error', async () => {
    expect((await cli(['keys'])).code).toBe(2);
    expect((await cli(['keys', 'check', 'now'])).code).toBe(2);
  });
});

describe('arguments and unreachable servers', () => {
  test.each(['keygen', 'keys', 'scan', 'decode', 'serve'])('%s --help prints usage and exits 0', async (name) => {
    const result = await cli([name, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: sealed-fields/);
  });

  test('no command or an unknown one is a usage error; --help lists every command', async () => {
    expect((await cli([])).code).toBe(2);
    expect((await cli(['rotate'])).code).toBe(2);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const name of ['keygen', 'keys', 'scan', 'decode', 'serve']) expect(help.stdout).toContain(`  ${name}`);
  });

  test('scan: bad flags are usage errors (exit 2)', async () => {
    expect((await cli(['scan', '--concurrency', '0'])).code).toBe(2);
    expect((await cli(['scan', '--concurrency', 'many'])).code).toBe(2);
    expect((await cli(['scan', '--key-rules', '(unclosed'])).code).toBe(2);
    expect((await cli(['scan', '--frobnicate'])).code).toBe(2);
    expect((await cli(['scan', 'extra-positional'])).code).toBe(2);
  });

  test('scan: an unreachable server exits 3 with one clear line', async () => {
    const port = await freePort();
    const result = await cli(['scan', '--address', `127.0.0.1:${port}`, '--connect-timeout', '2']);
    expect(result.code).toBe(3);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
  });

  test('decode: a missing file or non-JSON input exits 3; a missing keyring or bad arguments exit 2', async () => {
    const env = keyringEnv({ k1: Keyring.generateKey() }, 'k1');
    expect((await cli(['decode', path.join(tmp, 'missing.json')], { env })).code).toBe(3);
    expect((await cli(['decode', '-'], { env, stdin: 'not json' })).code).toBe(3);
    expect((await cli(['decode', '-'], { stdin: '{}' })).code).toBe(2);
    expect((await cli(['decode'], { env })).code).toBe(2);
    expect((await cli(['decode', 'a.json', 'b.json'], { env })).code).toBe(2);
  });

  test('the real bin returns the same exit codes', async () => {
    expect(bin(['--help']).code).toBe(0);
    expect(bin(['serve', '--help']).stdout).toMatch(/^Usage: sealed-fields serve/);
    expect(bin(['keygen', '--bogus']).code).toBe(2);
    expect(bin(['decode', '/nonexistent/history.json', '--redact']).code).toBe(3);
    const port = await freePort();
    const unreachable = bin(['scan', '--address', `127.0.0.1:${port}`, '--connect-timeout', '2']);
    expect(unreachable.code).toBe(3);
    const keys = bin(['keygen', '--format', 'env']);
    expect(Keyring.fromEnv(envFromLines(keys.stdout)).describe().keyIds).toHaveLength(1);
  });
});

describe('decode offline', () => {
  test('opens Payloads sealed in process, and only with the right key id', async () => {
    const keyring = new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } });
    const codec = await SealingCodec.create({ keyring });
    const converter = createSealedPayloadConverter();
    const [payload] = await codec.encode([converter.toPayload({ id: 7, ssn: secret('078-05-1120', { purpose: 'phi' }) })]);
    const json = {
      payloads: [
        { metadata: Object.fromEntries(Object.entries(payload!.metadata!).map(([k, v]) => [k, b64(v!)])), data: b64(payload!.data!) },
      ],
    };
    const opened = await cli(['decode', '-'], { env: { SEALED_FIELDS_KEYS: `k1:${b64(keyring.key('k1'))}` }, stdin: JSON.stringify(json) });
    expect(opened.code).toBe(0);
    expect(JSON.parse(opened.stdout)).toEqual({ payloads: [{ id: 7, ssn: '078-05-1120' }] });
    // Same id, different bytes: authentication fails, the field stays sealed.
    const wrong = await cli(['decode', '-'], { env: keyringEnv({ k1: Keyring.generateKey() }, 'k1'), stdin: JSON.stringify(json) });
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout)).toEqual({ payloads: [{ id: 7, ssn: '[sealed:phi:k1]' }] });
  });

  describe('refuses sealed or pending payloads relabelled with another encoding', () => {
    const SSN = '078-05-1120';
    const keyring = new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } });
    const env = keyringEnv({ k1: keyring.key('k1') }, 'k1');
    const converter = createSealedPayloadConverter();

    function toJson(payload: Payload, encoding: string | undefined): unknown {
      const metadata = Object.fromEntries(Object.entries(payload.metadata!).map(([k, v]) => [k, b64(v!)]));
      if (encoding === undefined) delete metadata.encoding;
      else metadata.encoding = b64(new TextEncoder().encode(encoding));
      return { payloads: [{ metadata, data: b64(payload.data!) }] };
    }

    // As a workflow sandbox writes it into history: the field list, plaintext values included, inline.
    function pendingPayload(): Payload {
      const payload = converter.toPayload({ id: 7, ssn: secret(SSN, { purpose: 'phi' }) });
      return { ...payload, metadata: { ...payload.metadata, 'sealed-pending': new TextEncoder().encode(pendingText(payload)!) } };
    }

    async function sealedPayload(): Promise<Payload> {
      const codec = await SealingCodec.create({ keyring });
      return (await codec.encode([converter.toPayload({ id: 7, ssn: secret(SSN, { purpose: 'phi' }) })]))[0]!;
    }

    test.each([
      ['sealed', 'binary/plain', 'SEALED_TAMPERED'],
      ['sealed', 'json/protobuf', 'SEALED_TAMPERED'],
      ['sealed', undefined, 'SEALED_TAMPERED'],
      ['pending', 'binary/plain', 'SEALED_NOT_SEALED'],
      ['pending', undefined, 'SEALED_NOT_SEALED'],
      ['opened', 'json/plain', 'SEALED_MALFORMED'],
    ])('a %s payload labelled %s is refused with %s, exit 1, nothing of its values printed', async (kind, encoding, code) => {
      const payloads = {
        sealed: async () => sealedPayload(),
        pending: async () => pendingPayload(),
        opened: async () => (await SealingCodec.create({ keyring })).open(await sealedPayload()),
      };
      const payload = await payloads[kind as keyof typeof payloads]();
      const entry = `sealed-${kind === 'sealed' ? 'fields' : kind}`;
      for (const detailed of [[], ['--detailed']]) {
        const result = await cli(['decode', '-', ...detailed], { env, stdin: JSON.stringify(toJson(payload, encoding)) });
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(code);
        expect(findLeaks(result.stdout + result.stderr, [SSN])).toEqual([]);
        expect(result.stdout).not.toContain(b64(payload.metadata![entry]!).slice(0, 16));
        expect(JSON.stringify(JSON.parse(result.stdout))).toContain(code);
      }
    });

    test('a pending json/plain payload whose data is not JSON is refused too, its plaintext not printed', async () => {
      const broken = { ...pendingPayload(), data: new TextEncoder().encode('not json') };
      const result = await cli(['decode', '-', '--detailed'], { env, stdin: JSON.stringify(toJson(broken, 'json/plain')) });
      expect(result.code).toBe(1);
      expect(findLeaks(result.stdout + result.stderr, [SSN])).toEqual([]);
    });
  });
});

describe('blindIndex', () => {
  const key = Keyring.generateKey();

  test('is deterministic, 8 bytes of base64url by default, and depends on key, purpose and value type', () => {
    const a = blindIndex('P-1', { purpose: 'patient', key });
    expect(a).toMatch(/^[A-Za-z0-9_-]{11}$/);
    expect(blindIndex('P-1', { purpose: 'patient', key: b64(key) })).toBe(a);
    expect(blindIndex('P-1', { purpose: 'mrn', key })).not.toBe(a);
    expect(blindIndex('P-1', { purpose: 'patient', key: Keyring.generateKey() })).not.toBe(a);
    expect(blindIndex(1, { purpose: 'patient', key })).not.toBe(blindIndex('1', { purpose: 'patient', key }));
    expect(blindIndex('P-1', { purpose: 'patient', key, bytes: 16 })).toHaveLength(22);
    expect(new BlindIndexer({ key }).index('P-1', 'patient')).toBe(a);
  });

  test('the encoding is unambiguous: different (purpose, value) pairs never collide at full length', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/),
        fc.string(),
        fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/),
        fc.string(),
        (p1, v1, p2, v2) => {
          fc.pre(p1 !== p2 || v1 !== v2);
          expect(blindIndex(v1, { purpose: p1, key, bytes: 32 })).not.toBe(blindIndex(v2, { purpose: p2, key, bytes: 32 }));
        },
      ),
    );
    expect(blindIndex('c', { purpose: 'ab', key })).not.toBe(blindIndex('bc', { purpose: 'a', key }));
  });

  test('refuses short keys, out-of-range lengths and unsupported values with stable codes', () => {
    expect(codeOf(() => blindIndex('x', { purpose: 'p', key: key.subarray(0, 16) }))).toBe('SEALED_KEY_INVALID');
    expect(codeOf(() => blindIndex('x', { purpose: 'p', key, bytes: 3 }))).toBe('SEALED_INVALID_OPTION');
    expect(codeOf(() => blindIndex('x', { purpose: 'p', key, bytes: 33 }))).toBe('SEALED_INVALID_OPTION');
    expect(codeOf(() => blindIndex(Number.NaN, { purpose: 'p', key }))).toBe('SEALED_UNSUPPORTED_VALUE');
    expect(codeOf(() => blindIndex('x', { purpose: 'Bad Purpose', key }))).toBe('SEALED_INVALID_OPTION');
    expect(codeOf(() => BlindIndexer.fromEnv({}))).toBe('SEALED_INVALID_OPTION');
    expect(JSON.stringify(new BlindIndexer({ key }))).toBe('{"bytes":8}');
  });
});

describe('scan progress', () => {
  test('redraws one bar on a terminal and prints a plain line per tenth otherwise', () => {
    let tty = '';
    const bar = new Progress({ isTTY: true, write: (t: string) => (tty += t) }, 4, true);
    for (let i = 1; i <= 4; i++) bar.update(i, i * 2);
    bar.finish();
    expect(tty.split('\r').filter(Boolean)).toHaveLength(4);
    expect(tty).toContain('[##############################] 4/4 workflows, 8 payloads');
    let plain = '';
    const lines = new Progress({ write: (t: string) => (plain += t) }, 100, true);
    for (let i = 1; i <= 100; i++) lines.update(i, i);
    expect(plain.trim().split('\n')).toHaveLength(11);
    expect(plain).not.toContain('\r');
  });
});
