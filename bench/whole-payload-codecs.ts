import { webcrypto } from 'node:crypto';
import { ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { loadSodium, type Sodium } from '../src/codec/sodium';
import { NoncePool } from '../src/codec/nonce-pool';

// Whole-payload encryption codecs, structured like Temporal's encryption sample: the whole
// serialized Payload proto is encrypted into `data`, with `binary/encrypted` encoding and the
// key id in metadata. They are the baselines the sealed codec is measured against.

const ENCODING = 'binary/encrypted';
const KEY_ID_META = 'encryption-key-id';
const AES_IV_BYTES = 12;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The framing both baselines share: proto-encode, encrypt, tag with encoding and key id; and back. */
abstract class WholePayloadCodec implements PayloadCodec {
  constructor(protected readonly keyId: string) {}

  protected abstract seal(plaintext: Uint8Array): Promise<Uint8Array>;
  protected abstract open(sealed: Uint8Array): Promise<Uint8Array>;

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((payload) => this.encodeOne(payload)));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((payload) => this.decodeOne(payload)));
  }

  private async encodeOne(payload: Payload): Promise<Payload> {
    const plaintext = temporal.api.common.v1.Payload.encode(payload).finish();
    return {
      metadata: { encoding: encoder.encode(ENCODING), [KEY_ID_META]: encoder.encode(this.keyId) },
      data: await this.seal(plaintext),
    };
  }

  private async decodeOne(payload: Payload): Promise<Payload> {
    const encoding = payload.metadata?.['encoding'];
    if (encoding === undefined || encoding === null || decoder.decode(encoding) !== ENCODING) return payload;
    const keyId = payload.metadata?.[KEY_ID_META];
    if (keyId === undefined || keyId === null || decoder.decode(keyId) !== this.keyId) throw new ValueError('Unknown encryption key id');
    if (payload.data === undefined || payload.data === null) throw new ValueError('Payload data is missing');
    return temporal.api.common.v1.Payload.decode(await this.open(payload.data));
  }
}

/** AES-256-GCM with node's WebCrypto (`crypto.subtle`); `data` = 12-byte IV | ciphertext and tag. */
export class AesGcmWholeCodec extends WholePayloadCodec {
  private constructor(
    keyId: string,
    private readonly key: webcrypto.CryptoKey,
  ) {
    super(keyId);
  }

  static async create(keyId: string, rawKey: Uint8Array): Promise<AesGcmWholeCodec> {
    const key = await webcrypto.subtle.importKey('raw', rawKey, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    return new AesGcmWholeCodec(keyId, key);
  }

  protected async seal(plaintext: Uint8Array): Promise<Uint8Array> {
    const iv = webcrypto.getRandomValues(new Uint8Array(AES_IV_BYTES));
    const ciphertext = new Uint8Array(await webcrypto.subtle.encrypt({ name: 'AES-GCM', iv, tagLength: 128 }, this.key, plaintext));
    const out = new Uint8Array(AES_IV_BYTES + ciphertext.length);
    out.set(iv);
    out.set(ciphertext, AES_IV_BYTES);
    return out;
  }

  protected async open(sealed: Uint8Array): Promise<Uint8Array> {
    const iv = sealed.subarray(0, AES_IV_BYTES);
    const plaintext = await webcrypto.subtle.decrypt({ name: 'AES-GCM', iv, tagLength: 128 }, this.key, sealed.subarray(AES_IV_BYTES));
    return new Uint8Array(plaintext);
  }
}

/** XChaCha20-Poly1305-IETF with libsodium, nonces from the same pooled CSPRNG the sealing codec uses; `data` = nonce | ciphertext. */
export class SodiumWholeCodec extends WholePayloadCodec {
  private readonly nonces = new NoncePool();

  private constructor(
    keyId: string,
    private readonly sodium: Sodium,
    private readonly key: Uint8Array,
  ) {
    super(keyId);
  }

  static async create(keyId: string, rawKey: Uint8Array): Promise<SodiumWholeCodec> {
    return new SodiumWholeCodec(keyId, await loadSodium(), rawKey);
  }

  protected async seal(plaintext: Uint8Array): Promise<Uint8Array> {
    const nonce = this.nonces.next();
    const ciphertext = this.sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, null, null, nonce, this.key);
    const out = new Uint8Array(nonce.length + ciphertext.length);
    out.set(nonce);
    out.set(ciphertext, nonce.length);
    return out;
  }

  protected async open(sealed: Uint8Array): Promise<Uint8Array> {
    const nonceBytes = this.sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    return this.sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      sealed.subarray(nonceBytes),
      null,
      sealed.subarray(0, nonceBytes),
      this.key,
    );
  }
}
