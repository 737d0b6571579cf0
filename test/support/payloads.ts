// Helpers for looking at payloads the way an outsider (the server, a database reader) would.
import type { Payload, SerializationContext } from '@temporalio/common';

export const WORKFLOW_CONTEXT: SerializationContext = { type: 'workflow', namespace: 'default', workflowId: 'wf-1' };

/** Every byte of a payload as text: data, metadata keys and values. */
export function payloadBytes(payload: Payload): Buffer {
  const parts: Buffer[] = [Buffer.from(payload.data ?? new Uint8Array())];
  for (const [key, value] of Object.entries(payload.metadata ?? {})) parts.push(Buffer.from(key), Buffer.from(value ?? new Uint8Array()));
  return Buffer.concat(parts);
}

/**
 * Every form in which `secret` could show up in stored bytes: itself (utf-8), and base64 and base64url
 * of its own bytes at each of the three alignments a surrounding stream can give it. Encoded forms
 * shorter than 6 characters are left out: they would match random ciphertext.
 */
export function leakForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms = [secret];
  for (let shift = 0; shift < 3; shift++) {
    // Whole 3-byte groups starting `shift` bytes in: these encode the same whatever surrounds the secret.
    const whole = bytes.subarray(shift, shift + Math.floor((bytes.length - shift) / 3) * 3);
    const b64 = whole.toString('base64');
    if (b64.length >= 6) forms.push(b64, whole.toString('base64url'));
  }
  return [...new Set(forms)];
}

export function findLeaks(haystack: Buffer | string, secrets: readonly string[]): string[] {
  const text = typeof haystack === 'string' ? haystack : haystack.toString('latin1');
  return secrets.filter((s) => leakForms(s).some((form) => text.includes(form)));
}

export function dataJson(payload: Payload): unknown {
  return JSON.parse(Buffer.from(payload.data ?? new Uint8Array()).toString('utf8'));
}

/** A `json/plain` payload with the given data text and metadata entries, as a hostile or foreign writer could send. */
export function jsonPayload(text: string, metadata: Record<string, string> = {}): Payload {
  const meta: Record<string, Uint8Array> = { encoding: Buffer.from('json/plain') };
  for (const [key, value] of Object.entries(metadata)) meta[key] = Buffer.from(value);
  return { metadata: meta, data: Buffer.from(text) };
}
