import { checkPurpose } from './purpose';
import { registry } from './registry';

/** The minimum of a zod v4 schema this module relies on; zod itself is never imported here. */
export interface ZodLike {
  // Only `type` is named: zod's def interfaces have no index signature, so a Record here rejects real schemas.
  _zod: { def: { type: string } };
  clone?: () => ZodLike;
  safeParse?: (value: unknown) => { success: boolean; data?: unknown };
}

/**
 * Tags a zod v4 schema as sensitive: values it describes are sealed. Returns a tagged
 * copy, so a shared schema instance is not tagged everywhere.
 *
 * @example
 * ```ts
 * const PatientIntake = z.object({
 *   patientId: z.string(),
 *   ssn: sensitive(z.string(), { purpose: 'phi' }),
 * });
 * ```
 */
export function sensitive<S extends ZodLike>(schema: S, options: { purpose?: string } = {}): S {
  const purpose = checkPurpose(options.purpose);
  const tagged = (typeof schema.clone === 'function' ? schema.clone() : schema) as S;
  registry.schemaMarks.set(tagged, { purpose });
  return tagged;
}

/** The purpose a schema was tagged with, if any. */
export function sensitivePurpose(schema: object): string | undefined {
  return registry.schemaMarks.get(schema)?.purpose;
}
