import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import { refuseStates, SealedError, sealedError } from '../errors';
import { equalBytes } from '../lib/bytes';
import { mergeAtPointers } from '../lib/json-pointer';
import { fieldsOfPending, parseFieldList, pendingValues, type FieldList } from '../lib/field-list';
import { JSON_ENCODING, META } from '../lib/metadata';
import { tagPurpose, tagSubject } from '../lib/seal-tag';
import { strictUtf8Text, utf8Bytes, utf8Text } from '../lib/utf8';
import { registerCodec } from '../lib/handoff';
import { boxAad, type BoxPlace } from './aad';
import { joinBytes } from './byte-io';
import {
  ALG_XCHACHA20_POLY1305_IETF,
  envelopeHeaderWithLayout,
  FORMAT_VERSION,
  INNER_ENVELOPE_SEPARATOR,
  joinEnvelope,
  MAX_BOXES,
  MAX_FIELDS_PER_BOX,
  readEnvelopeWithHeader,
  TAG_BYTES,
  type Box,
  type Envelope,
  type FormatVersion,
} from './envelope';
import { childrenOf, countsOf, groupByPurpose } from './field-tree';
import { keyCheck, sha256 } from './hash';
import { isKeySource, type KeySource, type SealedKeyReference, type SealingKey } from './key-source';
import type { Keyring } from './keyring';
import { NoncePool } from './nonce-pool';
import { nameKeysInPlaceholders } from './placeholder-keys';
import { loadSodium, type Sodium } from './sodium';
import {
  boxJson,
  parsedOrUndefined,
  recordErased,
  recordField,
  replaceEntries,
  resolvePending,
  typeNameOf,
  withOpened,
} from './payload-entries';
import { type FetchedKey, KeysNeeded, PayloadKeys, refOf, refSlot, type ResolvedKey, tagsOf } from './payload-keys';
import { isSubjectWrapped } from './subject-wrapped';

/**
 * Options of {@link SealingCodec.create}.
 *
 * @example
 * ```ts
 * const codec = await SealingCodec.create({ keyring: Keyring.fromEnv(), acceptNamespaces: ['billing'], namespace: 'default' });
 * ```
 */
export interface SealingCodecOptions {
  /**
   * Where keys come from: a `Keyring` (static keys), an `AwsKmsKeySource` (data keys wrapped by
   * AWS KMS), or a `KeySource` of your own. Give `keys` or `keyring`.
   */
  keys?: KeySource;
  /** Static keys; the same as `keys: keyring`. */
  keyring?: Keyring;
  /**
   * Namespaces (besides the one in the serialization context) whose payloads this codec
   * opens, e.g. for Nexus calls between namespaces. `'*'` accepts any.
   */
  acceptNamespaces?: readonly string[] | '*';
  /**
   * Namespace to bind when the serialization context names none. An envelope bound to no
   * namespace opens only for readers without one, or that list `''` in `acceptNamespaces`.
   */
  namespace?: string;
}

/** What only the published test vectors choose: see {@link createSealingCodecForTestVectors}. */
export interface TestVectorChoices {
  /** Deterministic nonces. A repeated nonce under one key breaks confidentiality: never in production. */
  nonces: { next(): Uint8Array };
  /** Writes an earlier format version. Default: the current one. */
  formatVersion?: FormatVersion;
}

let buildForTestVectors: (options: SealingCodecOptions, choices: TestVectorChoices) => Promise<SealingCodec>;

/**
 * Options of {@link SealingCodec.seal}.
 *
 * @example
 * ```ts
 * const sealed = await codec.seal(payload, { namespace: 'default' });
 * ```
 */
export interface SealOptions {
  /** Namespace the envelope is bound to; default: the codec's `namespace` option, else none (`''`). */
  namespace?: string | undefined;
}

/**
 * Options of {@link SealingCodec.open}.
 *
 * @example
 * ```ts
 * const opened = await codec.open(sealed, { namespace: 'default' });
 * ```
 */
export interface OpenOptions {
  /** The reader's namespace: a payload sealed in another opens only when the codec accepts that one. */
  namespace?: string | undefined;
}

/**
 * Options of {@link SealingCodec.reveal}: which purposes to open; the rest stay sealed.
 *
 * @example
 * ```ts
 * const shown = await codec.reveal(sealed, { namespace: 'default', purposes: new Set(['contact']) });
 * ```
 */
export interface RevealOptions extends OpenOptions {
  purposes?: ReadonlySet<string> | undefined;
  /** Whether the caller may see payloads sealed in this namespace; when not, every box stays closed. */
  mayOpenNamespace?: ((sealedIn: string) => boolean) | undefined;
}

/**
 * Result of {@link SealingCodec.reveal}: values by path, and boxes left sealed.
 *
 * @example
 * ```ts
 * const { opened, withheld } = await codec.reveal(sealed, { purposes: new Set(['contact']) });
 * console.log(opened.paths, withheld.map((box) => box.purpose));
 * ```
 */
export interface RevealedPayload {
  envelope: Envelope;
  opened: FieldList;
  /** Boxes not opened because their purpose (or namespace) was not allowed; inner boxes only when their container was opened. */
  withheld: Box[];
  /**
   * Boxes whose data subject was forgotten (their key source said `SEALED_ERASED`): their fields
   * are in `opened` with the value `[erased:<purpose>]`, and nothing inside them can be reached.
   */
  erased: Box[];
}

/** The fields of one level of the tree of sealed values, and where its envelope sits. */
interface Level {
  /** The level's fields by purpose. */
  groups: Map<string, number[]>;
  place: BoxPlace;
  /** 0 for the envelope in metadata, 1 for one inside its box, and so on. */
  depth: number;
  /** The JSON of the level's one box when the converter's text of all values is exactly that (see `seal`). */
  wholeJson?: string | undefined;
}

/** What every level of one payload's sealing shares. */
interface SealRun {
  list: FieldList;
  /** The nested fields of each field (`childrenOf` in field-tree.ts); undefined when none is nested. */
  children: Map<number, number[]> | undefined;
  namespace: string;
  typeName: string;
  /** SHA-256 of the payload's data, in every box's AAD. */
  digest: Uint8Array;
  keys: PayloadKeys;
}

/** A box ready to encrypt: its header fields, with the key and plaintext to encrypt. */
type BoxDraft = Omit<Box, 'ciphertext'> & { key: Uint8Array; plaintext: Uint8Array; ciphertextLength: number };

interface OpenScope {
  options: RevealOptions;
  typeName: string;
  digest: Uint8Array;
  namespaceClosed: boolean;
  result: RevealedPayload & { texts: string[] };
  /** Keys the async path fetched for this call (or the failure to fetch them), by `refSlot`. */
  fetched: Map<string, FetchedKey>;
}

/**
 * The libsodium sealing codec: seals what the sealed converter marked with
 * XChaCha20-Poly1305-IETF, one box per purpose, and opens it again. Payloads it did not
 * write pass through unchanged. Stateless apart from a nonce pool, so safe to call concurrently.
 *
 * One payload at a time: `seal` and `open` are what `encode` and `decode` do to each payload
 * (for the sealed converter); `reveal` opens the purposes a reader may see and returns the
 * values by path (for the codec server and the CLI).
 *
 * Keys come from a {@link KeySource}, resolved before anything is sealed or opened: for sealing,
 * one key per purpose of the payload; for opening, the keys of one level of boxes, then (once
 * a box is open) those of the inner envelope it carries. A source that calls a KMS makes those
 * calls here; a failure fails the call, and nothing is written without its key.
 *
 * @example
 * ```ts
 * const codec = await SealingCodec.create({ keyring: Keyring.fromEnv() });
 * const kmsCodec = await SealingCodec.create({ keys: await AwsKmsKeySource.create({ kmsKeyId: 'alias/sealed-fields' }) });
 * const worker = await Worker.create({ dataConverter: { payloadConverterPath, payloadCodecs: [codec] }, ... });
 * ```
 */
export class SealingCodec implements PayloadCodec {
  private constructor(
    private readonly sodium: Sodium,
    private readonly keys: KeySource,
    private readonly acceptNamespaces: ReadonlySet<string> | '*',
    private readonly nonces: { next(): Uint8Array },
    private readonly defaultNamespace: string,
    private readonly version: FormatVersion,
  ) {}

  /** Key checks by key id, with the key they were computed for (a key id names one key; a different key under it is checked afresh). */
  readonly #keyChecks = new Map<string, { key: Uint8Array; check: Uint8Array }>();

  static {
    buildForTestVectors = (options, choices) => SealingCodec.build(options, choices.nonces, choices.formatVersion ?? FORMAT_VERSION);
  }

  static async create(options: SealingCodecOptions): Promise<SealingCodec> {
    return SealingCodec.build(options, new NoncePool(), FORMAT_VERSION);
  }

  private static async build(options: SealingCodecOptions, nonces: { next(): Uint8Array }, version: FormatVersion): Promise<SealingCodec> {
    const keys = options.keys ?? options.keyring;
    if ((options.keys !== undefined && options.keyring !== undefined && options.keys !== options.keyring) || !isKeySource(keys)) {
      throw sealedError('SEALED_INVALID_OPTION', 'SealingCodec.create needs keys (a KeySource) or keyring, one of them');
    }
    const accept = options.acceptNamespaces === '*' ? '*' : new Set(options.acceptNamespaces ?? []);
    const codec = new SealingCodec(await loadSodium(), keys, accept, nonces, options.namespace ?? '', version);
    keys.onKeyDropped?.((keyId) => codec.#dropKeyCheck(keyId));
    registerCodec();
    return codec;
  }

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    return allOf(payloads.map((payload) => this.sealSoon(payload, { namespace: context?.namespace })));
  }

  async decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    return allOf(payloads.map((payload) => this.openSoon(payload, { namespace: context?.namespace })));
  }

  /**
   * Seals one payload's pending values; returns it unchanged when nothing is pending.
   *
   * @example
   * ```ts
   * const sealed = await codec.seal(pending, { namespace: 'default' });
   * ```
   */
  async seal(payload: Payload, options: SealOptions = {}): Promise<Payload> {
    return this.sealSoon(payload, options);
  }

  /** `seal`, returning the payload itself when every key was at hand (a promise per payload is measurable on the hot path). */
  private sealSoon(payload: Payload, options: SealOptions): Payload | Promise<Payload> {
    const namespace = options.namespace ?? this.defaultNamespace;
    const metadata = payload.metadata ?? {};
    // A payload this process opened and sends again (the SDK re-sends a decoded failure as is) is sealed again, never passed on open.
    const pending = metadata[META.pending] ?? metadata[META.opened];
    if (pending === undefined || pending === null) return payload;
    if (metadata[META.sealed] !== undefined) throw sealedError('SEALED_MALFORMED', 'payload is both pending and sealed');
    const claimed = resolvePending(pending);
    const list = claimed instanceof Uint8Array ? parseFieldList(claimed) : fieldsOfPending(claimed);
    // v1 keeps every field at the top; v2 moves nested ones into their container's box.
    const children = this.version === 1 || list.nested === undefined ? undefined : childrenOf(list);
    const top = children?.get(-1) ?? list.paths.map((_, i) => i);
    const groups = groupByPurpose(list, top);
    // The common case, one box holding every value in order: the converter's text of the values is
    // that box's JSON already, so it is sealed as is, never parsed and written again.
    const wholeJson =
      claimed instanceof Uint8Array || groups.size !== 1 || children !== undefined || list.subjects !== undefined
        ? undefined
        : claimed.valuesJson;
    if (!(claimed instanceof Uint8Array) && wholeJson === undefined) list.values = pendingValues(claimed);
    const keys = new PayloadKeys(this.keys, namespace, (key, tag) => this.resolved(key, tag));
    // With no nested box, every tag is a top-level group's (checked by groupByPurpose).
    const missing = keys.takeTop(groups.keys(), children === undefined ? undefined : tagsOf(list));
    const level: Level = { groups, place: { version: this.version }, depth: 0, wholeJson };
    if (missing === undefined) return this.sealWithKeys(payload, level, list, children, namespace, keys);
    return keys.fetch(missing).then(() => this.sealWithKeys(payload, level, list, children, namespace, keys));
  }

  private sealWithKeys(
    payload: Payload,
    level: Level,
    list: FieldList,
    children: Map<number, number[]> | undefined,
    namespace: string,
    keys: PayloadKeys,
  ): Payload {
    const metadata = payload.metadata ?? {};
    const data = nameKeysInPlaceholders(payload.data ?? new Uint8Array(), countsOf(level.groups, list.nested), (p) => keys.top(p).keyId);
    const sealed = this.sealLevel(level, { list, children, namespace, typeName: typeNameOf(metadata), digest: sha256(data), keys });
    return { ...payload, metadata: replaceEntries(metadata, [META.pending, META.opened], META.sealed, sealed), data };
  }

  /**
   * Opens every box of one payload for the sealed converter (the values travel in metadata,
   * in memory only); returns it unchanged when it is not sealed. Fails closed on any mismatch.
   *
   * @example
   * ```ts
   * const opened = await codec.open(sealed, { namespace: 'default' });
   * ```
   */
  async open(payload: Payload, options: OpenOptions = {}): Promise<Payload> {
    return this.openSoon(payload, options);
  }

  /** `open`, returning the payload itself when every key was at hand. */
  private openSoon(payload: Payload, options: OpenOptions): Payload | Promise<Payload> {
    const metadata = payload.metadata ?? {};
    refuseStates(metadata, ['pending', 'opened']);
    if (metadata[META.sealed] === undefined) return payload;
    let result: (RevealedPayload & { texts: string[] }) | undefined;
    try {
      result = this.openWithTextsNow(payload, options, new Map());
    } catch (err) {
      if (!(err instanceof KeysNeeded)) throw err;
    }
    if (result !== undefined) return withOpened(payload, result);
    return this.openWithTexts(payload, options).then((fetched) => withOpened(payload, fetched));
  }

  /**
   * Opens the boxes of a sealed payload whose purposes (and namespace) the reader may see, and
   * returns the values by path with the boxes left closed. Fails closed on any mismatch.
   *
   * @example
   * ```ts
   * const { opened, withheld } = await codec.reveal(payload, { namespace: 'default', purposes: new Set(['phi']) });
   * ```
   */
  async reveal(payload: Payload, options: RevealOptions = {}): Promise<RevealedPayload> {
    const { envelope, opened, withheld, erased } = await this.openWithTexts(payload, options);
    return { envelope, opened, withheld, erased };
  }

  /**
   * `reveal` without waiting: for key sources that hold every key it needs at hand (a `Keyring`
   * always does; a KMS source only for data keys in its cache). A key not at hand is
   * `SEALED_INVALID_OPTION`: use `reveal`.
   *
   * @example
   * ```ts
   * const { opened } = codec.revealNow(payload, { purposes: new Set(['phi']) });
   * ```
   */
  revealNow(payload: Payload, options: RevealOptions = {}): RevealedPayload {
    try {
      const { envelope, opened, withheld, erased } = this.openWithTextsNow(payload, options, new Map());
      return { envelope, opened, withheld, erased };
    } catch (err) {
      if (err instanceof KeysNeeded)
        throw sealedError('SEALED_INVALID_OPTION', 'a key this payload needs is not at hand: open it with reveal (async)');
      throw err;
    }
  }

  /**
   * `reveal`, plus each opened box's JSON text. Runs the synchronous opening with the keys at
   * hand; when a level needs keys the source must fetch (a KMS unwrap), fetches that level's keys
   * together and runs again. Failures to fetch surface at their box, in box order.
   */
  private async openWithTexts(payload: Payload, options: RevealOptions): Promise<RevealedPayload & { texts: string[] }> {
    const fetched = new Map<string, FetchedKey>();
    for (;;) {
      try {
        return this.openWithTextsNow(payload, options, fetched);
      } catch (err) {
        if (!(err instanceof KeysNeeded)) throw err;
        const settled = await Promise.allSettled(err.boxes.map((ref) => this.keys.openingKey(ref)));
        err.boxes.forEach((ref, i) => {
          const outcome = settled[i] as PromiseSettledResult<Uint8Array>;
          fetched.set(refSlot(ref), outcome.status === 'fulfilled' ? { key: outcome.value } : { error: outcome.reason });
        });
      }
    }
  }

  private openWithTextsNow(
    payload: Payload,
    options: RevealOptions,
    fetched: Map<string, FetchedKey>,
  ): RevealedPayload & { texts: string[] } {
    const metadata = payload.metadata ?? {};
    const sealed = metadata[META.sealed];
    if (sealed === undefined || sealed === null) throw sealedError('SEALED_MALFORMED', 'payload is not sealed');
    // The encoding entry is not in the AAD: only json/plain is ever sealed, so any other label is tampering.
    const encoding = metadata[META.encoding];
    if (encoding === undefined || encoding === null || utf8Text(encoding) !== JSON_ENCODING) {
      throw sealedError('SEALED_TAMPERED', 'sealed payload does not carry the json/plain encoding');
    }
    const { envelope, header } = readEnvelopeWithHeader(sealed);
    this.checkNamespace(envelope.namespace, options.namespace);
    const result = {
      envelope,
      opened: { paths: [], purposes: [], secrets: [], values: [] } as FieldList,
      withheld: [] as Box[],
      erased: [] as Box[],
      texts: [] as string[],
    };
    const scope: OpenScope = {
      options,
      typeName: typeNameOf(metadata),
      digest: sha256(payload.data ?? new Uint8Array()),
      namespaceClosed: options.mayOpenNamespace?.(envelope.namespace) === false,
      result,
      fetched,
    };
    this.openLevel(envelope, header, { version: envelope.version }, scope, 0);
    return result;
  }

  /** Opens the allowed boxes of one envelope, then the inner envelopes their plaintexts carry. */
  private openLevel(envelope: Envelope, header: Uint8Array, place: BoxPlace, scope: OpenScope, depth: number): void {
    const { options, result } = scope;
    const closed = (box: Box): boolean => scope.namespaceClosed || (options.purposes !== undefined && !options.purposes.has(box.purpose));
    envelope.boxes.forEach((box, index) => {
      if (closed(box)) {
        result.withheld.push(box);
        return;
      }
      let key: Uint8Array;
      try {
        key = this.keyNow(box, envelope, scope, closed);
      } catch (err) {
        if (!(SealedError.is(err) && err.code === 'SEALED_ERASED')) throw err;
        recordErased(box, depth, result);
        return;
      }
      const opened = this.openBox(box, key, place.version, boxAad(place, header, index, scope.typeName, scope.digest));
      result.texts.push(opened.text);
      box.fields.forEach((field, i) => {
        recordField(result.opened, field.path, box.purpose, field.secret, opened.values[i], depth, opened.subject);
      });
      if (opened.inner !== undefined) this.openInner(opened.inner, envelope, box, scope, depth + 1);
    });
  }

  /**
   * The key of a box: fetched already in this call, or at hand in the source. Otherwise
   * `KeysNeeded` names every open box of this envelope whose key is not at hand, to fetch together.
   */
  private keyNow(box: Box, envelope: Envelope, scope: OpenScope, closed: (box: Box) => boolean): Uint8Array {
    const ref = refOf(box, envelope.namespace);
    // The common case (keys at hand, nothing fetched in this call) skips building the slot string.
    const fetched = scope.fetched.size === 0 ? undefined : scope.fetched.get(refSlot(ref));
    if (fetched !== undefined) {
      if ('error' in fetched) throw fetched.error;
      return fetched.key;
    }
    const now = this.keys.openingKeyNow?.(ref);
    if (now !== undefined) return now;
    const atHand = (other: SealedKeyReference): boolean => {
      try {
        return this.keys.openingKeyNow?.(other) !== undefined;
      } catch {
        return true; // it fails at its own turn, in box order
      }
    };
    const missing = envelope.boxes
      .filter((other) => !closed(other))
      .map((other) => refOf(other, envelope.namespace))
      .filter((other) => !scope.fetched.has(refSlot(other)) && (refSlot(other) === refSlot(ref) || !atHand(other)));
    throw new KeysNeeded(missing);
  }

  private openInner(bytes: Uint8Array, outer: Envelope, container: Box, scope: OpenScope, depth: number): void {
    if (depth > MAX_INNER_DEPTH) throw sealedError('SEALED_TOO_DEEP', 'sealed values are nested too deeply');
    const { envelope, header } = readEnvelopeWithHeader(bytes);
    if (envelope.version !== 2 || envelope.namespace !== outer.namespace)
      throw sealedError('SEALED_MALFORMED', 'inner envelope does not match its container');
    const within = (path: string): boolean =>
      container.fields.some((field) => path === field.path || field.path === '' || path.startsWith(`${field.path}/`));
    if (!envelope.boxes.every((box) => box.fields.every((field) => within(field.path)))) {
      throw sealedError('SEALED_MALFORMED', 'inner envelope holds a field outside its container');
    }
    this.openLevel(envelope, header, { version: 2, containerNonce: container.nonce }, scope, depth);
  }

  /**
   * A key to seal the values of `tag` (lib/seal-tag) with. A data subject's values take a subject
   * key (wrapped key tag 0x02) and nothing else: a source that ignores the subject (a bare
   * `Keyring`) would seal them under the purpose's shared key, where erasing the subject could not reach them.
   */
  private resolved({ keyId, key, wrapped }: SealingKey, tag: string): ResolvedKey {
    if (this.version === 1 && wrapped.length > 0) throw sealedError('SEALED_INVALID_OPTION', 'format version 1 cannot carry a wrapped key');
    if (isSubjectWrapped(wrapped) !== (tagSubject(tag) !== undefined)) {
      throw sealedError(
        'SEALED_INVALID_OPTION',
        'values of a data subject need a subject key: give the codec a SubjectKeys key source (docs/ERASURE.md)',
        { purpose: tagPurpose(tag) },
      );
    }
    return { keyId, key, wrapped, check: this.keyCheckOf(keyId, key) };
  }

  /**
   * Seals one level: the fields in `level.indexes`, one box per purpose. A box whose fields hold
   * nested sealed values carries their envelope after its JSON, so they open only through it.
   */
  private sealLevel(level: Level, run: SealRun): Uint8Array {
    if (level.depth > MAX_INNER_DEPTH)
      throw sealedError('SEALED_TOO_DEEP', 'sealed values are nested too deeply for readers', { maxDepth: MAX_INNER_DEPTH });
    if (level.groups.size > MAX_BOXES) throw sealedError('SEALED_TOO_LARGE', 'too many purposes in one payload');
    const drafts = [...level.groups].map(([tag, indexes]) => this.draftBox(level, tag, indexes, run));
    // The header is written once: it goes into every box's AAD and, joined with the ciphertexts, is the envelope.
    const { header, boxEnds } = envelopeHeaderWithLayout({ version: level.place.version, namespace: run.namespace, boxes: drafts });
    const ciphertexts = drafts.map((box, index) =>
      this.sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        box.plaintext,
        boxAad(level.place, header, index, run.typeName, run.digest),
        null,
        box.nonce,
        box.key,
      ),
    );
    return joinEnvelope(header, boxEnds, ciphertexts);
  }

  /** One box of a level before encryption: its header fields, key and plaintext (its JSON, then the envelope of what is sealed inside it). */
  private draftBox(level: Level, tag: string, indexes: number[], run: SealRun): BoxDraft {
    if (indexes.length > MAX_FIELDS_PER_BOX) throw sealedError('SEALED_TOO_LARGE', 'too many sealed fields in one payload');
    const { list } = run;
    const nonce = this.nonces.next();
    const json = utf8Bytes(level.wholeJson ?? boxJson(list.values, indexes, tagSubject(tag)));
    const inner = this.sealInside(level, indexes, nonce, run);
    const plaintext = inner === undefined ? json : joinBytes([json, Uint8Array.of(INNER_ENVELOPE_SEPARATOR), inner]);
    const fields = indexes.map((i) => ({ path: list.paths[i] as string, secret: list.secrets[i] === true }));
    const { keyId, key, wrapped, check } = level.depth === 0 ? run.keys.top(tag) : run.keys.forBox(tag);
    const v2 = level.place.version === 2 ? { keyCheck: check, wrappedKey: wrapped } : {};
    const purpose = tagPurpose(tag);
    return {
      alg: ALG_XCHACHA20_POLY1305_IETF,
      keyId,
      key,
      purpose,
      ...v2,
      nonce,
      fields,
      plaintext,
      ciphertextLength: plaintext.length + TAG_BYTES,
    };
  }

  /** The envelope of the values sealed inside the box of `indexes` (its AAD names that box's nonce); undefined when there are none. */
  private sealInside(level: Level, indexes: number[], containerNonce: Uint8Array, run: SealRun): Uint8Array | undefined {
    const children = run.children;
    const nested = children === undefined ? [] : indexes.flatMap((i) => children.get(i) ?? []);
    if (nested.length === 0) return undefined;
    const inner: Level = { groups: groupByPurpose(run.list, nested), place: { version: 2, containerNonce }, depth: level.depth + 1 };
    return this.sealLevel(inner, run);
  }

  private openBox(
    box: Box,
    key: Uint8Array,
    version: FormatVersion,
    aad: Uint8Array,
  ): { values: unknown[]; text: string; inner: Uint8Array | undefined; subject: string | undefined } {
    if (box.keyCheck !== undefined && !equalBytes(box.keyCheck, this.keyCheckOf(box.keyId, key))) {
      throw sealedError('SEALED_KEY_MISMATCH', 'the key held under this key id is not the key this value was sealed with', {
        keyId: box.keyId,
      });
    }
    let plaintext: Uint8Array;
    try {
      plaintext = this.sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, box.ciphertext, aad, box.nonce, key);
    } catch {
      throw sealedError('SEALED_TAMPERED', 'sealed fields failed authentication', { keyId: box.keyId, purpose: box.purpose });
    }
    const split = version === 2 ? plaintext.indexOf(INNER_ENVELOPE_SEPARATOR) : -1;
    // A box plaintext that is not valid UTF-8 is refused, never repaired with U+FFFD.
    const text = strictUtf8Text(split === -1 ? plaintext : plaintext.subarray(0, split));
    const values = text === undefined ? undefined : parsedOrUndefined(text);
    // A subject box's JSON array ends with the subject id, after the values (docs/FORMAT.md).
    const subjectBox = isSubjectWrapped(box.wrappedKey);
    if (text === undefined || !Array.isArray(values) || values.length !== box.fields.length + (subjectBox ? 1 : 0)) {
      throw sealedError('SEALED_MALFORMED', 'sealed box content has an unknown shape');
    }
    const inner = split === -1 ? undefined : plaintext.subarray(split + 1);
    if (!subjectBox) return { values, text, inner, subject: undefined };
    const subject: unknown = values.pop();
    if (typeof subject !== 'string' || subject === '') throw sealedError('SEALED_MALFORMED', 'sealed box content has an unknown shape');
    return { values, text: JSON.stringify(values), inner, subject };
  }

  /** Forgets the key check of a key its source dropped (a forgotten data subject's key), zeroing the copy kept with it. */
  #dropKeyCheck(keyId: string): void {
    const known = this.#keyChecks.get(keyId);
    if (known === undefined) return;
    known.key.fill(0);
    this.#keyChecks.delete(keyId);
  }

  /** The key check of `key`, computed once per key id while the key under that id stays the same (bounded: KMS data keys come and go). */
  private keyCheckOf(keyId: string, key: Uint8Array): Uint8Array {
    const known = this.#keyChecks.get(keyId);
    if (known !== undefined && equalBytes(known.key, key)) return known.check;
    const check = keyCheck(key);
    if (this.#keyChecks.size >= MAX_KEY_CHECKS) {
      for (const entry of this.#keyChecks.values()) entry.key.fill(0);
      this.#keyChecks.clear();
    }
    this.#keyChecks.set(keyId, { key: key.slice(), check });
    return check;
  }

  /** A reader with a namespace opens what was sealed in it, or in a namespace it accepts; `''` (no namespace) counts as one. */
  private checkNamespace(sealedIn: string, current: string | undefined): void {
    if (current === undefined || current === '' || sealedIn === current) return;
    if (this.acceptNamespaces === '*' || this.acceptNamespaces.has(sealedIn)) return;
    throw sealedError('SEALED_WRONG_NAMESPACE', 'payload was sealed for another namespace', { sealedIn, current });
  }
}

/**
 * Internal (not on any entry point): a codec with deterministic nonces and, optionally, an earlier
 * format version, for scripts/make-vectors*.ts and the vector tests only.
 *
 * @example
 * ```ts
 * const codec = await createSealingCodecForTestVectors({ keyring }, { nonces: recordedNonces, formatVersion: 1 });
 * ```
 */
export function createSealingCodecForTestVectors(options: SealingCodecOptions, choices: TestVectorChoices): Promise<SealingCodec> {
  return buildForTestVectors(options, choices);
}

/**
 * Writes what `reveal` opened into the parsed clear JSON for people to read (no `Secret` wrapping),
 * leaving the placeholders of closed boxes and of everything sealed inside them.
 *
 * @example
 * ```ts
 * const shown = mergeForDisplay(JSON.parse(text), await codec.reveal(payload, { purposes: new Set(['phi']) }));
 * ```
 */
export function mergeForDisplay(root: unknown, { opened, withheld }: Pick<RevealedPayload, 'opened' | 'withheld'>): unknown {
  const closed = withheld.flatMap((box) => box.fields.map((field) => field.path));
  return mergeAtPointers(root, opened.paths, (i) => opened.values[i], closed);
}

const MAX_INNER_DEPTH = 64;
const MAX_KEY_CHECKS = 4096;

/** The results, without a promise of their own when none is one. */
function allOf<T>(results: Array<T | Promise<T>>): T[] | Promise<T[]> {
  for (const result of results) if (result instanceof Promise) return Promise.all(results);
  return results as T[];
}
