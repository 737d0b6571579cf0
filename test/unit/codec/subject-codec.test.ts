import type { Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createSealedPayloadConverter,
  DataSubjectId,
  dataSubject,
  Erased,
  Nested,
  SealedType,
  type Secret,
  secret,
  sealedTypeInfo,
  Sensitive,
  sensitive,
} from '../../../src';
import { Keyring, SealingCodec, SubjectKeys, subjectHashOf } from '../../../src/codec';
import { readEnvelope } from '../../../src/codec/envelope';
import { createSealingCodecForTestVectors, mergeForDisplay } from '../../../src/codec/sealing-codec';
import { MemorySubjectKeyStore } from '../../../src/keystore/memory-store';
import type { SubjectKeyStore } from '../../../src/keystore/subject-key-store';
import { codeOfAsync } from '../../support/errors';
import { dataJson, payloadBytes, WORKFLOW_CONTEXT } from '../../support/payloads';

@SealedType('erasure.Visit')
class Visit {
  date!: string;
  @Sensitive({ purpose: 'phi' }) notes!: string;
}

@SealedType('erasure.Patient')
class Patient {
  @DataSubjectId() @Sensitive({ purpose: 'phi' }) patientId!: string;
  clinic!: string;
  @Sensitive({ purpose: 'phi' }) ssn!: string;
  @Sensitive({ purpose: 'contact' }) email!: string;
  @Nested(() => Visit) visits: Visit[] = [];
}

@SealedType('erasure.Child')
class Child {
  @DataSubjectId() childId!: string;
  @Sensitive({ purpose: 'phi' }) notes!: string;
}

@SealedType('erasure.Family')
class Family {
  @DataSubjectId() guardianId!: string;
  @Sensitive({ purpose: 'phi' }) guardianNotes!: string;
  @Sensitive({ purpose: 'phi', type: () => Child }) child!: Child;
}

const Record = dataSubject(z.object({ id: z.string(), ssn: sensitive(z.string(), { purpose: 'phi' }) }), 'id');
const converter = createSealedPayloadConverter({ types: [Patient, Visit, Family, Child], schemas: { Record } });
const indexKey = new Uint8Array(32).fill(3);
const ring = () => new Keyring({ active: 'k1', keys: { k1: new Uint8Array(32).fill(1) } });

async function setup(store: SubjectKeyStore = new MemorySubjectKeyStore(), options: { now?: () => number; cacheTtlMs?: number } = {}) {
  const keys = new SubjectKeys({ keys: ring(), store, subjectIndexKey: indexKey, ...options });
  const codec = await SealingCodec.create({ keys });
  const seal = async (value: unknown, hint?: string): Promise<Payload> => {
    const written = converter.toPayload(value, undefined, hint === undefined ? undefined : sealedTypeInfo(hint).payloadConverterHint);
    return (await codec.encode([written], WORKFLOW_CONTEXT))[0] as Payload;
  };
  const open = async <T>(payload: Payload): Promise<T> =>
    converter.fromPayload<T>((await codec.decode([payload], WORKFLOW_CONTEXT))[0] as Payload, WORKFLOW_CONTEXT);
  return { keys, codec, seal, open, store };
}

const patient = (id: string, canary = id): Patient =>
  Object.assign(new Patient(), {
    patientId: id,
    clinic: 'North',
    ssn: `SSN-${canary}`,
    email: `${canary}@example.org`,
    visits: [Object.assign(new Visit(), { date: '2026-01-02', notes: `NOTES-${canary}` })],
  });
const boxesOf = (payload: Payload) => readEnvelope(payload.metadata?.['sealed-fields'] as Uint8Array).boxes;

describe('subject boxes', () => {
  it('round-trip: one box per (purpose, subject), named by the subject hash', async () => {
    const { keys, seal, open } = await setup();
    const sealed = await seal(patient('patient-1042'));
    const boxes = boxesOf(sealed);
    expect(boxes.map((b) => b.purpose)).toEqual(['phi', 'contact']);
    for (const box of boxes) {
      expect(box.keyId).toMatch(/^sk-/);
      expect(subjectHashOf(box)).toBe(keys.subjectHash('patient-1042'));
    }
    const back = await open<Patient>(sealed);
    expect(back).toBeInstanceOf(Patient);
    expect(back).toEqual(patient('patient-1042'));
  });

  it('the subject id is nowhere in the stored bytes; placeholders of subject fields name no key id', async () => {
    const { seal } = await setup();
    const sealed = await seal(patient('patient-7f3a-canary'));
    expect(payloadBytes(sealed).toString('latin1')).not.toContain('patient-7f3a-canary');
    expect(payloadBytes(sealed).toString('latin1')).not.toContain('NOTES-');
    expect(dataJson(sealed)).toEqual({
      patientId: '[sealed:phi]',
      clinic: 'North',
      ssn: '[sealed:phi]',
      email: '[sealed:contact]',
      visits: [{ date: '2026-01-02', notes: '[sealed:phi]' }],
    });
    const bare = await seal(secret('v', { purpose: 'credential', subject: 'subject-canary-99' }));
    expect(payloadBytes(bare).toString('latin1')).not.toContain('subject-canary-99');
  });

  it('two subjects in one payload: two boxes per purpose, each under its own key', async () => {
    const { keys, seal, open } = await setup();
    const sealed = await seal([patient('A'), patient('B')]);
    const boxes = boxesOf(sealed);
    expect(boxes.map((b) => [b.purpose, subjectHashOf(b)])).toEqual([
      ['phi', keys.subjectHash('A')],
      ['contact', keys.subjectHash('A')],
      ['phi', keys.subjectHash('B')],
      ['contact', keys.subjectHash('B')],
    ]);
    expect(new Set(boxes.map((b) => b.keyId)).size).toBe(4);
    const back = await open<Array<Record<string, unknown>>>(sealed);
    expect(back.map((p) => p.ssn)).toEqual(['SSN-A', 'SSN-B']);
  });

  it('values without a subject keep exactly the bytes they had without SubjectKeys', async () => {
    const nonces = () => {
      let n = 0;
      return {
        next: () => {
          const start = n++ * 24;
          return Uint8Array.from({ length: 24 }, (_, i) => (start + i) & 0xff);
        },
      };
    };
    const value = { a: secret('x', { purpose: 'phi' }), v: Object.assign(new Visit(), { date: 'd', notes: 'n' }) };
    const plain = await createSealingCodecForTestVectors({ keyring: ring() }, { nonces: nonces() });
    const wrapped = await createSealingCodecForTestVectors(
      { keys: new SubjectKeys({ keys: ring(), store: new MemorySubjectKeyStore(), subjectIndexKey: indexKey }) },
      { nonces: nonces() },
    );
    const [a] = await plain.encode([converter.toPayload(value)], WORKFLOW_CONTEXT);
    const [b] = await wrapped.encode([converter.toPayload(value)], WORKFLOW_CONTEXT);
    expect(b).toEqual(a);
  });

  it('a Secret with a subject decodes with its subject and, sent on alone, is sealed under the same subject', async () => {
    const { keys, seal, open } = await setup();
    const back = await open<{ s: Secret<string> }>(await seal({ s: secret('v', { purpose: 'phi', subject: 'S1' }) }));
    expect(back.s.subject).toBe('S1');
    const passedOn = await seal(back.s);
    expect(boxesOf(passedOn).map(subjectHashOf)).toEqual([keys.subjectHash('S1')]);
  });

  it('a zod value of a subject, decoded and sent on without a type hint, stays under its subject', async () => {
    const { keys, seal, open } = await setup();
    const back = await open<{ id: string; ssn: string }>(await seal({ id: 'Z1', ssn: '1' }, 'Record'));
    expect(back).toEqual({ id: 'Z1', ssn: '1' });
    const passedOn = await seal({ wrapped: back });
    expect(boxesOf(passedOn).map(subjectHashOf)).toEqual([keys.subjectHash('Z1')]);
  });

  it('nested subjects: the child seals under its own key, inside the box of the guardian', async () => {
    const { keys, seal, open } = await setup();
    const family = Object.assign(new Family(), {
      guardianId: 'G',
      guardianNotes: 'g-notes',
      child: Object.assign(new Child(), { childId: 'C', notes: 'c-notes' }),
    });
    const sealed = await seal(family);
    expect(boxesOf(sealed).map(subjectHashOf)).toEqual([keys.subjectHash('G')]);
    const back = await open<Family>(sealed);
    expect(back.child).toBeInstanceOf(Child);
    expect(back.child.notes).toBe('c-notes');
    // forget the child: the guardian's values open, the child's notes are a tombstone
    await keys.forget('C', { actor: 'dpo' });
    const afterChild = await open<Family>(sealed);
    expect(afterChild.guardianNotes).toBe('g-notes');
    expect(afterChild.child.childId).toBe('C');
    expect(Erased.isErased(afterChild.child.notes)).toBe(true);
    // forget the guardian: everything sealed in the guardian's boxes goes with them
    await keys.forget('G', { actor: 'dpo' });
    const afterGuardian = await open<Family>(sealed);
    expect(Erased.isErased(afterGuardian.guardianNotes)).toBe(true);
    expect(Erased.isErased(afterGuardian.child)).toBe(true);
  });

  it('a codec whose key source ignores subjects refuses a subject value: never a shared key in its place', async () => {
    const codec = await SealingCodec.create({ keyring: ring() });
    expect(await codeOfAsync(() => codec.encode([converter.toPayload(patient('A'))]))).toBe('SEALED_INVALID_OPTION');
  });
});

describe('erasure', () => {
  it('forget A: A fields decode as tombstones, B fields as before, clear fields untouched', async () => {
    const { keys, seal, open } = await setup();
    const sealed = await seal({ a: patient('A'), b: patient('B'), note: 'clear' });
    await keys.forget('A', { actor: 'dpo@example.com' });
    const back = await open<{ a: Patient; b: Patient; note: string }>(sealed);
    expect(back.note).toBe('clear');
    expect(back.b).toEqual(patient('B'));
    expect(back.a.clinic).toBe('North');
    for (const value of [back.a.patientId, back.a.ssn, back.a.email, back.a.visits[0]?.notes]) expect(Erased.isErased(value)).toBe(true);
    expect((back.a.email as unknown as Erased).purpose).toBe('contact');
    expect(() => (back.a.ssn as unknown as Erased).reveal()).toThrow(expect.objectContaining({ code: 'SEALED_ERASED' }));
  });

  it('reveal (codec server, CLI) shows [erased:<purpose>] for the erased fields and everything else as before', async () => {
    const { keys, codec, seal } = await setup();
    const sealed = await seal({ a: patient('A'), b: patient('B') });
    await keys.forget('A', { actor: 'dpo' });
    const revealed = await codec.reveal(sealed, { namespace: 'default' });
    expect(revealed.erased.map((box) => subjectHashOf(box))).toEqual([keys.subjectHash('A'), keys.subjectHash('A')]);
    const shown = mergeForDisplay(dataJson(sealed), revealed) as { a: Record<string, unknown>; b: Record<string, unknown> };
    expect(shown.a).toEqual({
      patientId: '[erased:phi]',
      clinic: 'North',
      ssn: '[erased:phi]',
      email: '[erased:contact]',
      visits: [{ date: '2026-01-02', notes: '[erased:phi]' }],
    });
    expect(shown.b).toMatchObject({ patientId: 'B', ssn: 'SSN-B', email: 'B@example.org' });
    // a reader without the purpose still sees the placeholder, erased or not
    const withheld = await codec.reveal(sealed, { namespace: 'default', purposes: new Set(['contact']) });
    expect((mergeForDisplay(dataJson(sealed), withheld) as { a: { ssn: string } }).a.ssn).toBe('[sealed:phi]');
  });

  it('sealing new values for a forgotten subject is SEALED_ERASED; other subjects seal on', async () => {
    const { keys, seal } = await setup();
    await seal(patient('A'));
    await keys.forget('A', { actor: 'dpo' });
    expect(await codeOfAsync(() => seal(patient('A')))).toBe('SEALED_ERASED');
    expect(await codeOfAsync(() => seal(secret('x', { subject: 'A' })))).toBe('SEALED_ERASED');
    expect(await codeOfAsync(() => seal(patient('B')))).toBeUndefined();
  });

  it('a decoded value with tombstones sent on carries the tombstones and nothing else of A', async () => {
    const { keys, seal, open } = await setup();
    const sealed = await seal({ a: patient('A', 'CANARY-A'), b: patient('B') });
    await keys.forget('A', { actor: 'dpo' });
    const back = await open<{ a: Patient; b: Patient }>(sealed);
    const passedOn = await seal(back);
    expect(payloadBytes(passedOn).toString('latin1')).not.toContain('CANARY-A');
    expect((dataJson(passedOn) as { a: unknown }).a).toEqual({
      patientId: '[erased:phi]',
      clinic: 'North',
      ssn: '[erased:phi]',
      email: '[erased:contact]',
      visits: [{ date: '2026-01-02', notes: '[erased:phi]' }],
    });
    const again = await open<{ a: Patient; b: Patient }>(passedOn);
    expect(Erased.isErased(again.a.ssn)).toBe(true);
    expect(again.b).toEqual(patient('B'));
  });

  it('a payload opened by the codec and sealed again (a re-thrown failure) keeps its tombstones as tombstones', async () => {
    const { keys, codec, seal, open } = await setup();
    const sealed = await seal({ a: patient('A', 'CANARY-A'), b: patient('B') });
    await keys.forget('A', { actor: 'dpo' });
    const [opened] = await codec.decode([sealed], WORKFLOW_CONTEXT);
    const [resealed] = await codec.encode([opened as Payload], WORKFLOW_CONTEXT);
    expect(payloadBytes(resealed as Payload).toString('latin1')).not.toContain('CANARY-A');
    const back = await open<{ a: Patient; b: Patient }>(resealed as Payload);
    expect(Erased.isErased(back.a.ssn)).toBe(true);
    expect(back.b.ssn).toBe('SSN-B');
  });

  it('two codecs sharing a store: the other one honours forget within its cacheTtlMs', async () => {
    let now = 0;
    const store = new MemorySubjectKeyStore();
    const admin = await setup(store);
    const worker = await setup(store, { now: () => now, cacheTtlMs: 10_000 });
    const sealed = await worker.seal(patient('A'));
    await admin.keys.forget('A', { actor: 'dpo' });
    now = 9_999;
    expect((await worker.open<Patient>(sealed)).ssn).toBe('SSN-A');
    now = 10_000;
    expect(Erased.isErased((await worker.open<Patient>(sealed)).ssn)).toBe(true);
    expect(await codeOfAsync(() => worker.seal(patient('A')))).toBe('SEALED_ERASED');
  });

  it('a key store that does not answer fails encode and decode with its code: nothing clear, no other key', async () => {
    const store = new MemorySubjectKeyStore();
    const { seal } = await setup(store);
    const sealed = await seal(patient('A'));
    const down = new MemorySubjectKeyStore();
    await down.close();
    const other = await setup(down);
    expect(await codeOfAsync(() => other.seal(patient('B')))).toBe('SEALED_KEYSTORE_UNAVAILABLE');
    expect(await codeOfAsync(() => other.open(sealed))).toBe('SEALED_KEYSTORE_UNAVAILABLE');
    // values without a subject are not held up
    expect(await codeOfAsync(() => other.seal({ s: secret('x', { purpose: 'phi' }) }))).toBeUndefined();
  });
});
