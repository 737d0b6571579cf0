// Finds planted canary strings in raw bytes: as utf-8 and as base64 / base64url at every 3-byte alignment.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import type { PayloadCodec, PayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Secret } from '../../../src';
import { leakForms } from '../../support/payloads';
import { payloadConverter } from '../fixtures/converter';

export type Canaries = Record<string, string>;

/** A unique, greppable marker; letters and digits only so JSON never escapes it. */
export function canary(label: string): string {
  return `CANARY${label}${randomBytes(8).toString('hex')}`;
}

/** Names of the canaries found in `haystack` in any encoded form. */
export function findCanaries(haystack: Buffer, canaries: Canaries): string[] {
  return Object.entries(canaries)
    .filter(([, value]) => leakForms(value).some((form) => haystack.includes(form)))
    .map(([name]) => name);
}

/** The SQLite database with its write-ahead log and journal, as raw bytes. */
export function readDatabaseBytes(dbFilename: string): Buffer {
  const parts = ['', '-wal', '-shm', '-journal'].map((suffix) => dbFilename + suffix).filter((file) => existsSync(file));
  return Buffer.concat(parts.map((file) => readFileSync(file)));
}

export interface Execution {
  workflowId: string;
  runId?: string;
}

/** A run's whole history straight from the frontend, no data converter and no codec involved. */
export async function rawHistory(client: Client, execution: Execution): Promise<temporal.api.history.v1.IHistoryEvent[]> {
  const events: temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution,
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return events;
}

/** The first event of `type` in a run's raw history, polled for up to 30 s. */
export async function waitForEvent(
  client: Client,
  workflowId: string,
  type: temporal.api.enums.v1.EventType,
): Promise<temporal.api.history.v1.IHistoryEvent> {
  for (let i = 0; i < 300; i++) {
    const found = (await rawHistory(client, { workflowId })).find((event) => event.eventType === type);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${temporal.api.enums.v1.EventType[type]} event in time`);
}

/** Protobuf bytes and proto3-JSON (bytes as base64) of some events: both are scanned. */
export function eventBytes(events: temporal.api.history.v1.IHistoryEvent[]): Buffer {
  const history = temporal.api.history.v1.History.create({ events });
  const binary = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
  const json = Buffer.from(JSON.stringify(temporal.api.history.v1.History.toObject(history, { bytes: String, longs: String })));
  return Buffer.concat([binary, json]);
}

/** `EVENT_TYPE: canary, canary` for each event in which a canary shows up in any encoding. */
export function leaksByEvent(events: temporal.api.history.v1.IHistoryEvent[], canaries: Canaries): string[] {
  return events.flatMap((event) => {
    const found = findCanaries(eventBytes([event]), canaries);
    const type = temporal.api.enums.v1.EventType[event.eventType ?? 0]?.replace('EVENT_TYPE_', '');
    return found.length === 0 ? [] : [`${type}: ${found.join(', ')}`];
  });
}

/** Every run in the namespace (system scheduler workflows included when listed), newest first. */
export async function allExecutions(client: Client): Promise<Execution[]> {
  const found: Execution[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.listWorkflowExecutions({
      namespace: client.options.namespace,
      pageSize: 1000,
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    for (const info of page.executions ?? [])
      found.push({ workflowId: info.execution?.workflowId ?? '', runId: info.execution?.runId ?? '' });
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return found;
}

type RawPayload = temporal.api.common.v1.IPayload;

function isPayload(value: unknown): value is RawPayload {
  return (
    typeof value === 'object' &&
    value !== null &&
    'metadata' in value &&
    'data' in value &&
    (value as RawPayload).metadata?.['encoding'] !== undefined
  );
}

function collectPayloads(value: unknown, into: RawPayload[]): RawPayload[] {
  if (isPayload(value)) into.push(value);
  else if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value))
    for (const child of Object.values(value)) collectPayloads(child, into);
  return into;
}

// Secrets print redacted by design (toJSON runs before any replacer), so unwrap them first.
function revealed(value: unknown): unknown {
  if (Secret.isSecret(value)) return { secret: revealed(value.reveal()) };
  if (Array.isArray(value)) return value.map(revealed);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, revealed(child)]));
}

function revealingJson(value: unknown): string {
  return JSON.stringify(revealed(value)) ?? '';
}

/** Every payload in some events, opened by the codec and read by the converter, as one text. */
export async function openedText(
  codec: PayloadCodec,
  events: temporal.api.history.v1.IHistoryEvent[],
  converter: PayloadConverter = payloadConverter,
): Promise<string> {
  const payloads = collectPayloads(events, []);
  const opened = await codec.decode(payloads);
  return opened.map((payload) => revealingJson(converter.fromPayload(payload))).join('\n');
}
