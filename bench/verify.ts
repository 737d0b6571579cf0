import { isDeepStrictEqual } from 'node:util';
import type { Payload } from '@temporalio/common';
import { Secret } from '../src';
import type { Pipeline } from './pipelines';
import { hintFor, inputFor, type Scenario } from './scenarios';

/** What a pipeline proved before it was timed. */
export interface Verification {
  /** Decoding the encoded input gave back the input (classes and Secrets included for `sealed`). */
  roundTrip: boolean;
  /** The encoded payload does not contain a sensitive value in clear (`json` is expected to). */
  hidesSensitive: boolean;
  /** Bytes of the encoded payload (data plus metadata values). */
  bytes: number;
  payload: Payload;
}

/** Comparable form: class names and Secrets kept visible, so a lost prototype or a lost Secret fails. */
function canonical(value: unknown): unknown {
  if (Secret.isSecret(value)) return { secret: canonical(value.reveal()), purpose: value.purpose };
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  const fields = Object.entries(value).map(([k, v]) => [k, canonical(v)]);
  return { class: proto === Object.prototype || proto === null ? 'Object' : proto.constructor?.name, fields };
}

/** What a pipeline must give back: baselines give plain JSON; `sealed` gives the original instances and Secrets. */
function expectedOutput(scenario: Scenario, pipeline: Pipeline): unknown {
  const input = inputFor(scenario, pipeline.name);
  return pipeline.name === 'sealed' ? input : (JSON.parse(JSON.stringify(input)) as unknown);
}

function payloadBytes(payload: Payload): Buffer[] {
  const parts = Object.values(payload.metadata ?? {}).filter((v): v is Uint8Array => v instanceof Uint8Array);
  if (payload.data instanceof Uint8Array) parts.push(payload.data);
  return parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength));
}

export async function verifyPipeline(pipeline: Pipeline, scenario: Scenario): Promise<Verification> {
  const hint = hintFor(scenario, pipeline.name);
  const payload = await pipeline.encode(inputFor(scenario, pipeline.name), hint);
  const output = await pipeline.decode(payload, hint);
  const parts = payloadBytes(payload);
  return {
    roundTrip: isDeepStrictEqual(canonical(output), canonical(expectedOutput(scenario, pipeline))),
    hidesSensitive: !parts.some((part) => part.includes(scenario.probe)),
    bytes: parts.reduce((sum, part) => sum + part.length, 0),
    payload,
  };
}
