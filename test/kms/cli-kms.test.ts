// `sealed-fields keys check` with the KMS flags, against moto's KMS API (the SDK's default credential chain reads the environment).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { KmsKeysReport } from '../../src/cli/commands/keys';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSealedPayloadConverter, secret } from '../../src';
import { AwsKmsKeySource, Keyring, SealingCodec } from '../../src/codec';
import { cli } from '../cli/helpers';
import { startKmsServer, type KmsServer } from '../support/kms-server';

let kms: KmsServer;
let kmsKey: string;
const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  kms = await startKmsServer();
  kmsKey = await kms.createKey('cli');
  process.env.AWS_ACCESS_KEY_ID = kms.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = kms.credentials.secretAccessKey;
});
afterAll(async () => {
  if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
  else process.env.AWS_ACCESS_KEY_ID = saved.id;
  if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
  else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  await kms?.teardown();
});

const flags = (): string[] => ['--kms-key-id', kmsKey, '--kms-endpoint', kms.endpoint, '--kms-region', kms.region];

describe('keys check with an AWS KMS configuration', () => {
  test('a reachable KMS key that can generate and unwrap a data key passes (exit 0), one call of each', async () => {
    kms.resetCalls();
    const { code, stdout } = await cli(['keys', 'check', ...flags()]);
    expect(code).toBe(0);
    expect(stdout).toContain(`KMS key ${kmsKey}: ok`);
    expect(kms.calls('GenerateDataKey')).toBe(1);
    expect(kms.calls('Decrypt')).toBe(1);
  });

  test('a disabled per-purpose key and a denied call are problems by code (exit 1), naming the KMS key only', async () => {
    const disabled = await kms.createKey('disabled');
    await kms.call('DisableKey', { KeyId: disabled.split('/').pop() });
    kms.failNext('GenerateDataKey', 'AccessDeniedException');
    const { code, stdout } = await cli(['keys', 'check', ...flags(), '--kms-key-rule', `*/credential=${disabled}`, '--json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as KmsKeysReport;
    expect(report.kms.keys.map((k) => [k.kmsKeyId, k.ok, k.code])).toEqual([
      [kmsKey, false, 'SEALED_KMS_ACCESS_DENIED'],
      [disabled, false, 'SEALED_KMS_KEY_DISABLED'],
    ]);
    expect(report.problems.map((p) => p.problem)).toEqual(['kms-access-denied', 'kms-key-disabled']);
    expect(stdout).not.toContain('testing'); // no credential
  });

  test('a KMS endpoint nobody listens on is kms-unavailable, with the network error code as the SDK error name', async () => {
    const { code, stdout } = await cli([
      'keys',
      'check',
      '--kms-key-id',
      kmsKey,
      '--kms-endpoint',
      'http://127.0.0.1:1',
      '--kms-region',
      kms.region,
    ]);
    expect(code).toBe(1);
    expect(stdout).toContain(`KMS key ${kmsKey}: SEALED_KMS_UNAVAILABLE (ECONNREFUSED)`);
  });

  test('KMS flags without a key id, or without a region, are usage errors (exit 2)', async () => {
    expect((await cli(['keys', 'check', '--kms-endpoint', kms.endpoint])).code).toBe(2);
    expect((await cli(['keys', 'check', '--kms-key-id', kmsKey], { env: {} })).code).toBe(2);
  });
});

describe('decode with an AWS KMS configuration', () => {
  test('opens payloads sealed under KMS data keys and, with the keyring as well, those of before the move to KMS; one Decrypt per data key', async () => {
    const converter = createSealedPayloadConverter();
    const context = { type: 'workflow' as const, namespace: 'default', workflowId: 'w' };
    const keyringKey = Keyring.generateKey();
    const keyring = new Keyring({ active: 'k-old', keys: { 'k-old': keyringKey } });
    const kmsCodec = await SealingCodec.create({
      keys: await AwsKmsKeySource.create({ kmsKeyId: kmsKey, endpoint: kms.endpoint, region: kms.region, credentials: kms.credentials }),
    });
    const [before] = await (await SealingCodec.create({ keyring })).encode(
      [converter.toPayload({ ssn: secret('SSN-OLD', { purpose: 'phi' }) })],
      context,
    );
    const after = await kmsCodec.encode(
      [
        converter.toPayload({
          ssn: secret('SSN-NEW', { purpose: 'phi' }),
          inner: secret({ otp: secret('OTP-1', { purpose: 'credential' }) }, { purpose: 'phi' }),
        }),
      ],
      context,
    );
    const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('base64');
    const wire = [before!, ...after].map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
      data: b64(p.data),
    }));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sealed-kms-decode-'));
    try {
      const file = path.join(dir, 'history.json');
      writeFileSync(file, JSON.stringify({ payloads: wire }));
      const keyringFile = path.join(dir, 'keyring.json');
      writeFileSync(keyringFile, JSON.stringify({ active: 'k-old', keys: { 'k-old': Buffer.from(keyringKey).toString('base64') } }));
      kms.resetCalls();
      const { code, stdout } = await cli(['decode', file, ...flags(), '--keyring', keyringFile]);
      expect(code).toBe(0);
      expect(stdout).toContain('SSN-OLD');
      expect(stdout).toContain('SSN-NEW');
      expect(stdout).toContain('OTP-1');
      expect(kms.calls('Decrypt')).toBe(2); // phi and credential data keys, each once
      const kmsOnly = await cli(['decode', file, ...flags()], { env: {} });
      expect(kmsOnly.stdout).toContain('SSN-NEW');
      expect(kmsOnly.stdout).not.toContain('SSN-OLD');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('boxes under a KMS key this reader does not trust stay sealed with the reason and the flag to add, in the summary and --detailed; with --kms-open-key they open', async () => {
    const otherKey = await kms.createKey('a key decode is not told about');
    const codec = await SealingCodec.create({
      keys: await AwsKmsKeySource.create({ kmsKeyId: otherKey, endpoint: kms.endpoint, region: kms.region, credentials: kms.credentials }),
    });
    const [sealed] = await codec.encode([createSealedPayloadConverter().toPayload({ ssn: secret('SSN-UNTRUSTED', { purpose: 'phi' }) })], {
      type: 'workflow',
      namespace: 'default',
      workflowId: 'w',
    });
    const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('base64');
    const input = JSON.stringify({
      payloads: [
        { metadata: Object.fromEntries(Object.entries(sealed?.metadata ?? {}).map(([k, v]) => [k, b64(v)])), data: b64(sealed?.data) },
      ],
    });
    kms.resetCalls();
    const text = await cli(['decode', '-', ...flags()], { env: {}, stdin: input });
    expect(text.code).toBe(1);
    expect(text.stdout).not.toContain('SSN-UNTRUSTED');
    expect(text.stderr).toContain(`could not be fetched (SEALED_KMS_KEY_NOT_ALLOWED, KMS key ${otherKey})`);
    expect(text.stderr).toContain(`hint: this reader does not trust KMS key ${otherKey}: if it is yours, add --kms-open-key ${otherKey}`);
    expect(kms.calls('Decrypt')).toBe(0); // refused before any KMS call

    const detailed = await cli(['decode', '-', '--detailed', '--quiet', ...flags()], { env: {}, stdin: input });
    const [shown] = (JSON.parse(detailed.stdout) as { payloads: Array<{ sealed: unknown[] }> }).payloads;
    expect(shown?.sealed).toEqual([
      {
        keyId: expect.stringMatching(/^dk-/),
        purpose: 'phi',
        fields: ['/ssn'],
        opened: false,
        kmsKeyArn: otherKey,
        reason: 'SEALED_KMS_KEY_NOT_ALLOWED',
        hint: `this reader does not trust KMS key ${otherKey}: if it is yours, add --kms-open-key ${otherKey}`,
      },
    ]);

    const trusted = await cli(['decode', '-', '--detailed', ...flags(), '--kms-open-key', otherKey], { env: {}, stdin: input });
    expect(trusted.code).toBe(0);
    expect(trusted.stdout).toContain('SSN-UNTRUSTED');
    expect(trusted.stderr).not.toContain('hint');
    const [opened] = (JSON.parse(trusted.stdout) as { payloads: Array<{ sealed: Array<Record<string, unknown>> }> }).payloads;
    expect(opened?.sealed[0]).toMatchObject({ opened: true, kmsKeyArn: otherKey });
    expect(opened?.sealed[0]).not.toHaveProperty('reason');
  });
});
