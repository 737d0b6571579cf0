import { beforeAll, describe, expect, test } from 'vitest';
import { COMPILATIONS, loadFixture, type Compilation } from '../../fixtures/decorators/compile';
import {
  clearJson,
  EXPECTED_INTAKE_FACTS,
  intakeFacts,
  open,
  sampleIntake,
  seal,
  SEALED_PHI,
  SENSITIVE_TEXTS,
  storedText,
  visit,
  type InsuredIntake,
  type IntakeModule,
} from '../../fixtures/decorators/round-trip';

type ClassTransformerModule = typeof import('../../fixtures/decorators/class-transformer-intake');

describe.each(COMPILATIONS)('DTO decorators compiled by %s', (compilation: Compilation) => {
  let dto: IntakeModule;

  beforeAll(() => {
    dto = loadFixture<IntakeModule>('patient-intake', compilation, `Dec_${compilation}`);
  });

  test('no sensitive value reaches the stored payload, clear fields stay readable', async () => {
    const sealed = await seal(sampleIntake(dto));
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
    const back = await open<InsuredIntake>(await seal(sampleIntake(dto)));
    expect(intakeFacts(dto, back)).toEqual(EXPECTED_INTAKE_FACTS);
  });

  test('a null sensitive field is sealed and decodes to null; an absent one stays absent', async () => {
    const value = Object.assign(sampleIntake(dto), { allergies: null });
    delete (value as { lastVisit?: unknown }).lastVisit;
    const sealed = await seal(value);
    expect(clearJson(sealed)['allergies']).toBe(SEALED_PHI);
    expect(clearJson(sealed)).not.toHaveProperty('lastVisit');
    const back = await open<InsuredIntake>(sealed);
    expect(back.allergies).toBeNull();
    expect(back.lastVisit).toBeUndefined();
  });

  test('the base class does not gain the subclass sensitive field', async () => {
    const base = Object.assign(new dto.PatientIntake(), {
      patientId: 'p-1',
      visits: [],
      visitsById: {},
      policyNumber: 'not-declared-here',
    });
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
