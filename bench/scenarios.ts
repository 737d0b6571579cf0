import type { ConverterHint } from '@temporalio/common';
import { sealedTypeInfo } from '../src';
import { jwt, largeRecord, manyClaim, secretJwt, SENSITIVE_MARK, smallIntake, smallPlain, ZOD_SCHEMA_NAME } from './fixtures';
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
  /** Text found in a sensitive value and nowhere else: must not appear in an encrypted pipeline's payload. */
  probe: string;
}

function sameInput(name: ScenarioName, value: unknown, hint?: ConverterHint): Scenario {
  return { name, sealedInput: value, plainInput: value, sealedHint: hint, probe: SENSITIVE_MARK };
}

export function createScenarios(): Scenario[] {
  const token = jwt();
  return [
    sameInput('small', smallIntake()),
    sameInput('many', manyClaim()),
    sameInput('large', largeRecord()),
    { name: 'secret', sealedInput: secretJwt(), plainInput: token, sealedHint: undefined, probe: token.slice(0, 40) },
    sameInput('zod', smallPlain(), sealedTypeInfo(ZOD_SCHEMA_NAME).payloadConverterHint),
  ];
}

/** Pipelines with the sealed converter (keyring or KMS keys): they take the DTOs and hints. */
export function isSealedPipeline(pipeline: PipelineName): boolean {
  return pipeline === 'sealed' || pipeline === 'kms';
}

export function inputFor(scenario: Scenario, pipeline: PipelineName): unknown {
  return isSealedPipeline(pipeline) ? scenario.sealedInput : scenario.plainInput;
}

export function hintFor(scenario: Scenario, pipeline: PipelineName): ConverterHint | undefined {
  return isSealedPipeline(pipeline) ? scenario.sealedHint : undefined;
}
