import type { Payload } from '@temporalio/common';
import { mergeForDisplay, type RevealedPayload, type SealingCodec } from '../../codec/sealing-codec';
import { refuseStates, sealedError } from '../../errors';
import { JSON_ENCODING, META } from '../../lib/metadata';
import { utf8Bytes, utf8Text } from '../../lib/utf8';
import type { Grant } from '../auth/principal';

/**
 * What revealing one payload did: the payload for display, the fields it opened (values shown;
 * fields of forgotten data subjects, shown as `[erased:<purpose>]`, are counted apart) and where it was sealed.
 */
export interface Revealed {
  payload: Payload;
  fields: number;
  purposes: string[];
  /** Fields shown as `[erased:<purpose>]`: their data subject was forgotten, nothing was revealed. */
  erased: number;
  /** The namespace the envelope was sealed in (`''` for none, or for a payload that is not sealed). */
  sealedIn: string;
}

function displayMetadata(metadata: Record<string, Uint8Array | null | undefined>): Record<string, Uint8Array> {
  const shown: Record<string, Uint8Array> = { [META.encoding]: utf8Bytes(JSON_ENCODING) };
  const type = metadata[META.type];
  if (type !== undefined && type !== null) shown[META.type] = type;
  return shown;
}

function mergeIntoData(data: Uint8Array, result: RevealedPayload): Uint8Array {
  let root: unknown;
  try {
    root = JSON.parse(utf8Text(data));
  } catch {
    throw sealedError('SEALED_MALFORMED', 'sealed payload data is not JSON');
  }
  return utf8Bytes(JSON.stringify(mergeForDisplay(root, result)));
}

/**
 * Prepares one payload for display (Web UI, CLI): a sealed payload becomes `json/plain`
 * data with the values of the allowed purposes merged in and every other sealed field left
 * as its placeholder. Payloads this library did not write pass through unchanged. Fails
 * closed (SealedError) on tampering, unknown keys, a wrong namespace, a pending payload or one
 * carrying opened values.
 *
 * @example
 * ```ts
 * const { payload, fields } = await revealForDisplay(codec, sealed, 'default', new Set(['phi']));
 * ```
 */
export async function revealForDisplay(
  codec: SealingCodec,
  payload: Payload,
  namespace: string | undefined,
  purposes: Grant,
  mayUseNamespace: (namespace: string) => boolean = () => true,
): Promise<Revealed> {
  const metadata = payload.metadata ?? {};
  // As SealingCodec.open: opened values live in a process's memory only.
  refuseStates(metadata, ['pending', 'opened']);
  if (metadata[META.sealed] === undefined || metadata[META.sealed] === null)
    return { payload, fields: 0, purposes: [], erased: 0, sealedIn: '' };
  // The grant covers the namespace the payload was sealed in, not only the one the request names
  // (they differ when the codec accepts other namespaces, e.g. for Nexus).
  const result = await codec.reveal(payload, {
    namespace,
    purposes: purposes === '*' ? undefined : purposes,
    mayOpenNamespace: mayUseNamespace,
  });
  const { opened } = result;
  const data = payload.data ?? new Uint8Array();
  const merged = opened.paths.length === 0 ? data : mergeIntoData(data, result);
  const shown = { metadata: displayMetadata(metadata), data: merged };
  // Tombstones are merged for display but reveal nothing: the audit counts only the values shown.
  const erasedPaths = new Set(result.erased.flatMap((box) => box.fields.map((field) => field.path)));
  const revealed = opened.paths.flatMap((path, i) => (erasedPaths.has(path) ? [] : [opened.purposes[i] as string]));
  return {
    payload: shown,
    fields: revealed.length,
    purposes: [...new Set(revealed)],
    erased: opened.paths.length - revealed.length,
    sealedIn: result.envelope.namespace,
  };
}
