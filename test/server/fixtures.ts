// Shared by the codec-server tests: a keyring, a sealed converter and real sealed payloads.
import type { Payload } from '@temporalio/common';
import { createSealedPayloadConverter } from '../../src';
import { intake, PLAINTEXT } from '../ui/fixtures/samples';
import { Keyring, SealingCodec } from '../../src/codec';
import type { AuditEvent, AuditSink, StaticToken } from '../../src/server';
import { pendingText } from '../support/pending';

export { CLEAR, PLAINTEXT, intake } from '../ui/fixtures/samples';
export type { Intake } from '../ui/fixtures/model';

export const converter = createSealedPayloadConverter();
export const keyring = new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } });

export async function sealedIntake(namespace = 'default', ring: Keyring = keyring): Promise<Payload> {
  const codec = await SealingCodec.create({ keyring: ring });
  const [sealed] = await codec.encode([converter.toPayload(intake())], { type: 'workflow', namespace, workflowId: 'w' });
  return sealed!;
}

/**
 * A pending payload as another process sends it (the workflow sandbox, a remote client): the
 * field list inline in `sealed-pending`, not a reference into this process's hand-off store.
 */
export function inlinePending(payload: Payload): Payload {
  const list = pendingText(payload);
  if (list === undefined) throw new Error('payload has nothing pending');
  return { ...payload, metadata: { ...payload.metadata, 'sealed-pending': new TextEncoder().encode(list) } };
}

export const TOKENS = {
  clinician: 'clinician-token-0123456789',
  support: 'support-token-0123456789ab',
  otherNs: 'other-namespace-token-0123',
  encoder: 'encoder-token-0123456789ab',
} as const;

export const STATIC_TOKENS: StaticToken[] = [
  { token: TOKENS.clinician, subject: 'dr-ana', purposes: ['phi', 'credential'], namespaces: ['default'] },
  { token: TOKENS.support, subject: 'sam-support', purposes: [], namespaces: ['default'] },
  { token: TOKENS.otherNs, subject: 'olga-other', purposes: '*', namespaces: ['billing'] },
  { token: TOKENS.encoder, subject: 'ui-starter', purposes: [], namespaces: '*', canEncode: true },
];

export function toWire(payloads: readonly Payload[]): string {
  const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('base64');
  return JSON.stringify({
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
      data: b64(p.data),
    })),
  });
}

export interface WireResult {
  metadata: Record<string, string>;
  data: unknown;
}

/** Parses a codec response: metadata as text, data as JSON. */
export function fromWire(body: string): WireResult[] {
  const doc = JSON.parse(body) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
  return doc.payloads.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])),
    data: JSON.parse(Buffer.from(p.data, 'base64').toString('utf8')),
  }));
}

/** An audit sink that keeps records in memory. */
export function memoryAudit(): { sink: AuditSink; records: Array<AuditEvent & { ts: string }> } {
  const records: Array<AuditEvent & { ts: string }> = [];
  return { sink: (record) => void records.push(record), records };
}

export function expectNoPlaintext(text: string): void {
  for (const value of Object.values(PLAINTEXT)) {
    if (text.includes(value)) throw new Error(`plaintext leaked: ${value.slice(0, 3)}...`);
  }
}

export interface PostOptions {
  token?: string;
  namespace?: string;
  headers?: Record<string, string>;
}

/** POSTs a codec request to a listening server; returns status and body text. */
export async function post(
  baseUrl: string,
  route: string,
  body: string,
  options: PostOptions = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.namespace !== undefined) headers['x-namespace'] = options.namespace;
  const response = await fetch(`${baseUrl}${route}`, { method: 'POST', body, headers });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** A sealed payload with one byte of its envelope flipped at `offsetFromEnd` (inside the last ciphertext). */
export function withFlippedEnvelopeByte(payload: Payload, offsetFromEnd = 1): Payload {
  const envelope = Uint8Array.from(payload.metadata!['sealed-fields']!);
  envelope[envelope.length - offsetFromEnd]! ^= 0x01;
  return { ...payload, metadata: { ...payload.metadata, 'sealed-fields': envelope } };
}
