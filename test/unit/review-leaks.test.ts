// Security review: paths by which a value meant to be sealed could be sent in clear.
import { describe, expect, test } from 'vitest';
import { createSealedPayloadConverter, SealedType, Sensitive } from '../../src';
import { payloadBytes } from '../support/payloads';

type Payload = ReturnType<ReturnType<typeof createSealedPayloadConverter>['toPayload']>;

/** In clear where the codec will not seal it: in `data` or any metadata entry but `sealed-pending` (which the codec replaces). */
function leaks(payload: Payload, canary: string): boolean {
  const { ['sealed-pending']: pending, ...rest } = payload.metadata ?? {};
  return !Buffer.from(pending ?? []).includes(canary) || payloadBytes({ ...payload, metadata: rest }).toString('latin1').includes(canary);
}

describe('review: key rules', () => {
  test('review-keyrules-global-flag: a key rule written with the g or y flag seals every match, not every other one', () => {
    for (const pattern of [/^ssn$/gi, /ssn/y]) {
      const ruled = createSealedPayloadConverter({ keyRules: pattern });
      for (let i = 0; i < 4; i++) {
        // A stateful (g/y) RegExp keeps lastIndex from the previous match: the next `ssn` key would fail the test.
        const canary = `CANARY-RULE-${i}`;
        const payload = ruled.toPayload({ ssn: canary });
        expect({ pattern: String(pattern), i, leaked: leaks(payload, canary) }).toEqual({ pattern: String(pattern), i, leaked: false });
      }
    }
  });
});

describe('review: legacy decorators on accessors', () => {
  test('review-sensitive-accessor: @Sensitive on a getter is refused instead of sending its backing field in clear', () => {
    class WithGetter {
      private stored = 'CANARY-GETTER-1';
      get ssn(): string {
        return this.stored;
      }
    }
    const descriptor = Object.getOwnPropertyDescriptor(WithGetter.prototype, 'ssn');
    // What tsc and swc emit for `@Sensitive() get ssn()` under experimentalDecorators.
    const decorate = Sensitive({ purpose: 'phi' }) as unknown as (t: object, k: string, d?: PropertyDescriptor) => void;
    let code: string | undefined;
    try {
      decorate(WithGetter.prototype, 'ssn', descriptor);
      SealedType('review.WithGetter')(WithGetter);
      const payload = createSealedPayloadConverter({ types: [WithGetter] }).toPayload(new WithGetter());
      expect(leaks(payload, 'CANARY-GETTER-1')).toBe(false);
    } catch (err) {
      code = (err as { code?: string }).code;
    }
    expect(code).toBe('SEALED_INVALID_OPTION');
  });

  test('review-sensitive-accessor: @Sensitive on a method is refused', () => {
    class WithMethod {
      ssn(): string {
        return 'x';
      }
    }
    const descriptor = Object.getOwnPropertyDescriptor(WithMethod.prototype, 'ssn');
    const decorate = Sensitive() as unknown as (t: object, k: string, d?: PropertyDescriptor) => void;
    expect(() => decorate(WithMethod.prototype, 'ssn', descriptor)).toThrow(expect.objectContaining({ code: 'SEALED_INVALID_OPTION' }));
  });

  test('review-sensitive-accessor: plain legacy fields still register (TS passes an undefined descriptor)', () => {
    class Plain {
      ssn!: string;
    }
    const decorate = Sensitive({ purpose: 'phi' }) as unknown as (t: object, k: string, d?: PropertyDescriptor) => void;
    decorate(Plain.prototype, 'ssn', undefined);
    SealedType('review.PlainField')(Plain);
    const payload = createSealedPayloadConverter({ types: [Plain] }).toPayload(Object.assign(new Plain(), { ssn: 'CANARY-PLAIN-1' }));
    expect(leaks(payload, 'CANARY-PLAIN-1')).toBe(false);
  });
});
