import type { Payload } from '@temporalio/common';
import type { Box } from '../../codec/envelope';
import { NOT_WRAPPED, type KeySource, type SealedKeyReference } from '../../codec/key-source';
import type { Keyring } from '../../codec/keyring';
import type { AwsKmsKeySource } from '../../codec/kms/aws-kms-key-source';
import { SealingCodec, type RevealedPayload } from '../../codec/sealing-codec';
import { SealedError } from '../../errors';

/** A box named by its header: key id and purpose (`undefined` when only the key id is known). */
export interface BoxName {
  keyId: string;
  purpose: string | undefined;
}

/** What opening a payload with the keys at hand reached. */
export interface Reached extends RevealedPayload {
  /**
   * Every box at every level reached, opened or left closed: the top-level boxes, and the boxes
   * of the inner envelopes of every box opened. Ids and purposes only, each pair once.
   */
  boxes: BoxName[];
}

/**
 * Opens sealed payloads as far as the keyring allows, for the CLI: every allowed purpose whose
 * boxes name a key the keyring holds, at every level; a box whose key is missing stays closed and
 * is listed in `withheld` with the boxes of purposes not allowed, instead of failing with
 * `SEALED_KEY_UNKNOWN`.
 *
 * `SealingCodec.reveal` filters by purpose only, and the purposes of inner boxes are known only
 * once their container is open; so a payload is opened in rounds: each round allows the purposes
 * of the boxes the previous round left closed whose keys are held. A purpose whose opening meets a
 * missing key deeper down stays closed.
 */
export class SealedOpener {
  private constructor(
    private readonly keyring: Keyring | undefined,
    private readonly kms: AwsKmsKeySource | undefined,
    private readonly codec: SealingCodec,
    private readonly opened: { keyIds: string[] },
  ) {}

  /**
   * An opener over a keyring, a KMS key source (whose `staticKeys` is the keyring, if any), or both.
   * Call {@link warm} with each payload first when there is a KMS source: opening here is
   * synchronous and uses the data keys warming unwrapped.
   */
  static async create(keyring: Keyring | undefined, kms?: AwsKmsKeySource): Promise<SealedOpener> {
    const opened = { keyIds: [] as string[] };
    const source: KeySource | undefined = kms ?? keyring;
    if (source === undefined) throw new Error('SealedOpener needs a keyring or a KMS key source');
    // The codec looks each box it opens up by key id: recording the ids gives the key ids of the inner boxes it opened.
    const recording = new Proxy(source, {
      get(target, property) {
        if (property === 'openingKeyNow') {
          return (box: SealedKeyReference): Uint8Array | undefined => {
            const key = target.openingKeyNow?.(box);
            if (key !== undefined) opened.keyIds.push(box.keyId);
            return key;
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    return new SealedOpener(keyring, kms, await SealingCodec.create({ keys: recording }), opened);
  }

  /** With a KMS source: unwraps (and caches) the data keys of every box of `payload` it can reach; failures leave boxes closed. */
  async warm(payload: Payload): Promise<void> {
    if (this.kms === undefined) return;
    await this.codec.reveal(payload).catch(() => undefined);
  }

  /** Opens `payload`'s boxes of the `allowed` purposes (all when undefined) whose keys the keyring holds. */
  open(payload: Payload, allowed?: ReadonlySet<string>): Reached {
    const named = new Map<string, BoxName>();
    const name = (box: Pick<Box, 'keyId' | 'purpose'>): void =>
      void named.set(`${box.keyId}/${box.purpose}`, { keyId: box.keyId, purpose: box.purpose });
    const purposes = new Set<string>();
    const blocked = new Set<string>();
    // With no purpose allowed nothing is decrypted: the top-level boxes are all withheld.
    let reached = { result: this.codec.revealNow(payload, { purposes }), keyIds: [] as string[] };
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
    const pairs = [...named.values()];
    for (const keyId of new Set(reached.keyIds)) {
      if (!pairs.some((b) => b.keyId === keyId)) pairs.push({ keyId, purpose: undefined });
    }
    return { ...reached.result, boxes: pairs };
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

  /** A static key the keyring holds, or a KMS data key warming unwrapped. */
  private holds(box: Box, namespace: string): boolean {
    const wrapped = box.wrappedKey ?? NOT_WRAPPED;
    if (wrapped.length === 0) return this.keyring?.has(box.keyId) ?? false;
    try {
      return this.kms?.openingKeyNow({ keyId: box.keyId, wrapped, purpose: box.purpose, namespace }) !== undefined;
    } catch {
      return false;
    }
  }

  /** One `codec.open`; `undefined` when it met a key the keyring lacks. Other failures are thrown. */
  private attempt(payload: Payload, purposes: ReadonlySet<string>): { result: RevealedPayload; keyIds: string[] } | undefined {
    this.opened.keyIds = [];
    try {
      const result = this.codec.revealNow(payload, { purposes });
      return { result, keyIds: this.opened.keyIds };
    } catch (err) {
      if (SealedError.is(err) && err.code === 'SEALED_KEY_UNKNOWN') return undefined;
      throw err;
    }
  }
}
