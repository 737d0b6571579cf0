import type { PipelineName } from './pipelines';
import type { ScenarioName } from './scenarios';

/** Issue #5's targets, for encode and decode each: sealed / json at most `maxVsJson`, and faster than `fasterThan`. */
export interface Target {
  maxVsJson: number;
  fasterThan: Exclude<PipelineName, 'json' | 'sealed'>;
}

export const TARGETS: Record<ScenarioName, Target> = {
  small: { maxVsJson: 2.5, fasterThan: 'aesgcm-whole' },
  many: { maxVsJson: 4.0, fasterThan: 'aesgcm-whole' },
  large: { maxVsJson: 1.1, fasterThan: 'sodium-whole' },
  secret: { maxVsJson: 2.5, fasterThan: 'aesgcm-whole' },
  zod: { maxVsJson: 2.5, fasterThan: 'aesgcm-whole' },
};

export function targetMet(scenario: ScenarioName, us: Record<PipelineName, number | null>): boolean {
  const { maxVsJson, fasterThan } = TARGETS[scenario];
  const { sealed, json } = us;
  const rival = us[fasterThan];
  if (sealed === null || json === null || rival === null) return false;
  return sealed <= maxVsJson * json && sealed < rival;
}
