import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { SealingCodec } from '../codec/sealing-codec';
import { SealedError, sealedError } from '../errors';
import { KMS_KEY_ID_PATTERN } from '../lib/identifiers';
import { auditWith, stderrAuditSink, type AuditSink } from './audit/audit-log';
import { createAuthenticator, type AuthOptions } from './auth/authenticate';
import { mayUseNamespace, type Principal } from './auth/principal';
import { codecCors, originAllowedBy, type CorsOptions } from './cors/cors';
import { decodeBatch } from './decode/decode-handler';
import { encodeBatch } from './encode/encode-handler';
import { CodecHttpError, errorResponse } from './http-errors/http-errors';
import { limitBody, limitTime, requireJson, resolveLimits, type LimitOptions } from './limits/limits';
import type { CodecBatch } from './protocol/batch';
import { parsePayloadsBody, payloadsToJson, type WirePayload } from './protocol/payloads-json';
import { mountTokenPage, withTokenPage, type TokenPageOptions } from './token-page';

/**
 * Everything the codec HTTP app needs; {@link createCodecServer} builds the codec from a keyring.
 *
 * @example
 * ```ts
 * await createCodecServer({ keyring, basePath: '/codec', auth: { staticTokens }, limits: { maxPayloads: 100 } });
 * ```
 */
export interface CodecAppOptions {
  codec: SealingCodec;
  auth?: AuthOptions;
  cors?: CorsOptions;
  limits?: LimitOptions;
  /** Where audit records go. Default: JSON lines on stderr. */
  audit?: AuditSink;
  /** Serve every route under this path, e.g. `/codec` for `/codec/decode` behind a proxy. Default none. */
  basePath?: string;
  /**
   * Serve the token page (`GET /token`): a person pastes a bearer token, kept in an HttpOnly
   * cookie that authentication reads when there is no Authorization header; CORS then allows
   * credentials for `cors.origins` (which must name the Web UI). Default off.
   */
  tokenPage?: boolean | TokenPageOptions;
}

type Route = 'decode' | 'encode';
const NAMESPACE = /^[A-Za-z0-9._-]{1,255}$/;

/** The namespace from the path (`/{namespace}/decode`) or the `X-Namespace` header; both must agree. */
function namespaceOf(c: Context): string | undefined {
  const fromPath = c.req.param('namespace');
  const fromHeader = c.req.header('x-namespace') || undefined;
  if (fromPath !== undefined && fromHeader !== undefined && fromPath !== fromHeader) throw new CodecHttpError('bad_request');
  const namespace = fromPath ?? fromHeader;
  if (namespace !== undefined && !NAMESPACE.test(namespace)) throw new CodecHttpError('bad_request');
  return namespace;
}

/** Codes that mean a key service (KMS, the subject key store) is not answering: the server's trouble, not the payload's. */
const UNAVAILABLE: ReadonlySet<string> = new Set(['SEALED_KMS_UNAVAILABLE', 'SEALED_KMS_THROTTLED', 'SEALED_KEYSTORE_UNAVAILABLE']);

/** The KMS key a KMS failure names, when it is a KMS key id or ARN (no secret: box headers carry it); nothing else of the detail is echoed. */
function kmsKeyOf(err: SealedError): string | undefined {
  const id = err.detail.kmsKeyId;
  return err.code.startsWith('SEALED_KMS_') && typeof id === 'string' && KMS_KEY_ID_PATTERN.test(id) ? id : undefined;
}

function toHttpError(err: unknown): CodecHttpError {
  if (err instanceof CodecHttpError) return err;
  // The KMS or the key store not answering (or throttling): 503, retry later.
  if (SealedError.is(err) && UNAVAILABLE.has(err.code)) return new CodecHttpError('unavailable', err.code, kmsKeyOf(err));
  if (SealedError.is(err)) return new CodecHttpError('unprocessable', err.code, kmsKeyOf(err));
  if (err instanceof HTTPException && err.status === 413) return new CodecHttpError('payload_too_large');
  if (err instanceof HTTPException && err.status < 500) return new CodecHttpError('bad_request');
  return new CodecHttpError('internal');
}

/**
 * The codec server's routes as a Hono app: `POST /decode`, `POST /encode`, the same under
 * `/{namespace}/`, and `GET /health`. Use {@link createCodecServer} to listen.
 *
 * @example
 * ```ts
 * const app = createCodecApp({ codec: await SealingCodec.create({ keyring }), auth: { staticTokens } });
 * const response = await app.request('/decode', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
 * ```
 */
export function createCodecApp(given: CodecAppOptions): Hono {
  const options = withTokenPage(given);
  const routes = codecRoutes(options);
  const app = mountPoint(options.basePath);
  app.onError((err) => errorResponse(toHttpError(err)));
  app.notFound(() => errorResponse(new CodecHttpError('not_found')));
  mountTokenPage(app, options); // before CORS: the page grants other origins nothing
  app.use('*', codecCors(options.cors));
  app.get('/health', (c) => c.json({ status: 'ok' }));
  for (const route of ['decode', 'encode'] as const) {
    const guards = [limitTime(routes.limits.timeoutMs), requireJson, limitBody(routes.limits.maxBodyBytes)] as const;
    app.post(`/${route}`, ...guards, routes.handler(route));
    app.post(`/:namespace/${route}`, ...guards, routes.handler(route));
  }
  return app;
}

function mountPoint(basePath: string | undefined): Hono {
  if (basePath === undefined || basePath === '' || basePath === '/') return new Hono();
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(basePath)) throw sealedError('SEALED_INVALID_OPTION', 'basePath must look like /codec or /a/b');
  return new Hono().basePath(basePath) as unknown as Hono;
}

/** The request handlers, with what they share resolved once. */
function codecRoutes(options: CodecAppOptions) {
  const limits = resolveLimits(options.limits);
  const authenticate = createAuthenticator(options.auth);
  const isOriginAllowed = originAllowedBy(options.cors ?? {});
  const audit = auditWith(options.audit ?? stderrAuditSink);

  async function authorize(c: Context, route: Route, namespace: string | undefined): Promise<Principal> {
    let principal: Principal | undefined;
    try {
      principal = await authenticate({ headers: c.req.raw.headers, originAllowed: isOriginAllowed(c.req.header('origin')) });
      if (route === 'encode' && !principal.authenticated) throw new CodecHttpError('unauthorized');
      if (!mayUseNamespace(principal, namespace) || (route === 'encode' && !principal.canEncode)) throw new CodecHttpError('forbidden');
      return principal;
    } catch (err) {
      if (err instanceof CodecHttpError)
        audit({ event: 'denied', subject: principal?.subject ?? null, namespace: namespace ?? null, status: err.status, route });
      throw err;
    }
  }

  async function run(route: Route, batch: CodecBatch): Promise<WirePayload[]> {
    try {
      return await (route === 'decode' ? decodeBatch(options.codec, audit, batch) : encodeBatch(options.codec, audit, batch));
    } catch (err) {
      if (SealedError.is(err)) {
        const kmsKeyId = kmsKeyOf(err);
        audit({
          event: 'rejected',
          subject: batch.principal.subject,
          namespace: batch.namespace ?? null,
          code: err.code,
          route,
          ...(kmsKeyId !== undefined && { kmsKeyId }),
        });
      }
      throw err;
    }
  }

  const handler = (route: Route) => async (c: Context) => {
    const namespace = namespaceOf(c);
    const principal = await authorize(c, route, namespace);
    const payloads = parsePayloadsBody(await c.req.text(), limits.maxPayloads);
    const out = await run(route, { principal, namespace, payloads });
    return c.body(payloadsToJson(out), 200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  };

  return { limits, handler };
}
