import type { Payload } from '@temporalio/common';
import { CodecHttpError } from '../http-errors/http-errors';
import { MAX_UNKNOWN_FIELD_DEPTH } from '../limits/limits';
import { decodeBase64, encodeBase64, PROTOBUF_JSON } from '../../lib/base64';

// Temporal's remote codec protocol: `{"payloads":[{"metadata":{"k":"<base64>"},"data":"<base64>"}]}`,
// the protobuf JSON form of `Payloads`. Protobuf JSON accepts standard or URL-safe base64, padded or not.

/** Wire payloads plus any fields this server does not know, kept so pass-through payloads stay intact. */
export interface WirePayload extends Payload {
  extra?: Record<string, unknown>;
}

function badRequest(): CodecHttpError {
  return new CodecHttpError('bad_request');
}

/** One protobuf JSON `bytes` field; anything else is a bad request. */
function bytesField(text: unknown): Uint8Array {
  const bytes = decodeBase64(text, PROTOBUF_JSON);
  if (bytes === undefined) throw badRequest();
  return bytes;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseMetadata(value: unknown): Record<string, Uint8Array> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw badRequest();
  const metadata: Record<string, Uint8Array> = Object.create(null) as Record<string, Uint8Array>;
  for (const [key, text] of Object.entries(value)) metadata[key] = bytesField(text);
  return metadata;
}

/** Whether `value` nests at most `max` arrays or objects deep; a loop, so hostile depth cannot overflow the stack here. */
function nestsWithin(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [node, depth] = next;
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= max) return false;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return true;
}

function parsePayload(value: unknown): WirePayload {
  if (!isPlainObject(value)) throw badRequest();
  const { metadata, data, ...extra } = value;
  const payload: WirePayload = {
    metadata: parseMetadata(metadata),
    data: data === undefined || data === null ? new Uint8Array() : bytesField(data),
  };
  if (Object.keys(extra).length === 0) return payload;
  // Unknown fields go back out in the response: refuse what could not be serialized again.
  if (!Object.values(extra).every((field) => nestsWithin(field, MAX_UNKNOWN_FIELD_DEPTH))) throw badRequest();
  payload.extra = extra;
  return payload;
}

/**
 * Parses a codec request body. Throws a `bad_request` CodecHttpError for malformed JSON,
 * base64 or shape (unknown payload fields nested deeper than {@link MAX_UNKNOWN_FIELD_DEPTH}
 * included), and `payload_too_large` for more than `maxPayloads` payloads.
 *
 * @example
 * ```ts
 * const payloads = parsePayloadsBody('{"payloads":[{"metadata":{"encoding":"anNvbi9wbGFpbg=="},"data":"MQ=="}]}', 100);
 * ```
 */
export function parsePayloadsBody(text: string, maxPayloads: number): WirePayload[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw badRequest();
  }
  if (!isPlainObject(doc)) throw badRequest();
  const list = doc.payloads ?? [];
  if (!Array.isArray(list)) throw badRequest();
  if (list.length > maxPayloads) throw new CodecHttpError('payload_too_large');
  return list.map(parsePayload);
}

function payloadToJson(payload: WirePayload): Record<string, unknown> {
  const metadata: Record<string, string> = {};
  for (const [key, bytes] of Object.entries(payload.metadata ?? {})) {
    if (bytes !== null && bytes !== undefined) metadata[key] = encodeBase64(bytes);
  }
  return { ...payload.extra, metadata, data: encodeBase64(payload.data ?? new Uint8Array()) };
}

/** Serializes payloads as the codec protocol's JSON response body. */
export function payloadsToJson(payloads: readonly WirePayload[]): string {
  return JSON.stringify({ payloads: payloads.map(payloadToJson) });
}
