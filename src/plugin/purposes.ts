/**
 * Start-up check of declared purposes: every purpose a registered class field, a key rule, the
 * keyring or the failure converter names must be in the list, so a typo (`phl`) fails at start-up
 * instead of sealing values under a purpose nobody may reveal.
 */
import { SealedError } from '../index';
import { registry } from '../model/registry';

/** Purposes used by the classes registered in this realm so far, with where they were found. */
export function registeredPurposes(): Array<{ purpose: string; where: string }> {
  const found: Array<{ purpose: string; where: string }> = [];
  for (const [name, ctor] of registry.byName) {
    for (const [field, decl] of registry.classes.get(ctor)?.fields ?? []) {
      if (decl.purpose !== undefined) found.push({ purpose: decl.purpose, where: `${name}.${field}` });
    }
  }
  return found;
}

export function refuseUndeclaredPurposes(declared: ReadonlySet<string>, used: Array<{ purpose: string; where: string }>): void {
  for (const { purpose, where } of used) {
    if (!declared.has(purpose)) {
      throw new SealedError('SEALED_INVALID_OPTION', 'purpose is not in the declared purposes (SealedFieldsPlugin purposes)', {
        purpose,
        where,
      });
    }
  }
}
