import type { SealingCodec } from '../../codec/sealing-codec';
import type { AuditEvent } from '../audit/audit-log';
import type { CodecBatch } from '../protocol/batch';
import type { WirePayload } from '../protocol/payloads-json';
import { mayUseNamespace } from '../auth/principal';
import { revealForDisplay } from './reveal';

/**
 * Decodes a batch for display and records one `reveal` audit event when any field was opened.
 * A payload that fails to open fails the whole batch (the caller answers 422).
 *
 * @example
 * ```ts
 * const out = decodeBatch(codec, audit, { principal, namespace: 'default', payloads });
 * ```
 */
export function decodeBatch(codec: SealingCodec, audit: (event: AuditEvent) => void, request: CodecBatch): WirePayload[] {
  const { principal, namespace, payloads } = request;
  let fields = 0;
  const purposes = new Set<string>();
  const out = payloads.map((payload) => {
    const revealed = revealForDisplay(codec, payload, namespace, principal.purposes, (sealedIn) => mayUseNamespace(principal, sealedIn));
    fields += revealed.fields;
    revealed.purposes.forEach((purpose) => purposes.add(purpose));
    return revealed.payload;
  });
  if (fields > 0) {
    audit({ event: 'reveal', subject: principal.subject, namespace: namespace ?? null, purposes: [...purposes].sort(), fields, payloads: payloads.length });
  }
  return out;
}
