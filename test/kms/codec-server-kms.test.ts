// The codec server (sealed-fields serve's options) with the AWS KMS key source, against moto's KMS API.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSealedPayloadConverter, secret } from '../../src';
import { AwsKmsKeySource, SealingCodec } from '../../src/codec';
import { parseServeArgs, runServe } from '../../src/cli/commands/serve';
import type { AuditSink } from '../../src/server/audit/audit-log';
import type { CodecServer } from '../../src/server/codec-server';
import { post, STATIC_TOKENS, TOKENS, toWire } from '../server/fixtures';
import { startKmsServer, type KmsServer } from '../support/kms-server';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CliIo } from '../../src/cli/io';
import { Readable } from 'node:stream';

let kms: KmsServer;
let kmsKey: string;
const dir = mkdtempSync(path.join(os.tmpdir(), 'sealed-kms-serve-'));
const tokensFile = path.join(dir, 'tokens.json');
const servers: CodecServer[] = [];
const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
const io: CliIo = {
  stdout: { write: () => true },
  stderr: { write: () => true },
  stdin: Readable.from([]),
  env: {},
  cwd: dir,
} as unknown as CliIo;

beforeAll(async () => {
  kms = await startKmsServer();
  kmsKey = await kms.createKey('serve');
  process.env.AWS_ACCESS_KEY_ID = kms.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = kms.credentials.secretAccessKey;
  writeFileSync(tokensFile, JSON.stringify(STATIC_TOKENS));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
  else process.env.AWS_ACCESS_KEY_ID = saved.id;
  if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
  else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  await kms?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(audit?: AuditSink): Promise<string> {
  const options = parseServeArgs(
    ['--kms-key-id', kmsKey, '--kms-endpoint', kms.endpoint, '--kms-region', kms.region, '--tokens', tokensFile, '--port', '0'],
    io,
  );
  if (options === 'help') throw new Error('help');
  const { server, url } = await runServe(audit === undefined ? options : { ...options, audit });
  servers.push(server);
  return url;
}

async function sealedIntake(under = kmsKey): Promise<ReturnType<typeof converter.toPayload>> {
  const keys = await AwsKmsKeySource.create({ kmsKeyId: under, endpoint: kms.endpoint, region: kms.region, credentials: kms.credentials });
  const codec = await SealingCodec.create({ keys });
  const [sealed] = await codec.encode([converter.toPayload({ id: 'p-1', ssn: secret('078-05-1120', { purpose: 'phi' }) })], {
    type: 'workflow',
    namespace: 'default',
    workflowId: 'w',
  });
  return sealed!;
}
const converter = createSealedPayloadConverter();

describe('sealed-fields serve with --kms-key-id', () => {
  test('reveals by purpose with data keys unwrapped by KMS, no keyring needed', async () => {
    const url = await serve();
    const sealed = await sealedIntake();
    const opened = await post(url, '/decode', toWire([sealed]), { token: TOKENS.clinician, namespace: 'default' });
    expect(opened.status).toBe(200);
    const data = JSON.parse(
      Buffer.from((JSON.parse(opened.text) as { payloads: Array<{ data: string }> }).payloads[0]!.data, 'base64').toString(),
    ) as { ssn: string };
    expect(data.ssn).toBe('078-05-1120');
    const support = await post(url, '/decode', toWire([sealed]), { token: TOKENS.support, namespace: 'default' });
    const hidden = JSON.parse(
      Buffer.from((JSON.parse(support.text) as { payloads: Array<{ data: string }> }).payloads[0]!.data, 'base64').toString(),
    ) as { ssn: string };
    expect(hidden.ssn).toMatch(/^\[sealed:phi:dk-/);
  });

  test('while the KMS does not answer, /decode is 503 SEALED_KMS_UNAVAILABLE (not 500, not 422), and 200 once it answers again', async () => {
    const sealed = await sealedIntake();
    const url = await serve(); // a fresh server: nothing cached
    kms.pause();
    try {
      const down = await post(url, '/decode', toWire([sealed]), { token: TOKENS.clinician, namespace: 'default' });
      expect(down.status).toBe(503);
      expect(JSON.parse(down.text)).toEqual({ error: 'unavailable', code: 'SEALED_KMS_UNAVAILABLE', kmsKeyId: kmsKey });
    } finally {
      kms.resume();
    }
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++)
      status = (await post(url, '/decode', toWire([sealed]), { token: TOKENS.clinician, namespace: 'default' })).status;
    expect(status).toBe(200);
  });

  test('a payload under a KMS key the server does not trust is 422 SEALED_KMS_KEY_NOT_ALLOWED naming that key, in the body and the audit line', async () => {
    const otherKey = await kms.createKey('not trusted by the server');
    const sealed = await sealedIntake(otherKey);
    const records: Array<Record<string, unknown>> = [];
    const url = await serve((record) => records.push(record));
    kms.resetCalls();
    const refused = await post(url, '/decode', toWire([sealed]), { token: TOKENS.clinician, namespace: 'default' });
    expect(refused.status).toBe(422);
    expect(JSON.parse(refused.text)).toEqual({ error: 'unprocessable', code: 'SEALED_KMS_KEY_NOT_ALLOWED', kmsKeyId: otherKey });
    expect(records).toEqual([
      expect.objectContaining({ event: 'rejected', code: 'SEALED_KMS_KEY_NOT_ALLOWED', kmsKeyId: otherKey, route: 'decode' }),
    ]);
    expect(kms.calls('Decrypt')).toBe(0); // refused before any KMS call
    expect(refused.text + JSON.stringify(records)).not.toContain('078-05-1120');
  });
});
