// Type names shared by the converter module and the fixtures. The converter module must not import dto.ts:
// on the main thread a second copy of the DTO classes would replace the test's own in the registry.
/** Name of the zod consent schema (a data subject's contact consent). */
export const CONSENT = 'Erasure.Consent';
