/**
 * temporal-sealed-fields/codec: Node only. The libsodium sealing codec, its key sources and blind indexes.
 * The wire format is specified in docs/FORMAT.md; its reader and writer are internal.
 * @packageDocumentation
 */
export {
  SealingCodec,
  type SealingCodecOptions,
  type SealOptions,
  type OpenOptions,
  type RevealOptions,
  type RevealedPayload,
} from './codec/sealing-codec';
export type { Envelope, Box, BoxField } from './codec/envelope';
export type { FieldList } from './lib/field-list';
export { Keyring, type KeyringOptions, type KeyringDescription, type KeyMaterial } from './codec/keyring';
export type { KeySource, KeyScope, SealingKey, SealedKeyReference } from './codec/key-source';
export { readingAlso } from './codec/reading-also';
export {
  AwsKmsKeySource,
  type AwsKmsKeySourceOptions,
  type AwsKmsKeySourceStats,
  type KmsKeyCheck,
  type KmsKeySelection,
} from './codec/kms/aws-kms-key-source';
export { blindIndex, type BlindIndexOptions, type IndexableValue } from './codec/blind-index';
export { SubjectKeys, type SubjectKeysOptions, type SubjectKeysStats } from './codec/subject-keys';
export { subjectHashOf } from './codec/subject-wrapped';
export type { DataSubject } from './model/subject';
export type { SubjectKeyStore, StoredSubjectKey, SubjectKeyLookup, ForgetRecord, ListKeysOptions } from './keystore/subject-key-store';
