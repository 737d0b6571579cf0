/**
 * `SealedFieldsPlugin`: one object for Temporal's Client, Worker, bundler and replay workers that
 * sets the sealed payload and failure converters, adds the SealingCodec to the user's codecs, adds
 * the client and workflow interceptors, and fixes the workflow bundle for reflect-metadata. Node only.
 */
import type { ClientInterceptors, ClientOptions, ClientPlugin } from '@temporalio/client';
import type { DataConverter, LoadedDataConverter, PayloadCodec } from '@temporalio/common';
import type { BundleOptions, BundlerPlugin, ReplayWorkerOptions, WorkerOptions, WorkerPlugin } from '@temporalio/worker';
import { createSealedPayloadConverter, SealedError, type SealedPayloadConverterOptions, type ZodLike } from '../index';
import { SealedScheduleClientInterceptor, SealedWorkflowClientInterceptor } from '../interceptors/client';
import { isSealedFailureConverter } from '../converter/failure-converter';
import { isSealedPayloadConverter } from '../converter/payload-converter';
import type { Keyring, KeySource, SealingCodecOptions } from '../codec';
import { isKeySource } from '../codec/key-source';
import { sealedWebpackConfigHook } from './bundler';
import { publishConverterOptions, toJson } from './converter-options';
import { DeferredSealingCodec } from './deferred-codec';
import { libraryFile } from './files';
import { refuseUndeclaredPurposes, registeredPurposes } from './purposes';

// biome-ignore lint/suspicious/noExplicitAny: every class, whatever its constructor's parameters (unknown[] would refuse classes with typed ones)
type AnyClass = abstract new (...args: any[]) => unknown;

/**
 * Options of {@link SealedFieldsPlugin}. Give `keyring` (static keys) or `keys` (any key source,
 * e.g. an `AwsKmsKeySource`), one of them.
 *
 * @example
 * ```ts
 * new SealedFieldsPlugin({ keyring: Keyring.fromEnv(), types: [PatientIntake], purposes: ['phi', 'failure'] });
 * new SealedFieldsPlugin({ keys: await AwsKmsKeySource.create({ kmsKeyId: 'alias/sealed-fields', staticKeys: Keyring.fromEnv() }) });
 * ```
 */
export interface SealedFieldsPluginOptions {
  /** Static keys that seal and open values (`Keyring.fromEnv()`, `Keyring.fromFile(...)`); the same as `keys: keyring`. */
  keyring?: Keyring;
  /**
   * Where keys come from, instead of `keyring`: a `KeySource` such as `AwsKmsKeySource` (data keys
   * wrapped by AWS KMS; its `staticKeys` opens what a keyring sealed before the move), or your own.
   * The plugin makes no KMS call of its own: the first send or the first payload to open does (run
   * `sealed-fields keys check --kms-key-id ...` in the deploy to find a bad KMS setup first).
   */
  keys?: KeySource;
  /**
   * A module of your own exporting `payloadConverter` (made with `createSealedPayloadConverter`), e.g.
   * for zod schemas used inside workflows. Default: the library's module, which needs none of your code.
   * With it, the converter options below (`strict`, `keyRules`, ...) belong in your module.
   */
  payloadConverterPath?: string;
  /** A module exporting `failureConverter`. Default: the library's sealed failure converter. */
  failureConverterPath?: string;
  /** Decorated classes; listing them loads their modules on the main thread and checks them at start-up. */
  types?: AnyClass[];
  /** zod schemas by name, for clients and activities (workflow code needs `payloadConverterPath` for schemas). */
  schemas?: Record<string, ZodLike>;
  /** Refuse instances of unregistered classes instead of sending them as plain JSON. */
  strict?: boolean;
  /** Seal values under matching keys in untyped plain objects, e.g. `/^(ssn|password|jwt|token)$/i`. */
  keyRules?: SealedPayloadConverterOptions['keyRules'];
  /** Deepest nesting walked or rebuilt. */
  maxDepth?: number;
  /** Largest payload the converter writes. */
  maxPayloadBytes?: number;
  /** Validate zod-typed values after decoding. */
  validateOnDecode?: boolean;
  /**
   * The purposes values may be sealed under (e.g. `['phi', 'credential', 'failure']`). A class field,
   * key rule, keyring entry or KMS key rule (`'*\/phl'`) naming another one fails at start-up; a value
   * sealed under another one is refused before it is sent, so no key (and no KMS data key) is ever
   * made for it. A key source that chooses keys with a function names no purposes up front: only
   * the second check applies to it. Default: any purpose.
   */
  purposes?: readonly string[];
  /** Namespaces besides the context's whose payloads this codec opens (Nexus), or `'*'`. */
  acceptNamespaces?: SealingCodecOptions['acceptNamespaces'];
  /** Namespace bound when a serialization context names none. */
  namespace?: string;
  /** Route `Reflect` and `reflect-metadata` in the workflow bundle (see `sealedWebpackConfigHook`). Default: when installed. */
  reflectMetadata?: boolean;
}

const PLUGIN_NAME = 'temporal-sealed-fields';
const FAILURE_PURPOSE = 'failure';

type ClientConfig = Omit<ClientOptions, 'plugins'>;

/**
 * The Temporal plugin of this library (SDK 1.24 plugin API, experimental there). Register the same
 * instance on clients, workers, `bundleWorkflowCode` and replay workers.
 *
 * Codec order: the SealingCodec goes FIRST in `payloadCodecs` (encode runs in array order, decode in
 * reverse), ahead of codecs you configured: it must see the converter's output before a compression
 * or whole-payload encryption codec turns the payload into bytes it cannot read. Your codecs are kept.
 *
 * Keys: a `Keyring` (`{ keyring }`) or any `KeySource` (`{ keys }`), e.g. an `AwsKmsKeySource`.
 *
 * @example
 * ```ts
 * const sealed = new SealedFieldsPlugin({ keyring: Keyring.fromEnv() });
 * // or: new SealedFieldsPlugin({ keys: await AwsKmsKeySource.create({ kmsKeyId: 'alias/sealed-fields' }) });
 * const client = new Client({ connection, plugins: [sealed] });
 * const worker = await Worker.create({ connection, taskQueue, workflowsPath, activities, plugins: [sealed] });
 * ```
 */
export class SealedFieldsPlugin implements ClientPlugin, WorkerPlugin, BundlerPlugin {
  readonly name = PLUGIN_NAME;
  readonly #codec: DeferredSealingCodec;
  readonly #payloadConverterPath: string;
  readonly #failureConverterPath: string;
  readonly #interceptorsPath: string;
  readonly #purposes: ReadonlySet<string> | undefined;
  readonly #webpackOptions: Parameters<typeof sealedWebpackConfigHook>[0];
  readonly #options: SealedFieldsPluginOptions;
  readonly #keys: KeySource;

  constructor(options: SealedFieldsPluginOptions) {
    this.#keys = keysOf(options);
    this.#options = options;
    refuseUnsealingModules(options);
    this.#purposes = options.purposes === undefined ? undefined : new Set([...options.purposes]);
    const converter = converterOptions(options);
    this.#payloadConverterPath = options.payloadConverterPath ?? this.defaultConverterPath(converter);
    this.#failureConverterPath = options.failureConverterPath ?? libraryFile('plugin-converter.js', 'converter-module.ts');
    this.#interceptorsPath = libraryFile('plugin-workflow-interceptors.js', 'workflow-interceptors.ts');
    this.#webpackOptions = {
      ...(options.reflectMetadata !== undefined ? { reflectMetadata: options.reflectMetadata } : {}),
      ...(options.payloadConverterPath === undefined ? { converterOptions: toJson(converter) } : {}),
    };
    const codecOptions: SealingCodecOptions = { keys: this.#keys };
    if (options.acceptNamespaces !== undefined) codecOptions.acceptNamespaces = options.acceptNamespaces;
    if (options.namespace !== undefined) codecOptions.namespace = options.namespace;
    this.#codec = new DeferredSealingCodec(codecOptions, this.#purposes);
    this.checkPurposes();
  }

  /** The codec this plugin adds, e.g. for a codec server or `sealed-fields decode` in the same process. */
  get codec(): PayloadCodec {
    return this.#codec;
  }

  configureClient(options: ClientConfig): ClientConfig {
    this.checkPurposes();
    return {
      ...options,
      dataConverter: this.dataConverter(options.dataConverter),
      interceptors: withClientInterceptors(options.interceptors),
    };
  }

  async configureWorker(options: WorkerOptions): Promise<WorkerOptions> {
    return this.configureAnyWorker(options);
  }

  async configureReplayWorker(options: ReplayWorkerOptions): Promise<ReplayWorkerOptions> {
    return this.configureAnyWorker(options);
  }

  configureBundler(options: BundleOptions): BundleOptions {
    this.checkPurposes();
    return {
      ...options,
      payloadConverterPath: samePath(options.payloadConverterPath, this.#payloadConverterPath, 'payloadConverterPath'),
      failureConverterPath: samePath(options.failureConverterPath, this.#failureConverterPath, 'failureConverterPath'),
      workflowInterceptorModules: withModule(options.workflowInterceptorModules, this.#interceptorsPath),
      webpackConfigHook: sealedWebpackConfigHook(this.#webpackOptions, options.webpackConfigHook),
    };
  }

  private async configureAnyWorker<T extends WorkerOptions | ReplayWorkerOptions>(options: T): Promise<T> {
    this.checkPurposes();
    await this.#codec.codec(); // a bad keyring or libsodium fails here, at start-up
    const interceptors = options.interceptors ?? {};
    return {
      ...options,
      dataConverter: this.dataConverter(options.dataConverter),
      interceptors: { ...interceptors, workflowModules: withModule(interceptors.workflowModules, this.#interceptorsPath) },
      bundlerOptions: {
        ...options.bundlerOptions,
        webpackConfigHook: sealedWebpackConfigHook(this.#webpackOptions, options.bundlerOptions?.webpackConfigHook),
      },
    };
  }

  private dataConverter(existing: DataConverter | LoadedDataConverter | undefined): DataConverter {
    if (existing !== undefined && 'payloadConverter' in existing) {
      throw new SealedError(
        'SEALED_INVALID_OPTION',
        'SealedFieldsPlugin cannot add to a loaded data converter: pass dataConverter as paths and codecs',
      );
    }
    const codecs = (existing?.payloadCodecs ?? []).filter((codec) => codec !== this.#codec);
    return {
      ...existing,
      payloadConverterPath: samePath(existing?.payloadConverterPath, this.#payloadConverterPath, 'payloadConverterPath'),
      failureConverterPath: samePath(existing?.failureConverterPath, this.#failureConverterPath, 'failureConverterPath'),
      payloadCodecs: [this.#codec, ...codecs],
    };
  }

  private defaultConverterPath(converter: SealedPayloadConverterOptions): string {
    const key = JSON.stringify({ ...toJson(converter), schemas: Object.keys(converter.schemas ?? {}).sort() });
    if (!publishConverterOptions(converter, key)) {
      throw new SealedError(
        'SEALED_INVALID_OPTION',
        'another SealedFieldsPlugin in this process uses different converter options: give each its own payloadConverterPath',
      );
    }
    createSealedPayloadConverter(converter); // unregistered types and bad key rules fail here
    return libraryFile('plugin-converter.js', 'converter-module.ts');
  }

  /** Declared purposes: what classes registered so far, key rules, the key source's configuration and failures use. */
  private checkPurposes(): void {
    if (this.#purposes === undefined) return;
    const used = [...registeredPurposes(), { purpose: FAILURE_PURPOSE, where: 'failure converter' }];
    const where = this.#options.keyring !== undefined ? 'keyring' : 'keys';
    for (const purpose of this.#keys.configuredPurposes?.() ?? []) used.push({ purpose, where });
    for (const rule of this.#options.keyRules ?? []) used.push({ purpose: rule.purpose ?? 'sensitive', where: 'keyRules' });
    refuseUndeclaredPurposes(this.#purposes, used);
  }
}

/** The key source: `keys`, or `keyring` (the same object when both are given). */
function keysOf(options: SealedFieldsPluginOptions): KeySource {
  if (options === null || typeof options !== 'object') throw needsKeys();
  const { keyring, keys } = options;
  if (keyring !== undefined && typeof keyring?.keyIdFor !== 'function') throw needsKeys();
  if (keys !== undefined && keyring !== undefined && keys !== keyring) throw needsKeys();
  const source = keys ?? keyring;
  if (!isKeySource(source)) throw needsKeys();
  return source;
}

function needsKeys(): SealedError {
  return new SealedError(
    'SEALED_INVALID_OPTION',
    'SealedFieldsPlugin needs { keyring } (e.g. Keyring.fromEnv()) or { keys } (e.g. an AwsKmsKeySource), one of them',
  );
}

/** Converter options the plugin applies only to its own converter module; with yours they would be silently dropped. */
const OWN_MODULE_OPTIONS = ['strict', 'keyRules', 'schemas', 'maxDepth', 'maxPayloadBytes', 'validateOnDecode'] as const;

/**
 * The plugin pairs its codec with the converters it is given: a module that does not export the
 * sealed converters would send tagged values (or error messages) in clear, so it is refused.
 */
function refuseUnsealingModules(options: SealedFieldsPluginOptions): void {
  if (options.payloadConverterPath !== undefined) {
    const given = OWN_MODULE_OPTIONS.filter((name) => options[name] !== undefined);
    if (given.length > 0) {
      throw new SealedError(
        'SEALED_INVALID_OPTION',
        'with payloadConverterPath, converter options belong in that module (createSealedPayloadConverter)',
        { where: given.join(',') },
      );
    }
    if (!isSealedPayloadConverter(loadExport(options.payloadConverterPath, 'payloadConverter'))) {
      throw new SealedError(
        'SEALED_INVALID_OPTION',
        'payloadConverterPath must export payloadConverter made with createSealedPayloadConverter',
        { where: 'payloadConverterPath' },
      );
    }
  }
  if (
    options.failureConverterPath !== undefined &&
    !isSealedFailureConverter(loadExport(options.failureConverterPath, 'failureConverter'))
  ) {
    throw new SealedError(
      'SEALED_INVALID_OPTION',
      'failureConverterPath must export failureConverter made with createSealedFailureConverter',
      { where: 'failureConverterPath' },
    );
  }
}

function loadExport(path: string, name: string): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK loads the same module the same way
    return (require(path) as Record<string, unknown>)[name];
  } catch {
    throw new SealedError('SEALED_INVALID_OPTION', `the module given for ${name} cannot be loaded`, { where: name });
  }
}

function converterOptions(options: SealedFieldsPluginOptions): SealedPayloadConverterOptions {
  const converter: SealedPayloadConverterOptions = {};
  if (options.types !== undefined) converter.types = options.types as NonNullable<SealedPayloadConverterOptions['types']>;
  if (options.schemas !== undefined) converter.schemas = options.schemas;
  if (options.strict !== undefined) converter.strict = options.strict;
  if (options.keyRules !== undefined) converter.keyRules = options.keyRules;
  if (options.maxDepth !== undefined) converter.maxDepth = options.maxDepth;
  if (options.maxPayloadBytes !== undefined) converter.maxPayloadBytes = options.maxPayloadBytes;
  if (options.validateOnDecode !== undefined) converter.validateOnDecode = options.validateOnDecode;
  return converter;
}

/** A converter path set elsewhere must be ours: a converter that does not seal next to our codec would send tagged values in clear. */
function samePath(existing: string | undefined, ours: string, what: string): string {
  if (existing !== undefined && existing !== ours) {
    throw new SealedError(
      'SEALED_INVALID_OPTION',
      `dataConverter.${what} is set and differs from the plugin's: give it to SealedFieldsPlugin({ ${what} }) instead`,
    );
  }
  return ours;
}

function withModule(modules: string[] | undefined, module: string): string[] {
  return modules?.includes(module) === true ? modules : [...(modules ?? []), module];
}

function withClientInterceptors(existing: ClientInterceptors | undefined): ClientInterceptors {
  const workflow = existing?.workflow ?? [];
  if (!Array.isArray(workflow)) {
    throw new SealedError(
      'SEALED_INVALID_OPTION',
      'SealedFieldsPlugin needs client workflow interceptors as an array (the object form is deprecated)',
    );
  }
  const schedule = existing?.schedule ?? [];
  return {
    ...existing,
    workflow: workflow.some((i) => i instanceof SealedWorkflowClientInterceptor)
      ? workflow
      : [...workflow, new SealedWorkflowClientInterceptor()],
    schedule: schedule.some((i) => i instanceof SealedScheduleClientInterceptor)
      ? schedule
      : [...schedule, new SealedScheduleClientInterceptor()],
  };
}
