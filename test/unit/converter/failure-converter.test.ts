import { ApplicationFailure, type Payload, type ProtoFailure } from '@temporalio/common';
import { expect, test } from 'vitest';
import { createSealedFailureConverter, createSealedPayloadConverter, SealedError, Secret, secret } from '../../../src';
import { Keyring, SealingCodec } from '../../../src/codec';
import { findLeaks, payloadBytes } from '../../support/payloads';
import { withCodecInProcess } from '../../support/pending';

withCodecInProcess();

const payloadConverter = createSealedPayloadConverter();
const failureConverter = createSealedFailureConverter();

/** Runs a codec over the payloads a failure carries, as the SDK does before sending. */
async function mapFailurePayloads(failure: ProtoFailure, run: (p: Payload[]) => Promise<Payload[]>): Promise<ProtoFailure> {
  const out = { ...failure };
  if (out.encodedAttributes) out.encodedAttributes = (await run([out.encodedAttributes as Payload]))[0] as Payload;
  const details = out.applicationFailureInfo?.details?.payloads;
  if (details) out.applicationFailureInfo = { ...out.applicationFailureInfo, details: { payloads: await run(details as Payload[]) } };
  return out;
}

test('error messages, stack traces and Secret details are sealed; the failure decodes back', async () => {
  const codec = await SealingCodec.create({ keyring: new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } }) });
  const error = ApplicationFailure.create({
    message: 'billing failed for CANARY-FAIL-MSG',
    type: 'BillingError',
    details: [secret('CANARY-FAIL-DETAIL', { purpose: 'phi' }), { clear: 'visible' }],
  });
  const failure = failureConverter.errorToFailure(error, payloadConverter);
  const sealed = await mapFailurePayloads(failure, (p) => codec.encode(p));

  const stored = Buffer.concat([
    Buffer.from(JSON.stringify({ message: sealed.message, stack: sealed.stackTrace })),
    payloadBytes(sealed.encodedAttributes as Payload),
    ...(sealed.applicationFailureInfo?.details?.payloads ?? []).map((p) => payloadBytes(p as Payload)),
  ]);
  expect(findLeaks(stored, ['CANARY-FAIL-MSG', 'CANARY-FAIL-DETAIL'])).toEqual([]);
  expect(stored.toString()).toContain('visible');

  const opened = await mapFailurePayloads(sealed, (p) => codec.decode(p));
  const back = failureConverter.failureToError(opened, payloadConverter) as ApplicationFailure;
  expect(back.message).toBe('billing failed for CANARY-FAIL-MSG');
  expect(back.type).toBe('BillingError');
  expect(Secret.isSecret(back.details?.[0])).toBe(true);
  expect((back.details![0] as Secret).reveal()).toBe('CANARY-FAIL-DETAIL');
  expect(back.details?.[1]).toEqual({ clear: 'visible' });
});

test('without the codec, a failure is refused rather than shown with placeholders', async () => {
  const codec = await SealingCodec.create({ keyring: new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } }) });
  const failure = failureConverter.errorToFailure(new Error('CANARY-X'), payloadConverter);
  const sealed = await mapFailurePayloads(failure, (p) => codec.encode(p));
  expect(() => failureConverter.failureToError(sealed, payloadConverter)).toThrow(expect.objectContaining({ code: 'SEALED_NOT_OPENED' }));
});

test('a SealedError becomes a failure whose type is its code and whose details name the key id', () => {
  const failure = failureConverter.errorToFailure(
    new SealedError('SEALED_KEY_UNKNOWN', 'no key', { keyId: 'k-missing' }),
    payloadConverter,
  );
  expect(failure.applicationFailureInfo?.type).toBe('SEALED_KEY_UNKNOWN');
  const [detail] = failure.applicationFailureInfo?.details?.payloads ?? [];
  expect(payloadConverter.fromPayload(detail!)).toEqual({ keyId: 'k-missing' });
  // Readable in history: a fixed text for the code, never the error's own (editable) message.
  expect(failure.message).toBe('SEALED_KEY_UNKNOWN: refused by temporal-sealed-fields (see docs/ERRORS.md)');
  expect(failure.encodedAttributes).toBeUndefined();
});

test('a SealedError whose message or detail code edited to carry a value is written with its fixed text and its identifiers only', () => {
  const err = new SealedError('SEALED_TAMPERED', 'bad', { keyId: 'k1', note: 'CANARY-NOTE' } as Record<string, string>);
  err.message += ' (patient CANARY-MESSAGE)';
  const failure = failureConverter.errorToFailure(err, payloadConverter);
  const [detail] = failure.applicationFailureInfo?.details?.payloads ?? [];
  expect(`${failure.message}\n${failure.stackTrace}`).not.toContain('CANARY');
  expect(payloadConverter.fromPayload(detail!)).toEqual({ keyId: 'k1' });
});

test('a KMS SealedError in history names the KMS key (an ARN is in box headers already), the operation and the SDK error name; other text in those fields is dropped', () => {
  const arn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const refused = failureConverter.errorToFailure(
    new SealedError('SEALED_KMS_KEY_NOT_ALLOWED', 'not trusted', { kmsKeyId: arn, keyId: 'dk-hs3gmLQb_WLu' }),
    payloadConverter,
  );
  expect(refused.applicationFailureInfo?.type).toBe('SEALED_KMS_KEY_NOT_ALLOWED');
  const [detail] = refused.applicationFailureInfo?.details?.payloads ?? [];
  expect(payloadConverter.fromPayload(detail!)).toEqual({ kmsKeyId: arn, keyId: 'dk-hs3gmLQb_WLu' });

  const denied = failureConverter.errorToFailure(
    new SealedError('SEALED_KMS_ACCESS_DENIED', 'denied', {
      operation: 'Decrypt',
      kmsError: 'AccessDeniedException',
      httpStatus: 400,
      kmsKeyId: 'alias/sealed-fields',
      keyId: 'dk-hs3gmLQb_WLu',
    }),
    payloadConverter,
  );
  const [deniedDetail] = denied.applicationFailureInfo?.details?.payloads ?? [];
  expect(payloadConverter.fromPayload(deniedDetail!)).toEqual({
    operation: 'Decrypt',
    kmsError: 'AccessDeniedException',
    kmsKeyId: 'alias/sealed-fields',
    keyId: 'dk-hs3gmLQb_WLu',
  });

  const forged = failureConverter.errorToFailure(
    new SealedError('SEALED_KMS_KEY_NOT_ALLOWED', 'x', {
      kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/CANARY SSN 123-45-6789',
      operation: 'CANARY-OP',
      kmsError: 'CANARY in a message',
    }),
    payloadConverter,
  );
  const [forgedDetail] = forged.applicationFailureInfo?.details?.payloads ?? [];
  expect(payloadConverter.fromPayload(forgedDetail!)).toEqual({});
});
