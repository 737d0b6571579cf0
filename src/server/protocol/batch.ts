import type { Principal } from '../auth/principal';
import type { WirePayload } from './payloads-json';

/** One `/decode` or `/encode` request after authentication, authorization and parsing. */
export interface CodecBatch {
  principal: Principal;
  namespace: string | undefined;
  payloads: WirePayload[];
}
