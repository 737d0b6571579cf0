// Fail closed: every value that was tagged or arrived sealed leaves sealed, or the send fails with a typed error.
// Each block is one hole an adversarial review reproduced (issue 9); every test failed before its fix.
import type { Payload, SerializationContext } from '@temporalio/common';
import { beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { createSealedPayloadConverter, Nested, SealedType, type Secret, secret, Sensitive, sealedTypeInfo, sensitive } from '../../src';
import { Keyring, SealingCodec } from '../../src/codec';
import { readEnvelope, writeEnvelope } from '../../src/codec/envelope';
import { mergeForDisplay } from '../../src/codec/sealing-codec';
import { codeOf } from '../support/errors';
import { dataJson, findLeaks, payloadBytes } from '../support/payloads';

const context: SerializationContext = { type: 'workflow', namespace: 'default', workflowId: 'w' };
const keyring = new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } });

const Referral = z.object({
  id: z.string(),
  patient: z.object({ name: z.string(), ssn: sensitive(z.string(), { purpose: 'phi' }) }),
});

@SealedType('test.failClosed.Login')
class Login {
  user!: string;
  @Sensitive({ purpose: 'credential' }) password!: string;
}

@SealedType('test.failClosed.Chart')
class Chart {
  id!: string;
  @Sensitive({ purpose: 'phi' }) @Nested(() => Login) login!: Login;
}

@SealedType('test.failClosed.Arrow')
class WithArrowToJSON {
  label!: string;
  @Sensitive({ purpose: 'phi' }) ssn!: string;
  toJSON = (): unknown => ({ label: this.label, ssn: this.ssn });
}

const converter = createSealedPayloadConverter({ schemas: { Referral }, types: [Login, Chart, WithArrowToJSON] });
const hint = sealedTypeInfo('Referral').payloadConverterHint;

async function send(codec: SealingCodec, value: unknown, typeHint?: unknown): Promise<Payload> {
  const [sealed] = await codec.encode([converter.toPayload(value, context, typeHint as never)], context);
  return sealed as Payload;
}

async function receive<T>(codec: SealingCodec, payload: Payload): Promise<T> {
  const [opened] = await codec.decode([payload], context);
  return converter.fromPayload<T>(opened as Payload, context);
}

function headerText(payload: Payload): string {
  const envelope = readEnvelope(payload.metadata?.['sealed-fields'] as Uint8Array);
  return Buffer.from(
    writeEnvelope({ ...envelope, boxes: envelope.boxes.map((box) => ({ ...box, ciphertext: new Uint8Array(16) })) }),
  ).toString('latin1');
}

// Runs first: no SealingCodec exists in this process yet.
describe('case 1: a process without a SealingCodec', () => {
  test('refuses to mark values with SEALED_NO_CODEC, naming no value', () => {
    let error: unknown;
    try {
      converter.toPayload({ jwt: secret('CANARY-JWT', { purpose: 'credential' }) }, context);
    } catch (err) {
      error = err;
    }
    expect((error as { code?: string }).code).toBe('SEALED_NO_CODEC');
    expect(JSON.stringify({ message: (error as Error).message, detail: (error as { detail?: unknown }).detail })).not.toContain('CANARY');
  });

  test('still writes payloads that have nothing to seal', () => {
    expect(dataJson(converter.toPayload({ a: 1 }, context))).toEqual({ a: 1 });
  });
});

describe('with a SealingCodec in the process', () => {
  let codec: SealingCodec;
  beforeAll(async () => {
    codec = await SealingCodec.create({ keyring });
  });

  test('case 1: values to seal never sit in metadata; a codec that did not write the reference refuses it (SEALED_NOT_SEALED)', async () => {
    const pending = converter.toPayload({ jwt: secret('CANARY-JWT', { purpose: 'credential' }) }, context);
    expect(findLeaks(payloadBytes(pending), ['CANARY-JWT'])).toEqual([]);
    // The server stores what it is sent: a reader anywhere refuses it loudly.
    await expect(codec.decode([pending], context)).rejects.toMatchObject({ code: 'SEALED_NOT_SEALED' });
    // The codec that holds the reference seals it once; a copy of the same reference is refused.
    const copy = structuredClone(pending);
    await codec.encode([pending], context);
    await expect(codec.encode([copy], context)).rejects.toMatchObject({ code: 'SEALED_NOT_SEALED' });
  });

  test('case 2: a zod value received with a hint and forwarded without one is sealed at the same paths', async () => {
    const received = await receive<z.infer<typeof Referral>>(
      codec,
      await send(codec, { id: 'r-1', patient: { name: 'Ana', ssn: 'CANARY-SSN' } }, hint),
    );
    for (const forwarded of [received, received.patient]) {
      const payload = await send(codec, forwarded);
      expect(findLeaks(payloadBytes(payload), ['CANARY-SSN'])).toEqual([]);
      expect(JSON.stringify(await receive(codec, payload))).toContain('CANARY-SSN');
    }
    expect(dataJson(await send(codec, received.patient))).toEqual({ name: 'Ana', ssn: '[sealed:phi:k1]' });
  });

  test('case 3: a payload naming a type this realm does not know decodes into a value that seals again', async () => {
    const sealed = await send(codec, { id: 'r-2', patient: { name: 'Ana', ssn: 'CANARY-SSN' } }, hint);
    const renamed = { ...sealed, metadata: { ...sealed.metadata, 'sealed-type': Buffer.from('NotRegisteredHere') } };
    const foreign = await SealingCodec.create({ keyring });
    // The type name is bound in the AAD: renaming it is tampering; a realm without the schema decodes the real name.
    await expect(foreign.decode([renamed], context)).rejects.toMatchObject({ code: 'SEALED_TAMPERED' });
    const bare = createSealedPayloadConverter();
    const value = bare.fromPayload<{ patient: { ssn: string } }>((await codec.decode([sealed], context))[0] as Payload, context);
    expect(value.patient.ssn).toBe('CANARY-SSN');
    const [again] = await codec.encode([bare.toPayload(value, context)], context);
    expect(findLeaks(payloadBytes(again as Payload), ['CANARY-SSN'])).toEqual([]);
  });

  test('case 4: a registered class whose instances carry their own toJSON is written field by field', async () => {
    const arrow = Object.assign(new WithArrowToJSON(), { label: 'clear', ssn: 'CANARY-ARROW' });
    const assigned = Object.assign(new Login(), { user: 'u', password: 'CANARY-ASSIGNED' });
    Object.assign(assigned, { toJSON: () => ({ user: assigned.user, password: assigned.password }) });
    for (const value of [arrow, assigned, { nested: arrow }, [assigned]]) {
      const payload = await send(codec, value);
      expect(findLeaks(payloadBytes(payload), ['CANARY-ARROW', 'CANARY-ASSIGNED'])).toEqual([]);
    }
  });

  test('case 5: a tag of another purpose inside a sealed value keeps its purpose: a phi reader does not see the credential', async () => {
    const chart = Object.assign(new Chart(), {
      id: 'c-1',
      login: Object.assign(new Login(), { user: 'CANARY-USER', password: 'CANARY-PASSWORD' }),
    });
    const payload = await send(codec, chart);
    const shown = (purposes: string[]): string =>
      JSON.stringify(mergeForDisplay(dataJson(payload), codec.revealNow(payload, { purposes: new Set(purposes) })));
    expect(shown(['phi'])).toContain('CANARY-USER');
    expect(shown(['phi'])).not.toContain('CANARY-PASSWORD');
    expect(shown(['credential'])).not.toContain('CANARY');
    expect(shown(['phi', 'credential'])).toContain('CANARY-PASSWORD');
    const back = await receive<Chart>(codec, payload);
    expect(back.login).toBeInstanceOf(Login);
    expect(back.login.password).toBe('CANARY-PASSWORD');
  });

  test('case 5: a Secret of another purpose in a tagged field needs both purposes', async () => {
    const login = Object.assign(new Login(), { user: 'u', password: secret('CANARY-BOTH', { purpose: 'phi' }) });
    const payload = await send(codec, login);
    const shown = (purposes: string[]): string =>
      JSON.stringify(mergeForDisplay(dataJson(payload), codec.revealNow(payload, { purposes: new Set(purposes) })));
    expect(shown(['phi'])).not.toContain('CANARY-BOTH');
    expect(shown(['credential'])).not.toContain('CANARY-BOTH');
    expect(shown(['credential', 'phi'])).toContain('CANARY-BOTH');
    const back = await receive<Login>(codec, payload);
    expect((back.password as unknown as Secret<string>).reveal()).toBe('CANARY-BOTH');
  });

  test('case 6: the keys of an object inside a sealed value never appear in the clear header', async () => {
    const value = secret({ 'ana@example.org': secret('CANARY-PHONE', { purpose: 'credential' }) }, { purpose: 'phi' });
    const payload = await send(codec, { byEmail: value });
    expect(headerText(payload)).not.toContain('ana@example.org');
    expect(findLeaks(payloadBytes(payload), ['ana@example.org', 'CANARY-PHONE'])).toEqual([]);
    const back = await receive<{ byEmail: Secret<Record<string, Secret<string>>> }>(codec, payload);
    expect(back.byEmail.reveal()['ana@example.org']?.reveal()).toBe('CANARY-PHONE');
  });

  test('a payload opened and sent again keeps nested values inside their container (the SDK re-sends decoded failures)', async () => {
    const payload = await send(codec, {
      byEmail: secret({ 'ana@example.org': secret('CANARY-PHONE', { purpose: 'credential' }) }, { purpose: 'phi' }),
    });
    const [opened] = await codec.decode([payload], context);
    const [resealed] = await codec.encode([opened as Payload], context);
    expect(headerText(resealed as Payload)).not.toContain('ana@example.org');
  });

  test('an envelope sealed with no namespace opens only for readers without one, or that accept it', async () => {
    const [unbound] = await codec.encode([converter.toPayload({ ssn: secret('CANARY', { purpose: 'phi' }) })]);
    await expect(codec.decode([unbound as Payload], context)).rejects.toMatchObject({ code: 'SEALED_WRONG_NAMESPACE' });
    expect(await codec.decode([unbound as Payload])).toHaveLength(1);
    const accepting = await SealingCodec.create({ keyring, acceptNamespaces: [''] });
    expect(await accepting.decode([unbound as Payload], context)).toHaveLength(1);
    const bound = await SealingCodec.create({ keyring, namespace: 'default' });
    const [defaulted] = await bound.encode([converter.toPayload({ ssn: secret('CANARY', { purpose: 'phi' }) })]);
    expect(await codec.decode([defaulted as Payload], context)).toHaveLength(1);
  });

  test('a stripped envelope is tampering: typed values at sensitive positions, placeholders left in untyped data', async () => {
    const sealed = await send(codec, Object.assign(new Login(), { user: 'u', password: 'CANARY' }));
    const typed: Payload = {
      metadata: { encoding: Buffer.from('json/plain'), 'sealed-type': sealed.metadata?.['sealed-type'] as Uint8Array },
      data: Buffer.from('{"user":"u","password":"attacker text"}'),
    };
    expect(codeOf(() => converter.fromPayload(typed, context))).toBe('SEALED_TAMPERED');
    const hinted: Payload = {
      metadata: { encoding: Buffer.from('json/plain') },
      data: Buffer.from('{"id":"r","patient":{"name":"n","ssn":"attacker"}}'),
    };
    expect(codeOf(() => converter.fromPayload(hinted, context, hint))).toBe('SEALED_TAMPERED');
    const bareSecret: Payload = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"[sealed:credential:k1]"') };
    expect(codeOf(() => converter.fromPayload(bareSecret, context))).toBe('SEALED_TAMPERED');
    expect(
      codeOf(() =>
        converter.fromPayload(
          { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"note":"[sealed: not a placeholder]"}') },
          context,
        ),
      ),
    ).toBeUndefined();
  });

  test('a clear string with the exact form of a placeholder is refused when written, so readers never mistake it', () => {
    expect(codeOf(() => converter.toPayload({ note: '[sealed:phi:k1]' }, context))).toBe('SEALED_UNSUPPORTED_VALUE');
    expect(codeOf(() => converter.toPayload({ note: '[sealed:phi]', jwt: secret('x', { purpose: 'credential' }) }, context))).toBe(
      'SEALED_UNSUPPORTED_VALUE',
    );
    expect(codeOf(() => converter.toPayload({ note: 'see [sealed:phi] above' }, context))).toBeUndefined();
  });

  test('values nested deeper than readers open are refused when written', async () => {
    let deep: unknown = 'CANARY-DEEP';
    for (let i = 0; i < 70; i++) deep = secret(deep, { purpose: i % 2 === 0 ? 'phi' : 'credential' });
    await expect(codec.encode([converter.toPayload({ deep }, context)], context)).rejects.toMatchObject({ code: 'SEALED_TOO_DEEP' });
  });
});
