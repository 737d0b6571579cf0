// payloadConverterPath / failureConverterPath. keyRules is a safety net for untyped objects (like SOPS's encrypted_regex).
import { createSealedFailureConverter, createSealedPayloadConverter } from '../../src';

export const payloadConverter = createSealedPayloadConverter({
  keyRules: [{ pattern: /^(password|token|apiKey)$/i, purpose: 'credential' }],
});
export const failureConverter = createSealedFailureConverter();
