// A stranger attacking the KMS key source (issue #12): every KMS call goes to moto's KMS API
// (test/support/kms-server.ts), never a mocked client.
import type { Payload } from '@temporalio/common';
import util from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSealedPayloadConverter, secret, type Secret } from '../../src';
import { type AwsKmsKeySource, Keyring, readingAlso, SealingCodec, type AwsKmsKeySourceOptions } from '../../src/codec';
import { readEnvelope, writeEnvelope } from '../../src/codec/envelope';
import { readWrappedKey, writeWrappedKey } from '../../src/codec/kms/wrapped-key';
import { SealedError } from '../../src/errors';
import { codeOfAsync } from '../support/errors';
import { kmsKeySourceOn, startKmsServer, type KmsServer } from '../support/kms-server';

let kms: KmsServer;
let kmsKey: string;
const converter = createSealedPayloadConverter();
const context = { type: 'workflow' as const, namespace: 'default', workflowId: 'wf' };
const phi = { purpose: 'phi', namespace: 'default' };

beforeAll(async () => {
  kms = await startKmsServer();
  kmsKey = await kms.createKey('attack');
  // the converter marks values only in a process with a codec
  await SealingCodec.create({ keyring: new Keyring({ active: 'k', keys: { k: Keyring.generateKey() } }) });
});
afterAll(async () => kms?.teardown());

function source(options: Partial<AwsKmsKeySourceOptions> = {}): Promise<AwsKmsKeySource> {
  return kmsKeySourceOn(kms, kmsKey, { connectionTimeoutMs: 500, ...options });
}

const pending = (i: number): Payload =>
  converter.toPayload({ id: `p-${i}`, ssn: secret(`SSN-${i}`, { purpose: 'phi' }), token: secret(`T-${i}`, { purpose: 'credential' }) });

/** The payload with its envelope rewritten by `edit`. */
function rewritten(payload: Payload, edit: (env: ReturnType<typeof readEnvelope>) => void): Payload {
  const env = readEnvelope(payload.metadata!['sealed-fields']!);
  edit(env);
  return { ...payload, metadata: { ...payload.metadata, 'sealed-fields': writeEnvelope(env) } };
}

/** A wrapped key naming `arn` with the ciphertext of `wrapped`. */
function renamed(wrapped: Uint8Array, arn: string): Uint8Array {
  return writeWrappedKey(arn, readWrappedKey(wrapped).ciphertextBlob);
}

describe("the KMS key a box names is the reader's choice, not the writer's", () => {
  it('a box naming an allowed key id under another account, region or partition is refused before any KMS call', async () => {
    const writer = await source();
    const box = { ...phi, ...(await writer.sealingKey(phi)) };
    const reader = await source();
    const uuid = kmsKey.split('/').pop() as string;
    const [, partition, , region, account] = kmsKey.split(':') as string[];
    const foreign = [
      `arn:${partition}:kms:${region}:999999999999:key/${uuid}`, // the attacker's account
      `arn:${partition}:kms:eu-west-3:${account}:key/${uuid}`, // another region
      `arn:aws-cn:kms:${region}:${account}:key/${uuid}`, // another partition
    ];
    kms.resetCalls();
    for (const arn of foreign) {
      const err = await reader.openingKey({ ...box, wrapped: renamed(box.wrapped, arn) }).catch((e: unknown) => e);
      expect(SealedError.is(err) && err.code).toBe('SEALED_KMS_KEY_NOT_ALLOWED');
    }
    expect(kms.calls()).toBe(0);
    expect(Buffer.from(await reader.openingKey(box)).equals(Buffer.from(box.key))).toBe(true);
  });
});

describe('the KMS key a box names: bare key ids still work', () => {
  it('a reader configured with the bare key id (no ARN) opens boxes whose wrapped key names the ARN', async () => {
    const writer = await source();
    const box = { ...phi, ...(await writer.sealingKey(phi)) };
    const reader = await source({ kmsKeyId: kmsKey.split('/').pop() as string });
    expect(Buffer.from(await reader.openingKey(box)).equals(Buffer.from(box.key))).toBe(true);
    const other = await source({ kmsKeyId: await kms.createKey('other'), openKmsKeys: [kmsKey.split('/').pop() as string] });
    expect((await other.openingKey(box)).length).toBe(32);
  });
});

describe('wrapped key bytes from an attacker', () => {
  it('truncated, mistagged or non-ASCII wrapped keys are SEALED_MALFORMED before any KMS call', async () => {
    const writer = await source();
    const box = { ...phi, ...(await writer.sealingKey(phi)) };
    const w = box.wrapped;
    const arnLength = (w[1]! << 8) | w[2]!;
    const bad = [
      w.subarray(0, 3), // no ARN
      w.subarray(0, 3 + arnLength), // ARN, no ciphertext
      w.subarray(0, 10), // ARN cut short
      Uint8Array.of(0x02, ...w.subarray(1)), // another source's tag (a subject key)
      Uint8Array.of(0x01, 0, 0, 1, 2, 3), // empty ARN
      Uint8Array.of(0x01, 0xff, 0xff, 0x61), // ARN length past the end
      writeWrappedKey('arn:aws:kms:us-east-1:1:key/\u00e9', Uint8Array.of(1)), // not printable ASCII
      (() => {
        const x = Uint8Array.from(w);
        x[5] = 0x0a; // a newline inside the ARN (log injection)
        return x;
      })(),
    ];
    const reader = await source({ openKmsKeys: '*' });
    kms.resetCalls();
    for (const wrapped of bad) expect(await codeOfAsync(() => reader.openingKey({ ...box, wrapped }))).toBe('SEALED_MALFORMED');
    expect(kms.calls()).toBe(0);
  });

  it('a wrapped key larger than KMS accepts (ciphertext over 6144 bytes, ARN over 2048 characters) is SEALED_MALFORMED before any KMS call', async () => {
    const writer = await source();
    const box = { ...phi, ...(await writer.sealingKey(phi)) };
    const { ciphertextBlob } = readWrappedKey(box.wrapped);
    const hugeBlob = writeWrappedKey(kmsKey, new Uint8Array(60_000).fill(7));
    const hugeArn = writeWrappedKey(`${kmsKey}${'x'.repeat(3000)}`, ciphertextBlob);
    expect(() => readWrappedKey(hugeBlob)).toThrow(expect.objectContaining({ code: 'SEALED_MALFORMED' }));
    expect(() => readWrappedKey(hugeArn)).toThrow(expect.objectContaining({ code: 'SEALED_MALFORMED' }));
    expect(readWrappedKey(writeWrappedKey(kmsKey, new Uint8Array(6144))).ciphertextBlob.length).toBe(6144);
    const reader = await source({ openKmsKeys: '*' });
    kms.resetCalls();
    for (const wrapped of [hugeBlob, hugeArn]) {
      const err = await reader.openingKey({ ...box, wrapped }).catch((e: unknown) => e);
      expect(SealedError.is(err) && err.code).toBe('SEALED_MALFORMED');
      expect(JSON.stringify((err as SealedError).detail).length).toBeLessThan(200); // the 3000-character ARN is not echoed
    }
    expect(kms.calls()).toBe(0);
  });

  it('a forged ciphertext under a trusted KMS key is SEALED_KMS_CONTEXT_MISMATCH, and the error quotes neither the blob nor KMS', async () => {
    const writer = await source();
    const box = { ...phi, ...(await writer.sealingKey(phi)) };
    const forged = Uint8Array.from(readWrappedKey(box.wrapped).ciphertextBlob);
    forged[forged.length - 1]! ^= 1;
    const reader = await source();
    const err = await reader.openingKey({ ...box, wrapped: writeWrappedKey(kmsKey, forged) }).catch((e: unknown) => e);
    expect(SealedError.is(err) && err.code).toBe('SEALED_KMS_CONTEXT_MISMATCH');
    const text = `${util.inspect(err, { depth: 10 })} ${JSON.stringify(err)} ${(err as Error).stack}`;
    expect(text).not.toContain(Buffer.from(forged).toString('base64').slice(0, 24));
    expect(text).not.toContain(Buffer.from(box.key).toString('base64'));
  });
});

describe('wrapped keys moved between boxes, payloads and namespaces', () => {
  it("a data key moved into another purpose's box, or a wrapped key swapped between two data keys, never opens", async () => {
    const writer = await SealingCodec.create({ keys: await source() });
    const [sealed] = await writer.encode([pending(1)], context);
    const env = readEnvelope(sealed!.metadata!['sealed-fields']!);
    const [a, b] = env.boxes as [(typeof env.boxes)[0], (typeof env.boxes)[0]];
    expect(a.purpose).not.toBe(b.purpose);
    const reader = await SealingCodec.create({ keys: await source() });
    // b's header claims a's data key (id, key check, wrapped key): KMS unwraps it only for a's purpose
    const claimed = rewritten(sealed!, (e) => {
      e.boxes[1] = { ...b, keyId: a.keyId, keyCheck: a.keyCheck!, wrappedKey: a.wrappedKey! };
    });
    // (decode fails at box 0 already: the AAD of every box binds the whole header)
    expect(await codeOfAsync(() => reader.decode([claimed], context))).toBe('SEALED_TAMPERED');
    const onlyB = { namespace: 'default', purposes: new Set([b.purpose]) };
    expect(await codeOfAsync(() => reader.reveal(claimed, onlyB))).toBe('SEALED_KMS_CONTEXT_MISMATCH');
    // the wrapped keys swapped, the key ids kept: the key id is in the encryption context
    const swapped = rewritten(sealed!, (e) => {
      e.boxes[0] = { ...a, wrappedKey: b.wrappedKey! };
      e.boxes[1] = { ...b, wrappedKey: a.wrappedKey! };
    });
    expect(await codeOfAsync(() => reader.decode([swapped], context))).toBe('SEALED_KMS_CONTEXT_MISMATCH');
    expect(await codeOfAsync(() => reader.reveal(swapped, onlyB))).toBe('SEALED_KMS_CONTEXT_MISMATCH');
    // a box copied, whole, into another payload (same namespace, purpose and data key): the AAD binds the payload
    const [other] = await writer.encode([pending(2)], context);
    const grafted = rewritten(other!, (e) => {
      e.boxes[0] = e.boxes[0]!.purpose === a.purpose ? a : b;
    });
    expect(await codeOfAsync(() => reader.decode([grafted], context))).toBe('SEALED_TAMPERED');
    // the wrapped key stripped (a "static" box): the KMS source does not guess a keyring key
    const stripped = rewritten(sealed!, (e) => {
      e.boxes[0] = { ...a, wrappedKey: new Uint8Array() };
    });
    expect(await codeOfAsync(() => reader.decode([stripped], context))).toBe('SEALED_KEY_UNKNOWN');
    const opened = await reader.decode([sealed!], context);
    expect((converter.fromPayload(opened[0]!) as { ssn: Secret<string> }).ssn.reveal()).toBe('SSN-1');
  });
});

describe('a disabled KMS key stops working within the documented bounds', () => {
  it("sealing stops within dataKeyMaxAgeMs of the data key's creation; opening from the cache within cacheTtlMs of disabling, rotated keys included", async () => {
    const key = await kms.createKey('to-disable');
    let now = 0;
    const clock = { now: () => now };
    const writer = await source({ kmsKeyId: key, dataKeyMaxAgeMs: 60_000, cacheTtlMs: 300_000, ...clock });
    const reader = await source({ kmsKeyId: key, cacheTtlMs: 300_000, ...clock });
    const first = { ...phi, ...(await writer.sealingKey(phi)) };
    now = 61_000;
    const second = { ...phi, ...(await writer.sealingKey(phi)) }; // rotated: first moves to the opening cache
    expect(second.keyId).not.toBe(first.keyId);
    await reader.openingKey(first);
    now = 100_000;
    await kms.call('DisableKey', { KeyId: key.split('/').pop() });
    const disabledAt = now;
    try {
      // sealing: the cached data key until it is spent (created at 61 s, max age 60 s), then the typed error
      now = 120_999;
      expect((await writer.sealingKey(phi)).keyId).toBe(second.keyId);
      now = 121_000;
      expect(await codeOfAsync(() => writer.sealingKey(phi))).toBe('SEALED_KMS_KEY_DISABLED');
      expect(writer.sealingKeyNow(phi)).toBeUndefined();
      expect(await codeOfAsync(() => writer.sealingKey(phi))).toBe('SEALED_KMS_KEY_DISABLED'); // and stays so
      // opening: from the cache, never past disabling + cacheTtlMs
      for (const [who, box] of [
        [writer, first],
        [writer, second],
        [reader, first],
      ] as const) {
        now = disabledAt + 300_000;
        expect(await codeOfAsync(() => who.openingKey(box))).toBe('SEALED_KMS_KEY_DISABLED');
      }
    } finally {
      await kms.call('EnableKey', { KeyId: key.split('/').pop() });
    }
  });
});

describe('data key rotation limits', () => {
  it('defaults are 100,000 boxes and 15 minutes; zero, negative and NaN limits are refused', async () => {
    expect((await source()).describe()).toMatchObject({ dataKeyMaxUses: 100_000, dataKeyMaxAgeMs: 15 * 60_000 });
    for (const bad of [0, -1, Number.NaN]) {
      expect(await codeOfAsync(() => source({ dataKeyMaxUses: bad }))).toBe('SEALED_INVALID_OPTION');
      expect(await codeOfAsync(() => source({ dataKeyMaxAgeMs: bad }))).toBe('SEALED_INVALID_OPTION');
      expect(await codeOfAsync(() => source({ cacheTtlMs: bad }))).toBe('SEALED_INVALID_OPTION');
    }
  });

  it('concurrent seals (async and at hand, mixed) never use one data key for more than dataKeyMaxUses boxes', async () => {
    const keys = await source({ dataKeyMaxUses: 7 });
    const uses = new Map<string, number>();
    const count = (keyId: string): void => void uses.set(keyId, (uses.get(keyId) ?? 0) + 1);
    await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const now = i % 2 === 0 ? keys.sealingKeyNow(phi) : undefined;
        count((now ?? (await keys.sealingKey(phi))).keyId);
      }),
    );
    expect([...uses.values()].reduce((a, b) => a + b, 0)).toBe(300);
    expect(Math.max(...uses.values())).toBeLessThanOrEqual(7);
  });

  it('through the codec, a data key seals at most dataKeyMaxUses top-level boxes', async () => {
    const codec = await SealingCodec.create({ keys: await source({ dataKeyMaxUses: 5 }) });
    const sealed = [
      ...(await codec.encode(
        Array.from({ length: 40 }, (_, i) => pending(i)),
        context,
      )),
      ...(await Promise.all(Array.from({ length: 40 }, (_, i) => codec.encode([pending(100 + i)], context)))).flat(),
    ];
    const uses = new Map<string, number>();
    for (const payload of sealed)
      for (const box of readEnvelope(payload.metadata!['sealed-fields']!).boxes) uses.set(box.keyId, (uses.get(box.keyId) ?? 0) + 1);
    expect([...uses.values()].reduce((a, b) => a + b, 0)).toBe(160);
    expect(Math.max(...uses.values())).toBeLessThanOrEqual(5);
  });
});

describe('readingAlso never hands a KMS failure to a weaker source', () => {
  it("a keyring holding a key under the box's data key id is not asked when KMS fails; and never opens a box with a wrapped key", async () => {
    const writer = await source();
    const sealing = await writer.sealingKey(phi);
    const box = { ...phi, ...sealing };
    // the worst case: a keyring that holds the very data key, under its id
    const keyring = new Keyring({ active: sealing.keyId, keys: { [sealing.keyId]: Buffer.from(sealing.key).toString('base64') } });
    let asked = 0;
    const spy = new Proxy(keyring, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]): unknown => {
          if (property === 'openingKey' || property === 'openingKeyNow') asked++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const paused = await source();
    const other = await source({ kmsKeyId: await kms.createKey('other-reader') }); // does not trust kmsKey
    kms.pause();
    try {
      expect(await codeOfAsync(() => readingAlso(paused, spy).openingKey(box))).toBe('SEALED_KMS_UNAVAILABLE');
    } finally {
      kms.resume();
    }
    expect(await codeOfAsync(() => readingAlso(other, spy).openingKey(box))).toBe('SEALED_KMS_KEY_NOT_ALLOWED');
    const fresh = await source();
    kms.failNext('Decrypt', 'AccessDeniedException');
    expect(await codeOfAsync(() => readingAlso(fresh, spy).openingKey(box))).toBe('SEALED_KMS_ACCESS_DENIED');
    expect(await codeOfAsync(() => readingAlso(fresh, spy).openingKey({ ...box, wrapped: box.wrapped.subarray(0, 5) }))).toBe(
      'SEALED_MALFORMED',
    );
    expect(asked).toBe(0);
    // the keyring first: it refuses the wrapped box (SEALED_KEY_UNKNOWN) and the KMS source decides
    expect(await codeOfAsync(() => readingAlso(spy, other).openingKey(box))).toBe('SEALED_KMS_KEY_NOT_ALLOWED');
    expect(await codeOfAsync(() => keyring.openingKey(box))).toBe('SEALED_KEY_UNKNOWN');
  });
});

const SECRET_CREDENTIALS = { accessKeyId: 'AKIAATTACKTEST0000042', secretAccessKey: 'wJalr-doNotLog-SECRET-K7MDENG/bPxRfiCY' };

/** Everything a log line, an error reporter or a console.log could show of `value`. */
function shown(value: unknown): string {
  const e = value as { message?: string; stack?: string; detail?: unknown };
  return [
    util.inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    JSON.stringify(value),
    String(value),
    e?.message,
    e?.stack,
    JSON.stringify(e?.detail),
  ].join('\n');
}

describe('credentials, key material and KMS text stay out of logs and errors', () => {
  it('console.log / util.inspect of the KMS source, or of a codec or plugin codec built on it, shows no credential', async () => {
    const keys = await source({ credentials: SECRET_CREDENTIALS });
    await keys.sealingKey(phi);
    for (const value of [keys, await SealingCodec.create({ keys })]) {
      const text = util.inspect(value, { depth: Number.POSITIVE_INFINITY });
      expect(text).not.toContain(SECRET_CREDENTIALS.secretAccessKey);
      expect(text).not.toContain(SECRET_CREDENTIALS.accessKeyId);
    }
    expect(util.inspect(keys)).toMatch(/^AwsKmsKeySource\(\{"kmsKeys":/);
    expect(Object.keys(keys)).toEqual([]);
    const { SealedFieldsPlugin } = await import('../../src/plugin');
    const plugin = new SealedFieldsPlugin({ keys });
    const text = `${util.inspect(plugin, { depth: Number.POSITIVE_INFINITY })}${util.inspect(plugin.codec, { depth: Number.POSITIVE_INFINITY })}`;
    expect(text).not.toContain(SECRET_CREDENTIALS.secretAccessKey);
  });

  // The codec keeps a copy of every key it computed a key check for: in a # field, out of reach of
  // util.inspect and deep object walkers.
  it('util.inspect of a SealingCodec at depth 3 shows no key bytes (keyChecks)', async () => {
    const keys = await source();
    const codec = await SealingCodec.create({ keys });
    const [sealed] = await codec.encode([pending(7)], context);
    const box = readEnvelope(sealed!.metadata!['sealed-fields']!).boxes[0]!;
    const key = await keys.openingKey({ ...phi, purpose: box.purpose, keyId: box.keyId, wrapped: box.wrappedKey! });
    const text = util.inspect(codec, { depth: 3, maxArrayLength: 64 }).replace(/\s+/g, '');
    expect(text).not.toContain(`[${[...key].join(',')}]`);
  });

  it('every KMS failure is a typed error naming identifiers only: no credential, data key, ciphertext or KMS message text', async () => {
    const writer = await source({ credentials: SECRET_CREDENTIALS });
    const box = { ...phi, ...(await writer.sealingKey(phi)) };
    const blob = Buffer.from(readWrappedKey(box.wrapped).ciphertextBlob).toString('base64');
    const reader = (): Promise<AwsKmsKeySource> => source({ credentials: SECRET_CREDENTIALS });
    const failures: unknown[] = [];
    const fail = async (run: () => Promise<unknown>): Promise<void> => {
      failures.push(
        await run().then(
          () => 'resolved',
          (err: unknown) => err,
        ),
      );
    };
    for (const errorType of ['AccessDeniedException', 'ThrottlingException', 'KMSInvalidStateException', 'InvalidCiphertextException']) {
      const r = await reader();
      kms.failNext('Decrypt', errorType);
      await fail(() => r.openingKey(box));
      kms.failNext('GenerateDataKey', errorType);
      await fail(() => r.sealingKey({ purpose: 'other', namespace: 'default' }));
    }
    const r = await reader();
    kms.failNext('Decrypt', 'InternalFailure', 1, 500);
    await fail(() => r.openingKey(box));
    await fail(async () => (await reader()).openingKey({ ...box, purpose: 'credential' })); // context mismatch
    await fail(async () => (await source({ kmsKeyId: await kms.createKey('x'), credentials: SECRET_CREDENTIALS })).openingKey(box));
    const paused = await reader();
    kms.pause();
    try {
      await fail(() => paused.openingKey(box));
    } finally {
      kms.resume();
    }
    expect(failures.map((err) => (SealedError.is(err) ? err.code : err))).toEqual([
      'SEALED_KMS_ACCESS_DENIED',
      'SEALED_KMS_ACCESS_DENIED',
      'SEALED_KMS_THROTTLED',
      'SEALED_KMS_THROTTLED',
      'SEALED_KMS_KEY_DISABLED',
      'SEALED_KMS_KEY_DISABLED',
      'SEALED_KMS_CONTEXT_MISMATCH',
      'SEALED_KMS_CONTEXT_MISMATCH',
      'SEALED_KMS_UNAVAILABLE',
      'SEALED_KMS_CONTEXT_MISMATCH',
      'SEALED_KMS_KEY_NOT_ALLOWED',
      'SEALED_KMS_UNAVAILABLE',
    ]);
    for (const err of failures) {
      const text = shown(err);
      for (const bad of [
        SECRET_CREDENTIALS.secretAccessKey,
        SECRET_CREDENTIALS.accessKeyId,
        Buffer.from(box.key).toString('base64'),
        Buffer.from(box.key).toString('hex'),
        blob.slice(0, 32),
        'injected by the test relay', // KMS's own message text
        'Signature', // no request details
      ])
        expect(text).not.toContain(bad);
    }
  });
});

describe('the plugin with a KMS source never falls back', () => {
  it('with the KMS down, encoding through the plugin fails with the typed code and returns nothing, not a keyring seal or clear JSON', async () => {
    const { SealedFieldsPlugin } = await import('../../src/plugin');
    const keyring = new Keyring({ active: 'k-static', keys: { 'k-static': Keyring.generateKey() } });
    const keys = await source();
    expect(() => new SealedFieldsPlugin({ keys, keyring })).toThrow(expect.objectContaining({ code: 'SEALED_INVALID_OPTION' }));
    const plugin = new SealedFieldsPlugin({ keys });
    const payload = pending(9);
    kms.pause();
    let result: unknown;
    try {
      result = await plugin.codec.encode([payload], context).catch((err: unknown) => err);
    } finally {
      kms.resume();
    }
    expect(SealedError.is(result) && result.code).toBe('SEALED_KMS_UNAVAILABLE');
    // once KMS answers (Temporal retries the task, converting again), a payload seals under a KMS data key
    let sealed: Payload | undefined;
    for (let i = 0; i < 20 && sealed === undefined; i++) {
      sealed = (await plugin.codec.encode([pending(9)], context).catch(() => [undefined]))[0];
      if (sealed === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    const env = readEnvelope(sealed!.metadata!['sealed-fields']!);
    expect(env.boxes.every((b) => /^dk-/.test(b.keyId) && readWrappedKey(b.wrappedKey!).kmsKeyArn === kmsKey)).toBe(true);
    expect(Buffer.from(sealed!.data!).toString()).not.toContain('SSN-9');
  });
});

describe('the codec server with a KMS source under attack and while KMS fails', () => {
  async function server(keys: AwsKmsKeySource) {
    const { createCodecServer } = await import('../../src/server');
    const { STATIC_TOKENS, TOKENS, toWire, memoryAudit } = await import('../server/fixtures');
    const audit = memoryAudit();
    const { app } = await createCodecServer({ keys, auth: { staticTokens: STATIC_TOKENS }, audit: audit.sink });
    const decode = async (payloads: Payload[], token: string = TOKENS.clinician) => {
      const res = await app.request('/decode', {
        method: 'POST',
        body: toWire(payloads),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-namespace': 'default' },
      });
      return { status: res.status, text: await res.text() };
    };
    return { decode, audit, TOKENS };
  }

  it('each KMS failure is 503 (KMS down or throttling) or 422 (the payload or the key), never 500, with a body of kind, code and the KMS key only', async () => {
    const writer = await SealingCodec.create({ keys: await source({ credentials: SECRET_CREDENTIALS }) });
    const [sealed] = await writer.encode([pending(20)], context);
    const foreignKey = await kms.createKey('foreign');
    const [foreign] = await (await SealingCodec.create({ keys: await source({ kmsKeyId: foreignKey }) })).encode([pending(21)], context);
    const cases: Array<[string, () => void, Payload, number, string, string]> = [
      ['throttled', () => kms.failNext('Decrypt', 'ThrottlingException'), sealed!, 503, 'SEALED_KMS_THROTTLED', kmsKey],
      ['KMS 500', () => kms.failNext('Decrypt', 'InternalFailure', 1, 500), sealed!, 503, 'SEALED_KMS_UNAVAILABLE', kmsKey],
      ['denied', () => kms.failNext('Decrypt', 'AccessDeniedException'), sealed!, 422, 'SEALED_KMS_ACCESS_DENIED', kmsKey],
      ['disabled', () => kms.failNext('Decrypt', 'DisabledException'), sealed!, 422, 'SEALED_KMS_KEY_DISABLED', kmsKey],
      ['not trusted', () => {}, foreign!, 422, 'SEALED_KMS_KEY_NOT_ALLOWED', foreignKey],
    ];
    for (const [name, arrange, payload, status, code, kmsKeyId] of cases) {
      const { decode, audit } = await server(await source({ credentials: SECRET_CREDENTIALS })); // nothing cached
      arrange();
      const res = await decode([payload]);
      // The KMS key is the ARN the payload's own header names (no secret); nothing of KMS's answer is echoed.
      expect([name, res.status, JSON.parse(res.text)]).toEqual([
        name,
        status,
        { error: status === 503 ? 'unavailable' : 'unprocessable', code, kmsKeyId },
      ]);
      expect(audit.records).toEqual([expect.objectContaining({ event: 'rejected', code, kmsKeyId })]);
      const logged = JSON.stringify(audit.records.map((record) => ({ ...record, kmsKeyId: undefined })));
      for (const bad of [SECRET_CREDENTIALS.secretAccessKey, SECRET_CREDENTIALS.accessKeyId, 'SSN-2', 'arn:aws:kms', 'injected'])
        expect(logged).not.toContain(bad);
    }
  });

  it('a caller allowed one purpose and namespace gets nothing from boxes relabelled to its purpose or namespace', async () => {
    const { createCodecServer } = await import('../../src/server');
    const { toWire } = await import('../server/fixtures');
    const clerk = 'credential-clerk-token-0123456789';
    const { app } = await createCodecServer({
      keys: await source(),
      auth: { staticTokens: [{ token: clerk, subject: 'clerk', purposes: ['credential'], namespaces: ['default', 'billing'] }] },
      audit: () => {},
    });
    const writer = await SealingCodec.create({ keys: await source() });
    const [sealed] = await writer.encode([converter.toPayload({ ssn: secret('SSN-REL', { purpose: 'phi' }) })], context);
    const asCredential = rewritten(sealed!, (e) => {
      e.boxes[0] = { ...e.boxes[0]!, purpose: 'credential' };
    });
    const asBilling = rewritten(asCredential, (e) => {
      e.namespace = 'billing';
    });
    const post = async (payload: Payload, namespace: string) => {
      const res = await app.request('/decode', {
        method: 'POST',
        body: toWire([payload]),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${clerk}`, 'x-namespace': namespace },
      });
      return { status: res.status, text: await res.text() };
    };
    const plain = await post(sealed!, 'default');
    expect(plain.status).toBe(200); // phi stays sealed for this caller
    const relabelled = await post(asCredential, 'default');
    expect([relabelled.status, JSON.parse(relabelled.text)]).toEqual([
      422,
      { error: 'unprocessable', code: 'SEALED_KMS_CONTEXT_MISMATCH', kmsKeyId: kmsKey },
    ]);
    const moved = await post(asBilling, 'billing');
    expect([moved.status, JSON.parse(moved.text)]).toEqual([
      422,
      { error: 'unprocessable', code: 'SEALED_KMS_CONTEXT_MISMATCH', kmsKeyId: kmsKey },
    ]);
    for (const res of [plain, relabelled, moved]) expect(res.text).not.toContain(Buffer.from('SSN-REL').toString('base64').slice(0, 8));
    const data = (JSON.parse(plain.text) as { payloads: Array<{ data: string }> }).payloads[0]!.data;
    expect(Buffer.from(data, 'base64').toString()).toMatch(/"ssn":"\[sealed:phi:dk-/);
  });

  it('a caller allowed no purpose makes the server call KMS not once, however many boxes it posts', async () => {
    const writer = await SealingCodec.create({ keys: await source({ dataKeyMaxUses: 1 }) });
    const sealed = await writer.encode(
      Array.from({ length: 20 }, (_, i) => pending(30 + i)),
      context,
    );
    const { decode, TOKENS } = await server(await source());
    kms.resetCalls();
    const res = await decode(sealed, TOKENS.support);
    expect(res.status).toBe(200);
    const datas = (JSON.parse(res.text) as { payloads: Array<{ data: string }> }).payloads.map((p) =>
      Buffer.from(p.data, 'base64').toString(),
    );
    expect(datas.join('')).not.toContain('SSN-');
    expect(kms.calls()).toBe(0);
  });

  // A caller allowed one purpose posts payloads whose boxes carry distinct forged ciphertexts under a
  // trusted KMS key; each would cost one Decrypt that KMS refuses. The source stops asking KMS past
  // maxRefusedUnwrapsPerMinute such refusals (SEALED_KMS_THROTTLED, 503), so the account's KMS
  // request quota, which the workers share, is not spent.
  it('forged boxes posted by one caller cost a bounded number of Decrypt calls (at most 100 for 200 boxes)', async () => {
    const writer = await SealingCodec.create({ keys: await source() });
    const [sealed] = await writer.encode([converter.toPayload({ ssn: secret('SSN-X', { purpose: 'phi' }) })], context);
    const forged = (n: number): Payload =>
      rewritten(sealed!, (e) => {
        const box = e.boxes[0]!;
        const blob = Uint8Array.from(readWrappedKey(box.wrappedKey!).ciphertextBlob);
        blob[40] = n >> 8;
        blob[41] = n & 0xff;
        e.boxes[0] = { ...box, wrappedKey: writeWrappedKey(kmsKey, blob) };
      });
    const { decode } = await server(await source());
    kms.resetCalls();
    for (let request = 0; request < 4; request++) {
      const res = await decode(Array.from({ length: 50 }, (_, i) => forged(request * 50 + i)));
      expect(request === 0 ? [422] : [422, 503]).toContain(res.status);
      // Calls still in flight when the batch failed go on, and count once they fail: let them (a loaded
      // machine answers slowly), so that each batch starts with the refusals of the ones before.
      await new Promise((r) => setTimeout(r, 1500));
    }
    expect(kms.calls('Decrypt')).toBeLessThanOrEqual(100);
  });
});

describe('CLI: careless KMS settings never end in plaintext or a silent success', () => {
  const AWS_ENV = [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_EC2_METADATA_DISABLED',
    'AWS_SHARED_CREDENTIALS_FILE',
    'AWS_CONFIG_FILE',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
  ] as const;
  /** Runs `body` with the SDK's default credential chain seeing `env` only (no profile, no instance metadata). */
  async function withAwsEnv<T>(env: Partial<Record<(typeof AWS_ENV)[number], string>>, body: () => Promise<T>): Promise<T> {
    const saved = Object.fromEntries(AWS_ENV.map((name) => [name, process.env[name]]));
    for (const name of AWS_ENV) delete process.env[name];
    Object.assign(
      process.env,
      {
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
        AWS_CONFIG_FILE: '/nonexistent/config',
      },
      env,
    );
    try {
      return await body();
    } finally {
      for (const name of AWS_ENV) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  }
  const flags = (): string[] => ['--kms-key-id', kmsKey, '--kms-endpoint', kms.endpoint, '--kms-region', kms.region];
  const creds = (): Partial<Record<(typeof AWS_ENV)[number], string>> => ({
    AWS_ACCESS_KEY_ID: kms.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: kms.credentials.secretAccessKey,
  });

  it('keys check with no credentials, or the wrong region, fails (exit 1), naming the problem', async () => {
    const { cli } = await import('../cli/helpers');
    const none = await withAwsEnv({}, () => cli(['keys', 'check', ...flags(), '--json']));
    expect(none.code).toBe(1);
    expect((JSON.parse(none.stdout) as { problems: Array<{ problem: string }> }).problems.map((p) => p.problem)).toEqual([
      'kms-access-denied',
    ]);
    const wrongRegion = await withAwsEnv(creds(), () =>
      cli(['keys', 'check', '--kms-key-id', kmsKey, '--kms-endpoint', kms.endpoint, '--kms-region', 'eu-west-3']),
    );
    expect(wrongRegion.code).toBe(1);
    expect(wrongRegion.stdout).not.toContain(': ok');
  });

  it('keys check does not print a password written into --kms-endpoint', async () => {
    const { cli } = await import('../cli/helpers');
    const endpoint = kms.endpoint.replace('http://', 'http://proxyuser:hunter2-secret@');
    for (const json of [[], ['--json']]) {
      const run = await withAwsEnv(creds(), () =>
        cli(['keys', 'check', '--kms-key-id', kmsKey, '--kms-endpoint', endpoint, '--kms-region', kms.region, ...json]),
      );
      expect(`${run.stdout}${run.stderr}`).not.toContain('hunter2-secret');
    }
  });

  it('decode while KMS refuses or does not answer prints placeholders, never plaintext, and exits 1 naming the code', async () => {
    const { cli } = await import('../cli/helpers');
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const writer = await SealingCodec.create({ keys: await source() });
    const sealed = await writer.encode([pending(60), pending(61)], context);
    const b64 = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? new Uint8Array()).toString('base64');
    const wire = sealed.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
      data: b64(p.data),
    }));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sealed-kms-attack-'));
    try {
      const file = path.join(dir, 'history.json');
      writeFileSync(file, JSON.stringify({ payloads: wire }));
      const ok = await withAwsEnv(creds(), () => cli(['decode', file, ...flags()]));
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('SSN-60');
      const runs = [
        await withAwsEnv({}, () => cli(['decode', file, ...flags()])), // no credentials
        await withAwsEnv(creds(), () => {
          kms.failNext('Decrypt', 'AccessDeniedException', 10);
          return cli(['decode', file, ...flags()]);
        }),
      ];
      kms.failNext('Decrypt', 'AccessDeniedException', 0);
      for (const run of runs) {
        expect(run.stdout).not.toContain('SSN-6');
        expect(run.stdout).toContain('[sealed:phi:dk-');
        expect(run.code).toBe(1);
        expect(run.stderr).toContain('SEALED_KMS_ACCESS_DENIED');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
