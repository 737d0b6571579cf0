import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { AwsKmsKeySource, type AwsKmsKeySourceOptions } from '../../src/codec';
import { freePort } from './dev-server';
import { installedTool } from './installed-tool';

/**
 * A real AWS KMS API on loopback for one test file: moto's server mode (`moto_server -H
 * 127.0.0.1 -p PORT`, installed by scripts/install-moto.sh), behind a small HTTP relay that
 * this helper owns. Clients talk to `endpoint` (the relay); the relay forwards every request
 * to moto unchanged and gives back moto's answer unchanged, except:
 *
 * - it counts requests by operation (`calls`), the KMS side of the call-count assertions;
 * - it enforces the key state moto records but does not enforce: GenerateDataKey and Decrypt
 *   under a key that `DisableKey` disabled (or scheduled for deletion) answer
 *   `DisabledException` / `KMSInvalidStateException`, as AWS KMS does;
 * - `failNext` answers the next requests of an operation with an AWS error of your choice
 *   (ThrottlingException, AccessDeniedException...), in KMS's own JSON error shape, so the
 *   SDK's real error parsing runs.
 *
 * `pause()` stops moto with SIGSTOP (connections are accepted by the kernel, nothing answers:
 * "KMS unreachable" as a client sees a hung endpoint) and `resume()` continues it with its
 * state (keys, key material) intact; `stop()` ends moto and `start()` brings up a fresh one on
 * the same port (state lost: use pause/resume when keys must survive).
 */
export interface KmsServer {
  /** The relay's URL, for `endpoint` of the KMS client. */
  readonly endpoint: string;
  /** AWS region the tests use. */
  readonly region: string;
  /** Dummy credentials moto accepts. */
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  /** Requests moto answered (or the relay refused), by operation (`GenerateDataKey`, `Decrypt`, ...). */
  calls(operation?: string): number;
  resetCalls(): void;
  /** Answers the next `count` requests of `operation` with this AWS error (status 400 unless given). */
  failNext(operation: string, errorType: string, count?: number, status?: number): void;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Creates a symmetric KMS key and returns its ARN. */
  createKey(description?: string): Promise<string>;
  /** Calls a KMS operation directly (for setup: DisableKey, CreateAlias, ...), bypassing counts and faults. */
  call<T = Record<string, unknown>>(operation: string, input: Record<string, unknown>): Promise<T>;
  teardown(): Promise<void>;
}

// AWS SDK releases from 2027 on need Node 22; the pinned one runs on Node 20 and says so on every process.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export function motoServerPath(): string {
  return installedTool('MOTO_SERVER_PATH', 'install-moto.sh');
}

/** Starts moto and the relay; call `teardown()` in afterAll. */
export async function startKmsServer(): Promise<KmsServer> {
  const executable = motoServerPath();
  const motoPort = await freePort();
  const motoUrl = `http://127.0.0.1:${motoPort}`;
  let moto: ChildProcess | undefined;
  let paused = false;
  const counts = new Map<string, number>();
  const faults = new Map<string, { errorType: string; count: number; status: number }>();

  const direct = async <T>(operation: string, input: Record<string, unknown>): Promise<T> => {
    const response = await fetch(motoUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `TrentService.${operation}`,
        authorization: `AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/20260101/${REGION}/kms/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify(input),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`moto ${operation}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };

  const startMoto = async (): Promise<void> => {
    const child = spawn(executable, ['-H', '127.0.0.1', '-p', String(motoPort)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 8000) stderr += chunk.toString();
    });
    moto = child;
    paused = false;
    // A process that never tears down (a bench run) still exits, and takes moto with it.
    child.unref();
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${stderr.slice(-2000)}`);
      try {
        const res = await fetch(`${motoUrl}/moto-api/`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`moto_server did not answer on ${motoUrl}: ${stderr.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  const stopMoto = async (): Promise<void> => {
    const child = moto;
    moto = undefined;
    if (child === undefined || child.exitCode !== null) return;
    if (paused) child.kill('SIGCONT');
    paused = false;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  /** The KMS key a request uses: its KeyId, or (Decrypt without one) the key id moto writes at the start of its ciphertext blobs. */
  const keyOf = (operation: string, input: Record<string, unknown>): string | undefined => {
    if (typeof input.KeyId === 'string') return input.KeyId;
    if (operation === 'Decrypt' && typeof input.CiphertextBlob === 'string')
      return Buffer.from(input.CiphertextBlob, 'base64').subarray(0, 36).toString('latin1');
    return undefined;
  };

  const keyStateRefusal = async (operation: string, body: string): Promise<string | undefined> => {
    if (operation !== 'GenerateDataKey' && operation !== 'Decrypt' && operation !== 'Encrypt') return undefined;
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    const keyId = keyOf(operation, input);
    if (keyId === undefined) return undefined;
    try {
      const described = await direct<{ KeyMetadata: { KeyState: string } }>('DescribeKey', { KeyId: keyId });
      const state = described.KeyMetadata.KeyState;
      if (state === 'Disabled') return 'DisabledException';
      if (state !== 'Enabled') return 'KMSInvalidStateException';
    } catch {
      // unknown key: moto answers NotFoundException itself
    }
    return undefined;
  };

  const relay = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const target = String(req.headers['x-amz-target'] ?? '');
        const operation = target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : target;
        counts.set(operation, (counts.get(operation) ?? 0) + 1);
        const fault = faults.get(operation);
        if (fault !== undefined && fault.count > 0) {
          if (--fault.count === 0) faults.delete(operation);
          return awsError(res, fault.status, fault.errorType);
        }
        const refusal = await keyStateRefusal(operation, body);
        if (refusal !== undefined) return awsError(res, 400, refusal);
        const headers = { ...req.headers };
        delete headers.host;
        delete headers['content-length'];
        const upstream = http.request(
          motoUrl,
          { method: req.method, path: req.url, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => {
          if (!res.headersSent) res.writeHead(502);
          res.end();
        });
        upstream.end(body);
      })();
    });
  });
  const relayPort = await freePort();
  await new Promise<void>((resolve) => relay.listen(relayPort, '127.0.0.1', resolve));
  relay.unref();
  await startMoto();

  let tornDown: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${relayPort}`,
    region: REGION,
    credentials: CREDENTIALS,
    calls: (operation) => (operation === undefined ? [...counts.values()].reduce((a, b) => a + b, 0) : (counts.get(operation) ?? 0)),
    resetCalls: () => counts.clear(),
    failNext: (operation, errorType, count = 1, status = 400) => void faults.set(operation, { errorType, count, status }),
    pause: () => {
      if (moto === undefined || paused) return;
      moto.kill('SIGSTOP');
      paused = true;
    },
    resume: () => {
      if (moto === undefined || !paused) return;
      moto.kill('SIGCONT');
      paused = false;
    },
    stop: stopMoto,
    start: async () => {
      if (moto === undefined) await startMoto();
    },
    createKey: async (description = 'temporal-sealed-fields test key') => {
      const created = await direct<{ KeyMetadata: { Arn: string } }>('CreateKey', {
        Description: description,
        KeyUsage: 'ENCRYPT_DECRYPT',
        KeySpec: 'SYMMETRIC_DEFAULT',
      });
      return created.KeyMetadata.Arn;
    },
    call: direct,
    teardown: () =>
      (tornDown ??= (async () => {
        await stopMoto();
        relay.closeAllConnections();
        await new Promise<void>((resolve) => relay.close(() => resolve()));
      })()),
  };
}

function awsError(res: http.ServerResponse, status: number, errorType: string): void {
  const body = JSON.stringify({ __type: errorType, message: `${errorType} (injected by the test relay)` });
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-errortype': errorType,
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

/** An AWS KMS key source on this server that gives up fast (one attempt, 1 s per request), as the tests that stop the KMS need. */
export function kmsKeySourceOn(kms: KmsServer, kmsKeyId: string, options: Partial<AwsKmsKeySourceOptions> = {}): Promise<AwsKmsKeySource> {
  return AwsKmsKeySource.create({
    kmsKeyId,
    endpoint: kms.endpoint,
    region: kms.region,
    credentials: kms.credentials,
    requestTimeoutMs: 1000,
    maxAttempts: 1,
    ...options,
  });
}
