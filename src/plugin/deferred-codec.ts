/**
 * The plugin's codec: a SealingCodec created on first use (libsodium loads asynchronously, while
 * Temporal's `configureClient` hook is synchronous), counted as registered at once so the converter
 * hands values over from the first send. Refuses a payload sealed under an undeclared purpose.
 */
import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import { META } from '../lib/metadata';
import { SealingCodec, type SealingCodecOptions } from '../codec';
import { readEnvelope } from '../codec/envelope';
import { SealedError } from '../errors';
import { registerCodec } from '../lib/handoff';

export class DeferredSealingCodec implements PayloadCodec {
  #codec: Promise<SealingCodec> | undefined;

  constructor(
    private readonly options: SealingCodecOptions,
    private readonly purposes: ReadonlySet<string> | undefined,
  ) {
    registerCodec();
  }

  /** The SealingCodec, created once. */
  codec(): Promise<SealingCodec> {
    this.#codec ??= SealingCodec.create(this.options);
    return this.#codec;
  }

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    const sealed = await (await this.codec()).encode(payloads, context);
    if (this.purposes !== undefined) for (const payload of sealed) this.refuseUndeclared(payload);
    return sealed;
  }

  async decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    return (await this.codec()).decode(payloads, context);
  }

  private refuseUndeclared(payload: Payload): void {
    const envelope = payload.metadata?.[META.sealed];
    if (envelope === undefined || envelope === null) return;
    for (const box of readEnvelope(envelope).boxes) {
      if (!(this.purposes as ReadonlySet<string>).has(box.purpose)) {
        throw new SealedError('SEALED_INVALID_OPTION', 'value tagged with a purpose that is not in the declared purposes', { purpose: box.purpose });
      }
    }
  }
}
