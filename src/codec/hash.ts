import * as nodeCrypto from 'node:crypto';

// Node >= 20.12 has the one-shot `crypto.hash`, which skips building a Hash object.
const oneShotHash = (nodeCrypto as { hash?: (alg: string, data: Uint8Array, encoding: 'buffer') => Uint8Array }).hash;

/** SHA-256 of `data`: the digest of a payload's clear data that every box's AAD carries. */
export function sha256(data: Uint8Array): Uint8Array {
  return oneShotHash !== undefined ? oneShotHash('sha256', data, 'buffer') : nodeCrypto.createHash('sha256').update(data).digest();
}

/** Length of a v2 box's key check. */
export const KEY_CHECK_BYTES = 16;
const KEY_CHECK_LABEL = 'temporal-sealed-fields/v2 key check';

/**
 * The v2 key check: the first 16 bytes of HMAC-SHA-256(key, label). It tells a reader holding
 * other bytes under the same key id that its key is wrong (SEALED_KEY_MISMATCH, not a tamper
 * alarm), and makes each box commit to its key: XChaCha20-Poly1305 alone does not, which lets
 * one ciphertext open under two keys (partitioning oracles). The same for every box of a key,
 * it says no more than the key id does.
 */
export function keyCheck(key: Uint8Array): Uint8Array {
  return new Uint8Array(nodeCrypto.createHmac('sha256', key).update(KEY_CHECK_LABEL).digest().subarray(0, KEY_CHECK_BYTES));
}
