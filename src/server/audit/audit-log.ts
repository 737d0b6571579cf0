/**
 * One audit record. Holds who, where, which purposes and how many fields; never a value,
 * a token or a payload. `namespace` is where the data belongs: for `reveal` the namespace the
 * payloads were sealed in (null: sealed with none; one record per namespace), with the
 * request's in `requestNamespace`; for `seal` the one they are sealed in; otherwise the request's.
 *
 * @example
 * ```ts
 * const sink: AuditSink = (record) => { if (record.event === 'reveal') metrics.count('reveal', record.fields); };
 * ```
 */
export type AuditEvent =
  | {
      event: 'reveal';
      subject: string;
      namespace: string | null;
      requestNamespace: string | null;
      purposes: string[];
      fields: number;
      payloads: number;
    }
  | { event: 'seal'; subject: string; namespace: string | null; payloads: number }
  | { event: 'denied'; subject: string | null; namespace: string | null; status: number; route: 'decode' | 'encode' }
  | {
      event: 'rejected';
      subject: string;
      namespace: string | null;
      code: string;
      route: 'decode' | 'encode';
      /** For a KMS failure: the KMS key (ARN or id) the payload names, or the server seals with. */
      kmsKeyId?: string;
    };

/**
 * Receives audit records with a timestamp; must not throw.
 *
 * @example
 * ```ts
 * await createCodecServer({ keyring, audit: (record) => logger.info(record, 'codec audit') });
 * ```
 */
export type AuditSink = (record: AuditEvent & { ts: string }) => void;

/**
 * The default sink: one JSON line per record on stderr.
 *
 * @example
 * ```ts
 * createCodecServer({ keyring, audit: stderrAuditSink }); // {"ts":"...","event":"reveal","subject":"ana",...}
 * ```
 */
export const stderrAuditSink: AuditSink = (record) => {
  process.stderr.write(`${JSON.stringify({ audit: 'temporal-sealed-fields', ...record })}\n`);
};

/** Wraps a sink so a failing sink never fails a request, and adds the timestamp. */
export function auditWith(sink: AuditSink): (event: AuditEvent) => void {
  return (event) => {
    try {
      sink({ ts: new Date().toISOString(), ...event });
    } catch {
      // an audit sink's own failure must not turn into a response or a crash
    }
  };
}
