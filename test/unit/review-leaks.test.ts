// Security review: paths by which a value meant to be sealed could be sent in clear.
import { describe, expect, test } from 'vitest';
import { createSealedPayloadConverter, SealedType, secret, Secret, Sensitive } from '../../src';
import { makeVisit, Visit } from '../fixtures/dto';
import { payloadBytes } from '../support/payloads';
import { pendingText, withCodecInProcess } from '../support/pending';

withCodecInProcess();

type Payload = ReturnType<ReturnType<typeof createSealedPayloadConverter>['toPayload']>;

/** In clear where the codec will not seal it: in `data` or any metadata entry but `sealed-pending` (which the codec replaces). */
function leaks(payload: Payload, canary: string): boolean {
  const { ['sealed-pending']: _pending, ...rest } = payload.metadata ?? {};
  return !(pendingText(payload) ?? '').includes(canary) || payloadBytes({ ...payload, metadata: rest }).toString('latin1').includes(canary);
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

describe('review: values reachable only through a foreign toJSON (fast path, non-strict)', () => {
  // JSON.stringify never calls toJSON on what another toJSON returns, so the converter's fast path
  // cannot see registered instances behind a toJSON it did not install. It checks for such a toJSON
  // first and then walks the whole value:
  //   - an object whose toJSON returns a registered instance,
  //   - an unregistered subclass with its own toJSON (`{ ...this }`),
  //   - a registered instance with an own toJSON property.
  class ChildVisit extends Visit {
    toJSON(): object {
      return { ...this };
    }
  }
  function foreignToJsonValues(): Array<[string, unknown, string]> {
    const own = makeVisit('2026-01-01', 'CANARY-TOJSON-3') as Visit & { toJSON?: () => object };
    own.toJSON = function (this: object) {
      return { ...this };
    };
    return [
      ['toJSON returns a registered instance', { wrapper: { toJSON: () => makeVisit('2026-01-01', 'CANARY-TOJSON-1') } }, 'CANARY-TOJSON-1'],
      ['unregistered subclass with its own toJSON', { visit: Object.assign(new ChildVisit(), { date: 'd', clinic: 'c', notes: 'CANARY-TOJSON-2' }) }, 'CANARY-TOJSON-2'],
      ['registered instance with an own toJSON', { own }, 'CANARY-TOJSON-3'],
    ];
  }

  test('review-tojson-fastpath: the default converter walks values behind a foreign toJSON and seals or refuses them', () => {
    const converter = createSealedPayloadConverter({ types: [Visit] });
    for (const [name, value, canary] of foreignToJsonValues()) {
      let leaked: boolean;
      try {
        leaked = leaks(converter.toPayload(value), canary);
      } catch {
        leaked = false;
      }
      expect({ name, leaked }).toEqual({ name, leaked: false });
    }
  });

  test('review-tojson-fastpath: strict mode and key rules (full walk) seal or refuse every one of them', () => {
    for (const options of [{ strict: true }, { keyRules: /^never-matches$/ }]) {
      const converter = createSealedPayloadConverter({ types: [Visit], ...options });
      for (const [name, value, canary] of foreignToJsonValues()) {
        let leaked: boolean;
        try {
          leaked = leaks(converter.toPayload(value), canary);
        } catch (err) {
          expect((err as { code?: string }).code).toBe('SEALED_UNREGISTERED_TYPE');
          leaked = false;
        }
        expect({ name, options: String(Object.keys(options)), leaked }).toEqual({ name, options: String(Object.keys(options)), leaked: false });
      }
    }
  });
});

describe('review: Secret-ness of a Secret nested inside another sealed value', () => {
  // A Secret inside a value being sealed becomes a field of its own, listed after its container;
  // readers merge containers first and wrap Secrets innermost first, whatever the box order.
  test('review-nested-secret: a Secret inside a Secret decodes as a Secret and stays sealed when passed on', async () => {
    const { Keyring, SealingCodec } = await import('../../src/codec');
    const converter = createSealedPayloadConverter();
    const codec = await SealingCodec.create({ keyring: new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } }) });
    const [sealed] = await codec.encode([converter.toPayload({ contact: secret({ phone: secret('CANARY-NESTED-1', { purpose: 'phi' }) }) })]);
    const back = converter.fromPayload<{ contact: Secret<{ phone: unknown }> }>((await codec.decode([sealed!]))[0]!);
    const phone = back.contact.reveal().phone; // what a workflow would pass to an activity
    const [passedOn] = await codec.encode([converter.toPayload(phone)]);
    expect(Buffer.from(passedOn!.data ?? []).toString()).not.toContain('CANARY-NESTED-1');
  });
});
