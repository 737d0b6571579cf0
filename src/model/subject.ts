import { sealedError } from '../errors';

/**
 * A data subject id as given: a non-empty string in Unicode NFC (`id.normalize('NFC')`: one
 * spelling per person), or a safe integer (written in decimal, so `42` and `'42'` are one
 * subject). Ids are as sensitive as the values they key: errors never show them.
 *
 * @example
 * ```ts
 * secret(notes, { purpose: 'phi', subject: patient.id });
 * ```
 */
export type DataSubject = string | number;

/** Longest subject id accepted, in UTF-16 code units (ids are keys, not documents). */
export const MAX_SUBJECT_LENGTH = 1024;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Printable ASCII: always in NFC, no normalization needed. */
const PRINTABLE_ASCII = /^[ -~]*$/;

/** The subject id as a string, or undefined when `value` is not one (empty, too long, not well-formed Unicode or not in NFC, not a safe integer). */
export function subjectOrUndefined(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SUBJECT_LENGTH) return undefined;
  // Subject ids travel as UTF-8 and are hashed as UTF-8: a lone surrogate would become U+FFFD, another subject.
  if (PRINTABLE_ASCII.test(value)) return value;
  if (LONE_SURROGATE.test(value)) return undefined;
  // One person, one hash: "José" as e + U+0301 (NFD) would be another subject than "José" with U+00E9 (NFC),
  // and a forget of one spelling would miss the other's values. Only the NFC spelling is an id.
  return value.normalize('NFC') === value ? value : undefined;
}

/** The subject id as a string; `SEALED_INVALID_OPTION` (naming `where`, never the value) when it is not one. */
export function checkSubject(value: unknown, where: string): string {
  const subject = subjectOrUndefined(value);
  if (subject === undefined) {
    throw sealedError(
      'SEALED_INVALID_OPTION',
      `a data subject id must be a non-empty string in Unicode NFC (at most ${MAX_SUBJECT_LENGTH} characters) or a safe integer`,
      { where },
    );
  }
  return subject;
}
