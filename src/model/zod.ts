import { sealedError } from '../errors';
import { checkPurpose } from './purpose';
import { registry } from './registry';

/**
 * The minimum of a zod v4 schema this module relies on; zod itself is never imported here.
 *
 * @example
 * ```ts
 * const Patient = z.object({ name: z.string(), ssn: sensitive(z.string(), { purpose: 'phi' }) }); // any zod v4 schema is a ZodLike
 * ```
 */
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

/**
 * Names the field of a zod object schema that holds the data subject's id, like
 * `@DataSubjectId` on a class: the values this object's `sensitive()` fields hold (and Secrets
 * and key-rule matches inside it without a subject of their own) are sealed under that subject's
 * key and erased with it (docs/ERASURE.md). Returns a marked copy. A missing or empty id when
 * something is sealed is `SEALED_INVALID_OPTION`.
 *
 * @example
 * ```ts
 * const PatientRecord = dataSubject(
 *   z.object({ patientId: z.string(), ssn: sensitive(z.string(), { purpose: 'phi' }) }),
 *   'patientId',
 * );
 * ```
 */
export function dataSubject<S extends ZodLike>(schema: S, field: string): S {
  const def = schema?._zod?.def as ({ type: string } & { shape?: Record<string, unknown> }) | undefined;
  if (def?.type !== 'object' || typeof def.shape !== 'object' || def.shape === null)
    throw sealedError('SEALED_INVALID_OPTION', 'dataSubject() takes a zod object schema');
  if (typeof field !== 'string' || !(field in def.shape))
    throw sealedError('SEALED_INVALID_OPTION', 'dataSubject() names a field the object schema does not have');
  const marked = (typeof schema.clone === 'function' ? schema.clone() : schema) as S;
  registry.subjectMarks ??= new WeakMap();
  registry.subjectMarks.set(marked, field);
  return marked;
}

/** The subject id field a zod object schema (or the schema it was derived from) was marked with by `dataSubject`. */
export function dataSubjectField(schema: object): string | undefined {
  const marks = registry.subjectMarks;
  if (marks === undefined) return undefined;
  let current: unknown = schema;
  for (let i = 0; i <= MAX_PARENTS && typeof current === 'object' && current !== null; i++) {
    const field = marks.get(current);
    if (field !== undefined) return field;
    current = (current as { _zod?: { parent?: unknown } })._zod?.parent;
  }
  return undefined;
}

// zod's chaining methods (.describe, .meta, .min, .regex, .refine, ...) return clones that point back at the
// schema they came from through `_zod.parent`, as zod's own registries do for metadata: follow that chain,
// so a tagged schema stays tagged however it is refined. Bounded, in case of a cycle.
const MAX_PARENTS = 64;

/** The purpose a schema (or the schema it was derived from by chaining) was tagged with, if any. */
export function sensitivePurpose(schema: object): string | undefined {
  let current: unknown = schema;
  for (let i = 0; i <= MAX_PARENTS && typeof current === 'object' && current !== null; i++) {
    const mark = registry.schemaMarks.get(current);
    if (mark !== undefined) return mark.purpose;
    current = (current as { _zod?: { parent?: unknown } })._zod?.parent;
  }
  return undefined;
}
