// Paths by which a value meant to be sealed could be sent in clear.
import { describe, expect, test } from 'vitest';
import { createSealedPayloadConverter } from '../../../src';
import { makeVisit, Visit } from '../../fixtures/dto';
import { codeOf } from '../../support/errors';
import { sentInClear, withCodecInProcess } from '../../support/pending';

withCodecInProcess();

type Converter = ReturnType<typeof createSealedPayloadConverter>;

/** 'sealed', 'LEAKED' (the canary would be stored in clear) or the code of the refusal. */
function sendOutcome(converter: Converter, value: unknown, canary: string): string {
  let leaked = false;
  const code = codeOf(() => {
    leaked = sentInClear(converter.toPayload(value), canary);
  });
  return code ?? (leaked ? 'LEAKED' : 'sealed');
}

describe('key rules', () => {
  test('a key rule written with the g or y flag seals every match, not every other one', () => {
    for (const pattern of [/^ssn$/gi, /ssn/y]) {
      const ruled = createSealedPayloadConverter({ keyRules: [{ pattern }] });
      for (let i = 0; i < 4; i++) {
        // A stateful (g/y) RegExp keeps lastIndex from the previous match: the next `ssn` key would fail the test.
        const canary = `CANARY-RULE-${i}`;
        expect({ pattern: String(pattern), i, outcome: sendOutcome(ruled, { ssn: canary }, canary) }).toEqual({
          pattern: String(pattern),
          i,
          outcome: 'sealed',
        });
      }
    }
  });
});

describe('values reachable only through a foreign toJSON (fast path, non-strict)', () => {
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
      [
        'toJSON returns a registered instance',
        { wrapper: { toJSON: () => makeVisit('2026-01-01', 'CANARY-TOJSON-1') } },
        'CANARY-TOJSON-1',
      ],
      [
        'unregistered subclass with its own toJSON',
        { visit: Object.assign(new ChildVisit(), { date: 'd', clinic: 'c', notes: 'CANARY-TOJSON-2' }) },
        'CANARY-TOJSON-2',
      ],
      ['registered instance with an own toJSON', { own }, 'CANARY-TOJSON-3'],
    ];
  }

  test('the default converter walks values behind a foreign toJSON and seals or refuses them', () => {
    const converter = createSealedPayloadConverter({ types: [Visit] });
    for (const [name, value, canary] of foreignToJsonValues()) {
      expect({ name, outcome: sendOutcome(converter, value, canary) }).toEqual({
        name,
        outcome: expect.stringMatching(/^(sealed|SEALED_[A-Z_]+)$/),
      });
    }
  });

  test('strict mode and key rules (full walk) seal every one of them or refuse it as an unregistered type', () => {
    for (const options of [{ strict: true }, { keyRules: [{ pattern: /^never-matches$/ }] }]) {
      const converter = createSealedPayloadConverter({ types: [Visit], ...options });
      for (const [name, value, canary] of foreignToJsonValues()) {
        const outcome = sendOutcome(converter, value, canary);
        expect({ name, options: Object.keys(options), outcome }).toEqual({
          name,
          options: Object.keys(options),
          outcome: expect.stringMatching(/^(sealed|SEALED_UNREGISTERED_TYPE)$/),
        });
      }
    }
  });
});
