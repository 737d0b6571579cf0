import type { Payload } from '@temporalio/common';
import { readEnvelope, type Box } from '../../codec/envelope';
import { mergeForDisplay } from '../../codec/sealing-codec';
import { SealedError, type SealedErrorCode } from '../../errors';
import { META } from '../../lib/metadata';
import { boxNameOf, type SealedOpener } from '../history/open-sealed';
import { mapJsonPayloads, metadataText, payloadFromJson, type JsonPayload } from '../history/payloads';
import { fetchFailureHint } from './kms-hints';

/** How to open payloads; without an opener (redact) nothing is opened. */
export interface OpenDocumentOptions {
  /** Opens, at every level, the boxes whose key id is in its keyring. */
  opener?: SealedOpener | undefined;
  /** Open only these purposes (default: every purpose whose key id is in the keyring). */
  purposes?: ReadonlySet<string> | undefined;
  /** Show `{metadata, sealed, data}` per payload instead of the data alone. */
  detailed: boolean;
  /** The payloads already read from the document (the ones the opener warmed), by their JSON node. */
  read?: WeakMap<JsonPayload, Payload> | undefined;
}

/** Counts of what was opened and what stayed sealed; ids and codes only. */
export interface OpenSummary {
  payloads: number;
  sealedPayloads: number;
  openedFields: number;
  /** Fields of forgotten data subjects, shown as `[erased:<purpose>]`. */
  erasedFields: number;
  /** Payloads whose keys could not be fetched (a KMS or the subject key store failing), by code; a key nobody holds is not counted. */
  fetchFailed: Record<string, number>;
  /** The KMS keys those failures name, by code (a key not trusted, disabled, refused...). */
  fetchFailedKmsKeys: Record<string, string[]>;
  /** Boxes left sealed at every level reached (inner boxes of opened boxes included), by "keyId/purpose". */
  withheld: Record<string, number>;
  pending: number;
  errors: Array<{ pointer: string; code: string }>;
}

/** A copy of a history (or Payloads) JSON document with every payload shown decoded. */
export function openDocument(doc: unknown, options: OpenDocumentOptions): { output: unknown; summary: OpenSummary } {
  const summary: OpenSummary = {
    payloads: 0,
    sealedPayloads: 0,
    openedFields: 0,
    erasedFields: 0,
    fetchFailed: {},
    fetchFailedKmsKeys: {},
    withheld: {},
    pending: 0,
    errors: [],
  };
  const output = mapJsonPayloads(doc, (json, pointer) => openOne(json, pointer, options, summary));
  return { output, summary };
}

function openOne(json: JsonPayload, pointer: string, options: OpenDocumentOptions, summary: OpenSummary): unknown {
  summary.payloads++;
  const payload = options.read?.get(json) ?? payloadFromJson(json);
  if (has(payload, META.pending)) summary.pending++;
  const refused = refusalOf(payload);
  if (refused !== undefined) return refuse(payload, pointer, refused, summary);
  if (metadataText(payload, META.encoding) !== 'json/plain') return json;
  let data = parseData(payload);
  // Never fall back to the raw payload when it carries a sealed or pending entry: that entry would be printed.
  if (data === undefined) return isMarked(payload) ? refuse(payload, pointer, 'SEALED_MALFORMED', summary) : json;
  const sealed: SealedView[] = [];
  let error: string | undefined;
  if (has(payload, META.sealed)) {
    summary.sealedPayloads++;
    try {
      data = openSealed(payload, data, options, summary, sealed);
    } catch (err) {
      error = SealedError.is(err) ? err.code : 'SEALED_MALFORMED';
      summary.errors.push({ pointer, code: error });
    }
  }
  if (!options.detailed) return data;
  return { metadata: visibleMetadata(payload), ...(sealed.length > 0 ? { sealed } : {}), ...(error ? { error } : {}), data };
}

function has(payload: Payload, key: string): boolean {
  return payload.metadata?.[key] != null;
}

function isMarked(payload: Payload): boolean {
  return has(payload, META.sealed) || has(payload, META.pending);
}

/**
 * Why a payload is refused before anything is read, as the codec refuses it: opened values never
 * belong in a history, and only json/plain is ever sealed (the label is outside the AAD, so
 * another one on a sealed or pending payload is tampering).
 */
function refusalOf(payload: Payload): SealedErrorCode | undefined {
  if (has(payload, META.opened)) return 'SEALED_MALFORMED';
  if (!isMarked(payload) || metadataText(payload, META.encoding) === 'json/plain') return undefined;
  return has(payload, META.pending) ? 'SEALED_NOT_SEALED' : 'SEALED_TAMPERED';
}

/** A refused payload is shown as its code and harmless metadata only: no data, no sealed or pending entry. */
function refuse(payload: Payload, pointer: string, code: SealedErrorCode, summary: OpenSummary): unknown {
  summary.errors.push({ pointer, code });
  return { metadata: visibleMetadata(payload), error: code };
}

interface SealedView {
  keyId: string;
  purpose: string;
  fields: string[];
  opened: boolean;
  /** The box of a forgotten data subject: its fields show `[erased:<purpose>]`. */
  erased?: true;
  /** An inner box, inside a box that was opened (only those left sealed are listed). */
  nested?: true;
  /** The AWS KMS key that wrapped the box's data key, from its header. */
  kmsKeyArn?: string;
  /** Why a box was left sealed, when fetching its key failed: the code (`SEALED_KMS_KEY_NOT_ALLOWED`, ...). */
  reason?: string;
  /** What to do about `reason`, e.g. `add --kms-open-key <arn>`. */
  hint?: string;
}

/** A failure to fetch a payload's keys (KMS, subject key store), and the KMS key it names. */
interface FetchFailure {
  code: string;
  kmsKeyId?: string | undefined;
}

function openSealed(payload: Payload, data: unknown, options: OpenDocumentOptions, summary: OpenSummary, view: SealedView[]): unknown {
  const opener = options.opener;
  if (opener === undefined) {
    // Redact: nothing opens, and nothing inside the top-level boxes is seen.
    const boxes = readEnvelope(payload.metadata?.[META.sealed] as Uint8Array).boxes;
    showBoxes(boxes, boxes, summary, view);
    return data;
  }
  const reached = opener.open(payload, options.purposes);
  // A key nobody holds is no failure to fetch: those boxes are simply left sealed.
  const failure: FetchFailure | undefined =
    reached.fetchFailed !== undefined && reached.fetchFailed !== 'SEALED_KEY_UNKNOWN'
      ? { code: reached.fetchFailed, kmsKeyId: reached.fetchFailedKmsKeyId }
      : undefined;
  showBoxes(reached.envelope.boxes, reached.withheld, summary, view, reached.erased, failure);
  const erased = reached.erased.reduce((n, box) => n + box.fields.length, 0);
  summary.openedFields += reached.opened.paths.length - erased;
  summary.erasedFields += erased;
  if (failure !== undefined) {
    summary.fetchFailed[failure.code] = (summary.fetchFailed[failure.code] ?? 0) + 1;
    const keys = summary.fetchFailedKmsKeys[failure.code] ?? [];
    if (failure.kmsKeyId !== undefined && !keys.includes(failure.kmsKeyId)) keys.push(failure.kmsKeyId);
    summary.fetchFailedKmsKeys[failure.code] = keys;
  }
  return mergeForDisplay(data, { opened: reached.opened, withheld: reached.withheld });
}

/** Lists the top-level boxes, and the boxes left sealed at every level reached (inner ones marked nested), and counts the latter. */
function showBoxes(
  top: readonly Box[],
  withheld: readonly Box[],
  summary: OpenSummary,
  view: SealedView[],
  erased: readonly Box[] = [],
  failure?: FetchFailure,
): void {
  const closed = new Set(withheld);
  const topLevel = new Set(top);
  const gone = new Set(erased);
  for (const box of top) view.push({ ...viewOf(box, !closed.has(box), failure), ...(gone.has(box) && { erased: true as const }) });
  for (const box of withheld) {
    if (!topLevel.has(box)) view.push({ ...viewOf(box, false, failure), nested: true });
    const id = `${box.keyId}/${box.purpose}`;
    summary.withheld[id] = (summary.withheld[id] ?? 0) + 1;
  }
}

function viewOf(box: Box, opened: boolean, failure: FetchFailure | undefined): SealedView {
  const name = boxNameOf({ ...box, wrapped: box.wrappedKey });
  const view: SealedView = { keyId: box.keyId, purpose: box.purpose, fields: box.fields.map((f) => f.path), opened };
  if (name.kmsKeyArn !== undefined) view.kmsKeyArn = name.kmsKeyArn;
  // A box left sealed whose key fetching failed: the failure is its reason when it names no KMS key, or this box's.
  if (
    !opened &&
    failure !== undefined &&
    name.wrapped === true &&
    (failure.kmsKeyId === undefined || failure.kmsKeyId === name.kmsKeyArn)
  ) {
    view.reason = failure.code;
    const hint = fetchFailureHint(failure.code, failure.kmsKeyId);
    if (hint !== undefined) view.hint = hint;
  }
  return view;
}

function parseData(payload: Payload): unknown {
  try {
    return JSON.parse(Buffer.from(payload.data ?? new Uint8Array()).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

// Sealed, pending and opened entries are binary or hold plaintext: shown as their presence only.
const OMITTED: ReadonlySet<string> = new Set([META.sealed, META.pending, META.opened]);

function visibleMetadata(payload: Payload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(payload.metadata ?? {})) {
    out[key] = OMITTED.has(key) ? '(omitted)' : (metadataText(payload, key) ?? '');
  }
  return out;
}
