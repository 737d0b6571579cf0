// payloadConverterPath / failureConverterPath: the converter knows the schema by name and validates on decode.
import { createSealedFailureConverter, createSealedPayloadConverter } from '../../src';
import { LAB_ORDER } from './names';
import { LabOrder } from './schemas';

export const payloadConverter = createSealedPayloadConverter({ schemas: { [LAB_ORDER]: LabOrder }, validateOnDecode: true });
export const failureConverter = createSealedFailureConverter();
