import { cors } from 'hono/cors';
import type { MiddlewareHandler } from 'hono';

/**
 * Which browser origins may call the codec server (the Web UI's origin).
 *
 * @example
 * ```ts
 * await createCodecServer({ keyring, cors: { origins: ['https://temporal.example.com'], maxAgeSeconds: 600 } });
 * ```
 */
export interface CorsOptions {
  /** Exact origins, e.g. `['http://localhost:8233']`. Default none: browsers get no CORS grant. */
  origins?: readonly string[];
  /** Send `Access-Control-Allow-Credentials: true` to the allowed origins, never to others (needed for the UI's "include credentials"). Default false. */
  credentials?: boolean;
  /** Preflight cache time in seconds. Default 600. */
  maxAgeSeconds?: number;
}

/** Headers the Web UI and CLI send to a codec endpoint. */
export const CODEC_REQUEST_HEADERS = ['Authorization', 'Content-Type', 'X-Namespace'] as const;

/** True when a request has no Origin (CLI, server to server) or one that is allowed. */
export function originAllowedBy(options: CorsOptions): (origin: string | undefined) => boolean {
  const allowed = new Set(options.origins ?? []);
  return (origin) => origin === undefined || allowed.has(origin);
}

/**
 * CORS for the codec endpoints: exact origins only (never `*` with credentials), POST and
 * the three headers the Web UI sends.
 *
 * @example
 * ```ts
 * app.use('*', codecCors({ origins: ['http://localhost:8233'], credentials: true }));
 * ```
 */
export function codecCors(options: CorsOptions = {}): MiddlewareHandler {
  const isAllowed = originAllowedBy(options);
  const grant = (credentials: boolean) =>
    cors({
      origin: (origin) => (origin !== '' && isAllowed(origin) ? origin : null),
      allowMethods: ['POST', 'GET', 'OPTIONS'],
      allowHeaders: [...CODEC_REQUEST_HEADERS],
      credentials,
      maxAge: options.maxAgeSeconds ?? 600,
    });
  if (options.credentials !== true) return grant(false);
  // hono's cors would send Access-Control-Allow-Credentials to every origin: only allowed ones get it.
  const withCredentials = grant(true);
  const without = grant(false);
  return (c, next) => {
    const origin = c.req.header('origin');
    return (origin !== undefined && origin !== '' && isAllowed(origin) ? withCredentials : without)(c, next);
  };
}
