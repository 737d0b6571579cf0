/**
 * temporal-sealed-fields: workflow-safe entry. Marks sensitive values and converts payloads;
 * never imports Node built-ins, libsodium or anything that draws randomness.
 * @packageDocumentation
 */
export { SealedError, type SealedErrorCode } from './errors';
export { Sensitive, Nested, SealedType, type SensitiveOptions, type NestedOptions } from './model/decorators';
export { Secret, secret } from './model/secret';
export { sensitive, type ZodLike } from './model/zod';
export { DEFAULT_PURPOSE } from './model/purpose';
export {
  createSealedPayloadConverter,
  sealedTypeInfo,
  SealedPayloadConverter,
  SEALED_HINT,
  type SealedConverterHint,
  type SealedPayloadConverterOptions,
} from './converter/payload-converter';
export { createSealedFailureConverter, type SealedFailureConverterOptions } from './converter/failure-converter';
export { META as SEALED_METADATA_KEYS } from './lib/metadata';
export {
  sealedClientInterceptors,
  sealedWorkflowInterceptors,
  SealedWorkflowClientInterceptor,
  SealedScheduleClientInterceptor,
  SealedWorkflowOutboundInterceptor,
  SealedWorkflowInternalsInterceptor,
  refuseSecrets,
} from './interceptors';
