import { createPipelines, type PipelineName } from './pipelines';
import { createScenarios, hintFor, inputFor } from './scenarios';

// Runs one pipeline on one scenario in a loop, for `node --cpu-prof --import tsx bench/profile.ts`.
// Usage: profile.ts <scenario> <encode|decode> [pipeline=sealed] [milliseconds=3000]

async function main(): Promise<void> {
  const [scenarioName = 'small', direction = 'encode', pipelineName = 'sealed', ms = '3000'] = process.argv.slice(2);
  const pipeline = (await createPipelines([pipelineName as PipelineName]))[pipelineName as PipelineName];
  const scenario = createScenarios().find((s) => s.name === scenarioName);
  if (pipeline === undefined || scenario === undefined) throw new Error('unknown pipeline or scenario');
  const hint = hintFor(scenario, pipeline.name);
  const input = inputFor(scenario, pipeline.name);
  const payload = await pipeline.encode(input, hint);
  const until = Date.now() + Number(ms);
  let runs = 0;
  while (Date.now() < until) {
    for (let i = 0; i < 100; i++) await (direction === 'encode' ? pipeline.encode(input, hint) : pipeline.decode(payload, hint));
    runs += 100;
  }
  process.stdout.write(
    `${pipelineName} ${scenarioName} ${direction}: ${((Number(ms) * 1000) / runs).toFixed(1)} us/op over ${runs} runs\n`,
  );
}

void main();
