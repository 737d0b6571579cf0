// Helpers for looking at payloads the way an outsider (the server, a database reader) would.
import type { Payload, SerializationContext } from '@temporalio/common';

export const WORKFLOW_CONTEXT: SerializationContext = { type: 'workflow', namespace: 'default', workflowId: 'wf-1' };

/** Every byte of a payload as text: data, metadata keys and values. */
export function payloadBytes(payload: Payload): Buffer {
  const parts: Buffer[] = [Buffer.from(payload.data ?? new Uint8Array())];
  for (const [key, value] of Object.entries(payload.metadata ?? {})) parts.push(Buffer.from(key), Buffer.from(value ?? new Uint8Array()));
  return Buffer.concat(parts);
}

/** The forms in which a secret could show up in stored bytes: utf-8 and base64 at every alignment. */
export function leakForms(secret: string): string[] {
  const forms = [secret];
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.from('x'.repeat(shift) + secret).toString('base64');
    // Keep only whole base64 groups made of the secret's own bytes.
    forms.push(b64.slice(Math.ceil(shift / 3) * 4, -4));
  }
  return forms.filter((f) => f.length >= 6);
}

export function findLeaks(haystack: Buffer | string, secrets: readonly string[]): string[] {
  const text = typeof haystack === 'string' ? haystack : haystack.toString('latin1');
  return secrets.filter((s) => leakForms(s).some((form) => text.includes(form)));
}

export function dataJson(payload: Payload): unknown {
  return JSON.parse(Buffer.from(payload.data ?? new Uint8Array()).toString('utf8'));
}
