import { bodyLimit } from 'hono/body-limit';
import type { MiddlewareHandler } from 'hono';
import { sealedError } from '../../errors';
import { CodecHttpError } from '../http-errors/http-errors';

/**
 * Bounds on what one request may cost.
 *
 * @example
 * ```ts
 * await createCodecServer({ keyring, limits: { maxBodyBytes: 8 * 1024 * 1024, maxPayloads: 200, timeoutMs: 10_000 } });
 * ```
 */
export interface LimitOptions {
  /** Largest request body in bytes (413 above). Default 8 MiB. */
  maxBodyBytes?: number;
  /** Most payloads in one request (413 above). Default 1000. */
  maxPayloads?: number;
  /** Time for one request, body upload included (503 after). Default 10 s. */
  timeoutMs?: number;
}

export const DEFAULT_LIMITS = { maxBodyBytes: 8 * 1024 * 1024, maxPayloads: 1000, timeoutMs: 10_000 } as const;

/**
 * How deep a payload field this server does not know (kept and sent back as is) may nest.
 * Protobuf JSON needs 2 or 3 (`externalPayloads`); JSON.stringify recurses and overflows the
 * stack a few thousand levels down, so a 10 KB body could otherwise fail its own response with a 500.
 */
export const MAX_UNKNOWN_FIELD_DEPTH = 32;

/** The limits with defaults filled in; each must be a positive integer (SEALED_INVALID_OPTION). */
export function resolveLimits(options: LimitOptions = {}): Required<LimitOptions> {
  const limits = { ...DEFAULT_LIMITS, ...options };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw sealedError('SEALED_INVALID_OPTION', 'codec server limits must be positive integers', { option: name });
  }
  return limits;
}

/**
 * Refuses bodies over `maxBytes` with 413, by Content-Length up front and while streaming.
 *
 * @example
 * ```ts
 * app.post('/decode', limitBody(1024 * 1024), handler);
 * ```
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new CodecHttpError('payload_too_large');
    },
  });
}

/**
 * Fails a request that takes longer than `ms` with 503 (`timeout`).
 *
 * @example
 * ```ts
 * app.use('*', limitTime(10_000));
 * ```
 */
export function limitTime(ms: number): MiddlewareHandler {
  return async (_c, next) => {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new CodecHttpError('timeout')), ms);
    });
    try {
      await Promise.race([next(), expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Refuses a request whose body is not declared as JSON (415); also keeps cross-site forms out. */
export const requireJson: MiddlewareHandler = async (c, next) => {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) throw new CodecHttpError('unsupported_media_type');
  await next();
};
