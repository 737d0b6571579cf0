import type { ConverterHint } from '@temporalio/common';
import { sealedTypeInfo } from '../src';
import {
  jwt,
  largeRecord,
  manyClaim,
  secretJwt,
  SENSITIVE_MARK,
  SUBJECT_ZOD_SCHEMA_NAME,
  smallIntake,
  smallPlain,
  subjectClaim,
  subjectIntake,
  subjectJwt,
  subjectRecord,
  ZOD_SCHEMA_NAME,
} from './fixtures';
import type { PipelineName } from './pipelines';

export const SCENARIO_NAMES = ['small', 'many', 'large', 'secret', 'zod'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** One input, as each pipeline receives it. */
export interface Scenario {
  name: ScenarioName;
  /** What the sealed pipeline gets (a DTO instance, a `Secret`, or a plain value with a hint). */
  sealedInput: unknown;
  /** What the baselines get: the same data without `Secret` wrappers (they would print it redacted). */
  plainInput: unknown;
  /** Converter hint for the sealed pipeline only; the default converter accepts none. */
  sealedHint: ConverterHint | undefined;
  /** What the `subject` pipeline gets: the same data marked with its data subject. */
  subjectInput: unknown;
  subjectHint: ConverterHint | undefined;
  /** Text found in a sensitive value and nowhere else: must not appear in an encrypted pipeline's payload. */
  probe: string;
}

function sameInput(name: ScenarioName, value: unknown, subjectInput: unknown, hint?: ConverterHint, subjectHint?: ConverterHint): Scenario {
  return { name, sealedInput: value, plainInput: value, sealedHint: hint, subjectInput, subjectHint, probe: SENSITIVE_MARK };
}

export function createScenarios(): Scenario[] {
  const token = jwt();
  return [
    sameInput('small', smallIntake(), subjectIntake()),
    sameInput('many', manyClaim(), subjectClaim()),
    sameInput('large', largeRecord(), subjectRecord()),
    {
      name: 'secret',
      sealedInput: secretJwt(),
      plainInput: token,
      sealedHint: undefined,
      subjectInput: subjectJwt(),
      subjectHint: undefined,
      probe: token.slice(0, 40),
    },
    sameInput(
      'zod',
      smallPlain(),
      smallPlain(),
      sealedTypeInfo(ZOD_SCHEMA_NAME).payloadConverterHint,
      sealedTypeInfo(SUBJECT_ZOD_SCHEMA_NAME).payloadConverterHint,
    ),
  ];
}

/** Pipelines with the sealed converter (keyring, KMS or subject keys): they take the DTOs and hints. */
export function isSealedPipeline(pipeline: PipelineName): boolean {
  return pipeline === 'sealed' || pipeline === 'kms' || pipeline === 'subject';
}

export function inputFor(scenario: Scenario, pipeline: PipelineName): unknown {
  if (pipeline === 'subject') return scenario.subjectInput;
  return isSealedPipeline(pipeline) ? scenario.sealedInput : scenario.plainInput;
}

export function hintFor(scenario: Scenario, pipeline: PipelineName): ConverterHint | undefined {
  if (pipeline === 'subject') return scenario.subjectHint;
  return isSealedPipeline(pipeline) ? scenario.sealedHint : undefined;
}
