// payloadConverterPath of the erasure suite's plugin: the library's converter with the zod consent schema.
import { createSealedPayloadConverter } from '../../../src';
import { schemas } from './schemas';

export const payloadConverter = createSealedPayloadConverter({ schemas });
