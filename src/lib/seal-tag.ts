/**
 * What a sealed value is sealed under, in one string: its purpose, and the data subject whose
 * key seals it, if any. A value without a subject has its purpose as tag, so payloads without
 * subjects build no new strings. Purposes never contain U+0000 (their grammar), so the first
 * U+0000 separates the purpose from the subject id. Workflow-safe.
 */
const SEPARATOR = '\u0000';

/** The tag of a value of `purpose`, sealed under `subject`'s key when one is given. */
export function sealTag(purpose: string, subject: string | undefined): string {
  return subject === undefined ? purpose : `${purpose}${SEPARATOR}${subject}`;
}

/** The purpose a tag names. */
export function tagPurpose(tag: string): string {
  const at = tag.indexOf(SEPARATOR);
  return at === -1 ? tag : tag.slice(0, at);
}

/** The data subject a tag names; undefined for a value sealed under a shared key. */
export function tagSubject(tag: string): string | undefined {
  const at = tag.indexOf(SEPARATOR);
  return at === -1 ? undefined : tag.slice(at + 1);
}
