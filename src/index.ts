/**
 * temporal-sealed-fields: workflow-safe entry. Marks sensitive values and converts payloads;
 * never imports Node built-ins, libsodium or anything that draws randomness.
 * @packageDocumentation
 */
export { SealedError, type SealedErrorCode } from './errors';
export { Sensitive, Nested, SealedType, DataSubjectId, type SensitiveOptions, type NestedOptions } from './model/decorators';
export { Secret, secret, type SecretOptions } from './model/secret';
export { Erased } from './model/erased';
export type { DataSubject } from './model/subject';
export { sensitive, dataSubject, type ZodLike } from './model/zod';
export { createSealedPayloadConverter, sealedTypeInfo, type SealedPayloadConverterOptions } from './converter/payload-converter';
export { createSealedFailureConverter, type SealedFailureConverterOptions } from './converter/failure-converter';
export { sealedClientInterceptors, sealedWorkflowInterceptors, refuseSecrets } from './interceptors';
