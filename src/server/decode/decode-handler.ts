import type { SealingCodec } from '../../codec/sealing-codec';
import type { AuditEvent } from '../audit/audit-log';
import type { CodecBatch } from '../protocol/batch';
import type { WirePayload } from '../protocol/payloads-json';
import { mayUseNamespace } from '../auth/principal';
import { revealForDisplay, type Revealed } from './reveal';

/** What one batch revealed of the payloads sealed in one namespace. */
interface Tally {
  fields: number;
  payloads: number;
  purposes: Set<string>;
}

function count(tallies: Map<string, Tally>, revealed: Revealed): void {
  const tally = tallies.get(revealed.sealedIn) ?? { fields: 0, payloads: 0, purposes: new Set<string>() };
  tally.fields += revealed.fields;
  tally.payloads += 1;
  for (const purpose of revealed.purposes) tally.purposes.add(purpose);
  tallies.set(revealed.sealedIn, tally);
}

/**
 * Decodes a batch for display and records one `reveal` audit event per namespace the opened
 * payloads were sealed in (the data's namespace, which can differ from the request's when the
 * codec accepts other namespaces). A payload that fails to open fails the whole batch (the caller answers 422).
 *
 * @example
 * ```ts
 * const out = await decodeBatch(codec, audit, { principal, namespace: 'default', payloads });
 * ```
 */
export async function decodeBatch(codec: SealingCodec, audit: (event: AuditEvent) => void, request: CodecBatch): Promise<WirePayload[]> {
  const { principal, namespace, payloads } = request;
  const bySealedIn = new Map<string, Tally>();
  const all = await Promise.all(
    payloads.map((payload) =>
      revealForDisplay(codec, payload, namespace, principal.purposes, (sealedIn) => mayUseNamespace(principal, sealedIn)),
    ),
  );
  const out = all.map((revealed) => {
    if (revealed.fields > 0) count(bySealedIn, revealed);
    return revealed.payload;
  });
  for (const [sealedIn, tally] of bySealedIn) {
    audit({
      event: 'reveal',
      subject: principal.subject,
      namespace: sealedIn === '' ? null : sealedIn,
      requestNamespace: namespace ?? null,
      purposes: [...tally.purposes].sort(),
      fields: tally.fields,
      payloads: tally.payloads,
    });
  }
  return out;
}
