import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import { sealedError } from '../errors';
import { mergeAtPointers } from '../converter/json-pointer';
import { fieldListToJson, fromUtf8, JSON_ENCODING, META, parseFieldList, type FieldList } from '../converter/metadata';
import { checkPurpose } from '../model/purpose';
import {
  ALG_XCHACHA20_POLY1305_IETF,
  boxAad,
  envelopeHeaderWithLayout,
  joinEnvelope,
  MAX_BOXES,
  MAX_FIELDS_PER_BOX,
  readEnvelopeWithHeader,
  sha256,
  TAG_BYTES,
  type Box,
  type Envelope,
} from './envelope';
import type { Keyring } from './keyring';
import { NoncePool } from './nonce-pool';
import { nameKeysInPlaceholders } from './placeholder-keys';
import { loadSodium, type Sodium } from './sodium';
import { utf8Bytes } from './utf8';

/** Options of {@link SealingCodec.create}. */
export interface SealingCodecOptions {
  keyring: Keyring;
  /**
   * Namespaces (besides the one in the serialization context) whose payloads this codec
   * opens, e.g. for Nexus calls between namespaces. `'*'` accepts any.
   */
  acceptNamespaces?: readonly string[] | '*';
  /**
   * @internal Deterministic nonces, for the published test vectors only.
   * A repeated nonce under one key breaks confidentiality: never set this in production.
   */
  nonceSourceForTestVectors?: { next(): Uint8Array };
}

/** Which purposes to open when decoding; the rest stay sealed (the codec server uses this). */
export interface OpenOptions {
  namespace?: string | undefined;
  purposes?: ReadonlySet<string> | undefined;
  /** Whether the caller may see payloads sealed in this namespace; when not, every box stays closed. */
  mayOpenNamespace?: ((sealedIn: string) => boolean) | undefined;
}

/** Result of opening a payload: values by path, and boxes left sealed. */
export interface OpenedPayload {
  envelope: Envelope;
  opened: FieldList;
  /** Boxes not opened because their purpose was not allowed. */
  withheld: Box[];
}

/**
 * The libsodium sealing codec: seals what the sealed converter marked with
 * XChaCha20-Poly1305-IETF, one box per purpose, and opens it again. Payloads it did not
 * write pass through unchanged. Stateless apart from a nonce pool, so safe to call concurrently.
 *
 * @example
 * ```ts
 * const codec = await SealingCodec.create({ keyring: Keyring.fromEnv() });
 * const worker = await Worker.create({ dataConverter: { payloadConverterPath, payloadCodecs: [codec] }, ... });
 * ```
 */
export class SealingCodec implements PayloadCodec {
  private constructor(
    private readonly sodium: Sodium,
    private readonly keyring: Keyring,
    private readonly acceptNamespaces: ReadonlySet<string> | '*',
    private readonly nonces: { next(): Uint8Array },
  ) {}

  static async create(options: SealingCodecOptions): Promise<SealingCodec> {
    const accept = options.acceptNamespaces === '*' ? '*' : new Set(options.acceptNamespaces ?? []);
    return new SealingCodec(await loadSodium(), options.keyring, accept, options.nonceSourceForTestVectors ?? new NoncePool());
  }

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    return payloads.map((payload) => this.sealPayload(payload, context?.namespace ?? ''));
  }

  async decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    return payloads.map((payload) => this.openPayload(payload, context?.namespace));
  }

  /** Seals one payload's pending values; returns it unchanged when nothing is pending. */
  sealPayload(payload: Payload, namespace: string): Payload {
    const metadata = payload.metadata ?? {};
    // A payload this process opened and sends again (the SDK re-sends a decoded failure as is) is sealed again, never passed on open.
    const pending = metadata[META.pending] ?? metadata[META.opened];
    if (pending === undefined || pending === null) return payload;
    if (metadata[META.sealed] !== undefined) throw sealedError('SEALED_MALFORMED', 'payload is both pending and sealed');
    const list = parseFieldList(pending);
    const groups = groupByPurpose(list);
    const data = nameKeysInPlaceholders(payload.data ?? new Uint8Array(), countsOf(groups, list.nested), (p) => this.keyring.keyIdFor(p));
    const sealed = this.sealGroups(groups, list, namespace, typeNameOf(metadata), sha256(data));
    return { ...payload, metadata: replaceEntries(metadata, [META.pending, META.opened], META.sealed, sealed), data };
  }

  /** Opens one payload for the converter; returns it unchanged when it is not sealed. */
  openPayload(payload: Payload, namespace?: string): Payload {
    const metadata = payload.metadata ?? {};
    if (metadata[META.pending] !== undefined) throw sealedError('SEALED_NOT_SEALED', 'payload was marked for sealing but never sealed');
    if (metadata[META.opened] !== undefined) throw sealedError('SEALED_MALFORMED', 'payload arrived with an opened field list');
    if (metadata[META.sealed] === undefined) return payload;
    const { opened, texts } = this.openWithTexts(payload, { namespace });
    // Each box's text was parsed and counted already: join its elements rather than stringify the values again.
    const valuesJson = `[${texts.map(arrayElementsText).join(',')}]`;
    const openedJson = utf8Bytes(fieldListToJson(opened, () => valuesJson));
    return { ...payload, metadata: replaceEntries(metadata, [META.sealed], META.opened, openedJson) };
  }

  /** Opens the boxes of a sealed payload whose purposes are allowed. Fails closed on any mismatch. */
  open(payload: Payload, options: OpenOptions = {}): OpenedPayload {
    const { envelope, opened, withheld } = this.openWithTexts(payload, options);
    return { envelope, opened, withheld };
  }

  /** `open`, plus each opened box's plaintext: a JSON array text already parsed and counted against its fields. */
  private openWithTexts(payload: Payload, options: OpenOptions): OpenedPayload & { texts: string[] } {
    const metadata = payload.metadata ?? {};
    const sealed = metadata[META.sealed];
    if (sealed === undefined || sealed === null) throw sealedError('SEALED_MALFORMED', 'payload is not sealed');
    // The encoding entry is not in the AAD: only json/plain is ever sealed, so any other label is tampering.
    const encoding = metadata[META.encoding];
    if (encoding === undefined || encoding === null || fromUtf8(encoding) !== JSON_ENCODING) {
      throw sealedError('SEALED_TAMPERED', 'sealed payload does not carry the json/plain encoding');
    }
    const { envelope, header } = readEnvelopeWithHeader(sealed);
    this.checkNamespace(envelope.namespace, options.namespace);
    const digest = sha256(payload.data ?? new Uint8Array());
    const typeName = typeNameOf(metadata);
    const opened: FieldList = { paths: [], purposes: [], secrets: [], values: [] };
    const withheld: Box[] = [];
    const texts: string[] = [];
    const namespaceClosed = envelope.namespace !== '' && options.mayOpenNamespace?.(envelope.namespace) === false;
    envelope.boxes.forEach((box, index) => {
      if (namespaceClosed || (options.purposes !== undefined && !options.purposes.has(box.purpose))) return void withheld.push(box);
      const { values, text } = this.openBox(box, boxAad(header, index, typeName, digest));
      texts.push(text);
      box.fields.forEach((field, i) => {
        opened.paths.push(field.path);
        opened.purposes.push(box.purpose);
        opened.secrets.push(field.secret);
        opened.values.push(values[i]);
      });
    });
    return { envelope, opened, withheld, texts };
  }

  private sealGroups(groups: Map<string, number[]>, list: FieldList, namespace: string, typeName: string, digest: Uint8Array): Uint8Array {
    if (groups.size > MAX_BOXES) throw sealedError('SEALED_TOO_LARGE', 'too many purposes in one payload');
    const drafts = [...groups].map(([purpose, indexes]) => {
      if (indexes.length > MAX_FIELDS_PER_BOX) throw sealedError('SEALED_TOO_LARGE', 'too many sealed fields in one payload');
      const plaintext = utf8Bytes(JSON.stringify(indexes.map((i) => list.values[i])));
      return {
        alg: ALG_XCHACHA20_POLY1305_IETF,
        keyId: this.keyring.keyIdFor(purpose),
        purpose,
        nonce: this.nonces.next(),
        fields: indexes.map((i) => ({ path: list.paths[i] as string, secret: list.secrets[i] === true })),
        plaintext,
        ciphertextLength: plaintext.length + TAG_BYTES,
      };
    });
    // The header is written once: it goes into every box's AAD and, joined with the ciphertexts, is the envelope.
    const { header, boxEnds } = envelopeHeaderWithLayout({ namespace, boxes: drafts });
    const ciphertexts = drafts.map((box, index) =>
      this.sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(box.plaintext, boxAad(header, index, typeName, digest), null, box.nonce, this.keyring.key(box.keyId)),
    );
    return joinEnvelope(header, boxEnds, ciphertexts);
  }

  private openBox(box: Box, aad: Uint8Array): { values: unknown[]; text: string } {
    const key = this.keyring.key(box.keyId);
    let plaintext: Uint8Array;
    try {
      plaintext = this.sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, box.ciphertext, aad, box.nonce, key);
    } catch {
      throw sealedError('SEALED_TAMPERED', 'sealed fields failed authentication', { keyId: box.keyId, purpose: box.purpose });
    }
    const text = fromUtf8(plaintext);
    let values: unknown;
    try {
      values = JSON.parse(text);
    } catch {
      values = undefined;
    }
    if (!Array.isArray(values) || values.length !== box.fields.length) throw sealedError('SEALED_MALFORMED', 'sealed box content has an unknown shape');
    return { values, text };
  }

  private checkNamespace(sealedIn: string, current: string | undefined): void {
    if (sealedIn === '' || current === undefined || current === '' || sealedIn === current) return;
    if (this.acceptNamespaces === '*' || this.acceptNamespaces.has(sealedIn)) return;
    throw sealedError('SEALED_WRONG_NAMESPACE', 'payload was sealed for another namespace', { sealedIn, current });
  }
}

/**
 * Writes what `open` opened into the parsed clear JSON for people to read (no `Secret` wrapping),
 * leaving the placeholders of closed boxes and of everything sealed inside them.
 *
 * @example
 * ```ts
 * const shown = mergeForDisplay(JSON.parse(text), codec.open(payload, { purposes: new Set(['phi']) }));
 * ```
 */
export function mergeForDisplay(root: unknown, { opened, withheld }: Pick<OpenedPayload, 'opened' | 'withheld'>): unknown {
  const closed = withheld.flatMap((box) => box.fields.map((field) => field.path));
  return mergeAtPointers(root, opened.paths, (i) => opened.values[i], closed);
}

function groupByPurpose(list: FieldList): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  list.purposes.forEach((purpose, i) => {
    const group = groups.get(purpose);
    if (group !== undefined) return void group.push(i);
    groups.set(checkPurpose(purpose), [i]); // checked once per distinct purpose, not per field
  });
  return groups;
}

/** The elements of a JSON array text that JSON.parse accepted as an array: only JSON whitespace can surround its brackets. */
function arrayElementsText(text: string): string {
  return text.trim().slice(1, -1);
}

/** Placeholders to expect in the clear JSON per purpose: fields sealed inside other values have theirs inside those. */
function countsOf(groups: Map<string, number[]>, nested: readonly boolean[] | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [purpose, indexes] of groups) {
    counts.set(purpose, nested === undefined ? indexes.length : indexes.filter((i) => nested[i] !== true).length);
  }
  return counts;
}

/** A copy of `metadata` without the `drop` entries and with `key` set; a loop, as object rest with computed keys is slow in V8. */
function replaceEntries(metadata: Record<string, Uint8Array | null | undefined>, drop: readonly string[], key: string, value: Uint8Array): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const name of Object.keys(metadata)) if (!drop.includes(name)) out[name] = metadata[name] as Uint8Array;
  out[key] = value;
  return out;
}

function typeNameOf(metadata: Record<string, Uint8Array | null | undefined>): string {
  const bytes = metadata[META.type];
  return bytes === undefined || bytes === null ? '' : fromUtf8(bytes);
}

