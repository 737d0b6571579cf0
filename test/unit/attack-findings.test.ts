// Adversarial review of the fail-closed change (issue 9). Every test here reproduces a problem on
// the current main and is marked test.fails so the suite stays green: each body asserts the
// behaviour the fail-closed rule (DESIGN.md) or FORMAT.md/SECURITY.md promises. When a fix lands,
// its test starts "failing" (vitest reports an unexpected pass): turn it into a plain test then.
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
const LazyTree: z.ZodType<TreeNode> = z.lazy(() => z.object({ ssn: sensitive(z.string(), { purpose: 'phi' }), child: LazyTree.optional() }));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
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

describe('attack findings (each currently broken; test.fails)', () => {
  test.fails('HIGH leak (fails today): recursive zod schema (z.lazy) sends sensitive() fields below the first level in clear', async () => {
    const payload = await send({ ssn: 'SSN-LEVEL-1', child: { ssn: 'SSN-LEVEL-2', child: { ssn: 'SSN-LEVEL-3' } } }, hint('LazyTree'));
    expect(findLeaks(payloadBytes(payload), ['SSN-LEVEL-1', 'SSN-LEVEL-2', 'SSN-LEVEL-3'])).toEqual([]);
  });

  test.fails('HIGH leak (fails today): recursive zod schema (getter recursion) sends sensitive() fields below the first level in clear', async () => {
    const payload = await send({ ssn: 'SSN-GETTER-1', child: { ssn: 'SSN-GETTER-2' } }, hint('GetterTree'));
    expect(findLeaks(payloadBytes(payload), ['SSN-GETTER-1', 'SSN-GETTER-2'])).toEqual([]);
  });

  test.fails('HIGH leak (fails today): an object forwarded alone is sealed whole at path "", but decodes without memory, so the next hop sends it in clear', async () => {
    const referral = await receive<{ details: { dx: string } }>(await send({ id: 'r', tags: [], details: { dx: 'DX-TWO-HOPS' } }, hint('Referral')));
    const hop1 = await send(referral.details); // sealed whole: fine
    expect(findLeaks(payloadBytes(hop1), ['DX-TWO-HOPS'])).toEqual([]);
    const received = await receive<unknown>(hop1); // the activity that got it
    const hop2 = await send({ forwarded: received }); // passes it on, no hint
    expect(findLeaks(payloadBytes(hop2), ['DX-TWO-HOPS'])).toEqual([]);
  });

  test.fails('HIGH leak (fails today): a schema that is sensitive() as a whole decodes without memory, so forwarding it without a hint sends it in clear', async () => {
    const value = await receive<unknown>(await send({ ssn: 'SSN-WHOLE-SCHEMA' }, hint('WholeSensitive')));
    expect(findLeaks(payloadBytes(await send(value)), ['SSN-WHOLE-SCHEMA'])).toEqual([]);
  });

  test.fails('MEDIUM leak (fails today): unshift on a decoded array of sensitive elements moves one past the remembered indexes and sends it in clear', async () => {
    const referral = await receive<{ tags: string[] }>(await send({ id: 'r', tags: ['TAG-FIRST-1', 'TAG-LAST-22'], details: { dx: 'd' } }, hint('Referral')));
    referral.tags.unshift('public-tag');
    expect(findLeaks(payloadBytes(await send(referral)), ['TAG-FIRST-1', 'TAG-LAST-22'])).toEqual([]);
  });

  test.fails('MEDIUM (fails today): sensitive() on a z.record key type is silently ignored; the keys (e.g. SSNs) go in clear instead of a typed refusal', async () => {
    let payload: Payload | undefined;
    const code = await send({ visitsBySsn: { 'SSN-AS-KEY-42': 3 } }, hint('BySsn')).then(
      (p) => ((payload = p), 'no error'),
      (err: unknown) => (SealedError.is(err) ? err.code : 'untyped'),
    );
    if (code === 'no error') expect(findLeaks(payloadBytes(payload as Payload), ['SSN-AS-KEY-42'])).toEqual([]);
    else expect(code).toBe('SEALED_INVALID_OPTION');
  });

  test.fails('MEDIUM leak (fails today): at a typed (schema) position an object\'s own toJSON is bypassed, so a value its owner redacts is written raw', async () => {
    const auth = Object.assign(new RedactedCredential('RAW-CREDENTIAL-XYZ'), { kind: 'pin', pin: '1234' });
    expect(JSON.stringify({ auth })).not.toContain('RAW-CREDENTIAL-XYZ'); // what Temporal's default converter writes
    expect(findLeaks(payloadBytes(await send({ auth }, hint('Typed'))), ['RAW-CREDENTIAL-XYZ'])).toEqual([]);
  });

  test.fails('MEDIUM (fails today): a SealedError raised inside a sealed value puts that value\'s keys (an e-mail) in clear ApplicationFailure details', async () => {
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

  test.fails('MEDIUM crash (fails today): an unsealed typed payload of a recursive class, nested 20,000 deep, throws RangeError instead of a SealedError', () => {
    let data = '{}';
    for (let i = 0; i < 20_000; i++) data = `{"child":${data}}`;
    expect(codeOf(() => converter.fromPayload(jsonPayload(data, { 'sealed-type': 'attack.Node' }), context))).toBe('SEALED_TOO_DEEP');
  });

  test.fails('LOW (fails today): refuseSecrets (search attribute guard) lets a decoded array of sealed values through', async () => {
    const referral = await receive<{ tags: string[] }>(await send({ id: 'r', tags: ['TAG-SEARCH-ATTR'], details: { dx: 'd' } }, hint('Referral')));
    expect(codeOf(() => refuseSecrets({ Tags: referral.tags }, 'upsertSearchAttributes'))).toBe('SEALED_NOT_ALLOWED_HERE');
  });

  test.fails('LOW (fails today): a stripped envelope whose placeholder is written with a JSON escape (\\u005b) is not detected (FORMAT.md reading step 3)', () => {
    const payload = jsonPayload('{"jwt":"\\u005bsealed:credential:k1]"}');
    expect(codeOf(() => converter.fromPayload(payload, context))).toBe('SEALED_TAMPERED');
  });

  test.fails('LOW (fails today): a sealed-opened entry from the wire is trusted by a reader whose codec is missing, forging a Secret', () => {
    const payload = jsonPayload('{"jwt":"[sealed:credential:k1]"}', { 'sealed-opened': '{"v":1,"f":[["/jwt","credential",1]],"x":["ATTACKER-TOKEN"]}' });
    let decoded: unknown;
    const code = codeOf(() => (decoded = converter.fromPayload(payload, context)));
    expect(Secret.isSecret((decoded as { jwt?: unknown } | undefined)?.jwt)).toBe(false);
    expect(code).toBe('SEALED_MALFORMED');
  });

  test.fails('LOW (fails today): strict mode accepts an instance of an unregistered class at a typed position', () => {
    expect(codeOf(() => strictConverter.toPayload({ auth: new NotRegistered('x') }, context, hint('Typed')))).toBe('SEALED_UNREGISTERED_TYPE');
  });

  test.fails('documented limit, still a leak (fails today): in the workflow sandbox the converter writes Secret plaintext into sealed-pending, sent in clear by a worker without the codec', () => {
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
