/**
 * The plugin's codec: a SealingCodec created on first use (libsodium loads asynchronously, while
 * Temporal's `configureClient` hook is synchronous), counted as registered at once so the converter
 * hands values over from the first send. Refuses a payload sealed under an undeclared purpose.
 */
import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import { META } from '../lib/metadata';
import { SealingCodec, type SealingCodecOptions } from '../codec';
import { SealedError } from '../errors';
import { parseFieldList } from '../lib/field-list';
import { PENDING_REFERENCE_PREFIX, peekPendingList, registerCodec } from '../lib/handoff';
import { utf8Text } from '../lib/utf8';

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
    if (this.purposes !== undefined) for (const payload of payloads) this.refuseUndeclared(payload);
    return (await this.codec()).encode(payloads, context);
  }

  async decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    return (await this.codec()).decode(payloads, context);
  }

  /** Every purpose in the field list, nested ones included, must be declared: checked before anything is sealed. */
  private refuseUndeclared(payload: Payload): void {
    const pending = payload.metadata?.[META.pending] ?? payload.metadata?.[META.opened];
    if (pending === undefined || pending === null) return;
    const text = utf8Text(pending);
    const list = text.startsWith(PENDING_REFERENCE_PREFIX) ? peekPendingList(text) : parseFieldList(text);
    if (list === undefined) return; // the codec refuses an unknown reference itself
    for (const purpose of list.purposes) {
      if (!(this.purposes as ReadonlySet<string>).has(purpose)) {
        throw new SealedError('SEALED_INVALID_OPTION', 'value tagged with a purpose that is not in the declared purposes', { purpose });
      }
    }
  }
}
