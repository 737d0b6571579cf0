import { SealedError, sealedError } from '../errors';
import { isKeySource, type KeyScope, type KeySource, type SealedKeyReference, type SealingKey } from './key-source';

/**
 * A key source that seals with `primary` only, and opens a box with the first of `primary`, then
 * `others`, that holds its key: for moving between key sources with readers first. Step one of a
 * move from a `Keyring` to AWS KMS deploys `readingAlso(keyring, kms)` everywhere (still sealing
 * with the keyring, already opening KMS-wrapped boxes); step two switches the writers to `kms`
 * (with `staticKeys: keyring`, or `readingAlso(kms, keyring)`), so no process ever meets a box it
 * cannot open.
 *
 * A box goes to the next source only when a source does not know its key (`SEALED_KEY_UNKNOWN`: a
 * keyring without that key id, a KMS source asked for a static key). Any other failure (a KMS
 * that does not answer, a disabled KMS key, a key check that does not match) is the answer: keys
 * are chosen by key id, never tried in turn.
 *
 * @example
 * ```ts
 * const kms = await AwsKmsKeySource.create({ kmsKeyId: 'alias/sealed-fields' });
 * const keys = readingAlso(Keyring.fromEnv(), kms); // seals with the keyring, opens KMS-wrapped boxes too
 * new SealedFieldsPlugin({ keys });
 * ```
 */
export function readingAlso(primary: KeySource, ...others: KeySource[]): KeySource {
  const all = [primary, ...others];
  if (!all.every(isKeySource))
    throw sealedError('SEALED_INVALID_OPTION', 'readingAlso takes key sources (a Keyring, an AwsKmsKeySource, ...)');
  const source: KeySource = {
    sealingKey: (scope: KeyScope): Promise<SealingKey> => primary.sealingKey(scope),
    openingKey: async (box: SealedKeyReference): Promise<Uint8Array> => {
      for (const [i, reader] of all.entries()) {
        try {
          return await reader.openingKey(box);
        } catch (err) {
          if (!passesOn(err, i, all.length)) throw err;
        }
      }
      throw sealedError('SEALED_KEY_UNKNOWN', 'no key source holds this key', { keyId: box.keyId });
    },
    openingKeyNow: (box: SealedKeyReference): Uint8Array | undefined => {
      for (const [i, reader] of all.entries()) {
        try {
          // A source that would fetch the key (or knows no shortcut) decides in openingKey, in order.
          return reader.openingKeyNow?.(box);
        } catch (err) {
          if (!passesOn(err, i, all.length)) throw err;
        }
      }
      return undefined;
    },
    configuredPurposes: (): string[] => primary.configuredPurposes?.() ?? [],
  };
  const sealingKeyNow = primary.sealingKeyNow?.bind(primary);
  if (sealingKeyNow !== undefined) source.sealingKeyNow = sealingKeyNow;
  return source;
}

/** Whether a source's refusal hands the box to the next source: only "unknown key", and only when there is a next one. */
function passesOn(err: unknown, index: number, count: number): boolean {
  return index < count - 1 && SealedError.is(err) && err.code === 'SEALED_KEY_UNKNOWN';
}
