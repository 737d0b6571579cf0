import { sealedError } from '../../errors';
import { utf8Bytes } from '../../lib/utf8';

/** First byte of a wrapped key written by the AWS KMS key source; other sources pick their own. */
export const WRAPPED_AWS_KMS = 0x01;

/**
 * The wrapped data key of the AWS KMS source, as carried in a v2 box header:
 * `0x01 | u16 length, ARN of the KMS key (UTF-8) | KMS CiphertextBlob`. The ARN lets readers and
 * `scan` tell which KMS key a payload needs without calling KMS, and is passed as `KeyId` to
 * `Decrypt`, so KMS refuses a blob wrapped under another key.
 */
export function writeWrappedKey(kmsKeyArn: string, ciphertextBlob: Uint8Array): Uint8Array {
  const arn = utf8Bytes(kmsKeyArn);
  if (arn.length === 0 || arn.length > 0xffff || ciphertextBlob.length === 0)
    throw sealedError('SEALED_INVALID_OPTION', 'KMS answered with an unusable wrapped data key');
  const out = new Uint8Array(3 + arn.length + ciphertextBlob.length);
  out[0] = WRAPPED_AWS_KMS;
  out[1] = arn.length >>> 8;
  out[2] = arn.length & 0xff;
  out.set(arn, 3);
  out.set(ciphertextBlob, 3 + arn.length);
  return out;
}

/** Longest `KeyId` KMS takes (characters). */
const MAX_KMS_KEY_ID = 2048;
/** Longest `CiphertextBlob` KMS `Decrypt` takes (bytes). */
const MAX_KMS_CIPHERTEXT = 6144;

/**
 * Reads a wrapped key of the AWS KMS source; anything else is `SEALED_MALFORMED`, as is a key id or
 * ciphertext longer than KMS takes: such a box never reaches KMS (nor its ARN an error detail).
 */
export function readWrappedKey(wrapped: Uint8Array): { kmsKeyArn: string; ciphertextBlob: Uint8Array } {
  if (wrapped.length < 4 || wrapped[0] !== WRAPPED_AWS_KMS)
    throw sealedError('SEALED_MALFORMED', 'wrapped data key is not an AWS KMS wrapped key');
  const length = ((wrapped[1] as number) << 8) | (wrapped[2] as number);
  if (length === 0 || 3 + length >= wrapped.length) throw sealedError('SEALED_MALFORMED', 'wrapped data key is malformed');
  if (length > MAX_KMS_KEY_ID || wrapped.length - 3 - length > MAX_KMS_CIPHERTEXT)
    throw sealedError('SEALED_MALFORMED', 'wrapped data key is longer than KMS takes');
  let kmsKeyArn: string;
  try {
    kmsKeyArn = new TextDecoder('utf-8', { fatal: true }).decode(wrapped.subarray(3, 3 + length));
  } catch {
    throw sealedError('SEALED_MALFORMED', 'wrapped data key is malformed');
  }
  if (!/^[\x21-\x7e]+$/.test(kmsKeyArn)) throw sealedError('SEALED_MALFORMED', 'wrapped data key is malformed');
  return { kmsKeyArn, ciphertextBlob: wrapped.subarray(3 + length) };
}
