import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import {
  bundleWorkflowCode,
  DefaultLogger,
  ReplayError,
  Runtime,
  Worker,
  type ReplayWorkerOptions,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Keyring, SealingCodec } from '../../src/codec';
import { createReplayCodec, REPLAY_FILES, REPLAY_KEY_ID, REPLAY_TEST_KEY } from '../fixtures/replay/codec';
import { historyFromJson } from '../fixtures/replay/history-json';
import { SENSITIVE_VALUES } from '../fixtures/replay/samples';
import { errorCode } from '../support/errors';

// tsx's CommonJS hook, so Node's own require() loads .ts (the package exports map hides its types from node10 resolution).
const { register } = createRequire(__filename)('tsx/cjs/api') as { register(): () => void };

type History = ReturnType<typeof historyFromJson>;
// The fixed message of SEALED_NOT_OPENED (src/converter/payload-converter.ts); the code itself does not cross the failure.

const WORKFLOW_ID = 'sealed-replay-fixture'; // as generate.ts started it

let bundle: WorkflowBundleWithSourceMap;
let unregisterTs: () => void;

beforeAll(async () => {
  // The replay worker require()s the .ts converter module on the main thread, outside vitest's transform.
  unregisterTs = register();
  try {
    // The tamper tests fail workflow tasks on purpose: keep those expected errors off the console.
    Runtime.install({
      logger: new DefaultLogger('WARN', () => undefined),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
  } catch {
    // a runtime is already installed in this process
  }
  bundle = await bundleWorkflowCode({
    workflowsPath: REPLAY_FILES.workflowsPath,
    payloadConverterPath: REPLAY_FILES.converterPath,
    failureConverterPath: REPLAY_FILES.converterPath,
    logger: new DefaultLogger('ERROR'),
  });
});

afterAll(() => unregisterTs?.());

/** Wraps a codec (or none) and records what it encodes and the errors it throws. */
class RecordingCodec implements PayloadCodec {
  readonly encoded: Payload[] = [];
  readonly decodeErrors: unknown[] = [];
  constructor(private readonly inner?: PayloadCodec) {}

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    this.encoded.push(...payloads);
    return this.inner === undefined ? payloads : this.inner.encode(payloads, context);
  }

  async decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    try {
      return this.inner === undefined ? payloads : await this.inner.decode(payloads, context);
    } catch (err) {
      this.decodeErrors.push(err);
      throw err;
    }
  }
}

function replayOptions(codec: PayloadCodec): ReplayWorkerOptions {
  return {
    workflowBundle: bundle,
    dataConverter: {
      payloadConverterPath: REPLAY_FILES.converterPath,
      failureConverterPath: REPLAY_FILES.converterPath,
      payloadCodecs: [codec],
    },
  };
}

function committedHistory(): History {
  return historyFromJson(readFileSync(REPLAY_FILES.historyPath, 'utf8'));
}

function startedInput(history: History) {
  const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!input?.metadata || !input.data) throw new Error('history fixture has no workflow input payload');
  return input as { metadata: Record<string, Uint8Array>; data: Uint8Array };
}

async function replayError(history: History, codec: PayloadCodec): Promise<Error> {
  const error = await Worker.runReplayHistory(replayOptions(codec), history, WORKFLOW_ID).then(
    () => undefined,
    (err: unknown) => err as Error,
  );
  if (error === undefined) throw new Error('replay was expected to fail but succeeded');
  return error;
}

test('the workflow bundle with the sealed converters builds without libsodium or Node crypto', () => {
  expect(bundle.code.length).toBeGreaterThan(10_000);
  expect(bundle.code).toContain('sealedIntakeWorkflow');
  expect(bundle.code).toContain('./src/converter/payload-converter.ts'); // module ids name source paths
  expect(bundle.code).not.toMatch(/node_modules\/libsodium/);
  expect(bundle.code).not.toMatch(/src\/codec\//);
  expect(bundle.code).not.toMatch(/require\(["'](node:)?crypto["']\)/);
});

test('the committed history replays with the fixed-key codec', async () => {
  await expect(Worker.runReplayHistory(replayOptions(await createReplayCodec()), committedHistory(), WORKFLOW_ID)).resolves.toBeUndefined();
});

test('after a key rotation the history still replays while the old key stays in the keyring', async () => {
  const keyring = new Keyring({ active: 'k-rotated', keys: { [REPLAY_KEY_ID]: REPLAY_TEST_KEY, 'k-rotated': Keyring.generateKey() } });
  const codec = await SealingCodec.create({ keyring });
  await expect(Worker.runReplayHistory(replayOptions(codec), committedHistory(), WORKFLOW_ID)).resolves.toBeUndefined();
});

test('keys are chosen by id: the same key bytes under another id cannot replay the history (SEALED_KEY_UNKNOWN)', async () => {
  const codec = new RecordingCodec(
    await SealingCodec.create({ keyring: new Keyring({ active: 'k-other', keys: { 'k-other': REPLAY_TEST_KEY } }) }),
  );
  expect(await replayError(committedHistory(), codec)).toBeInstanceOf(ReplayError);
  expect(codec.decodeErrors.map(errorCode)).toEqual(['SEALED_KEY_UNKNOWN']);
});

test('a flipped byte in a sealed field of the history fails replay with SEALED_TAMPERED', async () => {
  const history = committedHistory();
  const envelope = startedInput(history).metadata['sealed-fields']!;
  envelope[envelope.length - 1]! ^= 0x01; // last byte: inside the authentication tag
  const codec = new RecordingCodec(await createReplayCodec());
  expect(await replayError(history, codec)).toBeInstanceOf(ReplayError);
  expect(codec.decodeErrors.map(errorCode)).toEqual(['SEALED_TAMPERED']);
});

test("a flipped byte in the activity failure's sealed message fails replay with SEALED_TAMPERED", async () => {
  const history = committedHistory();
  const failed = history.events?.find((e) => e.activityTaskFailedEventAttributes)?.activityTaskFailedEventAttributes?.failure;
  const envelope = failed?.encodedAttributes?.metadata?.['sealed-fields'];
  if (!envelope) throw new Error('history fixture has no sealed activity failure');
  envelope[envelope.length - 1]! ^= 0x01;
  const codec = new RecordingCodec(await createReplayCodec());
  expect(await replayError(history, codec)).toBeInstanceOf(ReplayError);
  expect(codec.decodeErrors.map(errorCode)).toEqual(['SEALED_TAMPERED']);
});

test('an edited clear field of a sealed payload fails replay with SEALED_TAMPERED', async () => {
  const history = committedHistory();
  const input = startedInput(history);
  const text = Buffer.from(input.data).toString('utf8');
  input.data = new Uint8Array(Buffer.from(text.replace('replay-patient-42', 'replay-patient-43'), 'utf8'));
  const codec = new RecordingCodec(await createReplayCodec());
  expect(await replayError(history, codec)).toBeInstanceOf(ReplayError);
  expect(codec.decodeErrors.map(errorCode)).toEqual(['SEALED_TAMPERED']);
});

test('replay without the sealing codec fails in the sandbox instead of running on placeholders', async () => {
  const passThrough = new RecordingCodec();
  const error = await replayError(committedHistory(), passThrough);
  expect(error).toBeInstanceOf(ReplayError);
  // The library's own errors stay readable in history (codes and ids, never values): the failure names the refusal.
  expect(String((error as { cause?: unknown }).cause ?? error.message)).toContain('SEALED_NOT_OPENED');
});

test('the committed history holds no sensitive test value in plaintext, not even base64-encoded', () => {
  const raw = readFileSync(REPLAY_FILES.historyPath, 'utf8');
  const decoded = [...raw.matchAll(/"([A-Za-z0-9+/]{8,}={0,2})"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('latin1'));
  expect(decoded.join('\n')).toContain('replay-patient-42'); // the clear part is there, so the search works
  for (const value of SENSITIVE_VALUES) {
    expect(raw).not.toContain(value);
    expect(decoded.join('\n')).not.toContain(value);
  }
});
