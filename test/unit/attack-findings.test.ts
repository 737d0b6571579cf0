// Adversarial review of the fail-closed change (issue 9): each test reproduces an attack that broke
// the first version and asserts what the fail-closed rule (DESIGN.md), FORMAT.md or SECURITY.md
// promise. The two still marked test.fails are known limits, documented in SECURITY.md.
import type { Payload, SerializationContext } from '@temporalio/common';
import { beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import {
  createSealedFailureConverter,
  createSealedPayloadConverter,
  Nested,
  refuseSecrets,
  SealedError,
  SealedType,
  Secret,
  secret,
  Sensitive,
  sealedTypeInfo,
  sensitive,
} from '../../src';
import { Keyring, SealingCodec } from '../../src/codec';
import { findLeaks, payloadBytes } from '../support/payloads';

const context: SerializationContext = { type: 'workflow', namespace: 'default', workflowId: 'w' };
const keyring = new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } });

// zod v4's two documented ways to write a recursive schema.
type TreeNode = { ssn: string; child?: TreeNode | undefined };
const LazyTree: z.ZodType<TreeNode> = z.lazy(() =>
  z.object({ ssn: sensitive(z.string(), { purpose: 'phi' }), child: LazyTree.optional() }),
);
// biome-ignore lint/suspicious/noExplicitAny: a recursive schema written with getters has no type TypeScript can infer
const GetterTree: any = z.object({
  ssn: sensitive(z.string(), { purpose: 'phi' }),
  get child() {
    return GetterTree.optional();
  },
});
const Referral = z.object({
  id: z.string(),
  tags: z.array(sensitive(z.string(), { purpose: 'phi' })),
  details: sensitive(z.object({ dx: z.string() }), { purpose: 'phi' }),
});
const WholeSensitive = sensitive(z.object({ ssn: z.string() }), { purpose: 'phi' });
const BySsn = z.object({ visitsBySsn: z.record(sensitive(z.string(), { purpose: 'phi' }), z.number()) });
const Typed = z.object({ auth: z.object({ kind: z.string(), pin: sensitive(z.string()) }) });

@SealedType('attack.Ledger')
class Ledger {
  id!: string;
  @Sensitive({ purpose: 'phi' }) byEmail!: Record<string, unknown>;
}

@SealedType('attack.Node')
class ChainNode {
  @Nested(() => ChainNode) child?: ChainNode;
  @Sensitive() ssn?: string;
}

/** A user's own redacting wrapper: JSON.stringify (and Temporal's default converter) write only "[redacted]". */
class RedactedCredential {
  constructor(readonly raw: string) {}
  toJSON(): string {
    return '[redacted]';
  }
}
class NotRegistered {
  constructor(readonly kind: string) {}
}

const schemas = { LazyTree, GetterTree, Referral, WholeSensitive, BySsn, Typed };
const converter = createSealedPayloadConverter({ schemas, types: [Ledger, ChainNode] });
const strictConverter = createSealedPayloadConverter({ schemas, types: [Ledger, ChainNode], strict: true });
const hint = (name: string): never => sealedTypeInfo(name).payloadConverterHint as never;

let codec: SealingCodec;
beforeAll(async () => {
  codec = await SealingCodec.create({ keyring });
});

async function send(value: unknown, typeHint?: never): Promise<Payload> {
  const [sealed] = await codec.encode([converter.toPayload(value, context, typeHint)], context);
  return sealed as Payload;
}

async function receive<T>(payload: Payload): Promise<T> {
  const [opened] = await codec.decode([payload], context);
  return converter.fromPayload<T>(opened as Payload, context);
}

function codeOf(run: () => unknown): string {
  try {
    run();
    return 'no error';
  } catch (err) {
    return SealedError.is(err) ? err.code : `untyped ${(err as Error)?.constructor?.name}`;
  }
}

function jsonPayload(data: string, metadata: Record<string, string> = {}): Payload {
  const entries = Object.entries({ encoding: 'json/plain', ...metadata }).map(([k, v]) => [k, Buffer.from(v)]);
  return { metadata: Object.fromEntries(entries), data: Buffer.from(data) };
}

describe('attacks on fail closed', () => {
  test('a recursive zod schema (z.lazy) seals sensitive() fields at every level', async () => {
    const payload = await send({ ssn: 'SSN-LEVEL-1', child: { ssn: 'SSN-LEVEL-2', child: { ssn: 'SSN-LEVEL-3' } } }, hint('LazyTree'));
    expect(findLeaks(payloadBytes(payload), ['SSN-LEVEL-1', 'SSN-LEVEL-2', 'SSN-LEVEL-3'])).toEqual([]);
  });

  test('a recursive zod schema written with getters seals sensitive() fields at every level', async () => {
    const payload = await send({ ssn: 'SSN-GETTER-1', child: { ssn: 'SSN-GETTER-2' } }, hint('GetterTree'));
    expect(findLeaks(payloadBytes(payload), ['SSN-GETTER-1', 'SSN-GETTER-2'])).toEqual([]);
  });

  test('an object that arrived sealed whole remembers it, so the next hop seals it again', async () => {
    const referral = await receive<{ details: { dx: string } }>(
      await send({ id: 'r', tags: [], details: { dx: 'DX-TWO-HOPS' } }, hint('Referral')),
    );
    const hop1 = await send(referral.details); // sealed whole: fine
    expect(findLeaks(payloadBytes(hop1), ['DX-TWO-HOPS'])).toEqual([]);
    const received = await receive<unknown>(hop1); // the activity that got it
    const hop2 = await send({ forwarded: received }); // passes it on, no hint
    expect(findLeaks(payloadBytes(hop2), ['DX-TWO-HOPS'])).toEqual([]);
  });

  test('a value of a schema that is sensitive() as a whole remembers it: forwarded without a hint, it is sealed', async () => {
    const value = await receive<unknown>(await send({ ssn: 'SSN-WHOLE-SCHEMA' }, hint('WholeSensitive')));
    expect(findLeaks(payloadBytes(await send(value)), ['SSN-WHOLE-SCHEMA'])).toEqual([]);
  });

  test('every element of a decoded array of sealed elements is sealed again, even after unshift', async () => {
    const referral = await receive<{ tags: string[] }>(
      await send({ id: 'r', tags: ['TAG-FIRST-1', 'TAG-LAST-22'], details: { dx: 'd' } }, hint('Referral')),
    );
    referral.tags.unshift('public-tag');
    expect(findLeaks(payloadBytes(await send(referral)), ['TAG-FIRST-1', 'TAG-LAST-22'])).toEqual([]);
  });

  test('sensitive() on a z.record key type is refused with SEALED_INVALID_OPTION (keys are written in clear)', async () => {
    let payload: Payload | undefined;
    const code = await send({ visitsBySsn: { 'SSN-AS-KEY-42': 3 } }, hint('BySsn')).then(
      (p) => {
        payload = p;
        return 'no error';
      },
      (err: unknown) => (SealedError.is(err) ? err.code : 'untyped'),
    );
    if (code === 'no error') expect(findLeaks(payloadBytes(payload as Payload), ['SSN-AS-KEY-42'])).toEqual([]);
    else expect(code).toBe('SEALED_INVALID_OPTION');
  });

  test('at a typed position, an object that is not a registered class is written through its own toJSON (a redaction holds)', async () => {
    const auth = Object.assign(new RedactedCredential('RAW-CREDENTIAL-XYZ'), { kind: 'pin', pin: '1234' });
    expect(JSON.stringify({ auth })).not.toContain('RAW-CREDENTIAL-XYZ'); // what Temporal's default converter writes
    expect(findLeaks(payloadBytes(await send({ auth }, hint('Typed'))), ['RAW-CREDENTIAL-XYZ'])).toEqual([]);
  });

  test('a SealedError raised inside a sealed value names only the sealed field, never the keys inside it (they reach failure details in clear)', async () => {
    let error: unknown;
    try {
      converter.toPayload(Object.assign(new Ledger(), { id: 'l', byEmail: { 'ana.patient@example.org': { amount: 10n } } }), context);
    } catch (err) {
      error = err;
    }
    expect(SealedError.is(error)).toBe(true);
    const failure = createSealedFailureConverter().errorToFailure(error, converter, context);
    const details = await codec.encode((failure.applicationFailureInfo?.details?.payloads ?? []) as Payload[], context);
    expect(details.flatMap((p) => findLeaks(payloadBytes(p), ['ana.patient@example.org']))).toEqual([]);
  });

  test('an unsealed typed payload nested 20,000 deep fails with SEALED_TOO_DEEP, not a RangeError', () => {
    let data = '{}';
    for (let i = 0; i < 20_000; i++) data = `{"child":${data}}`;
    expect(codeOf(() => converter.fromPayload(jsonPayload(data, { 'sealed-type': 'attack.Node' }), context))).toBe('SEALED_TOO_DEEP');
  });

  test('the search attribute guard refuses a value that arrived sealed', async () => {
    const referral = await receive<{ tags: string[] }>(
      await send({ id: 'r', tags: ['TAG-SEARCH-ATTR'], details: { dx: 'd' } }, hint('Referral')),
    );
    expect(codeOf(() => refuseSecrets({ Tags: referral.tags }, 'upsertSearchAttributes'))).toBe('SEALED_NOT_ALLOWED_HERE');
  });

  test('a stripped envelope whose placeholder is written with a JSON escape (\\u005b) is refused (FORMAT.md reading step 3)', () => {
    const payload = jsonPayload('{"jwt":"\\u005bsealed:credential:k1]"}');
    expect(codeOf(() => converter.fromPayload(payload, context))).toBe('SEALED_TAMPERED');
  });

  test.fails('LOW (known limit): a sealed-opened entry from the wire is trusted by a reader whose codec is missing, forging a Secret', () => {
    const payload = jsonPayload('{"jwt":"[sealed:credential:k1]"}', {
      'sealed-opened': '{"v":1,"f":[["/jwt","credential",1]],"x":["ATTACKER-TOKEN"]}',
    });
    let decoded: unknown;
    const code = codeOf(() => (decoded = converter.fromPayload(payload, context)));
    expect(Secret.isSecret((decoded as { jwt?: unknown } | undefined)?.jwt)).toBe(false);
    expect(code).toBe('SEALED_MALFORMED');
  });

  test('strict mode refuses an instance of an unregistered class at a typed position', () => {
    expect(codeOf(() => strictConverter.toPayload({ auth: new NotRegistered('x') }, context, hint('Typed')))).toBe(
      'SEALED_UNREGISTERED_TYPE',
    );
  });

  test.fails('documented limit, still a leak (known limit): in the workflow sandbox the converter writes Secret plaintext into sealed-pending, sent in clear by a worker without the codec', () => {
    const bag = globalThis as { __TEMPORAL_ACTIVATOR__?: unknown };
    bag.__TEMPORAL_ACTIVATOR__ = {};
    try {
      const payload = converter.toPayload({ jwt: secret('JWT-IN-SANDBOX-1', { purpose: 'credential' }) }, context);
      expect(findLeaks(payloadBytes(payload), ['JWT-IN-SANDBOX-1'])).toEqual([]);
    } finally {
      delete bag.__TEMPORAL_ACTIVATOR__;
    }
  });
});
