import type { SealingCodec } from '../../codec/sealing-codec';
import { META } from '../../converter/metadata';
import type { AuditEvent } from '../audit/audit-log';
import type { Principal } from '../auth/principal';
import type { WirePayload } from '../protocol/payloads-json';

/** An encode request after authentication, authorization and parsing. */
export interface EncodeRequest {
  principal: Principal;
  namespace: string | undefined;
  payloads: WirePayload[];
}

/**
 * Seals the pending payloads of a batch (pending → sealed, bound to the request's namespace);
 * every other payload passes through. Records one `seal` audit event when anything was sealed.
 *
 * @example
 * ```ts
 * const out = encodeBatch(codec, audit, { principal, namespace: 'default', payloads });
 * ```
 */
export function encodeBatch(codec: SealingCodec, audit: (event: AuditEvent) => void, request: EncodeRequest): WirePayload[] {
  const { principal, namespace, payloads } = request;
  let sealed = 0;
  const out = payloads.map((payload) => {
    if (payload.metadata?.[META.pending] === undefined) return payload;
    sealed += 1;
    return { ...codec.sealPayload(payload, namespace ?? ''), ...(payload.extra !== undefined ? { extra: payload.extra } : {}) };
  });
  if (sealed > 0) audit({ event: 'seal', subject: principal.subject, namespace: namespace ?? null, payloads: sealed });
  return out;
}
