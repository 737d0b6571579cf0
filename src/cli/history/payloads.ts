import type { Payload } from '@temporalio/common';

const PAYLOAD_KEYS = new Set(['metadata', 'data', 'externalPayloads']);

/** Proto3 JSON of a Payload: base64 metadata values and data. */
export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

function isPlainObject(node: unknown): node is Record<string, unknown> {
  return typeof node === 'object' && node !== null && !Array.isArray(node) && !ArrayBuffer.isView(node);
}

function isBytesMap(value: unknown): value is Record<string, Uint8Array> {
  return isPlainObject(value) && Object.values(value).every((v) => v instanceof Uint8Array);
}

/** A decoded protobuf Payload (as the gRPC client returns it). */
export function isProtoPayload(node: unknown): node is Payload {
  if (!isPlainObject(node) || !isBytesMap(node.metadata)) return false;
  return node.data === undefined || node.data === null || node.data instanceof Uint8Array;
}

/** Calls `visit` for every Payload inside a decoded protobuf message (events, Payloads, failures, memos). */
export function forEachProtoPayload(node: unknown, visit: (payload: Payload) => void, depth = 0): void {
  if (depth > 64 || typeof node !== 'object' || node === null || ArrayBuffer.isView(node)) return;
  if (isProtoPayload(node)) {
    visit(node);
    return;
  }
  const children = Array.isArray(node) ? node : Object.values(node);
  for (const child of children) forEachProtoPayload(child, visit, depth + 1);
}

/** A Payload in proto3 JSON (as `temporal workflow show --output json` writes it). */
export function isJsonPayload(node: unknown): node is JsonPayload {
  if (!isPlainObject(node) || !isPlainObject(node.metadata)) return false;
  if (!Object.keys(node).every((k) => PAYLOAD_KEYS.has(k))) return false;
  if (node.data !== undefined && typeof node.data !== 'string') return false;
  return Object.values(node.metadata).every((v) => typeof v === 'string');
}

/** A copy of a JSON document with every payload replaced by `replace(payload, pointer)`. */
export function mapJsonPayloads(
  node: unknown,
  replace: (payload: JsonPayload, pointer: string) => unknown,
  pointer = '',
  depth = 0,
): unknown {
  if (depth > 256 || typeof node !== 'object' || node === null) return node;
  if (isJsonPayload(node)) return replace(node, pointer);
  if (Array.isArray(node)) return node.map((child, i) => mapJsonPayloads(child, replace, `${pointer}/${i}`, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(node)) {
    // defineProperty: a "__proto__" key in the input stays a plain key.
    const value = mapJsonPayloads(child, replace, `${pointer}/${escapeToken(key)}`, depth + 1);
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function escapeToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function payloadFromJson(json: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(json.metadata ?? {})) metadata[key] = new Uint8Array(Buffer.from(value, 'base64'));
  return { metadata, data: new Uint8Array(Buffer.from(json.data ?? '', 'base64')) };
}

export function metadataText(payload: Payload, key: string): string | undefined {
  const value = payload.metadata?.[key];
  return value === undefined || value === null ? undefined : Buffer.from(value).toString('utf8');
}
