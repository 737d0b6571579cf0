/**
 * Where the codec's keys come from. The codec resolves every key it needs through a
 * `KeySource`, asynchronously, before it seals or opens anything (the sealing and opening
 * themselves stay synchronous); so a source may call a KMS, a vault or a file.
 *
 * Two sources ship:
 * - `Keyring` (src/codec/keyring.ts): static 32-byte keys from the environment or a file. Its
 *   keys are not wrapped: `wrapped` is empty.
 * - `AwsKmsKeySource` (src/codec/kms/aws-kms-key-source.ts): envelope encryption with AWS KMS.
 *   Data keys come from `GenerateDataKey`; each box carries its data key wrapped under the KMS
 *   key (`wrapped`), so any reader with KMS access opens it, with no second store to keep.
 *
 * ## Adding a source (GCP KMS, Azure Key Vault, Vault Transit, ...)
 *
 * Write a module of your own (its SDK stays its own optional dependency) with a class that
 * implements this interface; nothing in the codec changes. The pattern of the AWS source
 * carries over:
 *
 * - `sealingKey`: make a random 32-byte data key (`crypto.randomBytes(32)`, or the service's
 *   own data-key call) and wrap it with the service: GCP KMS `encrypt` with
 *   `additionalAuthenticatedData`, Azure Key Vault `wrapKey` (RSA-OAEP-256 or AES-KW: Key Vault
 *   has no AAD, so bind purpose and namespace by putting them in your `keyId` lookup instead),
 *   Vault Transit `encrypt` with `context` on a derived key, or `datakey/plaintext`. Put in
 *   `wrapped` everything a reader needs to unwrap it without configuration: the name and
 *   version of the wrapping key, then the service's ciphertext. Start `wrapped` with a tag
 *   byte of your own so readers can tell sources apart (AWS KMS uses 0x01, data subject references 0x02; pick another).
 * - Bind the wrapped key to `purpose` and `namespace` (and the `keyId`) with the service's
 *   AAD or context, so a wrapped key cannot be replayed into another tenant's payload.
 * - Cache: reuse one data key per (namespace, purpose) for a while (rotate by age and by use
 *   count) and keep unwrapped keys in a bounded cache with a TTL, so the hot path makes no
 *   network call and a history under N data keys costs at most N unwrap calls.
 * - Key ids: random (e.g. `dk-` and 12 random characters), never derived from the key,
 *   matching `^[A-Za-z0-9._-]{1,64}$`; the id is what placeholders and `scan` show.
 * - Errors: throw `SealedError`s with stable codes (the `SEALED_KMS_*` codes fit any KMS:
 *   unreachable or timed out, throttled, access denied, key disabled, context mismatch),
 *   naming identifiers only, never key material, plaintext or credentials.
 * - Never fall back to writing without a key: a failing `sealingKey` must fail the encode.
 *
 * @example
 * ```ts
 * const codec = await SealingCodec.create({ keys: await AwsKmsKeySource.create({ keyId: 'arn:aws:kms:...' }) });
 * const codec2 = await SealingCodec.create({ keys: Keyring.fromEnv() });
 * ```
 */
export interface KeySource {
  /** The key that seals values of `purpose` in `namespace` now. */
  sealingKey(scope: KeyScope): Promise<SealingKey>;
  /** The key that opens a box sealed under `keyId`, given the wrapped key the box carries (empty for static keys). */
  openingKey(box: SealedKeyReference): Promise<Uint8Array>;
  /**
   * Optional: `sealingKey` without waiting, when the key is at hand (a static key, a cached data
   * key that is still fresh; counts as a use); `undefined` when it must be fetched. The codec's
   * hot path uses it to skip a promise per key.
   */
  sealingKeyNow?(scope: KeyScope): SealingKey | undefined;
  /** Optional: `openingKey` without waiting, when the key is at hand; `undefined` when it must be fetched. May throw as `openingKey` does. */
  openingKeyNow?(box: SealedKeyReference): Uint8Array | undefined;
  /**
   * Optional: calls `listener` with a key's id when the source drops that key from memory for good
   * (a data subject forgotten, a cached key past its TTL), so that the codec drops what it keeps of
   * that key too.
   */
  onKeyDropped?(listener: (keyId: string) => void): void;
  /**
   * Optional: the purposes this source is configured with by name (a `Keyring`'s `purposes`, the
   * purpose rules of an `AwsKmsKeySource`), so that `SealedFieldsPlugin({ purposes })` refuses a
   * misspelt one at start-up. A source that chooses keys at run time (a function of the purpose)
   * returns the names it knows, or none; purposes it meets later are checked when values are sent.
   */
  configuredPurposes?(): string[];
}

/**
 * What a key is for: the purpose of the box, the namespace the envelope is bound to (`''`: none),
 * and, for values of a data subject, the subject.
 *
 * @example
 * ```ts
 * const sealingKey = await keys.sealingKey({ purpose: 'phi', namespace: 'default' });
 * ```
 */
export interface KeyScope {
  purpose: string;
  namespace: string;
  /**
   * The data subject whose key seals the values (docs/ERASURE.md); absent for the purpose's
   * shared key. Only a subject-aware source (`SubjectKeys`) honours it; the codec refuses a key
   * for a subject scope that is not a subject key (wrapped key tag 0x02), so no other source can
   * seal a subject's values under a shared key.
   */
  subject?: string;
}

/**
 * A key to seal with: its id (written in the box header), the 32 key bytes, and the key wrapped for readers (empty for static keys).
 *
 * @example
 * ```ts
 * const { keyId, key, wrapped } = await keys.sealingKey({ purpose: 'phi', namespace: 'default' });
 * ```
 */
export interface SealingKey {
  keyId: string;
  key: Uint8Array;
  wrapped: Uint8Array;
}

/**
 * What a sealed box says about its key.
 *
 * @example
 * ```ts
 * const key = await keys.openingKey({ keyId: box.keyId, wrapped: box.wrappedKey ?? new Uint8Array(), purpose: box.purpose, namespace: 'default' });
 * ```
 */
export interface SealedKeyReference extends KeyScope {
  keyId: string;
  wrapped: Uint8Array;
}

/** The empty wrapped key of a static key. */
export const NOT_WRAPPED: Uint8Array = new Uint8Array(0);

/** True for objects that look like a {@link KeySource}. */
export function isKeySource(value: unknown): value is KeySource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as KeySource).sealingKey === 'function' &&
    typeof (value as KeySource).openingKey === 'function'
  );
}
