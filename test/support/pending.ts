// What the converter marked for sealing, as the codec will see it: inline (workflow sandbox) or in the realm's hand-off store.
import { beforeAll } from 'vitest';
import type { Payload } from '@temporalio/common';
import { Keyring, SealingCodec } from '../../src/codec';
import { peekPending } from '../../src/lib/handoff';
import { payloadBytes } from './payloads';

/** The `sealed-pending` field list of a payload, without claiming it; undefined when nothing is pending. */
export function pendingText(payload: Payload): string | undefined {
  const bytes = payload.metadata?.['sealed-pending'];
  if (bytes === undefined || bytes === null) return undefined;
  const text = Buffer.from(bytes).toString('utf8');
  return text.startsWith('{') ? text : peekPending(text);
}

/**
 * True when `canary` would be stored in clear: not marked for sealing in `sealed-pending`, or present
 * in `data` or any other metadata entry (the codec replaces only `sealed-pending`).
 */
export function sentInClear(payload: Payload, canary: string): boolean {
  const { ['sealed-pending']: _pending, ...rest } = payload.metadata ?? {};
  return (
    !(pendingText(payload) ?? '').includes(canary) ||
    payloadBytes({ ...payload, metadata: rest })
      .toString('latin1')
      .includes(canary)
  );
}

/** Converter-only suites: a SealingCodec exists in this process, as in every correctly wired client and worker. */
export function withCodecInProcess(): void {
  beforeAll(async () => {
    await SealingCodec.create({ keyring: new Keyring({ active: 'test', keys: { test: Keyring.generateKey() } }) });
  });
}
