import { defineSearchAttributeKey, TypedSearchAttributes, type Payload } from '@temporalio/common';
import { expect, test } from 'vitest';
import { createSealedPayloadConverter, refuseSecrets, SealedError, secret } from '../../../src';
import { SealedWorkflowInternalsInterceptor } from '../../../src/interceptors/workflow';
import { Keyring, SealingCodec } from '../../../src/codec';
import { refuseSealableHeaders } from '../../../src/interceptors/guard';
import { codeOf, thrownBy } from '../../support/errors';
import { withCodecInProcess } from '../../support/pending';

withCodecInProcess();

const KEY = defineSearchAttributeKey('PatientIdx', 'KEYWORD');

test('a Secret is found in typed search attributes, pairs, legacy arrays and maps; plain values pass', () => {
  const ref = secret('x') as unknown as string;
  expect(codeOf(() => refuseSecrets(new TypedSearchAttributes([{ key: KEY, value: ref }]), 'typed'))).toBe('SEALED_NOT_ALLOWED_HERE');
  expect(codeOf(() => refuseSecrets([{ key: KEY, value: ref }], 'pairs'))).toBe('SEALED_NOT_ALLOWED_HERE');
  expect(codeOf(() => refuseSecrets({ PatientIdx: [ref] }, 'legacy'))).toBe('SEALED_NOT_ALLOWED_HERE');
  expect(codeOf(() => refuseSecrets(new Map([['a', ref]]), 'map'))).toBe('SEALED_NOT_ALLOWED_HERE');
  expect(codeOf(() => refuseSecrets(new TypedSearchAttributes([{ key: KEY, value: 'p-1' }]), 'typed'))).toBeUndefined();
});

test('the guard stops on cycles instead of looping', () => {
  const loop: Record<string, unknown> = { a: 1 };
  loop['self'] = loop;
  expect(codeOf(() => refuseSecrets(loop, 'cycle'))).toBeUndefined();
});

test('the error names where the Secret was, never its value', () => {
  const err = thrownBy(() => refuseSecrets({ PatientIdx: [secret('never-echoed')] }, 'client.start.searchAttributes'));
  expect(SealedError.is(err) && err.detail).toEqual({ where: 'client.start.searchAttributes' });
  expect(String((err as Error).message)).not.toContain('never-echoed');
});

test('a header payload still carrying values marked for sealing is refused; a plain one passes', () => {
  const converter = createSealedPayloadConverter();
  expect(codeOf(() => refuseSealableHeaders({ tenant: converter.toPayload(secret('t')) }, 'headers'))).toBe('SEALED_NOT_ALLOWED_HERE');
  expect(codeOf(() => refuseSealableHeaders({ tenant: converter.toPayload('acme') }, 'headers'))).toBeUndefined();
});

// Headers never pass through a codec, so nothing holding plaintext may go there.
test('a header payload carrying opened (plaintext) sealed fields is refused like a pending one', async () => {
  const converter = createSealedPayloadConverter();
  const codec = await SealingCodec.create({ keyring: new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } }) });
  const [sealed] = await codec.encode([converter.toPayload({ jwt: secret('CANARY-HEADER-1', { purpose: 'credential' }) })]);
  const [opened] = (await codec.decode([sealed as Payload])) as [Payload];
  expect(Buffer.from(opened.metadata?.['sealed-opened'] ?? []).toString()).toContain('CANARY-HEADER-1');
  // e.g. an interceptor forwarding a decoded payload as a header
  expect(codeOf(() => refuseSealableHeaders({ auth: opened }, 'test.headers'))).toBe('SEALED_NOT_ALLOWED_HERE');
});

test('an upsert command holding a redacted Secret is refused at the end of the activation', () => {
  const guard = new SealedWorkflowInternalsInterceptor();
  const converter = createSealedPayloadConverter();
  const upsert = (value: string) => ({
    upsertWorkflowSearchAttributes: { searchAttributes: { indexedFields: { PatientIdx: converter.toPayload([value]) } } },
  });
  const next = (input: { commands: unknown[] }) => input;
  expect(
    codeOf(() => guard.concludeActivation({ commands: [upsert(String(secret('v', { purpose: 'phi' })))] } as never, next as never)),
  ).toBe('SEALED_NOT_ALLOWED_HERE');
  expect(codeOf(() => guard.concludeActivation({ commands: [upsert('p-1')] } as never, next as never))).toBeUndefined();
});
