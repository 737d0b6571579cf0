import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Keyring } from '../../codec/keyring';
import { SealedError } from '../../errors';
import type { AuthOptions } from '../../server/auth/authenticate';
import type { JwtAuthOptions } from '../../server/auth/jwt';
import type { StaticToken } from '../../server/auth/static-tokens';
import { createCodecServer, type CodecServer, type CodecServerOptions } from '../../server/codec-server';
import { boolFlag, intFlag, listFlag, parseFlags, stringFlag, type Parsed } from '../args';
import { EXIT, line, processIo, usageError, type CliIo } from '../io';
import { loadKeyring } from '../keyring-source';

export const SERVE_HELP = `Usage: sealed-fields serve [options]

Runs the codec server for the Temporal Web UI and CLI (POST /decode, /encode,
/{namespace}/decode|encode, GET /health). Callers see the sealed fields of the purposes
their token allows; everything else stays a placeholder. Stops on SIGINT/SIGTERM.

Keys (as workers read them):
  --keyring FILE          keyring JSON file (default: SEALED_FIELDS_* environment)
  --env-prefix PREFIX     environment prefix (default SEALED_FIELDS)
  --accept-namespace NS   also open payloads sealed in NS (repeatable, * for any)

Listening:
  --host HOST             default 127.0.0.1
  --port PORT             default 8888 (0: any free port)
  --base-path PATH        serve under PATH, e.g. /codec for /codec/decode
  --ui-origin ORIGIN      allow this browser origin (repeatable), e.g. http://localhost:8233
  --cors-credentials      let the Web UI send cookies ("include credentials")

Who sees what:
  --tokens FILE           static tokens, JSON: [{"token","subject","purposes":[..]|"*",
                          "namespaces":[..]|"*","canEncode":false}] (tokens >= 16 chars)
  --jwks-url URL          verify bearer JWTs against this JWKS
  --jwt-public-key FILE   ... or against this PEM public key
  --jwt-secret-env NAME   ... or with the HS256 secret (32+ bytes) in environment variable NAME
  --jwt-issuer ISS        required issuer
  --jwt-audience AUD      required audience
  --purposes-claim NAME   claim listing purposes (default sealed_purposes)
  --namespaces-claim NAME claim listing namespaces (default temporal_namespaces)
  --encode-claim NAME     boolean claim allowing /encode (default sealed_encode)
  --subject-claim NAME    claim naming the caller in the audit log (default sub)
  --token-cookie NAME     also read the bearer token from this cookie
  --anonymous-purposes P  purposes anyone may see, comma-separated (default none)
  --require-auth          401 for callers without a token (default: placeholders)

Limits:
  --max-body-bytes N      default 8388608
  --max-payloads N        default 1000
  --timeout-ms N          default 10000

Audit records (JSON lines: who, namespace, purposes, field counts; never values) go to stderr.`;

const FLAGS = {
  keyring: { type: 'string' },
  'env-prefix': { type: 'string' },
  'accept-namespace': { type: 'string', multiple: true },
  host: { type: 'string' },
  port: { type: 'string' },
  'base-path': { type: 'string' },
  'ui-origin': { type: 'string', multiple: true },
  'cors-credentials': { type: 'boolean' },
  tokens: { type: 'string' },
  'jwks-url': { type: 'string' },
  'jwt-public-key': { type: 'string' },
  'jwt-secret-env': { type: 'string' },
  'jwt-issuer': { type: 'string' },
  'jwt-audience': { type: 'string' },
  'purposes-claim': { type: 'string' },
  'namespaces-claim': { type: 'string' },
  'encode-claim': { type: 'string' },
  'subject-claim': { type: 'string' },
  'token-cookie': { type: 'string' },
  'anonymous-purposes': { type: 'string' },
  'require-auth': { type: 'boolean' },
  'max-body-bytes': { type: 'string' },
  'max-payloads': { type: 'string' },
  'timeout-ms': { type: 'string' },
} as const;

/** What `sealed-fields serve` runs: server options plus where to listen. */
export interface ServeOptions extends CodecServerOptions {
  host: string;
  port: number;
}

function readText(file: string, io: CliIo, what: string): string {
  try {
    return readFileSync(path.resolve(io.cwd, file), 'utf8');
  } catch {
    throw usageError(`cannot read the ${what} file`);
  }
}

function readStaticTokens(file: string, io: CliIo): StaticToken[] {
  const text = readText(file, io, 'tokens');
  let tokens: unknown;
  try {
    tokens = JSON.parse(text);
  } catch {
    throw usageError('the tokens file is not JSON');
  }
  if (!Array.isArray(tokens)) throw usageError('the tokens file must hold a JSON array');
  return tokens as StaticToken[];
}

function jwtOptions(parsed: Parsed, io: CliIo): JwtAuthOptions | undefined {
  const jwksUrl = stringFlag(parsed, 'jwks-url');
  const keyFile = stringFlag(parsed, 'jwt-public-key');
  const secretEnv = stringFlag(parsed, 'jwt-secret-env');
  if (jwksUrl === undefined && keyFile === undefined && secretEnv === undefined) return undefined;
  const secret = secretEnv !== undefined ? io.env[secretEnv] : undefined;
  if (secretEnv !== undefined && (secret === undefined || secret === '')) throw usageError(`environment variable ${secretEnv} is empty`);
  const claims = {
    ...optional('subject', stringFlag(parsed, 'subject-claim')),
    ...optional('purposes', stringFlag(parsed, 'purposes-claim')),
    ...optional('namespaces', stringFlag(parsed, 'namespaces-claim')),
    ...optional('encode', stringFlag(parsed, 'encode-claim')),
  };
  return {
    ...optional('jwksUrl', jwksUrl),
    ...optional('publicKey', keyFile !== undefined ? readText(keyFile, io, 'public key') : undefined),
    ...optional('secret', secret),
    ...optional('issuer', stringFlag(parsed, 'jwt-issuer')),
    ...optional('audience', stringFlag(parsed, 'jwt-audience')),
    claims,
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function authOptions(parsed: Parsed, io: CliIo): AuthOptions {
  const tokensFile = stringFlag(parsed, 'tokens');
  const anonymous = stringFlag(parsed, 'anonymous-purposes');
  return {
    ...optional('staticTokens', tokensFile !== undefined ? readStaticTokens(tokensFile, io) : undefined),
    ...optional('jwt', jwtOptions(parsed, io)),
    ...optional('tokenCookie', stringFlag(parsed, 'token-cookie')),
    allowAnonymousPurposes: anonymous === undefined ? [] : anonymous.split(',').map((p) => p.trim()).filter((p) => p !== ''),
    requireAuthentication: boolFlag(parsed, 'require-auth'),
  };
}

function acceptNamespaces(parsed: Parsed): readonly string[] | '*' | undefined {
  const names = listFlag(parsed, 'accept-namespace');
  if (names.length === 0) return undefined;
  return names.includes('*') ? '*' : names;
}

/**
 * Turns `sealed-fields serve` flags into {@link ServeOptions}; bad flags are usage errors (exit 2).
 *
 * @example
 * ```ts
 * const options = parseServeArgs(['--keyring', 'keys.json', '--tokens', 'tokens.json', '--ui-origin', 'http://localhost:8233'], processIo());
 * ```
 */
export function parseServeArgs(args: string[], io: CliIo): ServeOptions | 'help' {
  const parsed = parseFlags(args, FLAGS);
  if (boolFlag(parsed, 'help')) return 'help';
  const keyring: Keyring = loadKeyring({ file: stringFlag(parsed, 'keyring'), prefix: stringFlag(parsed, 'env-prefix') ?? 'SEALED_FIELDS' }, io);
  const accept = acceptNamespaces(parsed);
  return {
    keyring,
    ...(accept !== undefined ? { acceptNamespaces: accept } : {}),
    host: stringFlag(parsed, 'host') ?? '127.0.0.1',
    port: intFlag(parsed, 'port', 8888, 0, 65535),
    ...optional('basePath', stringFlag(parsed, 'base-path')),
    auth: authOptions(parsed, io),
    cors: { origins: listFlag(parsed, 'ui-origin'), credentials: boolFlag(parsed, 'cors-credentials') },
    limits: {
      maxBodyBytes: intFlag(parsed, 'max-body-bytes', 8 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      maxPayloads: intFlag(parsed, 'max-payloads', 1000, 1, 1_000_000),
      timeoutMs: intFlag(parsed, 'timeout-ms', 10_000, 100, 600_000),
    },
  };
}

/**
 * Starts the codec server with parsed options; resolves once it listens.
 *
 * @example
 * ```ts
 * const { server, url } = await runServe({ keyring, host: '127.0.0.1', port: 8888, auth: { staticTokens } });
 * ```
 */
export async function runServe(options: ServeOptions): Promise<{ server: CodecServer; url: string }> {
  const { host, port, ...serverOptions } = options;
  let server: CodecServer;
  try {
    server = await createCodecServer(serverOptions);
  } catch (err) {
    // Name and stable code only: a message could quote a setting (a secret, a key).
    throw usageError(`bad codec server settings (${SealedError.is(err) ? `${err.name} ${err.code}` : err instanceof Error ? err.name : 'error'})`);
  }
  const { url } = await server.listen({ hostname: host, port });
  return { server, url };
}

function stopSignal(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
    if (signal?.aborted === true) stop();
  });
}

/**
 * `sealed-fields serve`: runs the codec server until SIGINT/SIGTERM (or `signal`), then
 * closes it gracefully. Returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await serveCommand(process.argv.slice(3));
 * ```
 */
export async function serveCommand(args: string[], io: CliIo = processIo(), signal?: AbortSignal): Promise<number> {
  const options = parseServeArgs(args, io);
  if (options === 'help') return void line(io.stdout, SERVE_HELP), EXIT.ok;
  const { server, url } = await runServe(options);
  line(io.stderr, `sealed-fields serve: listening on ${url}`);
  await stopSignal(signal);
  await server.close();
  line(io.stderr, 'sealed-fields serve: stopped');
  return EXIT.ok;
}
