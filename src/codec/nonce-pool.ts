import { randomFillSync } from 'node:crypto';

export const NONCE_BYTES = 24;
const NONCES_PER_REFILL = 512;

/**
 * 24-byte XChaCha20 nonces from Node's CSPRNG, drawn in batches: one `randomFillSync`
 * call per 512 nonces, as a CSPRNG call costs far more than copying 24 bytes out.
 * Each nonce is copied out and its pool bytes zeroed, so none is handed out twice.
 */
export class NoncePool {
  private pool = new Uint8Array(NONCE_BYTES * NONCES_PER_REFILL);
  private offset = this.pool.length;

  next(): Uint8Array {
    if (this.offset + NONCE_BYTES > this.pool.length) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const nonce = this.pool.slice(this.offset, this.offset + NONCE_BYTES);
    this.pool.fill(0, this.offset, this.offset + NONCE_BYTES);
    this.offset += NONCE_BYTES;
    return nonce;
  }
}
