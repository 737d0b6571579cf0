import { readWrappedKey } from '../../codec/kms/wrapped-key';
import { wrappingKeyOf } from '../../codec/subject-key-wrap';
import type { SubjectKeyStore } from '../../keystore/subject-key-store';

/** One key of the ordinary source (a keyring key, or a KMS data key and the KMS key that wrapped it) and the subject keys it wraps. */
export interface WrappingKeyUsage {
  keyId: string;
  /** A KMS data key (its wrapped form is in each stored subject key), not a keyring key. */
  dataKey?: true;
  /** ... wrapped by this AWS KMS key. */
  kmsKeyArn?: string;
  /** Subject keys in the store wrapped under it. */
  subjectKeys: number;
  purposes: string[];
}

/** What the subject key store holds, by the key that wraps each subject key; counts and ids only. */
export interface SubjectKeyCensus {
  /** Subject keys in the store (those of forgotten subjects are gone). */
  keys: number;
  wrappingKeys: WrappingKeyUsage[];
  /** Stored subject keys whose wrapped form could not be read (damaged, or not written by this library). */
  unreadable: number;
}

/**
 * Counts the subject keys in the store by the keyring key or KMS key that wraps them (read from
 * each stored key's header, nothing unwrapped); undefined for a store that cannot list its keys.
 */
export async function subjectKeyCensus(store: SubjectKeyStore): Promise<SubjectKeyCensus | undefined> {
  if (typeof store.listKeys !== 'function') return undefined;
  const byKey = new Map<string, WrappingKeyUsage & { purposeSet: Set<string> }>();
  let keys = 0;
  let unreadable = 0;
  for await (const stored of store.listKeys()) {
    keys++;
    let wrapping: { keyId: string; wrapped: Uint8Array };
    try {
      wrapping = wrappingKeyOf(stored.wrappedKey);
    } catch {
      unreadable++;
      continue;
    }
    const kmsKeyArn = kmsKeyArnOf(wrapping.wrapped);
    const slot = `${wrapping.keyId}\u0000${kmsKeyArn ?? ''}`;
    let usage = byKey.get(slot);
    if (usage === undefined) {
      usage = {
        keyId: wrapping.keyId,
        ...(wrapping.wrapped.length > 0 && { dataKey: true as const }),
        ...(kmsKeyArn !== undefined && { kmsKeyArn }),
        subjectKeys: 0,
        purposes: [],
        purposeSet: new Set(),
      };
      byKey.set(slot, usage);
    }
    usage.subjectKeys++;
    usage.purposeSet.add(stored.purpose);
  }
  const wrappingKeys = [...byKey.values()]
    .map(({ purposeSet, ...usage }) => ({ ...usage, purposes: [...purposeSet].sort() }))
    .sort((a, b) => (a.kmsKeyArn ?? '').localeCompare(b.kmsKeyArn ?? '') || a.keyId.localeCompare(b.keyId));
  return { keys, wrappingKeys, unreadable };
}

function kmsKeyArnOf(wrapped: Uint8Array): string | undefined {
  if (wrapped.length === 0) return undefined;
  try {
    return readWrappedKey(wrapped).kmsKeyArn;
  } catch {
    return undefined;
  }
}
