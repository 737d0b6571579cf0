// Prints what the Temporal service stored next to what an authorized decode shows, line by line.
import type { Payload, PayloadCodec, PayloadConverter } from '@temporalio/common';
import { Secret } from '../../src';

const COLUMN = 58;

/** Secrets print redacted by design; the authorized view shows their value, marked. */
export function revealForDisplay(value: unknown): unknown {
  if (Secret.isSecret(value)) return `🔓 ${String(revealForDisplay(value.reveal()))}`;
  if (Array.isArray(value)) return value.map(revealForDisplay);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, revealForDisplay(child)]));
}

function shorten(text: string): string {
  return text.length > COLUMN ? `${text.slice(0, COLUMN - 1)}…` : text;
}

/** Indented JSON with arrays of primitives on one line, so both columns stay aligned field by field. */
export function prettyJson(value: unknown): string {
  return (JSON.stringify(value, null, 2) ?? '').replace(
    /\[\n\s+([^[\]{}]*?)\n\s*\]/g,
    (_all, items: string) => `[${items.split(/,\n\s+/).join(', ')}]`,
  );
}

function storedView(payload: Payload): string {
  const data = Buffer.from(payload.data ?? []).toString('utf8');
  try {
    return prettyJson(JSON.parse(data));
  } catch {
    return data;
  }
}

/** Both views of one payload: the raw `data` as stored, and the value after codec + converter. */
export async function twoViews(
  payload: Payload,
  codec: PayloadCodec,
  converter: PayloadConverter,
): Promise<{ stored: string; opened: string }> {
  const [decoded] = await codec.decode([payload]);
  const value: unknown = converter.fromPayload(decoded as Payload);
  return { stored: storedView(payload), opened: prettyJson(revealForDisplay(value)) };
}

/** Two columns: left what Temporal stored, right what an authorized decode shows. */
export function sideBySide(title: string, left: string, right: string): string {
  const l = left.split('\n');
  const r = right.split('\n');
  const rows = [
    `── ${title} `.padEnd(COLUMN * 2 + 3, '─'),
    `${'Temporal service stored (no key)'.padEnd(COLUMN)} │ authorized decode (codec + key)`,
  ];
  for (let i = 0; i < Math.max(l.length, r.length); i++) rows.push(`${shorten(l[i] ?? '').padEnd(COLUMN)} │ ${shorten(r[i] ?? '')}`);
  return rows.join('\n');
}
