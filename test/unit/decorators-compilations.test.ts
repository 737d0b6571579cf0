import type { Payload } from '@temporalio/common';
import { beforeAll, describe, expect, test } from 'vitest';
import { COMPILATIONS, DIST_CODEC, DIST_INDEX, loadFixture, nodeRequire, type Compilation } from '../fixtures/decorators/compile';

// The built package, loaded by Node itself: the same module instances the compiled fixtures require.
const lib = nodeRequire(DIST_INDEX) as typeof import('../../src');
const codecLib = nodeRequire(DIST_CODEC) as typeof import('../../src/codec');

type IntakeModule = typeof import('../fixtures/decorators/patient-intake');
type ClassTransformerModule = typeof import('../fixtures/decorators/class-transformer-intake');

// Test-only key (32 bytes of 0x11): never use a constant key outside tests.
const TEST_KEY = new Uint8Array(32).fill(0x11);
const CONTEXT = { type: 'workflow', namespace: 'default', workflowId: 'wf-decorators' } as const;
const SEALED_PHI = '[sealed:phi:test-k1]';

let codec: Awaited<ReturnType<typeof codecLib.SealingCodec.create>>;
const converter = lib.createSealedPayloadConverter();

beforeAll(async () => {
  const keyring = new codecLib.Keyring({ active: 'test-k1', keys: { 'test-k1': TEST_KEY } });
  codec = await codecLib.SealingCodec.create({ keyring });
});

async function seal(value: unknown): Promise<Payload> {
  const [sealed] = await codec.encode([converter.toPayload(value)], CONTEXT);
  return sealed!;
}

async function open<T>(sealed: Payload): Promise<T> {
  const [opened] = await codec.decode([sealed], CONTEXT);
  return converter.fromPayload<T>(opened!);
}

/** Every byte the Temporal service would store: data and all metadata values. */
function storedText(payload: Payload): string {
  const parts = [payload.data ?? new Uint8Array(), ...Object.values(payload.metadata ?? {}).map((v) => v ?? new Uint8Array())];
  return parts.map((bytes) => Buffer.from(bytes).toString('latin1')).join('\n');
}

function clearJson(payload: Payload): Record<string, unknown> {
  return JSON.parse(Buffer.from(payload.data!).toString('utf8')) as Record<string, unknown>;
}

function visit<V extends object>(Visit: new () => V, date: string, notes: string): V {
  return Object.assign(new Visit(), { date, notes });
}

function intake(dto: IntakeModule) {
  return Object.assign(new dto.InsuredIntake(), {
    patientId: 'p-100',
    name: 'Ada Lovelace',
    ssn: lib.secret('078-05-1120', { purpose: 'phi' }),
    allergies: 'penicillin',
    lastVisit: visit(dto.Visit, '2026-01-02', 'sprained ankle'),
    visits: [visit(dto.Visit, '2026-01-01', 'chest pain'), visit(dto.Visit, '2026-01-03', 'follow-up ok')],
    visitsById: { v7: visit(dto.Visit, '2026-01-07', 'blood test: anemia') },
    insurer: 'Acme Health',
    policyNumber: 'POL-99881',
  });
}

const SENSITIVE_TEXTS = ['Ada Lovelace', '078-05-1120', 'penicillin', 'sprained ankle', 'chest pain', 'follow-up ok', 'blood test: anemia', 'POL-99881'];

describe.each(COMPILATIONS)('DTO decorators compiled by %s', (compilation: Compilation) => {
  let dto: IntakeModule;

  beforeAll(() => {
    dto = loadFixture<IntakeModule>('patient-intake', compilation, `Dec_${compilation}`);
  });

  test('no sensitive value reaches the stored payload, clear fields stay readable', async () => {
    const sealed = await seal(intake(dto));
    const text = storedText(sealed);
    for (const value of SENSITIVE_TEXTS) expect(text).not.toContain(value);
    const data = clearJson(sealed);
    expect(data).toMatchObject({ patientId: 'p-100', insurer: 'Acme Health', name: SEALED_PHI, ssn: SEALED_PHI, policyNumber: SEALED_PHI });
    expect(data).toMatchObject({ allergies: SEALED_PHI, lastVisit: SEALED_PHI });
    expect(data['visits']).toEqual([
      { date: '2026-01-01', notes: SEALED_PHI },
      { date: '2026-01-03', notes: SEALED_PHI },
    ]);
    expect(data['visitsById']).toEqual({ v7: { date: '2026-01-07', notes: SEALED_PHI } });
  });

  test('decoding rebuilds the subclass, nested and record instances and the Secret', async () => {
    const back = await open<InstanceType<IntakeModule['InsuredIntake']>>(await seal(intake(dto)));
    expect(back).toBeInstanceOf(dto.InsuredIntake);
    expect(back).toBeInstanceOf(dto.PatientIntake);
    expect(lib.Secret.isSecret(back.ssn)).toBe(true);
    expect(back.ssn.reveal()).toBe('078-05-1120');
    expect(back.ssn.purpose).toBe('phi');
    expect([back.name, back.allergies, back.policyNumber, back.insurer]).toEqual(['Ada Lovelace', 'penicillin', 'POL-99881', 'Acme Health']);
    expect(back.lastVisit).toBeInstanceOf(dto.Visit);
    expect(back.lastVisit?.notes).toBe('sprained ankle');
    expect(back.visits.map((v) => v instanceof dto.Visit)).toEqual([true, true]);
    expect(back.visits.map((v) => v.notes)).toEqual(['chest pain', 'follow-up ok']);
    expect(back.visitsById['v7']).toBeInstanceOf(dto.Visit);
    expect(back.visitsById['v7']?.notes).toBe('blood test: anemia');
  });

  test('a null sensitive field is sealed and decodes to null; an absent one stays absent', async () => {
    const value = Object.assign(intake(dto), { allergies: null });
    delete (value as { lastVisit?: unknown }).lastVisit;
    const sealed = await seal(value);
    expect(clearJson(sealed)['allergies']).toBe(SEALED_PHI);
    expect(clearJson(sealed)).not.toHaveProperty('lastVisit');
    const back = await open<InstanceType<IntakeModule['InsuredIntake']>>(sealed);
    expect(back.allergies).toBeNull();
    expect(back.lastVisit).toBeUndefined();
  });

  test('the base class does not gain the subclass sensitive field', async () => {
    const base = Object.assign(new dto.PatientIntake(), { patientId: 'p-1', visits: [], visitsById: {}, policyNumber: 'not-declared-here' });
    const data = clearJson(await seal(base));
    expect(data['policyNumber']).toBe('not-declared-here');
  });
});

describe.each(['tsc-legacy', 'swc-bundler'] as const)("class-transformer's @Type compiled by %s", (compilation) => {
  let dto: ClassTransformerModule;

  beforeAll(() => {
    dto = loadFixture<ClassTransformerModule>('class-transformer-intake', compilation, `Ct_${compilation}`);
  });

  test('@Type(() => X) nests a class: its sensitive field is sealed and the instances come back', async () => {
    const value = Object.assign(new dto.CtIntake(), {
      patientId: 'p-2',
      visits: [visit(dto.CtVisit, '2026-02-01', 'migraine')],
      primaryVisit: visit(dto.CtVisit, '2026-02-02', 'fracture'),
    });
    const sealed = await seal(value);
    expect(storedText(sealed)).not.toContain('migraine');
    expect(storedText(sealed)).not.toContain('fracture');
    expect(clearJson(sealed)).toMatchObject({ patientId: 'p-2', visits: [{ date: '2026-02-01', notes: SEALED_PHI }] });
    const back = await open<InstanceType<ClassTransformerModule['CtIntake']>>(sealed);
    expect(back).toBeInstanceOf(dto.CtIntake);
    expect(back.visits[0]).toBeInstanceOf(dto.CtVisit);
    expect(back.visits[0]?.notes).toBe('migraine');
    expect(back.primaryVisit).toBeInstanceOf(dto.CtVisit);
    expect(back.primaryVisit.notes).toBe('fracture');
  });
});
