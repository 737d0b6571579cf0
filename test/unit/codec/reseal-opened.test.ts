import { expect, test } from 'vitest';
import { createSealedPayloadConverter, secret, type Secret } from '../../../src';
import { META } from '../../../src/lib/metadata';
import { Keyring, SealingCodec } from '../../../src/codec';

test('a payload opened by the codec and sent again is sealed again, never stored open', async () => {
  const converter = createSealedPayloadConverter();
  const codec = await SealingCodec.create({ keyring: new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } }) });
  const [sealed] = await codec.encode([converter.toPayload({ note: secret('re-sent-plaintext', { purpose: 'phi' }) })]);
  const [opened] = await codec.decode([sealed!]);
  expect(opened!.metadata![META.opened]).toBeDefined();

  const [resent] = await codec.encode([opened!]); // what the SDK does with a decoded failure it re-throws
  expect(Object.keys(resent!.metadata!)).not.toContain(META.opened);
  const bytes = Buffer.concat([resent!.data!, ...Object.values(resent!.metadata!).map((v) => v!)]);
  expect(bytes.includes('re-sent-plaintext')).toBe(false);
  const back = converter.fromPayload<{ note: Secret<string> }>((await codec.decode([resent!]))[0]!);
  expect(back.note.reveal()).toBe('re-sent-plaintext');
});
