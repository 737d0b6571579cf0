// A key source for the data-subject vector of v2.json: it holds one subject key exactly as
// SubjectKeys would after reading it from a key store (the 32 bytes, the key id, the subject
// hash), and answers only for that subject and purpose. So the vector is sealed and opened
// without a store, the way a reader holding the subject key would.
import { sealedError } from '../../src/errors';
import type { KeyScope, KeySource, SealedKeyReference, SealingKey } from '../../src/codec/key-source';

export interface GivenSubjectKeyFile {
  /** The subject index key (hex) the hash is computed under (docs/FORMAT.md, "Data subjects"). */
  subjectIndexKey: string;
  subject: string;
  /** base64url of the 32-byte HMAC, as a key store names the subject. */
  subjectHash: string;
  purpose: string;
  keyId: string;
  /** The subject key (hex): what the store holds, wrapped, for (subjectHash, purpose). */
  key: string;
}

export class GivenSubjectKey implements KeySource {
  readonly #key: Uint8Array;
  readonly #wrapped: Uint8Array;

  constructor(private readonly file: GivenSubjectKeyFile) {
    this.#key = new Uint8Array(Buffer.from(file.key, 'hex'));
    this.#wrapped = Uint8Array.of(0x02, ...Buffer.from(file.subjectHash, 'base64url'));
  }

  async sealingKey(scope: KeyScope): Promise<SealingKey> {
    return this.sealingKeyNow(scope);
  }

  sealingKeyNow(scope: KeyScope): SealingKey {
    if (scope.subject !== this.file.subject || scope.purpose !== this.file.purpose)
      throw sealedError('SEALED_KEY_UNKNOWN', 'the given subject key is for another subject or purpose');
    return { keyId: this.file.keyId, key: this.#key.slice(), wrapped: this.#wrapped };
  }

  async openingKey(box: SealedKeyReference): Promise<Uint8Array> {
    return this.openingKeyNow(box);
  }

  openingKeyNow(box: SealedKeyReference): Uint8Array {
    const same =
      box.keyId === this.file.keyId && Buffer.from(box.wrapped).equals(Buffer.from(this.#wrapped)) && box.purpose === this.file.purpose;
    if (!same) throw sealedError('SEALED_KEY_UNKNOWN', 'not the given subject key', { keyId: box.keyId });
    return this.#key.slice();
  }
}
