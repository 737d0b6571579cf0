/** The grammar of the identifiers the wire format carries (docs/FORMAT.md); one place for every part. */

/** Key ids: operator-chosen or random, never derived from the key. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Purposes name a class of secrets (`phi`, `credential`); they appear in placeholders. */
export const PURPOSE_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

/** The exact text of a placeholder string: `[sealed:<purpose>]` or `[sealed:<purpose>:<keyId>]`. */
export const PLACEHOLDER_PATTERN = /^\[sealed:[a-z][a-z0-9_-]{0,31}(?::[A-Za-z0-9._-]{1,64})?\]$/;

/** Every placeholder starts with this text. */
export const PLACEHOLDER_PREFIX = '[sealed:';
