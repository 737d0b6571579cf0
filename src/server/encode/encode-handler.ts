import type { SealingCodec } from '../../codec/sealing-codec';
import { META } from '../../lib/metadata';
import { refusal } from '../../errors';
import type { AuditEvent } from '../audit/audit-log';
import type { CodecBatch } from '../protocol/batch';
import type { WirePayload } from '../protocol/payloads-json';

/**
 * Seals the payloads of a batch that carry values in the clear, as the codec does: pending ones
 * and opened ones (`sealed-opened`, e.g. a decoded payload sent back), bound to the request's
 * namespace; every other payload passes through. Records one `seal` audit event when anything was sealed.
 *
 * @example
 * ```ts
 * const out = await encodeBatch(codec, audit, { principal, namespace: 'default', payloads });
 * ```
 */
export async function encodeBatch(codec: SealingCodec, audit: (event: AuditEvent) => void, request: CodecBatch): Promise<WirePayload[]> {
  const { principal, namespace, payloads } = request;
  let sealed = 0;
  payloads.forEach(refuseReferences);
  const out = await Promise.all(
    payloads.map(async (payload) => {
      // seal returns the payload itself when it holds nothing to seal.
      const next = (await codec.seal(payload, { namespace: namespace ?? '' })) as WirePayload; // keeps `extra`: seal spreads the payload
      if (next === payload) return payload;
      sealed += 1;
      return next;
    }),
  );
  out.forEach(refuseClearValues);
  if (sealed > 0) audit({ event: 'seal', subject: principal.subject, namespace: namespace ?? null, payloads: sealed });
  return out;
}

const JSON_OBJECT_START = 0x7b; // '{'

/**
 * A remote caller's field lists must travel inline. A hand-off reference (`ref:...`) names values
 * another caller's send left in this process (a codec server embedded in a client or worker):
 * resolving it would seal, and so hand over, someone else's values.
 */
function refuseReferences(payload: WirePayload): void {
  for (const key of [META.pending, META.opened]) {
    const entry = payload.metadata?.[key];
    if (entry !== undefined && entry !== null && entry[0] !== JSON_OBJECT_START) {
      throw refusal('pending');
    }
  }
}

/** The last word before a response: no payload leaves `/encode` with values in the clear. */
function refuseClearValues(payload: WirePayload): void {
  const metadata = payload.metadata ?? {};
  // An opened entry left after sealing is, like a pending one, a value that was never sealed.
  if (metadata[META.pending] !== undefined || metadata[META.opened] !== undefined) throw refusal('pending');
}
