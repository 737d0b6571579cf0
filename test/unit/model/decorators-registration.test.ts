import { beforeAll, describe, expect, test } from 'vitest';
import { loadFixture } from '../../fixtures/decorators/compile';
import { toPayload } from '../../fixtures/decorators/round-trip';
import { codeOf, errorCode, thrownBy } from '../../support/errors';
import { withCodecInProcess } from '../../support/pending';

withCodecInProcess();

type UnregisteredModule = typeof import('../../fixtures/decorators/unregistered');

/** The code of the refusal of `run`; the refusal must not echo the SSN the value carries. */
function refusalCode(run: () => unknown): string {
  const err = thrownBy(run);
  expect(JSON.stringify({ message: (err as Error).message, detail: (err as { detail?: unknown }).detail })).not.toContain('000-12-3456');
  return errorCode(err);
}

describe.each(['tsc-legacy', 'swc-bundler'] as const)('a class with sealed fields but no @SealedType, compiled by %s', (compilation) => {
  let dto: UnregisteredModule;

  beforeAll(() => {
    dto = loadFixture<UnregisteredModule>('unregistered', compilation, `Unreg_${compilation}`);
  });

  test('is refused, not sent in clear, at the top level, nested in a plain object and in an array', () => {
    const intake = Object.assign(new dto.UnregisteredIntake(), { patientId: 'p', ssn: '000-12-3456' });
    expect(refusalCode(() => toPayload(intake))).toBe('SEALED_UNREGISTERED_TYPE');
    expect(refusalCode(() => toPayload({ intake }))).toBe('SEALED_UNREGISTERED_TYPE');
    expect(refusalCode(() => toPayload([intake]))).toBe('SEALED_UNREGISTERED_TYPE');
  });

  test('an unregistered subclass of a registered class is refused with SEALED_UNREGISTERED_TYPE', () => {
    const sub = Object.assign(new dto.UnregisteredSubclass(), { clinic: 'c', ssn: '000-12-3456' });
    expect(refusalCode(() => toPayload(sub))).toBe('SEALED_UNREGISTERED_TYPE');
    expect(refusalCode(() => toPayload({ sub }))).toBe('SEALED_UNREGISTERED_TYPE');
  });

  test('the registered base class itself still converts', () => {
    const base = Object.assign(new dto.RegisteredBase(), { ssn: '000-12-3456' });
    expect(Buffer.from(toPayload(base).data!).toString()).toBe('{"ssn":"[sealed:phi]"}');
  });
});

test('under TC39 decorators, an instance of a class whose @SealedType is missing is refused, not sent in clear', () => {
  const dto = loadFixture<typeof import('../../fixtures/decorators/standard-forgotten')>('standard-forgotten', 'tsc-standard', 'Forgotten');
  const intake = Object.assign(new dto.ForgottenIntake(), { patientId: 'p', ssn: '000-12-3456' });
  expect(refusalCode(() => toPayload(intake))).toBe('SEALED_UNREGISTERED_TYPE');
  expect(refusalCode(() => toPayload({ intake }))).toBe('SEALED_UNREGISTERED_TYPE');
});

test('TC39 auto-accessors are refused at decoration: JSON never sees their value, so it would be dropped', () => {
  expect(codeOf(() => loadFixture('standard-only', 'tsc-standard', 'Accessor'))).toBe('SEALED_INVALID_OPTION');
});

test("class-transformer's @Type under TC39 decorators fails loudly at class definition (it supports legacy decorators only)", () => {
  expect(() => loadFixture('class-transformer-intake', 'tsc-standard', 'CtStandard')).toThrow(TypeError);
});
