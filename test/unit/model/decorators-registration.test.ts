import { beforeAll, describe, expect, test } from 'vitest';
import { loadFixture } from '../../fixtures/decorators/compile';
import { lib, toPayload } from '../../fixtures/decorators/round-trip';
import { withCodecInProcess } from '../../support/pending';

withCodecInProcess();

type UnregisteredModule = typeof import('../../fixtures/decorators/unregistered');

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (err) {
    if (!lib.SealedError.is(err)) throw err;
    expect(JSON.stringify({ message: err.message, detail: err.detail })).not.toContain('000-12-3456');
    return err.code;
  }
}

describe.each(['tsc-legacy', 'swc-bundler'] as const)('a class with sealed fields but no @SealedType, compiled by %s', (compilation) => {
  let dto: UnregisteredModule;

  beforeAll(() => {
    dto = loadFixture<UnregisteredModule>('unregistered', compilation, `Unreg_${compilation}`);
  });

  test('is refused, not sent in clear, at the top level, nested in a plain object and in an array', () => {
    const intake = Object.assign(new dto.UnregisteredIntake(), { patientId: 'p', ssn: '000-12-3456' });
    expect(codeOf(() => toPayload(intake))).toBe('SEALED_UNREGISTERED_TYPE');
    expect(codeOf(() => toPayload({ intake }))).toBe('SEALED_UNREGISTERED_TYPE');
    expect(codeOf(() => toPayload([intake]))).toBe('SEALED_UNREGISTERED_TYPE');
  });

  test('an unregistered subclass of a registered class is refused with SEALED_UNREGISTERED_TYPE', () => {
    const sub = Object.assign(new dto.UnregisteredSubclass(), { clinic: 'c', ssn: '000-12-3456' });
    expect(codeOf(() => toPayload(sub))).toBe('SEALED_UNREGISTERED_TYPE');
    expect(codeOf(() => toPayload({ sub }))).toBe('SEALED_UNREGISTERED_TYPE');
  });

  test('the registered base class itself still converts', () => {
    const base = Object.assign(new dto.RegisteredBase(), { ssn: '000-12-3456' });
    expect(Buffer.from(toPayload(base).data!).toString()).toBe('{"ssn":"[sealed:phi]"}');
  });
});

test('under TC39 decorators, an instance of a class whose @SealedType is missing is refused, not sent in clear', () => {
  const dto = loadFixture<typeof import('../../fixtures/decorators/standard-forgotten')>('standard-forgotten', 'tsc-standard', 'Forgotten');
  const intake = Object.assign(new dto.ForgottenIntake(), { patientId: 'p', ssn: '000-12-3456' });
  expect(codeOf(() => toPayload(intake))).toBe('SEALED_UNREGISTERED_TYPE');
  expect(codeOf(() => toPayload({ intake }))).toBe('SEALED_UNREGISTERED_TYPE');
});

test('TC39 auto-accessors are refused at decoration: JSON never sees their value, so it would be dropped', () => {
  let code: string | undefined;
  try {
    loadFixture('standard-only', 'tsc-standard', 'Accessor');
  } catch (err) {
    code = lib.SealedError.is(err) ? err.code : String(err);
  }
  expect(code).toBe('SEALED_INVALID_OPTION');
});

test("class-transformer's @Type under TC39 decorators fails loudly at class definition (it supports legacy decorators only)", () => {
  expect(() => loadFixture('class-transformer-intake', 'tsc-standard', 'CtStandard')).toThrow(TypeError);
});
