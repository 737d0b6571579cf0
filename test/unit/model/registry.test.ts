import type { Payload } from '@temporalio/common';
import { expect, test } from 'vitest';
import { createSealedPayloadConverter, SealedType, Sensitive } from '../../../src';
import { Keyring, SealingCodec } from '../../../src/codec';

/** Defines the same DTO source again, as a second module loader (ESM and CJS, hot reload) would. */
function defineCopy(): new () => { id: string; ssn: string } {
  @SealedType('test.TwiceLoaded')
  class TwiceLoaded {
    id!: string;
    @Sensitive({ purpose: 'phi' }) ssn!: string;
  }
  return TwiceLoaded;
}

test('a class loaded twice under one name seals instances of both copies and decodes into the latest', async () => {
  const First = defineCopy();
  const Second = defineCopy();
  const converter = createSealedPayloadConverter();
  const codec = await SealingCodec.create({ keyring: new Keyring({ active: 'k', keys: { k: Keyring.generateKey() } }) });
  for (const Copy of [First, Second]) {
    const payload = converter.toPayload(Object.assign(new Copy(), { id: 'x', ssn: 'CANARY-TWICE' }));
    expect(Buffer.from(payload.data ?? []).toString()).not.toContain('CANARY-TWICE');
    const [sealed] = (await codec.encode([payload])) as [Payload];
    const back = converter.fromPayload<{ ssn: string }>((await codec.decode([sealed]))[0] as Payload);
    expect(back).toBeInstanceOf(Second);
    expect(back.ssn).toBe('CANARY-TWICE');
  }
});

test('the registry is one object per realm, shared through globalThis', async () => {
  const { registry } = await import('../../../src/model/registry');
  expect((globalThis as Record<symbol, unknown>)[Symbol.for('temporal-sealed-fields.registry.v1')]).toBe(registry);
});
