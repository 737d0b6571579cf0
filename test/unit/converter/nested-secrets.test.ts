import type { Payload } from '@temporalio/common';
import { beforeAll, expect, test } from 'vitest';
import { createSealedPayloadConverter, SealedType, Secret, secret, Sensitive } from '../../../src';
import { Keyring, SealingCodec } from '../../../src/codec';
import { readEnvelope } from '../../../src/codec/envelope';
import { dataJson, findLeaks, payloadBytes } from '../../support/payloads';

@SealedType('test.Contact')
class Contact {
  name!: string;
  @Sensitive({ purpose: 'phi' }) details!: { phone: Secret<string>; note: string };
}

const converter = createSealedPayloadConverter({ types: [Contact] });
let codec: SealingCodec;
beforeAll(async () => {
  codec = await SealingCodec.create({ keyring: new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } }) });
});

async function roundTrip<T>(value: unknown): Promise<{ sealed: Payload; back: T }> {
  const [sealed] = (await codec.encode([converter.toPayload(value)])) as [Payload];
  return { sealed, back: converter.fromPayload<T>((await codec.decode([sealed]))[0] as Payload) };
}

test('a Secret inside a @Sensitive field comes back a Secret inside the opened value', async () => {
  const contact = Object.assign(new Contact(), {
    name: 'clear',
    details: { phone: secret('CANARY-PHONE', { purpose: 'credential' }), note: 'CANARY-NOTE' },
  });
  const { sealed, back } = await roundTrip<Contact>(contact);
  expect(findLeaks(payloadBytes(sealed), ['CANARY-PHONE', 'CANARY-NOTE'])).toEqual([]);
  expect(dataJson(sealed)).toEqual({ name: 'clear', details: '[sealed:phi:k1]' });
  expect(back.details.note).toBe('CANARY-NOTE');
  expect(Secret.isSecret(back.details.phone)).toBe(true);
  expect(back.details.phone.reveal()).toBe('CANARY-PHONE');
  expect(back.details.phone.purpose).toBe('credential');
});

test('nested Secrets decode whatever order their boxes come in', async () => {
  // The credential box comes first (first seen at /token), though /contact/phone sits inside the phi box's /contact.
  const value = {
    token: secret('CANARY-T', { purpose: 'credential' }),
    contact: secret({ phone: secret('CANARY-P', { purpose: 'credential' }) }, { purpose: 'phi' }),
  };
  const { sealed, back } = await roundTrip<{ token: Secret<string>; contact: Secret<{ phone: Secret<string> }> }>(value);
  expect(readEnvelope(sealed.metadata?.['sealed-fields'] as Uint8Array).boxes.map((b) => b.purpose)).toEqual(['credential', 'phi']);
  expect(back.token.reveal()).toBe('CANARY-T');
  expect(back.contact.reveal().phone.reveal()).toBe('CANARY-P');
});

test('a Secret inside a Secret decodes as a Secret and stays sealed when passed on', async () => {
  // A Secret inside a value being sealed becomes a field of its own, listed after its container;
  // readers merge containers first and wrap Secrets innermost first, whatever the box order.
  const { back } = await roundTrip<{ contact: Secret<{ phone: unknown }> }>({
    contact: secret({ phone: secret('CANARY-NESTED-1', { purpose: 'phi' }) }),
  });
  const phone = back.contact.reveal().phone; // what a workflow would pass to an activity
  expect(Secret.isSecret(phone) && [phone.reveal(), phone.purpose]).toEqual(['CANARY-NESTED-1', 'phi']);
  const [passedOn] = (await codec.encode([converter.toPayload(phone)])) as [Payload];
  expect(Buffer.from(passedOn.data ?? []).toString()).not.toContain('CANARY-NESTED-1');
});

test('a nested Secret passed on alone stays sealed', async () => {
  const { back } = await roundTrip<{ contact: Secret<{ phone: Secret<string> }> }>({
    contact: secret({ phone: secret('CANARY-PASS', { purpose: 'phi' }) }),
  });
  const [passedOn] = (await codec.encode([converter.toPayload(back.contact.reveal().phone)])) as [Payload];
  expect(findLeaks(payloadBytes(passedOn), ['CANARY-PASS'])).toEqual([]);
});
