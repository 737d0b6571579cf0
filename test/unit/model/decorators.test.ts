// Legacy (experimentalDecorators) @Sensitive applied by hand, as tsc and swc emit it, on the members it must refuse or accept.
import { describe, expect, test } from 'vitest';
import { createSealedPayloadConverter, SealedType, Sensitive } from '../../../src';
import { codeOf } from '../../support/errors';
import { sentInClear, withCodecInProcess } from '../../support/pending';

withCodecInProcess();

type LegacyDecorator = (target: object, key: string, descriptor?: PropertyDescriptor) => void;

describe('legacy @Sensitive on accessors and methods', () => {
  test('@Sensitive on a getter is refused instead of sending its backing field in clear', () => {
    class WithGetter {
      private stored = 'CANARY-GETTER-1';
      get ssn(): string {
        return this.stored;
      }
    }
    const descriptor = Object.getOwnPropertyDescriptor(WithGetter.prototype, 'ssn');
    // What tsc and swc emit for `@Sensitive() get ssn()` under experimentalDecorators.
    const decorate = Sensitive({ purpose: 'phi' }) as unknown as LegacyDecorator;
    const code = codeOf(() => {
      decorate(WithGetter.prototype, 'ssn', descriptor);
      SealedType('test.WithGetter')(WithGetter);
      createSealedPayloadConverter({ types: [WithGetter] }).toPayload(new WithGetter());
    });
    expect(code).toBe('SEALED_INVALID_OPTION');
  });

  test('@Sensitive on a method is refused', () => {
    class WithMethod {
      ssn(): string {
        return 'x';
      }
    }
    const descriptor = Object.getOwnPropertyDescriptor(WithMethod.prototype, 'ssn');
    const decorate = Sensitive() as unknown as LegacyDecorator;
    expect(codeOf(() => decorate(WithMethod.prototype, 'ssn', descriptor))).toBe('SEALED_INVALID_OPTION');
  });

  test('plain legacy fields still register (TS passes an undefined descriptor)', () => {
    class Plain {
      ssn!: string;
    }
    const decorate = Sensitive({ purpose: 'phi' }) as unknown as LegacyDecorator;
    decorate(Plain.prototype, 'ssn', undefined);
    SealedType('test.PlainField')(Plain);
    const payload = createSealedPayloadConverter({ types: [Plain] }).toPayload(Object.assign(new Plain(), { ssn: 'CANARY-PLAIN-1' }));
    expect(sentInClear(payload, 'CANARY-PLAIN-1')).toBe(false);
  });
});
