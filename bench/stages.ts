import { Bench } from 'tinybench';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { createSealedPayloadConverter } from '../src';
import { Keyring, SealingCodec } from '../src/codec';
import { Claim, intakeSchema, PatientIntake, PatientRecord, ZOD_SCHEMA_NAME } from './fixtures';
import { createScenarios } from './scenarios';

// Times each stage of the sealed pipeline apart (converter and codec, each direction), next
// to the default converter, to see where the time goes: `tsx bench/stages.ts [scenario...]`.

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const converter = createSealedPayloadConverter({
    types: [PatientIntake, Claim, PatientRecord],
    schemas: { [ZOD_SCHEMA_NAME]: intakeSchema },
  });
  const codec = await SealingCodec.create({ keyring: new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } }) });
  const bench = new Bench({ time: 300, warmupTime: 100 });
  for (const s of createScenarios().filter((x) => only.length === 0 || only.includes(x.name))) {
    const pending = converter.toPayload(s.sealedInput, undefined, s.sealedHint);
    const sealed = await codec.seal(pending, { namespace: 'default' });
    const opened = await codec.open(sealed, { namespace: 'default' });
    const plain = defaultPayloadConverter.toPayload(s.plainInput) as Payload;
    bench.add(`${s.name} default toPayload`, () => defaultPayloadConverter.toPayload(s.plainInput));
    bench.add(`${s.name} sealed toPayload`, () => converter.toPayload(s.sealedInput, undefined, s.sealedHint));
    bench.add(`${s.name} codec seal`, () => codec.seal(pending, { namespace: 'default' }));
    bench.add(`${s.name} codec open`, () => codec.open(sealed, { namespace: 'default' }));
    bench.add(`${s.name} sealed fromPayload`, () => converter.fromPayload(opened, undefined, s.sealedHint));
    bench.add(`${s.name} default fromPayload`, () => defaultPayloadConverter.fromPayload(plain));
  }
  await bench.run();
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state === 'completed') process.stdout.write(`${task.name.padEnd(32)} ${(r.latency.p50 * 1000).toFixed(2).padStart(10)} us\n`);
  }
}

void main();
