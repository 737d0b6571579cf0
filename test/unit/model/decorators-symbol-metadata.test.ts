import { beforeAll, describe, expect, test } from 'vitest';
import { loadFixture } from '../../fixtures/decorators/compile';
import {
  clearJson,
  EXPECTED_INTAKE_FACTS,
  intakeFacts,
  open,
  sampleIntake,
  seal,
  SEALED_PHI,
  type InsuredIntake,
  type IntakeModule,
} from '../../fixtures/decorators/round-trip';

type SiblingsModule = typeof import('../../fixtures/decorators/siblings');

// Runtimes with Symbol.metadata (or a polyfill) give TC39 decorators a metadata object per class;
// this file runs in its own process, so the polyfill does not reach the other decorator tests.
const symbols = Symbol as unknown as { metadata?: symbol };
symbols.metadata ??= Symbol.for('Symbol.metadata');
const METADATA = symbols.metadata;

describe('TC39 decorators with Symbol.metadata', () => {
  let dto: IntakeModule;
  let forms: SiblingsModule;

  beforeAll(() => {
    dto = loadFixture<IntakeModule>('patient-intake', 'tsc-standard', 'Meta');
    forms = loadFixture<SiblingsModule>('siblings', 'tsc-standard', 'MetaForms');
  });

  test('the classes carry decorator metadata, so the registry takes fields from it', () => {
    expect(Object.hasOwn(dto.InsuredIntake, METADATA)).toBe(true);
  });

  test('the intake round-trips exactly as without metadata', async () => {
    const back = await open<InsuredIntake>(await seal(sampleIntake(dto)));
    expect(intakeFacts(dto, back)).toEqual(EXPECTED_INTAKE_FACTS);
  });

  test("a subclass's sensitive field does not leak into its sibling through the inherited metadata", async () => {
    const referral = Object.assign(new forms.ReferralForm(), { formId: 'f', name: 'n', policyNumber: 'clear-policy', diagnosis: 'd' });
    expect(clearJson(await seal(referral))).toEqual({ formId: 'f', name: SEALED_PHI, policyNumber: 'clear-policy', diagnosis: SEALED_PHI });
    const insurance = Object.assign(new forms.InsuranceForm(), { formId: 'g', name: 'n', policyNumber: 'p' });
    expect(clearJson(await seal(insurance))).toEqual({ formId: 'g', name: SEALED_PHI, policyNumber: SEALED_PHI });
  });
});
