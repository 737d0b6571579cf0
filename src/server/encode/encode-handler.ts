import type { SealingCodec } from '../../codec/sealing-codec';
import { META } from '../../converter/metadata';
import type { AuditEvent } from '../audit/audit-log';
import type { CodecBatch } from '../protocol/batch';
import type { WirePayload } from '../protocol/payloads-json';

/**
 * Seals the pending payloads of a batch (pending → sealed, bound to the request's namespace);
 * every other payload passes through. Records one `seal` audit event when anything was sealed.
 *
 * @example
 * ```ts
 * const out = encodeBatch(codec, audit, { principal, namespace: 'default', payloads });
 * ```
 */
export function encodeBatch(codec: SealingCodec, audit: (event: AuditEvent) => void, request: CodecBatch): WirePayload[] {
  const { principal, namespace, payloads } = request;
  let sealed = 0;
  const out = payloads.map((payload) => {
    if (payload.metadata?.[META.pending] === undefined) return payload;
    sealed += 1;
    return codec.sealPayload(payload, namespace ?? '') as WirePayload; // keeps `extra`: sealPayload spreads the payload
  });
  if (sealed > 0) audit({ event: 'seal', subject: principal.subject, namespace: namespace ?? null, payloads: sealed });
  return out;
}
