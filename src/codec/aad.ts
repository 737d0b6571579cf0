import { ByteWriter } from './byte-io';
import { NONCE_BYTES } from './nonce-pool';
import type { FormatVersion } from './envelope';

const AAD_DOMAIN: Record<FormatVersion, string> = { 1: 'temporal-sealed-fields/v1', 2: 'temporal-sealed-fields/v2' };
/** The container nonce of a top-level box in the v2 AAD. */
const NO_CONTAINER = new Uint8Array(NONCE_BYTES);

/** Where a box sits: its envelope's version and, for an inner envelope, the nonce of the box that carries it. */
export interface BoxPlace {
  version: FormatVersion;
  containerNonce?: Uint8Array | undefined;
}

/**
 * AAD of box `index`: domain | index | (v2: container nonce) | envelope header | type name |
 * SHA-256 of the payload's data. Binds each value to its path and box, to the box that carries
 * it, to the namespace, to the payload's type and clear part.
 */
export function boxAad(place: BoxPlace, header: Uint8Array, index: number, typeName: string, dataDigest: Uint8Array): Uint8Array {
  const out = new ByteWriter();
  out.shortString(AAD_DOMAIN[place.version]);
  out.u8(index);
  if (place.version === 2) out.bytes(place.containerNonce ?? NO_CONTAINER);
  out.u32(header.length);
  out.bytes(header);
  out.string16(typeName);
  out.bytes(dataDigest);
  return out.finish();
}
