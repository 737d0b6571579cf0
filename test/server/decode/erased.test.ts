// The codec server over SubjectKeys (#13), as createCodecServer({ keys }) builds it: after forget, a data
// subject's fields show [erased:<purpose>] to callers allowed the purpose ([sealed:<purpose>] to the others),
// other subjects and values without a subject as before; the audit counts values shown, not tombstones.
import type { Payload } from '@temporalio/common';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Keyring, SealingCodec, SubjectKeys } from '../../../src/codec';
import { secret } from '../../../src/index';
import { MemorySubjectKeyStore } from '../../../src/keystore';
import { createCodecServer, type CodecServer } from '../../../src/server';
import { converter, fromWire, memoryAudit, post, STATIC_TOKENS, TOKENS, toWire } from '../fixtures';

const keys = new SubjectKeys({
  keys: new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } }),
  store: new MemorySubjectKeyStore(),
  subjectIndexKey: Keyring.generateKey(),
});
const audit = memoryAudit();
let server: CodecServer;
let url: string;
let sealed: Payload[];

const value = (subject: string) => ({
  clinic: 'North',
  ssn: secret(`ssn of ${subject}`, { purpose: 'phi', subject }),
  jwt: secret(`jwt of ${subject}`, { purpose: 'credential' }), // no subject: never erased
});

beforeAll(async () => {
  server = await createCodecServer({ keys, auth: { staticTokens: STATIC_TOKENS }, audit: audit.sink });
  url = (await server.listen()).url;
  const codec = await SealingCodec.create({ keys });
  const context = { type: 'workflow' as const, namespace: 'default', workflowId: 'w' };
  sealed = await codec.encode([converter.toPayload(value('A')), converter.toPayload(value('B'))], context);
});

afterAll(() => server?.close());

test('after forget: [erased:phi] for A to a caller allowed phi, B and the values without a subject as before; [sealed:phi] without phi', async () => {
  const before = await post(url, '/decode', toWire(sealed), { token: TOKENS.clinician, namespace: 'default' });
  expect(fromWire(before.text).map((p) => p.data)).toEqual([
    { clinic: 'North', ssn: 'ssn of A', jwt: 'jwt of A' },
    { clinic: 'North', ssn: 'ssn of B', jwt: 'jwt of B' },
  ]);
  await keys.forget('A', { actor: 'dpo' });
  audit.records.splice(0);
  const after = await post(url, '/decode', toWire(sealed), { token: TOKENS.clinician, namespace: 'default' });
  expect(after.status).toBe(200);
  expect(fromWire(after.text).map((p) => p.data)).toEqual([
    { clinic: 'North', ssn: '[erased:phi]', jwt: 'jwt of A' },
    { clinic: 'North', ssn: 'ssn of B', jwt: 'jwt of B' },
  ]);
  // Three values shown (A's jwt, B's ssn and jwt); the tombstone revealed nothing.
  expect(audit.records).toMatchObject([{ event: 'reveal', subject: 'dr-ana', fields: 3, payloads: 2, purposes: ['credential', 'phi'] }]);
  const support = await post(url, '/decode', toWire(sealed), { token: TOKENS.support, namespace: 'default' });
  expect(fromWire(support.text)[0]?.data).toMatchObject({ ssn: '[sealed:phi]' });
});

test('a payload whose only values are erased is shown with its tombstones and audits nothing', async () => {
  const codec = await SealingCodec.create({ keys });
  const context = { type: 'workflow' as const, namespace: 'default', workflowId: 'w' };
  const [onlyA] = await codec.encode(
    [converter.toPayload({ clinic: 'South', ssn: secret('x', { purpose: 'phi', subject: 'A2' }) })],
    context,
  );
  await keys.forget('A2', { actor: 'dpo' });
  audit.records.splice(0);
  const shown = await post(url, '/decode', toWire([onlyA as Payload]), { token: TOKENS.clinician, namespace: 'default' });
  expect(fromWire(shown.text)[0]?.data).toEqual({ clinic: 'South', ssn: '[erased:phi]' });
  expect(audit.records).toEqual([]);
});
