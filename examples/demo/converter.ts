// payloadConverterPath / failureConverterPath for worker and client. It does not import the DTOs:
// they register themselves when workflow and client code import model.ts.
import { createSealedFailureConverter, createSealedPayloadConverter } from '../../src';

export const payloadConverter = createSealedPayloadConverter();
export const failureConverter = createSealedFailureConverter();
