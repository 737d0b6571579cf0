import { expect, test } from 'vitest';
import { createSealedFailureConverter, createSealedPayloadConverter, SealedError } from '../../src';
import { withCodecInProcess } from '../support/pending';

withCodecInProcess();

const payloadConverter = createSealedPayloadConverter();
const failureConverter = createSealedFailureConverter();

test('a SealedError becomes a failure whose type is its code and whose details name the key id', () => {
  const failure = failureConverter.errorToFailure(new SealedError('SEALED_KEY_UNKNOWN', 'no key', { keyId: 'k-missing' }), payloadConverter);
  expect(failure.applicationFailureInfo?.type).toBe('SEALED_KEY_UNKNOWN');
  const [detail] = failure.applicationFailureInfo?.details?.payloads ?? [];
  expect(payloadConverter.fromPayload(detail!)).toEqual({ keyId: 'k-missing' });
  expect(failure.message).toBe('no key'); // the library's own errors stay readable (codes and ids, never values)
  expect(failure.encodedAttributes).toBeUndefined();
});
