// A key source for the KMS-wrapped vector of v2.json: it holds one data key exactly as a KMS key
// source would after GenerateDataKey (the 32 bytes and their wrapped form, from
// v2-kms-data-key.json) and answers only for that key id with those wrapped bytes. So the vector
// is sealed and opened without a KMS, the way a reader holding the unwrapped data key would.
import { sealedError } from '../../src/errors';
import type { KeyScope, KeySource, SealedKeyReference, SealingKey } from '../../src/codec/key-source';

export interface GivenDataKeyFile {
  kmsKeyArn: string;
  keyId: string;
  namespace: string;
  purpose: string;
  encryptionContext: Record<string, string>;
  dataKey: string;
  ciphertextBlob: string;
  wrappedKey: string;
}

export class GivenDataKey implements KeySource {
  readonly #key: Uint8Array;
  readonly #wrapped: Uint8Array;

  constructor(private readonly file: GivenDataKeyFile) {
    this.#key = new Uint8Array(Buffer.from(file.dataKey, 'hex'));
    this.#wrapped = new Uint8Array(Buffer.from(file.wrappedKey, 'hex'));
  }

  async sealingKey(scope: KeyScope): Promise<SealingKey> {
    return this.sealingKeyNow(scope);
  }

  sealingKeyNow(scope: KeyScope): SealingKey {
    if (scope.purpose !== this.file.purpose || scope.namespace !== this.file.namespace)
      throw sealedError('SEALED_KEY_UNKNOWN', 'the given data key is for another purpose or namespace');
    return { keyId: this.file.keyId, key: this.#key.slice(), wrapped: this.#wrapped };
  }

  async openingKey(box: SealedKeyReference): Promise<Uint8Array> {
    return this.openingKeyNow(box);
  }

  openingKeyNow(box: SealedKeyReference): Uint8Array {
    const same =
      box.keyId === this.file.keyId &&
      Buffer.from(box.wrapped).equals(Buffer.from(this.#wrapped)) &&
      box.purpose === this.file.purpose &&
      box.namespace === this.file.namespace;
    if (!same) throw sealedError('SEALED_KEY_UNKNOWN', 'not the given data key', { keyId: box.keyId });
    return this.#key.slice();
  }
}
