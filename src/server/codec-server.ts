import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { KeySource } from '../codec/key-source';
import type { Keyring } from '../codec/keyring';
import { sealedError } from '../errors';
import { SealingCodec } from '../codec/sealing-codec';
import { createCodecApp, type CodecAppOptions } from './app';
import { resolveLimits } from './limits/limits';

/**
 * Options of {@link createCodecServer}.
 *
 * @example
 * ```ts
 * await createCodecServer({ keys: await AwsKmsKeySource.create({ kmsKeyId: 'alias/sealed-fields' }), cors: { origins: ['http://localhost:8233'] } });
 * ```
 */
export interface CodecServerOptions extends Omit<CodecAppOptions, 'codec'> {
  /**
   * Where the keys the server opens (and, for `/encode`, seals) with come from: a `Keyring`, an
   * `AwsKmsKeySource` or a `KeySource` of your own. Give `keys` or `keyring`.
   */
  keys?: KeySource;
  /** Static keys; the same as `keys: keyring`. */
  keyring?: Keyring;
  /** Namespaces besides the request's whose payloads may be opened (see SealingCodecOptions). */
  acceptNamespaces?: readonly string[] | '*';
}

/**
 * Where to listen. Default 127.0.0.1 and a free port.
 *
 * @example
 * ```ts
 * const { url } = await server.listen({ port: 8888, hostname: '0.0.0.0' });
 * ```
 */
export interface ListenOptions {
  port?: number;
  hostname?: string;
}

/**
 * A running (or ready to run) codec server.
 *
 * @example
 * ```ts
 * const server = await createCodecServer({ keyring: Keyring.fromEnv() });
 * const res = await server.app.request('/health'); // in tests, without a socket
 * await server.listen({ port: 8888 });
 * ```
 */
export interface CodecServer {
  /** The Hono app, usable without a socket: `server.app.request('/decode', ...)`. */
  readonly app: Hono;
  /** Starts listening; resolves with the base URL, e.g. `http://127.0.0.1:8888`. Twice without `close()`: SEALED_ALREADY_LISTENING. */
  listen(options?: ListenOptions): Promise<{ url: string; port: number }>;
  /** Stops accepting connections, lets requests in flight finish (up to `graceMs`), then closes the rest. */
  close(graceMs?: number): Promise<void>;
}

function listenOn(app: Hono, options: ListenOptions, timeoutMs: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: options.hostname ?? '127.0.0.1' }) as Server;
    server.requestTimeout = timeoutMs;
    server.headersTimeout = Math.min(timeoutMs, 60_000);
    server.once('error', reject);
    server.once('listening', () => resolve(server));
  });
}

function closeGracefully(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    // Keep-alive connections become idle as their last response ends: close them as they do.
    const sweep = setInterval(() => server.closeIdleConnections(), 25);
    server.close(() => {
      clearTimeout(force);
      clearInterval(sweep);
      resolve();
    });
  });
}

/**
 * Creates the codec server for the Temporal Web UI and CLI (Temporal's remote codec
 * protocol). `/decode` shows each caller the sealed fields of the purposes it may see and
 * leaves the rest as placeholders; `/encode` seals pending payloads for callers allowed to.
 *
 * @example
 * ```ts
 * import { Keyring } from 'temporal-sealed-fields/codec';
 * import { createCodecServer } from 'temporal-sealed-fields/server';
 *
 * const server = await createCodecServer({
 *   keyring: Keyring.fromEnv(),
 *   auth: { jwt: { jwksUrl: 'https://idp.example/.well-known/jwks.json', issuer: 'https://idp.example/', audience: 'temporal-codec' } },
 *   cors: { origins: ['http://localhost:8233'] },
 * });
 * const { url } = await server.listen({ port: 8888 });
 * process.on('SIGTERM', () => void server.close());
 * ```
 */
export async function createCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const { keys, keyring, acceptNamespaces, ...appOptions } = options;
  const codec = await SealingCodec.create({
    ...(keys !== undefined ? { keys } : {}),
    ...(keyring !== undefined ? { keyring } : {}),
    ...(acceptNamespaces !== undefined ? { acceptNamespaces } : {}),
  });
  const app = createCodecApp({ ...appOptions, codec });
  const timeoutMs = resolveLimits(options.limits).timeoutMs;
  let server: Server | undefined;
  return {
    app,
    async listen(listenOptions = {}) {
      if (server !== undefined) throw sealedError('SEALED_ALREADY_LISTENING', 'codec server is already listening: close it first');
      server = await listenOn(app, listenOptions, timeoutMs);
      const { port, address } = server.address() as AddressInfo;
      return { url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`, port };
    },
    async close(graceMs = 5_000) {
      const running = server;
      server = undefined;
      if (running !== undefined) await closeGracefully(running, graceMs);
    },
  };
}
