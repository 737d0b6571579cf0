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
import { parseFieldList } from '../../../src/lib/field-list';
import { codeOf } from '../../support/errors';
import { dataJson } from '../../support/payloads';
import { pendingText, withCodecInProcess } from '../../support/pending';

@SealedType('subjects.Visit')
class Visit {
  date!: string;
  @Sensitive({ purpose: 'phi' }) notes!: string;
}

@SealedType('subjects.Patient')
class Patient {
  @DataSubjectId() patientId!: string;
  @Sensitive({ purpose: 'phi' }) ssn!: string;
  @Sensitive({ purpose: 'contact' }) email?: string;
  @Nested(() => Visit) visits: Visit[] = [];
  token?: Secret<string>;
}

@SealedType('subjects.Child')
class Child {
  @DataSubjectId() childId!: string | number;
  @Sensitive({ purpose: 'phi' }) notes!: string;
}

@SealedType('subjects.Family')
class Family {
  @DataSubjectId() guardianId!: string;
  @Sensitive({ purpose: 'phi' }) guardianNotes!: string;
  @Sensitive({ purpose: 'phi', type: () => Child }) child!: Child;
  @Nested(() => Child) siblings: Child[] = [];
}

const PatientRecord = dataSubject(
  z.object({ patientId: z.string(), ssn: sensitive(z.string(), { purpose: 'phi' }), note: z.string().optional() }),
  'patientId',
);
const converter = createSealedPayloadConverter({ types: [Patient, Family, Visit, Child], schemas: { PatientRecord } });

withCodecInProcess();

/** The fields the converter marked, as `[path, purpose, subject?]`. */
function marked(value: unknown, hint?: string): Array<[string, string, string | undefined]> {
  const payload = converter.toPayload(value, undefined, hint === undefined ? undefined : sealedTypeInfo(hint).payloadConverterHint);
  const list = parseFieldList(pendingText(payload) as string);
  return list.paths.map((path, i) => [path, list.purposes[i] as string, list.subjects?.[i]]);
}

const patient = (id: unknown): Patient =>
  Object.assign(new Patient(), {
    patientId: id,
    ssn: '123-45-6789',
    email: 'a@example.org',
    visits: [Object.assign(new Visit(), { date: '2026-01-02', notes: 'chest pain' })],
  });

describe('@DataSubjectId', () => {
  it('every sealed field of the instance, nested instances without their own subject included, names its subject', () => {
    expect(marked(patient('patient-1042')).sort()).toEqual([
      ['/email', 'contact', 'patient-1042'],
      ['/ssn', 'phi', 'patient-1042'],
      ['/visits/0/notes', 'phi', 'patient-1042'],
    ]);
  });

  it('a Secret held by the instance without a subject takes the instance subject; one with its own keeps it', () => {
    const p = Object.assign(patient('P1'), { token: secret('jwt', { purpose: 'credential' }) });
    expect(marked(p)).toContainEqual(['/token', 'credential', 'P1']);
    const q = Object.assign(patient('P1'), { token: secret('jwt', { purpose: 'credential', subject: 'clinician-9' }) });
    expect(marked(q)).toContainEqual(['/token', 'credential', 'clinician-9']);
  });

  it('a missing, empty or malformed subject id fails closed, naming the field, never the value', () => {
    for (const id of [undefined, '', null, 1.5, { id: 1 }]) {
      expect(codeOf(() => converter.toPayload(patient(id)))).toBe('SEALED_INVALID_OPTION');
    }
    let err: unknown;
    try {
      converter.toPayload(patient(''));
    } catch (e) {
      err = e;
    }
    expect((err as { detail: unknown }).detail).toEqual({ path: '/patientId' });
  });

  it('an instance with nothing to seal needs no subject id', () => {
    const p = Object.assign(new Patient(), { patientId: undefined });
    expect(pendingText(converter.toPayload(p))).toBeUndefined();
  });

  it('numbers that are safe integers are subject ids (as decimal strings)', () => {
    const child = Object.assign(new Child(), { childId: 42, notes: 'x' });
    expect(marked(child)).toEqual([['/notes', 'phi', '42']]);
  });

  it('a nested object naming its own subject seals its fields under it, inside the container of the outer subject', () => {
    const family = Object.assign(new Family(), {
      guardianId: 'G',
      guardianNotes: 'g',
      child: Object.assign(new Child(), { childId: 'C', notes: 'c' }),
      siblings: [Object.assign(new Child(), { childId: 'S', notes: 's' })],
    });
    const payload = converter.toPayload(family);
    const list = parseFieldList(pendingText(payload) as string);
    const fields = list.paths.map((path, i) => [path, list.purposes[i], list.subjects?.[i], list.nested?.[i] === true]);
    expect(fields.sort()).toEqual([
      ['/child', 'phi', 'G', false],
      ['/child/notes', 'phi', 'C', true],
      ['/guardianNotes', 'phi', 'G', false],
      ['/siblings/0/notes', 'phi', 'S', false],
    ]);
    // The child's id is clear inside the guardian's sealed value; its notes are a placeholder there.
    expect(list.values[list.paths.indexOf('/child')]).toEqual({ childId: 'C', notes: '[sealed:phi]' });
  });

  it('a class names at most one subject id field', () => {
    @SealedType('subjects.TwoIds')
    class TwoIds {
      @DataSubjectId() a!: string;
      @DataSubjectId() b!: string;
      @Sensitive({ purpose: 'phi' }) x!: string;
    }
    expect(codeOf(() => converter.toPayload(Object.assign(new TwoIds(), { a: '1', b: '2', x: 'x' })))).toBe('SEALED_INVALID_OPTION');
  });

  it('fields without a subject are marked exactly as before: no subject list at all', () => {
    const payload = converter.toPayload(Object.assign(new Visit(), { date: 'd', notes: 'n' }));
    expect(pendingText(payload)).toBe('{"v":1,"f":[["/notes","phi",0]],"x":["n"]}');
  });

  it('the field list carries subjects in "s", beside the values, never in data', () => {
    const payload = converter.toPayload(patient('patient-1042'));
    expect(JSON.parse(pendingText(payload) as string).s).toEqual(['patient-1042', 'patient-1042', 'patient-1042']);
    expect(dataJson(payload)).toMatchObject({ patientId: 'patient-1042', ssn: '[sealed:phi]' });
  });
});

describe('zod dataSubject', () => {
  it('seals the sensitive fields of the object under the named field subject', () => {
    expect(marked({ patientId: 'P7', ssn: '1', note: 'n' }, 'PatientRecord')).toEqual([['/ssn', 'phi', 'P7']]);
  });

  it('refuses what is not an object schema, or a field it lacks', () => {
    expect(codeOf(() => dataSubject(z.string(), 'x'))).toBe('SEALED_INVALID_OPTION');
    expect(codeOf(() => dataSubject(z.object({ a: z.string() }), 'b'))).toBe('SEALED_INVALID_OPTION');
  });

  it('survives chaining and wrappers, and returns a copy (the original schema names no subject)', () => {
    const base = z.object({ id: z.string(), v: sensitive(z.string(), { purpose: 'phi' }) });
    const conv = createSealedPayloadConverter({ schemas: { Marked: dataSubject(base, 'id').describe('x').optional(), Base: base } });
    const list = (hint: string) =>
      parseFieldList(pendingText(conv.toPayload({ id: 'S', v: 'x' }, undefined, sealedTypeInfo(hint).payloadConverterHint)) as string);
    expect(list('Marked').subjects).toEqual(['S']);
    expect(list('Base').subjects).toBeUndefined();
  });

  it('a missing subject id when something is sealed fails closed', () => {
    expect(codeOf(() => converter.toPayload({ ssn: '1' }, undefined, sealedTypeInfo('PatientRecord').payloadConverterHint))).toBe(
      'SEALED_INVALID_OPTION',
    );
  });
});

describe('secret(value, { subject })', () => {
  it('keeps its subject, never prints it, and is marked with it wherever it goes', () => {
    const s = secret('v', { purpose: 'phi', subject: 'patient-1042' });
    expect(s.subject).toBe('patient-1042');
    expect(`${s} ${JSON.stringify({ s })}`).not.toContain('patient-1042');
    expect(marked({ a: s })).toEqual([['/a', 'phi', 'patient-1042']]);
    expect(marked(s)).toEqual([['', 'phi', 'patient-1042']]);
    expect(secret('v', { subject: 7 }).subject).toBe('7');
    expect(codeOf(() => secret('v', { subject: '' }))).toBe('SEALED_INVALID_OPTION');
    expect(secret('v').subject).toBeUndefined();
  });
});

describe('tombstones', () => {
  it('an Erased value is sent as its text and never sealed; reveal() throws SEALED_ERASED', () => {
    const p = Object.assign(patient('P1'), { ssn: new Erased('phi') as unknown as string });
    const payload = converter.toPayload(p);
    expect(dataJson(payload)).toMatchObject({ ssn: '[erased:phi]' });
    expect(parseFieldList(pendingText(payload) as string).paths).not.toContain('/ssn');
    expect(codeOf(() => new Erased('phi').reveal())).toBe('SEALED_ERASED');
    expect(String(new Erased('phi'))).toBe('[erased:phi]');
    expect(JSON.stringify({ x: new Erased('phi') })).toBe('{"x":"[erased:phi]"}');
  });

  it('decodes back into an Erased, typed or not, also where nothing else was sealed', () => {
    const back = converter.fromPayload<Patient>(
      converter.toPayload(Object.assign(new Patient(), { patientId: 'P', ssn: new Erased('phi') })),
    );
    expect(back).toBeInstanceOf(Patient);
    expect(Erased.isErased(back.ssn)).toBe(true);
    const loose = converter.fromPayload<{ a: unknown; b: unknown[] }>(
      converter.toPayload({ a: new Erased('credential'), b: [new Erased('phi')] }),
    );
    expect(Erased.isErased(loose.a) && loose.a.purpose).toBe('credential');
    expect(Erased.isErased(loose.b[0])).toBe(true);
    expect(Erased.isErased(converter.fromPayload(converter.toPayload(new Erased('phi'))))).toBe(true);
  });

  it('a tombstone inside a value sealed whole travels inside it', () => {
    const payload = converter.toPayload({ s: secret({ notes: new Erased('phi'), keep: 'k' }, { purpose: 'phi' }) });
    const list = parseFieldList(pendingText(payload) as string);
    expect(list.values).toEqual([{ notes: '[erased:phi]', keep: 'k' }]);
  });

  it('a clear string in the exact form of a tombstone is refused: it would read back as one', () => {
    expect(codeOf(() => converter.toPayload({ note: '[erased:phi]' }))).toBe('SEALED_UNSUPPORTED_VALUE');
    expect(codeOf(() => converter.toPayload({ s: secret({ note: '[erased:phi]' }) }))).toBe('SEALED_UNSUPPORTED_VALUE');
    expect(codeOf(() => converter.toPayload({ note: 'see [erased:phi] below' }))).toBeUndefined();
  });

  it('an erased subject id refuses new values for that subject (SEALED_ERASED), but tombstones pass', () => {
    const p = Object.assign(new Patient(), { patientId: new Erased('phi'), ssn: new Erased('phi') });
    expect(codeOf(() => converter.toPayload(p))).toBeUndefined();
    expect(codeOf(() => converter.toPayload(Object.assign(p, { email: 'new@example.org' })))).toBe('SEALED_ERASED');
  });
});
