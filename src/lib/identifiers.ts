/** The grammar of the identifiers the wire format carries (docs/FORMAT.md); one place for every part. */

/** Key ids: operator-chosen or random, never derived from the key. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Purposes name a class of secrets (`phi`, `credential`); they appear in placeholders. */
export const PURPOSE_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

/**
 * A KMS key as errors and failures may name it: the ARN of a key or an alias, a bare key id (a
 * UUID, or `mrk-` and 32 hex digits) or an alias name. A KMS key ARN is no secret (every box header
 * under a KMS data key carries it); anything outside this grammar is not shown.
 */
export const KMS_KEY_ID_PATTERN =
  /^(?:arn:aws[a-z-]{0,20}:kms:[a-z0-9-]{1,40}:[0-9]{12}:(?:key|alias)\/[A-Za-z0-9/_+=.@-]{1,256}|(?:mrk-)?[A-Fa-f0-9-]{32,36}|alias\/[A-Za-z0-9/_-]{1,256})$/;

/** Identifiers of this length or more are never echoed: a base64url key is 43 characters. */
const NEVER_SHOWN_LENGTH = 40;

/**
 * A configured key id or purpose as errors and reports may show it. Only well-formed identifiers
 * shorter than 40 characters are shown: a mangled entry (a key pasted where its id belongs,
 * id and key swapped) must not echo key material. Anything else is shown by its length.
 */
export function shownIdentifier(id: string): string {
  if (id.length < NEVER_SHOWN_LENGTH && (KEY_ID_PATTERN.test(id) || PURPOSE_PATTERN.test(id))) return id;
  return `(not shown, ${id.length} characters)`;
}
