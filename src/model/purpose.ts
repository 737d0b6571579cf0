import { sealedError } from '../errors';
import { PURPOSE_PATTERN } from '../lib/identifiers';

/** Purpose used when a field is tagged without one. */
export const DEFAULT_PURPOSE = 'sensitive';

/** Purposes name a class of secrets (`phi`, `credential`); they appear in placeholders, so keep them short and plain. */
export function checkPurpose(purpose: string | undefined): string {
  const value = purpose ?? DEFAULT_PURPOSE;
  if (typeof value !== 'string' || !PURPOSE_PATTERN.test(value)) {
    throw sealedError('SEALED_INVALID_OPTION', `purpose must match ${PURPOSE_PATTERN}`);
  }
  return value;
}
