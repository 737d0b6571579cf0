/**
 * temporal-sealed-fields/codec: Node only. The libsodium sealing codec, the wire format and keys.
 * @packageDocumentation
 */
export { SealingCodec, type SealingCodecOptions, type SealOptions, type OpenOptions, type RevealOptions, type RevealedPayload } from './codec/sealing-codec';
export { Keyring, KEY_BYTES, type KeyringOptions, type KeyringDescription, type KeyMaterial } from './codec/keyring';
export { readEnvelope, writeEnvelope, FORMAT_VERSION, type Envelope, type Box, type BoxField } from './codec/envelope';
export { isKeySource, type KeySource, type KeyScope, type SealingKey, type SealedKeyReference } from './codec/key-source';
export {
  AwsKmsKeySource,
  KMS_CONTEXT,
  KMS_CONTEXT_TAG,
  type AwsKmsKeySourceOptions,
  type AwsKmsKeySourceStats,
  type KmsKeyCheck,
  type KmsKeySelection,
} from './codec/kms/aws-kms-key-source';
export { SealedError, type SealedErrorCode } from './errors';
export { blindIndex, BlindIndexer, BLIND_INDEX_DEFAULT_BYTES, type BlindIndexOptions, type IndexableValue } from './codec/blind-index';
