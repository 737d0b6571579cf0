import { sealedError } from '../errors';
import type { FieldList } from '../lib/field-list';
import { sealTag, tagPurpose, tagSubject } from '../lib/seal-tag';
import { checkPurpose } from '../model/purpose';
import type { Box } from './envelope';
import { NOT_WRAPPED, type KeyScope, type KeySource, type SealedKeyReference, type SealingKey } from './key-source';

// How a SealingCodec gets the keys of one payload: sealing keys per tag (PayloadKeys), and the
// references and slots of the keys its boxes are opened with.

/** A key resolved for sealing, with its key check. */
export interface ResolvedKey {
  keyId: string;
  key: Uint8Array;
  wrapped: Uint8Array;
  check: Uint8Array;
}

export type FetchedKey = { key: Uint8Array } | { error: unknown };

/** Thrown inside the synchronous opening when keys must be fetched first; never leaves the codec. */
export class KeysNeeded {
  constructor(readonly boxes: SealedKeyReference[]) {}
}

/**
 * How one payload's boxes get their keys. Keys at hand (a keyring, a fresh cached data key) are
 * taken box by box (`sealingKeyNow`, so a source counts each box as a use); the keys of purposes
 * not at hand are fetched first, together, and then reused for every box of that purpose in the
 * payload. The top-level keys are taken once, up front: placeholders name them. With every key
 * at hand, sealing never waits.
 */
export class PayloadKeys {
  private readonly topKeys = new Map<string, ResolvedKey>();
  private readonly last = new Map<string, ResolvedKey>();
  private fetched: Map<string, ResolvedKey> | undefined;

  constructor(
    private readonly source: KeySource,
    private readonly namespace: string,
    private readonly resolve: (key: SealingKey, tag: string) => ResolvedKey,
  ) {}

  /** Takes the top-level keys at hand; returns the purposes (of any level) whose keys must be fetched, if any. */
  takeTop(topPurposes: Iterable<string>, nestedPurposes: readonly string[] | undefined): string[] | undefined {
    const missing: string[] = [];
    for (const purpose of topPurposes) {
      const key = this.now(purpose);
      if (key !== undefined) this.topKeys.set(purpose, key);
      else missing.push(purpose);
    }
    for (const purpose of new Set(nestedPurposes)) {
      checkPurpose(tagPurpose(purpose));
      if (this.topKeys.has(purpose) || missing.includes(purpose) || this.now(purpose) !== undefined) continue;
      missing.push(purpose);
    }
    return missing.length === 0 ? undefined : missing;
  }

  async fetch(purposes: readonly string[]): Promise<void> {
    const results = await Promise.all(purposes.map((purpose) => this.source.sealingKey(scopeOf(purpose, this.namespace))));
    const fetched = new Map<string, ResolvedKey>();
    purposes.forEach((purpose, i) => {
      fetched.set(purpose, this.resolve(results[i] as SealingKey, purpose));
    });
    this.fetched = fetched;
    for (const [purpose, key] of fetched) if (!this.topKeys.has(purpose)) this.topKeys.set(purpose, key);
  }

  /** The key of a top-level box (the one its placeholders name). */
  top(purpose: string): ResolvedKey {
    const key = this.topKeys.get(purpose);
    if (key === undefined) throw sealedError('SEALED_KEY_UNKNOWN', 'no sealing key for this purpose', { purpose: tagPurpose(purpose) });
    return key;
  }

  /** The key of a box inside another box. */
  forBox(purpose: string): ResolvedKey {
    const key = this.now(purpose) ?? this.last.get(purpose);
    if (key === undefined) throw sealedError('SEALED_KEY_UNKNOWN', 'no sealing key for this purpose', { purpose: tagPurpose(purpose) });
    return key;
  }

  private now(purpose: string): ResolvedKey | undefined {
    const given = this.source.sealingKeyNow?.(scopeOf(purpose, this.namespace));
    const key = given === undefined ? this.fetched?.get(purpose) : this.resolve(given, purpose);
    if (key !== undefined) this.last.set(purpose, key);
    return key;
  }
}

/** What a key source needs to give the key a box was sealed with. */
export function refOf(box: Box, namespace: string): SealedKeyReference {
  return { keyId: box.keyId, wrapped: box.wrappedKey ?? NOT_WRAPPED, purpose: box.purpose, namespace };
}

/** One string per distinct key reference: the slot under which a fetched key (or its failure) is kept for the call. */
export function refSlot(ref: SealedKeyReference): string {
  return `${ref.keyId}\u0000${ref.purpose}\u0000${ref.namespace}\u0000${Buffer.from(ref.wrapped.buffer, ref.wrapped.byteOffset, ref.wrapped.byteLength).toString('latin1')}`;
}

/** Each field's tag (lib/seal-tag); the purposes themselves when no field has a subject. */
export function tagsOf(list: FieldList): readonly string[] {
  const subjects = list.subjects;
  if (subjects === undefined) return list.purposes;
  return list.purposes.map((purpose, i) => sealTag(purpose, subjects[i]));
}

/** The key scope of a tag: its purpose, and its data subject when it has one. */
export function scopeOf(tag: string, namespace: string): KeyScope {
  const subject = tagSubject(tag);
  return subject === undefined ? { purpose: tag, namespace } : { purpose: tagPurpose(tag), namespace, subject };
}
