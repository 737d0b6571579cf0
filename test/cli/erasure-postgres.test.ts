// The CLI and the codec server (sealed-fields serve) with PostgreSQL as the shared subject key store (#13),
// on a real dev server and a throwaway PostgreSQL cluster: forget through the CLI is honoured by a running
// codec server ([erased:<purpose>] for A, B's values), the store stopped gives 503 there and exit 3 in the
// CLI (typed, no password), and comes back; decode shows tombstones for A. No subject id or password is printed.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseServeArgs, runServe } from '../../src/cli/commands/serve';
import type { ForgetReport } from '../../src/cli/commands/forget';
import type { CliIo } from '../../src/cli/io';
import type { ScanReport } from '../../src/cli/scan/report';
import { Keyring, SealingCodec, SubjectKeys } from '../../src/codec';
import { createSealedPayloadConverter, secret } from '../../src/index';
import type { CodecServer } from '../../src/server';
import { PostgresSubjectKeyStore } from '../../src/keystore';
import { withCliWorkflowWorker } from '../support/cli-workflows';
import { startDevServer, type DevServer } from '../support/dev-server';
import { findLeaks } from '../support/payloads';
import { startPostgres, type PostgresServer } from '../support/postgres';
import { exportHistory } from '../support/temporal-cli';
import { fromWire, memoryAudit, post, toWire } from '../server/fixtures';
import { type CliResult, cli, keyringEnv } from './helpers';

const RUN = randomUUID().slice(0, 8);
const A = `subject-A-${RUN}`;
const B = `subject-B-${RUN}`;
const SSN_A = `555-66-${RUN.slice(0, 4)}`;
const SSN_B = `777-88-${RUN.slice(4, 8)}`;
const k1 = Keyring.generateKey();
const INDEX_KEY = Buffer.from(Keyring.generateKey()).toString('base64');
const TOKEN = `dpo-token-${RUN}-0123456789`;
const converter = createSealedPayloadConverter();

let pg: PostgresServer;
let server: DevServer;
let tmp: string;
let env: Record<string, string>;
let sealedA: Payload;
let sealedB: Payload;
const outputs: CliResult[] = [];

async function run(argv: string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<CliResult> {
  const result = await cli(argv, { env: options.env ?? env, ...(options.stdin !== undefined && { stdin: options.stdin }) });
  outputs.push(result);
  return result;
}

const intake = (subject: string, ssn: string) => ({
  name: 'patient',
  ssn: secret(ssn, { purpose: 'phi', subject }),
  notes: secret(`contact of ${ssn}`, { purpose: 'contact', subject }),
});

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sealed-cli-erasure-pg-'));
  pg = await startPostgres();
  server = await startDevServer();
  env = { ...keyringEnv({ k1 }, 'k1'), SEALED_FIELDS_SUBJECT_INDEX_KEY: INDEX_KEY, SEALED_FIELDS_SUBJECT_STORE: pg.url };
  const store = await PostgresSubjectKeyStore.create({ connectionString: pg.url });
  const codec = await SealingCodec.create({ keys: new SubjectKeys({ keys: Keyring.fromEnv(env), store, subjectIndexKey: INDEX_KEY }) });
  const taskQueue = `erasure-pg-${RUN}`;
  await withCliWorkflowWorker(server, taskQueue, codec, async (client) => {
    await client.workflow.execute('echoIntake', { taskQueue, workflowId: `a-${RUN}`, args: [intake(A, SSN_A)] });
    await client.workflow.execute('echoIntake', { taskQueue, workflowId: `b-${RUN}`, args: [intake(B, SSN_B)] });
  });
  const context = { type: 'workflow' as const, namespace: server.namespace, workflowId: 'codec-server' };
  [sealedA] = (await codec.encode([converter.toPayload(intake(A, SSN_A))], context)) as [Payload];
  [sealedB] = (await codec.encode([converter.toPayload(intake(B, SSN_B))], context)) as [Payload];
  await store.close();
}, 300_000);

afterAll(async () => {
  await server?.teardown();
  await pg?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const at = () => ['--address', server.address, '--namespace', server.namespace, '--quiet'];

function quietIo(): CliIo {
  return { stdout: { write: () => true }, stderr: { write: () => true }, stdin: process.stdin, env, cwd: tmp };
}

async function startServe(): Promise<{ server: CodecServer; url: string }> {
  const tokens = path.join(tmp, 'tokens.json');
  writeFileSync(tokens, JSON.stringify([{ token: TOKEN, subject: 'dpo', purposes: '*', namespaces: '*' }]));
  const options = parseServeArgs(
    ['--port', '0', '--tokens', tokens, '--subject-store', pg.url, '--subject-cache-ttl-ms', '300'],
    quietIo(),
  );
  if (options === 'help') throw new Error('unexpected help');
  return runServe({ ...options, audit: memoryAudit().sink });
}

const settle = () => new Promise((r) => setTimeout(r, 450)); // past the codec server's --subject-cache-ttl-ms

describe('PostgreSQL store', () => {
  test('scan --subject with the store URL as a flag: A run; forget --dry-run names the store without its password', async () => {
    const scan = await run(['scan', ...at(), '--json', '--subject', A, '--subject-store', pg.url]);
    expect(scan.code).toBe(0);
    const report = JSON.parse(scan.stdout) as ScanReport;
    expect(report.subject?.runs.map((r) => r.workflowId)).toEqual([`a-${RUN}`]);
    expect(report.subjectKeys?.keys).toBe(4); // A and B, phi and contact, all wrapped under k1
    const dry = await run(['forget', ...at(), '--subject', A, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`subject key store: postgres://sealed_admin:***@127.0.0.1:${pg.port}/sealed_test`);
    expect(dry.stdout).toContain('the store holds 2 keys of this subject');
  });

  test('a codec server on the store honours a CLI forget within its cache TTL: [erased:<purpose>] for A, B unaffected; store stopped: 503, then 200', async () => {
    const { server: codecServer, url } = await startServe();
    try {
      const decode = async (payloads: Payload[]) => post(url, '/decode', toWire(payloads), { token: TOKEN, namespace: server.namespace });
      const before = await decode([sealedA, sealedB]);
      expect(before.status).toBe(200);
      expect(fromWire(before.text).map((p) => p.data)).toEqual([
        { name: 'patient', ssn: SSN_A, notes: `contact of ${SSN_A}` },
        { name: 'patient', ssn: SSN_B, notes: `contact of ${SSN_B}` },
      ]);

      const forget = await run(['forget', ...at(), '--subject', '-', '--actor', 'dpo@example.test', '--reason', 'ticket 42', '--json'], {
        stdin: A,
      });
      expect(forget.code).toBe(0);
      const report = JSON.parse(forget.stdout) as ForgetReport;
      expect(report.record).toMatchObject({ actor: 'dpo@example.test', reason: 'ticket 42', keysDestroyed: 2 });
      const rows = await pg.admin('SELECT subject_hash, actor, reason, keys_destroyed FROM sealed_fields_subject_audit');
      expect(rows.rows).toEqual([{ subject_hash: report.subjectHash, actor: 'dpo@example.test', reason: 'ticket 42', keys_destroyed: 2 }]);

      await settle();
      const after = await decode([sealedA, sealedB]);
      expect(after.status).toBe(200);
      expect(fromWire(after.text).map((p) => p.data)).toEqual([
        { name: 'patient', ssn: '[erased:phi]', notes: '[erased:contact]' },
        { name: 'patient', ssn: SSN_B, notes: `contact of ${SSN_B}` },
      ]);

      await pg.halt();
      await settle();
      const down = await decode([sealedB]);
      expect(down.status).toBe(503);
      expect(JSON.parse(down.text)).toEqual({ error: 'unavailable', code: 'SEALED_KEYSTORE_UNAVAILABLE' });

      // The CLI with the store down: typed, exit 3, no password, before any history is read.
      for (const argv of [
        ['decode', exportHistory(server, tmp, `b-${RUN}`)],
        ['scan', ...at(), '--subject', B],
        ['forget', ...at(), '--subject', B, '--dry-run'],
      ]) {
        const result = await run(argv);
        expect(result.code, argv[0]).toBe(3);
        expect(result.stderr).toMatch(/cannot reach the subject key store \(SEALED_KEYSTORE_UNAVAILABLE, reason (unreachable|timeout)/);
      }

      await pg.start();
      const back = await decode([sealedB]);
      expect(back.status).toBe(200);
      expect(fromWire(back.text)[0]?.data).toEqual({ name: 'patient', ssn: SSN_B, notes: `contact of ${SSN_B}` });
    } finally {
      await codecServer.close();
    }
  });

  test('decode with the store: tombstones for A, values for B', async () => {
    const a = await run(['decode', exportHistory(server, tmp, `a-${RUN}`)]);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('"[erased:phi]"');
    expect(a.stdout).not.toContain(SSN_A);
    expect(a.stderr).toContain('erased (data subject forgotten)');
    const b = await run(['decode', exportHistory(server, tmp, `b-${RUN}`)]);
    expect(b.code).toBe(0);
    expect(b.stdout).toContain(SSN_B);
  });

  test('forget --dry-run checks the store role: the app role would refuse (store-privileges, the missing grants named); the forget role would erase; nothing destroyed', async () => {
    const password = randomBytes(12).toString('hex');
    const [keys, tombstones, audit] = ['sealed_fields_subject_keys', 'sealed_fields_subject_tombstones', 'sealed_fields_subject_audit'];
    for (const statement of [
      `CREATE ROLE dry_app LOGIN PASSWORD '${password}'`,
      `GRANT SELECT, INSERT ON ${keys} TO dry_app`,
      `GRANT SELECT ON ${tombstones} TO dry_app`,
      `CREATE ROLE dry_forget LOGIN PASSWORD '${password}'`,
      `GRANT SELECT, DELETE ON ${keys} TO dry_forget`,
      `GRANT SELECT, INSERT ON ${tombstones}, ${audit} TO dry_forget`,
    ])
      await pg.admin(statement);
    const keysOfB = async () => (await pg.admin(`SELECT count(*)::int AS n FROM ${keys}`)).rows[0].n as number;
    const before = await keysOfB();
    const as = (role: string) => ({ env: { ...env, SEALED_FIELDS_SUBJECT_STORE: pg.urlFor(role, password) } });

    const refused = await run(['forget', ...at(), '--subject', B, '--dry-run', '--json'], as('dry_app'));
    expect(refused.code).toBe(1);
    const report = JSON.parse(refused.stdout) as ForgetReport;
    expect(report).toMatchObject({
      dryRun: true,
      outcome: 'would-refuse',
      refusedBecause: ['store-privileges'],
      keysHeld: 2,
      record: null,
    });
    expect(report.missingStoreAccess).toEqual([`DELETE on "${keys}"`, `INSERT on "${tombstones}"`, `INSERT on "${audit}"`]);
    const text = await run(['forget', ...at(), '--subject', B, '--dry-run'], as('dry_app'));
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      `would refuse: the subject key store's credentials may not do what forget does: missing DELETE on "${keys}", INSERT on "${tombstones}", INSERT on "${audit}".`,
    );
    // The real run as the app role fails as the dry run said (exit 3, denied), and destroys nothing.
    const real = await run(['forget', ...at(), '--subject', B, '--actor', 'app'], as('dry_app'));
    expect(real.code).toBe(3);
    expect(real.stderr).toContain('42501');

    const allowed = await run(['forget', ...at(), '--subject', B, '--dry-run', '--json'], as('dry_forget'));
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout)).toMatchObject({ outcome: 'would-erase', refusedBecause: [], missingStoreAccess: [] });
    const allowedText = await run(['forget', ...at(), '--subject', B, '--dry-run'], as('dry_forget'));
    expect(allowedText.stdout).toContain("the subject key store's credentials allow what forget does (checked, nothing written)");

    expect(await keysOfB()).toBe(before);
    expect((await pg.admin(`SELECT count(*)::int AS n FROM ${tombstones}`)).rows[0].n).toBe(1); // A's, from the test above
    for (const result of [refused, text, real, allowed, allowedText]) expect(result.stdout + result.stderr).not.toContain(password);
  });

  test('a wrong password: SEALED_KEYSTORE_UNAVAILABLE reason auth, exit 3; neither password printed', async () => {
    const wrong = randomBytes(12).toString('hex');
    const result = await run(['scan', ...at(), '--subject', B], {
      env: { ...env, SEALED_FIELDS_SUBJECT_STORE: pg.urlFor('sealed_admin', wrong) },
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('reason auth');
    expect(result.stdout + result.stderr).not.toContain(wrong);
  });
});

test('no output holds a subject id or the store password', () => {
  expect(outputs.length).toBeGreaterThan(6);
  const all = outputs.map((o) => o.stdout + o.stderr).join('\n');
  expect(findLeaks(all, [A, B, pg.password])).toEqual([]);
});
