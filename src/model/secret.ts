import { checkPurpose } from './purpose';
import { markOwnToJSON, secretJson } from './encoding-watch';
import { checkSubject, type DataSubject } from './subject';

const SECRET_BRAND = Symbol.for('temporal-sealed-fields.Secret');
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * A value that is sealed wherever it travels: as a bare argument, a nested field, a result
 * or a signal. It decodes back into a `Secret`. Printing it (`String`, `JSON.stringify`,
 * `util.inspect`, loggers) shows only `[secret:<purpose>]`. With a `subject`, it is sealed under
 * that data subject's key (docs/ERASURE.md) and keeps its subject when decoded; without one, a
 * Secret held by an object that names a subject (`@DataSubjectId`, `dataSubject`) takes that one.
 *
 * @example
 * ```ts
 * const jwt = secret(token, { purpose: 'credential' });
 * await startWorkflow(handleIntake, { args: [jwt, intake] });
 * // in an activity:
 * fetch(url, { headers: { authorization: `Bearer ${jwt.reveal()}` } });
 * ```
 */
export class Secret<T = unknown> {
  readonly #value: T;
  /** Names the class of secret; chooses the key and who may reveal it. */
  readonly purpose: string;
  /** The data subject whose key seals it (as sensitive as the value: never printed, not enumerable). */
  readonly subject?: string;

  constructor(value: T, purpose?: string, subject?: DataSubject) {
    this.#value = value;
    this.purpose = checkPurpose(purpose);
    // Readable, never enumerable: a spread, Object.entries or structuredClone must not copy the id out in clear.
    if (subject !== undefined) Object.defineProperty(this, 'subject', { value: checkSubject(subject, 'secret'), enumerable: false });
    Object.freeze(this);
  }

  /** The wrapped value. Call it at the last moment, where the value is really used. */
  reveal(): T {
    return this.#value;
  }

  /** Redacted form; inside the sealed converter this reports a value its fast path missed. */
  toJSON(): unknown {
    return secretJson(this.#value, this);
  }

  toString(): string {
    return `[secret:${this.purpose}]`;
  }

  [INSPECT](): string {
    return `Secret(${this.toString()})`;
  }

  /** True for a Secret from any copy of this package. */
  static isSecret(value: unknown): value is Secret {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[SECRET_BRAND] === true;
  }
}

Object.defineProperty(Secret.prototype, SECRET_BRAND, { value: true });
markOwnToJSON(Secret.prototype.toJSON);

/**
 * Options of {@link secret}.
 *
 * @example
 * ```ts
 * const notes = secret(text, { purpose: 'phi', subject: patient.id });
 * ```
 */
export interface SecretOptions {
  /** Class of secret, e.g. `phi` or `credential` (default `sensitive`). */
  purpose?: string;
  /** The data subject the value belongs to: sealed under that subject's key, erased with it (docs/ERASURE.md). */
  subject?: DataSubject;
}

/**
 * Wraps a value so that it is sealed wherever it goes.
 *
 * @example
 * ```ts
 * const jwt = secret(request.headers.authorization, { purpose: 'credential' });
 * const notes = secret(visit.notes, { purpose: 'phi', subject: patient.id }); // erased with the patient
 * ```
 */
export function secret<T>(value: T, options: SecretOptions = {}): Secret<T> {
  return new Secret(value, options.purpose, options.subject);
}
