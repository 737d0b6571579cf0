import { isDeepStrictEqual } from 'node:util';
import type { Payload } from '@temporalio/common';
import { Secret } from '../src';
import type { Pipeline } from './pipelines';
import { hintFor, inputFor, isSealedPipeline, type Scenario } from './scenarios';

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

/**
 * Comparable form. Secrets stay visible (a baseline that prints one redacted loses it), and for
 * `sealed` so do class names (a lost prototype fails); baselines decode to plain objects by design.
 */
function canonical(value: unknown, classes: boolean): unknown {
  if (Secret.isSecret(value)) return { secret: canonical(value.reveal(), classes), purpose: value.purpose };
  if (Array.isArray(value)) return value.map((v) => canonical(v, classes));
  if (typeof value !== 'object' || value === null) return value;
  const fields = Object.entries(value).map(([k, v]) => [k, canonical(v, classes)]);
  if (!classes) return { fields };
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  return { class: proto === Object.prototype || proto === null ? 'Object' : proto.constructor?.name, fields };
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
  const classes = isSealedPipeline(pipeline.name);
  return {
    roundTrip: isDeepStrictEqual(canonical(output, classes), canonical(inputFor(scenario, pipeline.name), classes)),
    hidesSensitive: !parts.some((part) => part.includes(scenario.probe)),
    bytes: parts.reduce((sum, part) => sum + part.length, 0),
    payload,
  };
}
