import { sealedError } from '../errors';
import { tombstoneText } from '../lib/placeholders';
import { markOwnToJSON, tombstoneJson } from './encoding-watch';
import { checkPurpose } from './purpose';

const ERASED_BRAND = Symbol.for('temporal-sealed-fields.Erased');
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * What a decoded value holds where a value of a forgotten data subject was (see
 * docs/ERASURE.md): a tombstone that knows only the purpose. `reveal()` throws `SEALED_ERASED`,
 * so code written for a `Secret` fails typed instead of running on nothing; printing it shows
 * `[erased:<purpose>]`. Sent on (to an activity, as a result), it is written as the text
 * `[erased:<purpose>]` and decodes back into an `Erased`: a tombstone never carries anything else.
 *
 * @example
 * ```ts
 * if (Erased.isErased(intake.ssn)) return 'patient record erased';
 * const ssn = intake.ssn.reveal(); // throws SEALED_ERASED for a tombstone
 * ```
 */
export class Erased {
  /** The purpose the erased value was sealed under, e.g. `phi`. */
  readonly purpose: string;

  constructor(purpose: string) {
    this.purpose = checkPurpose(purpose);
    Object.freeze(this);
  }

  /** Always throws `SEALED_ERASED`: the value is gone. */
  reveal(): never {
    throw sealedError('SEALED_ERASED', 'this value was erased: its data subject was forgotten', { purpose: this.purpose });
  }

  /** The tombstone text, `[erased:<purpose>]`. */
  toString(): string {
    return tombstoneText(this.purpose);
  }

  /** The tombstone text, `[erased:<purpose>]`. */
  toJSON(): string {
    return tombstoneJson(this.toString());
  }

  [INSPECT](): string {
    return `Erased(${this.toString()})`;
  }

  /** True for an `Erased` from any copy of this package. */
  static isErased(value: unknown): value is Erased {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[ERASED_BRAND] === true;
  }
}

Object.defineProperty(Erased.prototype, ERASED_BRAND, { value: true });
markOwnToJSON(Erased.prototype.toJSON);
