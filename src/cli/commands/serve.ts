import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Keyring } from '../../codec/keyring';
import { SealedError } from '../../errors';
import type { AuthOptions } from '../../server/auth/authenticate';
import type { JwtAuthOptions, JwtJwksOptions, JwtPublicKeyOptions, JwtSecretOptions } from '../../server/auth/jwt';
import type { StaticToken } from '../../server/auth/static-tokens';
import { createCodecServer, type CodecServer, type CodecServerOptions } from '../../server/codec-server';
import { boolFlag, intFlag, listFlag, noteRenamed, parseFlags, stringFlag, type Aliases, type Parsed } from '../args';
import { CliError, EXIT, line, processIo, usageError, type CliIo } from '../io';
import { KEYRING_ALIASES, KEYRING_FLAGS, keyringSourceOf, loadKeyring, noKeyringSet, noKeysMessage } from '../keyring-source';
import { KMS_FLAGS, kmsOptionsOf } from '../kms-options';
import { AwsKmsKeySource, type AwsKmsKeySourceOptions } from '../../codec/kms/aws-kms-key-source';
import type { KeySource } from '../../codec/key-source';
import {
  openSubjectSetup,
  SUBJECT_STORE_FLAGS,
  SUBJECT_STORE_FLAGS_HELP,
  type SubjectSetup,
  type SubjectStoreConfig,
  subjectStoreConfigOf,
} from '../subject-store';

export const SERVE_HELP = `Usage: sealed-fields serve [options]

Runs the codec server for the Temporal Web UI and CLI (POST /decode, /encode,
/{namespace}/decode|encode, GET /health). Callers see the sealed fields of the purposes
their token allows; everything else stays a placeholder. Stops on SIGINT/SIGTERM.

Keyring (as workers read it):
  --keyring FILE              keyring JSON file (default: SEALED_FIELDS_* environment)
  --env-prefix PREFIX         environment variable prefix (default SEALED_FIELDS)
  --accept-namespace NS       also open payloads sealed in NS (repeatable, * for any)

Keys from AWS KMS (instead of, or with, the keyring: boxes without a wrapped key open with it):
  --kms-key-id ID             KMS key (ARN, key id or alias) whose data keys may be opened (and sealed with /encode)
  --kms-key-rule NS/P=ID      a KMS key per namespace/purpose; repeatable
  --kms-open-key ID           another KMS key whose data keys may be opened; repeatable; "*": any
  --kms-region REGION         AWS region (default: AWS_REGION)
  --kms-endpoint URL          KMS endpoint (a local KMS API, a VPC endpoint)
  While the KMS does not answer, /decode and /encode answer 503 (code SEALED_KMS_UNAVAILABLE).

Data subject keys (docs/ERASURE.md; the same store and index key as the workers):
${SUBJECT_STORE_FLAGS_HELP}
  Boxes sealed under a data subject's key open for callers allowed their purpose; those of a
  forgotten subject show "[erased:<purpose>]" (the server honours a forget within the cache
  TTL). While the store does not answer, /decode and /encode answer 503 (SEALED_KEYSTORE_UNAVAILABLE).

Listening:
  --host HOST                 default 127.0.0.1
  --port PORT                 default 8888 (0: any free port)
  --base-path PATH            serve under PATH, e.g. /codec for /codec/decode

Web UI in a browser:
  --ui-origin ORIGIN          allow this browser origin (repeatable), e.g. http://localhost:8233
  --cors-credentials          let the Web UI send cookies ("include credentials")
  --token-cookie NAME         also read the bearer token from this cookie
  --token-page                serve GET /token: paste a token, kept in an HttpOnly cookie
                              (needs --ui-origin; implies --cors-credentials)

Callers with static tokens (local use):
  --tokens FILE               JSON: [{"token","subject","purposes":[..]|"*",
                              "namespaces":[..]|"*","canEncode":false}] (tokens >= 16 chars)

Callers with JWTs (one of --jwks-url, --jwt-public-key, --jwt-secret-env):
  --jwks-url URL              verify bearer JWTs against this JWKS
  --jwt-public-key FILE       ... or against this PEM public key
  --jwt-secret-env NAME       ... or with the HS256 secret (32+ bytes) in environment variable NAME
  --jwt-issuer ISS            required issuer
  --jwt-audience AUD          required audience
  --jwt-subject-claim NAME    claim naming the caller in the audit log (default sub)
  --jwt-purposes-claim NAME   claim listing purposes (default sealed_purposes)
  --jwt-namespaces-claim NAME claim listing namespaces (default temporal_namespaces)
  --jwt-encode-claim NAME     boolean claim allowing /encode (default sealed_encode)

Callers without a token:
  --anonymous-purposes P      purposes anyone may see, comma-separated (default none)
  --require-auth              answer 401 instead of placeholders

Limits:
  --max-body-bytes N          default 8388608
  --max-payloads N            default 1000
  --timeout-ms N              default 10000

  -h, --help                  this help

Old names that still work (with a note on stderr): --prefix for --env-prefix;
--subject-claim, --purposes-claim, --namespaces-claim, --encode-claim for --jwt-*-claim.
Audit records (JSON lines: who, namespace, purposes, field counts; never values) go to stderr.`;

/** The flags of `serve`, in the groups of its help. */
export const SERVE_FLAGS = {
  ...KEYRING_FLAGS,
  ...KMS_FLAGS,
  ...SUBJECT_STORE_FLAGS,
  'accept-namespace': { type: 'string', multiple: true },
  host: { type: 'string' },
  port: { type: 'string' },
  'base-path': { type: 'string' },
  'ui-origin': { type: 'string', multiple: true },
  'cors-credentials': { type: 'boolean' },
  'token-cookie': { type: 'string' },
  'token-page': { type: 'boolean' },
  tokens: { type: 'string' },
  'jwks-url': { type: 'string' },
  'jwt-public-key': { type: 'string' },
  'jwt-secret-env': { type: 'string' },
  'jwt-issuer': { type: 'string' },
  'jwt-audience': { type: 'string' },
  'jwt-subject-claim': { type: 'string' },
  'jwt-purposes-claim': { type: 'string' },
  'jwt-namespaces-claim': { type: 'string' },
  'jwt-encode-claim': { type: 'string' },
  'anonymous-purposes': { type: 'string' },
  'require-auth': { type: 'boolean' },
  'max-body-bytes': { type: 'string' },
  'max-payloads': { type: 'string' },
  'timeout-ms': { type: 'string' },
} as const;

/** Earlier names of serve flags; they still work. */
export const SERVE_ALIASES: Aliases = {
  ...KEYRING_ALIASES,
  'subject-claim': 'jwt-subject-claim',
  'purposes-claim': 'jwt-purposes-claim',
  'namespaces-claim': 'jwt-namespaces-claim',
  'encode-claim': 'jwt-encode-claim',
};

const JWT_KEY_FLAGS = ['jwks-url', 'jwt-public-key', 'jwt-secret-env'] as const;
const JWT_CHECK_FLAGS = [
  'jwt-issuer',
  'jwt-audience',
  'jwt-subject-claim',
  'jwt-purposes-claim',
  'jwt-namespaces-claim',
  'jwt-encode-claim',
] as const;

/** What `sealed-fields serve` runs: server options plus where to listen. */
export interface ServeOptions extends CodecServerOptions {
  host: string;
  port: number;
  /** With the --kms-* flags: the AWS KMS key source to build (the keyring, if any, opens boxes without a wrapped key). */
  kms?: AwsKmsKeySourceOptions;
  /** With --subject-store (or its variable): the data subject key store to wrap the key source in (`SubjectKeys`). */
  subjectStore?: SubjectStoreConfig;
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

type JwtKey = Pick<JwtJwksOptions, 'jwksUrl'> | Pick<JwtPublicKeyOptions, 'publicKey'> | Pick<JwtSecretOptions, 'secret'>;

/** The one JWT verification key the flags name; JWT checks without a key, or two keys, are usage errors. */
function jwtKey(parsed: Parsed, io: CliIo): JwtKey | undefined {
  const given = JWT_KEY_FLAGS.filter((flag) => stringFlag(parsed, flag) !== undefined);
  const checks = JWT_CHECK_FLAGS.filter((flag) => stringFlag(parsed, flag) !== undefined);
  if (given.length > 1) throw usageError('give one of --jwks-url, --jwt-public-key, --jwt-secret-env');
  if (given.length === 0 && checks.length > 0)
    throw usageError(`--${checks[0]} needs one of --jwks-url, --jwt-public-key, --jwt-secret-env`);
  const jwksUrl = stringFlag(parsed, 'jwks-url');
  if (jwksUrl !== undefined) return { jwksUrl };
  const keyFile = stringFlag(parsed, 'jwt-public-key');
  if (keyFile !== undefined) return { publicKey: readText(keyFile, io, 'public key') };
  const secretEnv = stringFlag(parsed, 'jwt-secret-env');
  if (secretEnv === undefined) return undefined;
  const secret = io.env[secretEnv];
  if (secret === undefined || secret === '') throw usageError(`environment variable ${secretEnv} is empty`);
  return { secret };
}

function jwtOptions(parsed: Parsed, io: CliIo): JwtAuthOptions | undefined {
  const key = jwtKey(parsed, io);
  if (key === undefined) return undefined;
  const claims = {
    ...optional('subject', stringFlag(parsed, 'jwt-subject-claim')),
    ...optional('purposes', stringFlag(parsed, 'jwt-purposes-claim')),
    ...optional('namespaces', stringFlag(parsed, 'jwt-namespaces-claim')),
    ...optional('encode', stringFlag(parsed, 'jwt-encode-claim')),
  };
  return {
    ...key,
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
    allowAnonymousPurposes:
      anonymous === undefined
        ? []
        : anonymous
            .split(',')
            .map((p) => p.trim())
            .filter((p) => p !== ''),
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
  const parsed = parseFlags(args, SERVE_FLAGS, false, SERVE_ALIASES);
  if (boolFlag(parsed, 'help')) return 'help';
  noteRenamed(io, 'serve', parsed);
  const kms = kmsOptionsOf(parsed);
  const envRegion = io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  if (kms !== undefined && kms.region === undefined && envRegion !== undefined) kms.region = envRegion;
  // With KMS, a keyring is optional: loaded when named or set in the environment.
  const keyringSource = keyringSourceOf(parsed);
  const withKeyring = kms === undefined || keyringSource.file !== undefined || io.env[`${keyringSource.prefix}_KEYS`] !== undefined;
  if (kms === undefined && noKeyringSet(keyringSource, io)) throw usageError(noKeysMessage(keyringSource));
  const keyring: Keyring | undefined = withKeyring ? loadKeyring(keyringSource, io) : undefined;
  const accept = acceptNamespaces(parsed);
  const subjectStore = subjectStoreConfigOf(parsed, io, keyringSource.prefix);
  const tokenPage = boolFlag(parsed, 'token-page');
  if (tokenPage && listFlag(parsed, 'ui-origin').length === 0)
    throw usageError('--token-page needs --ui-origin: the Web UI origin that may send the cookie');
  return {
    ...(keyring !== undefined ? { keyring } : {}),
    ...(kms !== undefined ? { kms } : {}),
    ...(subjectStore !== undefined ? { subjectStore } : {}),
    ...(accept !== undefined ? { acceptNamespaces: accept } : {}),
    host: stringFlag(parsed, 'host') ?? '127.0.0.1',
    port: intFlag(parsed, 'port', 8888, 0, 65535),
    ...optional('basePath', stringFlag(parsed, 'base-path')),
    auth: authOptions(parsed, io),
    cors: { origins: listFlag(parsed, 'ui-origin'), credentials: boolFlag(parsed, 'cors-credentials') || tokenPage },
    ...(tokenPage ? { tokenPage: true } : {}),
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
  const { host, port, kms, subjectStore, ...rest } = options;
  let server: CodecServer;
  let subjects: SubjectSetup | undefined;
  try {
    const kmsKeys =
      kms === undefined
        ? undefined
        : await AwsKmsKeySource.create({ ...kms, ...(rest.keyring !== undefined ? { staticKeys: rest.keyring } : {}) });
    // Like a worker, the server starts while the store is down: its requests answer 503 until it is back.
    subjects =
      subjectStore === undefined
        ? undefined
        : await openSubjectSetup(subjectStore, kmsKeys ?? rest.keyring, { createTables: true, probe: false });
    const keys: KeySource | undefined = subjects?.keys ?? kmsKeys;
    const { keyring, ...withoutKeyring } = rest;
    server = await createCodecServer(keys !== undefined ? { ...withoutKeyring, keys } : rest);
  } catch (err) {
    await subjects?.close();
    // Name and stable code only: a message could quote a setting (a secret, a key, a connection string).
    if (err instanceof CliError) throw err;
    throw usageError(
      `bad codec server settings (${SealedError.is(err) ? `${err.name} ${err.code}` : err instanceof Error ? err.name : 'error'})`,
    );
  }
  const listening = await server.listen({ hostname: host, port }).catch(async (err: unknown) => {
    await subjects?.close();
    throw listenError(err, host, port);
  });
  return { server: withStoreClosed(server, subjects), url: listening.url };
}

/** A failure to listen, naming the address and the system's code: a port in use says so (EADDRINUSE). */
function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return err;
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (code === 'EADDRINUSE')
    return new CliError(
      EXIT.problems,
      `cannot listen on ${address}: port ${port} is in use (EADDRINUSE); stop what uses it, or give another --port`,
    );
  if (code === 'EACCES') return new CliError(EXIT.problems, `cannot listen on ${address}: not allowed (EACCES); give a --port above 1023`);
  return new CliError(EXIT.problems, `cannot listen on ${address} (${code}); check --host and --port`);
}

/** The server, whose `close()` also closes the subject key store it opened. */
function withStoreClosed(server: CodecServer, subjects: SubjectSetup | undefined): CodecServer {
  if (subjects === undefined) return server;
  return {
    app: server.app,
    listen: (listenOptions) => server.listen(listenOptions),
    close: async (graceMs) => {
      await server.close(graceMs);
      await subjects.close();
    },
  };
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
  if (options === 'help') {
    line(io.stdout, SERVE_HELP);
    return EXIT.ok;
  }
  const { server, url } = await runServe(options);
  line(io.stderr, `sealed-fields serve: listening on ${url}`);
  // The store's kind and cache TTL (how long a forget may take to show here), never its path or connection string.
  if (options.subjectStore !== undefined)
    line(
      io.stderr,
      `sealed-fields serve: data subject key store: ${options.subjectStore.spec.kind}, cache TTL ${options.subjectStore.cacheTtlMs} ms (a forget shows here within it)`,
    );
  else
    line(
      io.stderr,
      'sealed-fields serve: no data subject key store: boxes under data subject keys (sk-...) answer 422 SEALED_KEY_UNKNOWN (give --subject-store to open them)',
    );
  if (options.tokenPage === true)
    line(
      io.stderr,
      `sealed-fields serve: token page at ${url}${options.basePath === undefined || options.basePath === '/' ? '' : options.basePath}/token (open it on the host name the Web UI uses)`,
    );
  await stopSignal(signal);
  await server.close();
  line(io.stderr, 'sealed-fields serve: stopped');
  return EXIT.ok;
}
