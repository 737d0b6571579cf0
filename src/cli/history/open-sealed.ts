import type { Payload } from '@temporalio/common';
import type { Box } from '../../codec/envelope';
import { NOT_WRAPPED, type KeySource, type SealedKeyReference } from '../../codec/key-source';
import type { Keyring } from '../../codec/keyring';
import type { AwsKmsKeySource } from '../../codec/kms/aws-kms-key-source';
import { readWrappedKey } from '../../codec/kms/wrapped-key';
import { SealingCodec, type RevealedPayload } from '../../codec/sealing-codec';
import type { SubjectKeys } from '../../codec/subject-keys';
import { isSubjectWrapped, readSubjectHash } from '../../codec/subject-wrapped';
import { SealedError } from '../../errors';
import { KMS_KEY_ID_PATTERN } from '../../lib/identifiers';

/**
 * A box named by its header: key id, purpose (`undefined` when only the key id is known), and for a
 * data key wrapped by a KMS, `wrapped` and (AWS KMS) the ARN of the KMS key that wrapped it; for a
 * box under a data subject's key (wrapped key 0x02), `wrapped` and the subject's keyed hash.
 */
export interface BoxName {
  keyId: string;
  purpose: string | undefined;
  wrapped?: true;
  kmsKeyArn?: string;
  /** The keyed hash of the data subject whose key sealed the box (base64url); never the subject id. */
  subjectHash?: string;
}

/** The name of a box from its header: the KMS key (or the data subject's hash) comes from the wrapped key itself, no KMS call. */
export function boxNameOf(box: { keyId: string; purpose: string | undefined; wrapped: Uint8Array | undefined }): BoxName {
  const name: BoxName = { keyId: box.keyId, purpose: box.purpose };
  if (box.wrapped === undefined || box.wrapped.length === 0) return name;
  name.wrapped = true;
  if (isSubjectWrapped(box.wrapped)) {
    try {
      name.subjectHash = readSubjectHash(box.wrapped);
    } catch {
      // a malformed subject reference: the box fails to open, and names no subject
    }
    return name;
  }
  const arn = kmsKeyArnOf(box.wrapped);
  if (arn !== undefined) name.kmsKeyArn = arn;
  return name;
}

/** The KMS key ARN an AWS KMS wrapped key names; `undefined` for another source's wrapped key, or one that names no ARN. */
function kmsKeyArnOf(wrapped: Uint8Array): string | undefined {
  try {
    const { kmsKeyArn } = readWrappedKey(wrapped);
    return /^arn:[^:]+:kms:/.test(kmsKeyArn) ? kmsKeyArn : undefined;
  } catch {
    return undefined;
  }
}

/** What opening a payload with the keys at hand reached. */
export interface Reached extends RevealedPayload {
  /**
   * Every box at every level reached, opened or left closed: the top-level boxes, and the boxes
   * of the inner envelopes of every box opened. Ids and purposes only, each pair once.
   */
  boxes: BoxName[];
  /** The same boxes, each box once (two boxes under one key and purpose are two entries). */
  every: BoxName[];
  /** The code of the failure met when {@link SealedOpener.warm} fetched this payload's keys (a KMS key disabled...), if any. */
  fetchFailed?: string;
  /** The KMS key that failure names (an ARN as the box header gives it, or the configured key id), if any. */
  fetchFailedKmsKeyId?: string;
}

/**
 * Opens sealed payloads as far as the keyring allows, for the CLI: every allowed purpose whose
 * boxes name a key the keyring holds, at every level; a box whose key is missing stays closed and
 * is listed in `withheld` with the boxes of purposes not allowed, instead of failing with
 * `SEALED_KEY_UNKNOWN`. With `SubjectKeys` (a subject key store), boxes of data subjects open too,
 * and those of forgotten subjects count as opened: their fields are `[erased:<purpose>]` tombstones
 * (`erased` in the result).
 *
 * `SealingCodec.reveal` filters by purpose only, and the purposes of inner boxes are known only
 * once their container is open; so a payload is opened in rounds: each round allows the purposes
 * of the boxes the previous round left closed whose keys are held. A purpose whose opening meets a
 * missing key deeper down stays closed.
 */
export class SealedOpener {
  /** Why warming a payload's keys failed, by payload: boxes it leaves closed are explained by it. */
  readonly #fetchFailures = new WeakMap<Payload, { code: string; kmsKeyId?: string }>();

  private constructor(
    private readonly keyring: Keyring | undefined,
    private readonly source: KeySource,
    private readonly fetches: boolean,
    private readonly codec: SealingCodec,
    private readonly opened: { refs: SealedKeyReference[] },
  ) {}

  /**
   * An opener over a keyring, a KMS key source (whose `staticKeys` is the keyring, if any), or both,
   * and optionally `SubjectKeys` over them (built with `kms ?? keyring` as its ordinary source).
   * Call {@link warm} with each payload first when there is a KMS source or a subject key store:
   * opening here is synchronous and uses the keys warming fetched.
   */
  static async create(keyring: Keyring | undefined, kms?: AwsKmsKeySource, subjects?: SubjectKeys): Promise<SealedOpener> {
    const opened = { refs: [] as SealedKeyReference[] };
    const source: KeySource | undefined = subjects ?? kms ?? keyring;
    if (source === undefined) throw new Error('SealedOpener needs a keyring or a KMS key source');
    // The codec looks up the key of each box it opens, once: recording the lookups gives the inner boxes it opened.
    const recording = new Proxy(source, {
      get(target, property) {
        if (property === 'openingKeyNow') {
          return (box: SealedKeyReference): Uint8Array | undefined => {
            const key = target.openingKeyNow?.(box);
            if (key !== undefined) opened.refs.push(box);
            return key;
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const fetches = kms !== undefined || subjects !== undefined;
    return new SealedOpener(keyring, source, fetches, await SealingCodec.create({ keys: recording }), opened);
  }

  /** True when {@link warm} must run before {@link open}: the keys come from a KMS or a subject key store. */
  get fetchesKeys(): boolean {
    return this.fetches;
  }

  /**
   * With a KMS source or a subject key store: fetches (and caches) the keys of every box of
   * `payload` it can reach; failures leave boxes closed, and {@link open} names the failure
   * (`fetchFailed`, e.g. `SEALED_KEYSTORE_UNAVAILABLE`).
   */
  async warm(payload: Payload): Promise<void> {
    if (!this.fetches) return;
    await this.codec.reveal(payload).catch((err: unknown) => {
      const kmsKeyId = SealedError.is(err) ? err.detail.kmsKeyId : undefined;
      this.#fetchFailures.set(payload, {
        code: SealedError.is(err) ? err.code : 'SEALED_KMS_UNAVAILABLE',
        ...(typeof kmsKeyId === 'string' && KMS_KEY_ID_PATTERN.test(kmsKeyId) && { kmsKeyId }),
      });
    });
  }

  /** Opens `payload`'s boxes of the `allowed` purposes (all when undefined) whose keys the keyring holds. */
  open(payload: Payload, allowed?: ReadonlySet<string>): Reached {
    const named = new Map<string, BoxName>();
    const name = (box: Box): void => void named.set(`${box.keyId}/${box.purpose}`, boxNameOf({ ...box, wrapped: box.wrappedKey }));
    const purposes = new Set<string>();
    const blocked = new Set<string>();
    // With no purpose allowed nothing is decrypted: the top-level boxes are all withheld.
    let reached = { result: this.codec.revealNow(payload, { purposes }), refs: [] as SealedKeyReference[] };
    reached.result.envelope.boxes.forEach(name);
    const namespace = reached.result.envelope.namespace;
    for (;;) {
      reached.result.withheld.forEach(name);
      const candidates = this.candidates(reached.result.withheld, allowed, purposes, blocked, namespace);
      if (candidates.length === 0) break;
      const together = this.attempt(payload, new Set([...purposes, ...candidates]));
      if (together !== undefined) {
        for (const p of candidates) purposes.add(p);
        reached = together;
        continue;
      }
      // Some candidate meets a missing key deeper down: find which, one at a time.
      for (const purpose of candidates) {
        const one = this.attempt(payload, new Set([...purposes, purpose]));
        if (one === undefined) blocked.add(purpose);
        else {
          purposes.add(purpose);
          reached = one;
          reached.result.withheld.forEach(name);
        }
      }
    }
    // The last attempt looked up the key of every box it opened once, and withheld the others.
    const opened = reached.refs.map((ref) => boxNameOf(ref));
    for (const box of opened) if (!named.has(`${box.keyId}/${box.purpose}`)) named.set(`${box.keyId}/${box.purpose}`, box);
    // Boxes of forgotten subjects were reached too (their fields are tombstones): no key was looked up for them.
    const erased = reached.result.erased.map((box) => boxNameOf({ ...box, wrapped: box.wrappedKey }));
    for (const box of erased) if (!named.has(`${box.keyId}/${box.purpose}`)) named.set(`${box.keyId}/${box.purpose}`, box);
    const every = [...opened, ...erased, ...reached.result.withheld.map((box) => boxNameOf({ ...box, wrapped: box.wrappedKey }))];
    const failure = this.#fetchFailures.get(payload);
    return {
      ...reached.result,
      boxes: [...named.values()],
      every,
      ...(failure !== undefined && { fetchFailed: failure.code }),
      ...(failure?.kmsKeyId !== undefined && { fetchFailedKmsKeyId: failure.kmsKeyId }),
    };
  }

  /** Purposes of closed boxes that may open now: allowed, not blocked, and every such box's key held. */
  private candidates(
    withheld: readonly Box[],
    allowed: ReadonlySet<string> | undefined,
    purposes: ReadonlySet<string>,
    blocked: ReadonlySet<string>,
    namespace: string,
  ): string[] {
    const found = new Set<string>();
    const missing = new Set<string>();
    for (const box of withheld) {
      if (purposes.has(box.purpose) || blocked.has(box.purpose) || (allowed !== undefined && !allowed.has(box.purpose))) continue;
      if (this.holds(box, namespace)) found.add(box.purpose);
      else missing.add(box.purpose);
    }
    return [...found].filter((p) => !missing.has(p));
  }

  /**
   * A static key the keyring holds, a KMS data key or a subject key warming fetched, or the box of a
   * forgotten subject (it opens as tombstones).
   */
  private holds(box: Box, namespace: string): boolean {
    const wrapped = box.wrappedKey ?? NOT_WRAPPED;
    if (wrapped.length === 0) return this.keyring?.has(box.keyId) ?? false;
    try {
      return this.source.openingKeyNow?.({ keyId: box.keyId, wrapped, purpose: box.purpose, namespace }) !== undefined;
    } catch (err) {
      return SealedError.is(err) && err.code === 'SEALED_ERASED';
    }
  }

  /**
   * One `codec.open`; `undefined` when it met a key the keyring lacks, or a KMS data key that
   * warming could not unwrap (`revealNow` answers SEALED_INVALID_OPTION for a key not at hand).
   * Other failures are thrown.
   */
  private attempt(payload: Payload, purposes: ReadonlySet<string>): { result: RevealedPayload; refs: SealedKeyReference[] } | undefined {
    this.opened.refs = [];
    try {
      const result = this.codec.revealNow(payload, { purposes });
      return { result, refs: this.opened.refs };
    } catch (err) {
      if (SealedError.is(err) && (err.code === 'SEALED_KEY_UNKNOWN' || err.code === 'SEALED_INVALID_OPTION')) return undefined;
      throw err;
    }
  }
}
