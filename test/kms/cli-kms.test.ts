// `sealed-fields keys check` with the KMS flags, against moto's KMS API (the SDK's default credential chain reads the environment).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { KmsKeysReport } from '../../src/cli/commands/keys';
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

  test('KMS flags without a key id, or without a region, are usage errors (exit 2)', async () => {
    expect((await cli(['keys', 'check', '--kms-endpoint', kms.endpoint])).code).toBe(2);
    expect((await cli(['keys', 'check', '--kms-key-id', kmsKey], { env: {} })).code).toBe(2);
  });
});
