import { randomBytes } from 'node:crypto';
import type { DecryptCommandOutput, DescribeKeyCommandOutput, GenerateDataKeyCommandOutput, KMSClient } from '@aws-sdk/client-kms';
import { SealedError, sealedError } from '../../errors';
import type { KeyScope, KeySource, SealedKeyReference, SealingKey } from '../key-source';
import { kmsError, kmsErrorCode, type KmsOperation } from './kms-errors';
import { TtlLru } from './ttl-lru';
import { readWrappedKey, writeWrappedKey } from './wrapped-key';

/**
 * Which KMS key wraps the data keys of a (namespace, purpose): one key for all, a function, or
 * a map. In a map, the first rule that exists wins: `"<namespace>/<purpose>"`, `"<namespace>/*"`,
 * `"*\/<purpose>"` (any namespace), then `default`. Values are key ARNs, key ids or aliases (`alias/...`).
 *
 * @example
 * ```ts
 * { default: 'alias/sealed-fields', rules: { 'tenant-a/*': 'arn:aws:kms:eu-west-1:111122223333:key/...', '*\/credential': 'alias/credentials' } }
 * ```
 */
export type KmsKeySelection = string | ((scope: KeyScope) => string) | { default: string; rules?: Readonly<Record<string, string>> };

/**
 * Options of {@link AwsKmsKeySource.create}.
 *
 * @example
 * ```ts
 * const keys = await AwsKmsKeySource.create({ kmsKeyId: 'alias/sealed-fields', region: 'eu-west-1', dataKeyMaxAgeMs: 3_600_000 });
 * ```
 */
export interface AwsKmsKeySourceOptions {
  /** The KMS key that wraps new data keys, per (namespace, purpose). */
  kmsKeyId: KmsKeySelection;
  /**
   * KMS keys this source may ask to unwrap data keys (ARNs or key ids), besides the keys of
   * `kmsKeyId` (a string or map) and the keys this process sealed with. `'*'`: any key a payload
   * names. An ARN trusts that key only (the same key id under another account, region or partition
   * is refused); a bare key id trusts the ARNs that end with it. A payload naming another KMS key
   * is refused with `SEALED_KMS_KEY_NOT_ALLOWED` before
   * any KMS call, so nobody can make a reader trust data keys of a KMS key they control. Keep old
   * keys here while histories still need them (see docs/KEYS.md, "Retiring a KMS key").
   * Aliases in `kmsKeyId` are resolved with `DescribeKey` when a payload needs them.
   */
  openKmsKeys?: readonly string[] | '*';
  /** A KMS client of your own (credentials, retries, proxies). Otherwise one is built from the options below. */
  client?: KMSClient;
  region?: string;
  /** e.g. `http://127.0.0.1:4566` for a local KMS API. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Per-attempt timeout of a KMS request, ms (default 2000). */
  requestTimeoutMs?: number;
  /** Connection timeout, ms (default 1000). */
  connectionTimeoutMs?: number;
  /** Attempts per KMS call, retries included (default 3). */
  maxAttempts?: number;
  /** A data key seals new values for at most this long, ms (default 15 minutes). */
  dataKeyMaxAgeMs?: number;
  /** ... and for at most this many boxes (default 100,000). */
  dataKeyMaxUses?: number;
  /** Unwrapped data keys kept for opening (default 1000). */
  cacheMaxEntries?: number;
  /** How long an unwrapped data key is kept, ms (default 1 hour). */
  cacheTtlMs?: number;
  /**
   * At most this many `Decrypt` calls that KMS refuses as a bad ciphertext or context (a forged or
   * altered box) per minute; past it, such boxes fail with `SEALED_KMS_THROTTLED` without a call,
   * so a caller posting forged boxes to a codec server cannot spend the KMS request quota the
   * workers share (default 60).
   */
  maxRefusedUnwrapsPerMinute?: number;
  /** Opens boxes sealed under static keys (no wrapped key), e.g. the `Keyring` of before a move to KMS. */
  staticKeys?: KeySource;
  /** @internal Clock, for tests. */
  now?: () => number;
}

/**
 * KMS calls and cache use of one source since it was created.
 *
 * @example
 * ```ts
 * const { generateDataKey, decrypt, cacheHits } = keys.stats();
 * ```
 */
export interface AwsKmsKeySourceStats {
  generateDataKey: number;
  decrypt: number;
  describeKey: number;
  /** Opening keys served from the cache. */
  cacheHits: number;
  /** Unwrapped data keys held now. */
  cachedKeys: number;
}

/**
 * Result of {@link AwsKmsKeySource.check} for one KMS key.
 *
 * @example
 * ```ts
 * for (const result of await keys.check()) if (!result.ok) console.error(result.kmsKeyId, result.code);
 * ```
 */
export interface KmsKeyCheck {
  kmsKeyId: string;
  ok: boolean;
  /** The KMS key's ARN, as KMS reports it. */
  kmsKeyArn?: string;
  code?: string;
  kmsError?: string;
}

/** The encryption context key names; IAM conditions use them as `kms:EncryptionContext:<name>`. */
export const KMS_CONTEXT = { library: 'sealed-fields', namespace: 'namespace', purpose: 'purpose', keyId: 'key-id' } as const;
/** The library tag's value in every encryption context. */
export const KMS_CONTEXT_TAG = 'temporal-sealed-fields/v2';

interface DataKey {
  keyId: string;
  key: Uint8Array;
  wrapped: Uint8Array;
  created: number;
  uses: number;
}

type KmsModule = typeof import('@aws-sdk/client-kms');

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * Envelope encryption with AWS KMS. Each (namespace, purpose) seals under a data key from
 * `GenerateDataKey` (AES_256: 32 bytes, used as the XChaCha20-Poly1305 key), wrapped under the
 * operator's KMS key with an encryption context naming the library, the namespace, the purpose
 * and the data key's id. The wrapped key travels in each box, so any reader allowed to call
 * `Decrypt` on that KMS key opens it, with no store of its own.
 *
 * - Data keys rotate by age (`dataKeyMaxAgeMs`) and by use count (`dataKeyMaxUses`); concurrent
 *   seals share one `GenerateDataKey` call. Sealing with a cached data key makes no KMS call.
 * - Unwrapped keys are cached (bounded LRU with a TTL): opening a history under N data keys
 *   costs at most N `Decrypt` calls per process until they are evicted; concurrent opens of one
 *   data key share one call.
 * - Data key ids are random (`dk-` and 12 characters), never derived from the key.
 * - Failures are `SealedError`s: `SEALED_KMS_UNAVAILABLE`, `SEALED_KMS_THROTTLED`,
 *   `SEALED_KMS_ACCESS_DENIED`, `SEALED_KMS_KEY_DISABLED`, `SEALED_KMS_CONTEXT_MISMATCH`,
 *   `SEALED_KMS_KEY_NOT_ALLOWED`. A failure never falls back to anything: the encode fails.
 *
 * @example
 * ```ts
 * const keys = await AwsKmsKeySource.create({ kmsKeyId: { default: 'alias/sealed-fields', rules: { 'tenant-a/*': tenantAKeyArn } } });
 * const codec = await SealingCodec.create({ keys });
 * ```
 */
export class AwsKmsKeySource implements KeySource {
  readonly #sealing = new Map<string, DataKey>();
  readonly #generating = new Map<string, Promise<DataKey>>();
  readonly #opened: TtlLru<Uint8Array>;
  readonly #unwrapping = new Map<string, Promise<Uint8Array>>();
  /** Trusted KMS keys as named: ARNs (matched exactly) and bare key ids (see `#trusts`). */
  readonly #allowed = new Set<string>();
  readonly #aliases: string[];
  #aliasesResolved: Promise<void> | undefined;
  readonly #stats = { generateDataKey: 0, decrypt: 0, describeKey: 0, cacheHits: 0 };
  readonly #now: () => number;
  readonly #maxAge: number;
  readonly #maxUses: number;
  readonly #anyKey: boolean;

  // Private fields (#), not TypeScript `private`: util.inspect, console.log and object walkers
  // (error reporters) must not reach the options' credentials or the client.
  readonly #sdk: KmsModule;
  readonly #client: KMSClient;
  readonly #maxRefusedUnwraps: number;
  /** When KMS refused an unwrap as a bad ciphertext or context, within the last minute. */
  #refusedUnwraps: number[] = [];
  readonly #options: AwsKmsKeySourceOptions;

  private constructor(sdk: KmsModule, client: KMSClient, options: AwsKmsKeySourceOptions) {
    this.#sdk = sdk;
    this.#client = client;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#maxAge = positive(options.dataKeyMaxAgeMs, 15 * 60_000, 'dataKeyMaxAgeMs');
    this.#maxUses = positive(options.dataKeyMaxUses, 100_000, 'dataKeyMaxUses');
    this.#maxRefusedUnwraps = positive(options.maxRefusedUnwrapsPerMinute, 60, 'maxRefusedUnwrapsPerMinute');
    this.#opened = new TtlLru<Uint8Array>(
      positive(options.cacheMaxEntries, 1000, 'cacheMaxEntries'),
      positive(options.cacheTtlMs, 60 * 60_000, 'cacheTtlMs'),
      this.#now,
      (key) => key.fill(0),
    );
    this.#anyKey = options.openKmsKeys === '*';
    const named = [...configuredKeys(options.kmsKeyId), ...(options.openKmsKeys === '*' ? [] : (options.openKmsKeys ?? []))];
    this.#aliases = named.filter(isAlias);
    for (const id of named) if (!isAlias(id)) this.#allowed.add(id);
  }

  /** Loads `@aws-sdk/client-kms` (an optional peer dependency) and builds the source. */
  static async create(options: AwsKmsKeySourceOptions): Promise<AwsKmsKeySource> {
    if (options === null || typeof options !== 'object' || options.kmsKeyId === undefined)
      throw sealedError('SEALED_INVALID_OPTION', 'AwsKmsKeySource needs kmsKeyId');
    checkSelection(options.kmsKeyId);
    let sdk: KmsModule;
    try {
      sdk = await import('@aws-sdk/client-kms');
    } catch {
      throw sealedError('SEALED_INVALID_OPTION', 'AwsKmsKeySource needs the package @aws-sdk/client-kms: npm install @aws-sdk/client-kms');
    }
    const client =
      options.client ??
      new sdk.KMSClient({
        ...(options.region !== undefined && { region: options.region }),
        ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
        ...(options.credentials !== undefined && { credentials: options.credentials }),
        maxAttempts: options.maxAttempts ?? 3,
        requestHandler: {
          connectionTimeout: options.connectionTimeoutMs ?? 1000,
          requestTimeout: options.requestTimeoutMs ?? 2000,
          throwOnRequestTimeout: true,
        },
      });
    return new AwsKmsKeySource(sdk, client, options);
  }

  /** {@link KeySource}: the current data key of (namespace, purpose), from the cache or from one `GenerateDataKey` call. */
  async sealingKey(scope: KeyScope): Promise<SealingKey> {
    const slot = slotOf(scope);
    let current = this.#sealing.get(slot);
    if (current === undefined || this.#spent(current)) {
      let flight = this.#generating.get(slot);
      if (flight === undefined) {
        flight = this.#generate(scope).finally(() => this.#generating.delete(slot));
        this.#generating.set(slot, flight);
      }
      current = await flight;
      // Another caller may have used it up while we waited: keep going with the newest one.
      if (this.#spent(current)) return this.sealingKey(scope);
    }
    current.uses++;
    return { keyId: current.keyId, key: current.key.slice(), wrapped: current.wrapped };
  }

  /** {@link KeySource}: the current data key of (namespace, purpose) when it is cached and fresh (counts as a use); else `undefined`. */
  sealingKeyNow(scope: KeyScope): SealingKey | undefined {
    const current = this.#sealing.get(slotOf(scope));
    if (current === undefined || this.#spent(current)) return undefined;
    current.uses++;
    return { keyId: current.keyId, key: current.key.slice(), wrapped: current.wrapped };
  }

  /** {@link KeySource}: the data key a box names when it is cached; else `undefined`. */
  openingKeyNow(box: SealedKeyReference): Uint8Array | undefined {
    if (box.wrapped.length === 0) {
      if (this.#options.staticKeys !== undefined) return this.#options.staticKeys.openingKeyNow?.(box);
      throw sealedError('SEALED_KEY_UNKNOWN', 'this value was sealed under a static key: pass the Keyring as staticKeys to open it', {
        keyId: box.keyId,
      });
    }
    const hit = this.#opened.get(openSlotOf(box));
    if (hit === undefined) return undefined;
    this.#stats.cacheHits++;
    return hit.slice();
  }

  /** {@link KeySource}: the data key a box names, from the cache or from one `Decrypt` call. */
  async openingKey(box: SealedKeyReference): Promise<Uint8Array> {
    if (box.wrapped.length === 0) {
      if (this.#options.staticKeys !== undefined) return this.#options.staticKeys.openingKey(box);
      throw sealedError('SEALED_KEY_UNKNOWN', 'this value was sealed under a static key: pass the Keyring as staticKeys to open it', {
        keyId: box.keyId,
      });
    }
    const slot = openSlotOf(box);
    const hit = this.#opened.get(slot);
    if (hit !== undefined) {
      this.#stats.cacheHits++;
      return hit.slice();
    }
    let flight = this.#unwrapping.get(slot);
    if (flight === undefined) {
      flight = this.#unwrap(box).finally(() => this.#unwrapping.delete(slot));
      this.#unwrapping.set(slot, flight);
    }
    return (await flight).slice();
  }

  /**
   * Checks each configured KMS key (or the given ones) end to end, without the caches: one
   * `GenerateDataKey` and one `Decrypt` of its result. For `sealed-fields keys check` and deploy pipelines.
   */
  async check(kmsKeyIds: readonly string[] = configuredKeys(this.#options.kmsKeyId)): Promise<KmsKeyCheck[]> {
    const results: KmsKeyCheck[] = [];
    for (const kmsKeyId of kmsKeyIds) {
      const context = encryptionContext({ namespace: '', purpose: 'check', keyId: 'dk-check' });
      try {
        const generated = await this.#send<GenerateDataKeyCommandOutput>(
          'GenerateDataKey',
          new this.#sdk.GenerateDataKeyCommand({ KeyId: kmsKeyId, KeySpec: 'AES_256', EncryptionContext: context }),
          { kmsKeyId },
        );
        const arn = generated.KeyId ?? kmsKeyId;
        const opened = await this.#send<DecryptCommandOutput>(
          'Decrypt',
          new this.#sdk.DecryptCommand({ KeyId: arn, CiphertextBlob: generated.CiphertextBlob, EncryptionContext: context }),
          { kmsKeyId: arn },
        );
        const same =
          opened.Plaintext !== undefined &&
          generated.Plaintext !== undefined &&
          Buffer.from(opened.Plaintext).equals(Buffer.from(generated.Plaintext));
        generated.Plaintext?.fill(0);
        opened.Plaintext?.fill(0);
        results.push(
          same ? { kmsKeyId, ok: true, kmsKeyArn: arn } : { kmsKeyId, ok: false, kmsKeyArn: arn, code: 'SEALED_KMS_CONTEXT_MISMATCH' },
        );
      } catch (err) {
        const sealed = kmsError(err, 'GenerateDataKey', { kmsKeyId });
        results.push({
          kmsKeyId,
          ok: false,
          code: sealed.code,
          ...(typeof sealed.detail.kmsError === 'string' && { kmsError: sealed.detail.kmsError }),
        });
      }
    }
    return results;
  }

  /**
   * {@link KeySource}: the purposes `kmsKeyId` rules name (`"*\/credential"`, `"tenant-a/phi"`);
   * none for one key or a function (those choose for any purpose).
   */
  configuredPurposes(): string[] {
    const selection = this.#options.kmsKeyId;
    if (typeof selection !== 'object') return [];
    const named = Object.keys(selection.rules ?? {}).map((rule) => rule.slice(rule.indexOf('/') + 1));
    return [...new Set(named.filter((purpose) => purpose !== '*'))];
  }

  /** KMS calls made and cache use so far. */
  stats(): AwsKmsKeySourceStats {
    return { ...this.#stats, cachedKeys: this.#opened.size };
  }

  /** The configuration, without credentials or keys. */
  describe(): { kmsKeys: string[]; openKmsKeys: string[] | '*'; dataKeyMaxAgeMs: number; dataKeyMaxUses: number } {
    return {
      kmsKeys: configuredKeys(this.#options.kmsKeyId),
      openKmsKeys: this.#anyKey ? '*' : [...this.#allowed],
      dataKeyMaxAgeMs: this.#maxAge,
      dataKeyMaxUses: this.#maxUses,
    };
  }

  toJSON(): ReturnType<AwsKmsKeySource['describe']> {
    return this.describe();
  }

  static {
    // console.log / util.inspect show the configuration only (defined here, so the public type is unchanged).
    Object.defineProperty(AwsKmsKeySource.prototype, INSPECT, {
      value(this: AwsKmsKeySource): string {
        return `AwsKmsKeySource(${JSON.stringify(this.describe())})`;
      },
    });
  }

  /** Forgets every data key (sealing and opening caches), zeroing their bytes. */
  clearCache(): void {
    for (const key of this.#sealing.values()) key.key.fill(0);
    this.#sealing.clear();
    this.#opened.clear();
  }

  /** Forgets the data keys and closes the KMS client (only when this source built it). */
  destroy(): void {
    this.clearCache();
    if (this.#options.client === undefined) this.#client.destroy();
  }

  #spent(key: DataKey): boolean {
    return key.uses >= this.#maxUses || this.#now() - key.created >= this.#maxAge;
  }

  async #generate(scope: KeyScope): Promise<DataKey> {
    const kmsKeyId = selectKey(this.#options.kmsKeyId, scope);
    const keyId = newDataKeyId();
    const generated = await this.#send<GenerateDataKeyCommandOutput>(
      'GenerateDataKey',
      new this.#sdk.GenerateDataKeyCommand({
        KeyId: kmsKeyId,
        KeySpec: 'AES_256',
        EncryptionContext: encryptionContext({ ...scope, keyId }),
      }),
      { kmsKeyId, keyId },
    );
    const key = generated.Plaintext;
    const arn = generated.KeyId ?? kmsKeyId;
    if (key?.length !== 32 || generated.CiphertextBlob === undefined)
      throw sealedError('SEALED_KEY_INVALID', 'KMS answered GenerateDataKey without a 32-byte data key', { kmsKeyId });
    this.#allowed.add(arn);
    const dataKey: DataKey = {
      keyId,
      key: new Uint8Array(key),
      wrapped: writeWrappedKey(arn, generated.CiphertextBlob),
      created: this.#now(),
      uses: 0,
    };
    key.fill(0);
    const previous = this.#sealing.get(slotOf(scope));
    this.#sealing.set(slotOf(scope), dataKey);
    // The old data key may still open what it sealed: it moves to the opening cache (a copy), the sealing slot forgets it.
    if (previous !== undefined) {
      this.#opened.set(openSlotOf({ ...scope, keyId: previous.keyId, wrapped: previous.wrapped }), previous.key.slice());
      previous.key.fill(0);
    }
    // A process reading back what it sealed needs no Decrypt.
    this.#opened.set(openSlotOf({ ...scope, keyId, wrapped: dataKey.wrapped }), dataKey.key.slice());
    return dataKey;
  }

  async #unwrap(box: SealedKeyReference): Promise<Uint8Array> {
    const { kmsKeyArn, ciphertextBlob } = readWrappedKey(box.wrapped);
    if (!(await this.#mayOpenWith(kmsKeyArn))) {
      throw sealedError(
        'SEALED_KMS_KEY_NOT_ALLOWED',
        'this value names a KMS key this reader is not configured to use: add it to openKmsKeys',
        { kmsKeyId: kmsKeyArn, keyId: box.keyId },
      );
    }
    this.#refuseWhileRefusalsAbound(kmsKeyArn, box.keyId);
    let opened: DecryptCommandOutput;
    try {
      opened = await this.#send<DecryptCommandOutput>(
        'Decrypt',
        new this.#sdk.DecryptCommand({ KeyId: kmsKeyArn, CiphertextBlob: ciphertextBlob, EncryptionContext: encryptionContext(box) }),
        { kmsKeyId: kmsKeyArn, keyId: box.keyId },
      );
    } catch (err) {
      if (SealedError.is(err) && err.code === 'SEALED_KMS_CONTEXT_MISMATCH') this.#refusedUnwraps.push(this.#now());
      throw err;
    }
    if (opened.Plaintext?.length !== 32)
      throw sealedError('SEALED_KEY_INVALID', 'KMS unwrapped a data key that is not 32 bytes', { kmsKeyId: kmsKeyArn, keyId: box.keyId });
    const key = new Uint8Array(opened.Plaintext);
    opened.Plaintext.fill(0);
    this.#opened.set(openSlotOf(box), key);
    return key;
  }

  /** Forged boxes each cost a Decrypt that KMS refuses: past the budget of such refusals per minute, no more calls. */
  #refuseWhileRefusalsAbound(kmsKeyArn: string, keyId: string): void {
    const since = this.#now() - 60_000;
    this.#refusedUnwraps = this.#refusedUnwraps.filter((at) => at > since);
    if (this.#refusedUnwraps.length >= this.#maxRefusedUnwraps) {
      throw sealedError('SEALED_KMS_THROTTLED', 'too many forged or altered wrapped keys in the last minute: not asking KMS', {
        kmsKeyId: kmsKeyArn,
        keyId,
      });
    }
  }

  async #mayOpenWith(kmsKeyArn: string): Promise<boolean> {
    if (this.#anyKey || this.#trusts(kmsKeyArn)) return true;
    if (this.#aliases.length === 0) return false;
    this.#aliasesResolved ??= this.#resolveAliases();
    await this.#aliasesResolved;
    return this.#trusts(kmsKeyArn);
  }

  /**
   * A trusted ARN matches only itself: the same key id under another account, region or partition
   * is another key, and `Decrypt` must never be sent to a key a payload chose. A bare key id
   * (configured as such: a key of the caller's own account and region) matches the ARNs ending with it.
   */
  #trusts(kmsKeyArn: string): boolean {
    if (this.#allowed.has(kmsKeyArn)) return true;
    const bare = keyUuid(kmsKeyArn);
    return bare !== kmsKeyArn && this.#allowed.has(bare);
  }

  async #resolveAliases(): Promise<void> {
    for (const alias of this.#aliases) {
      try {
        const described = await this.#send<DescribeKeyCommandOutput>('DescribeKey', new this.#sdk.DescribeKeyCommand({ KeyId: alias }), {
          kmsKeyId: alias,
        });
        const arn = described.KeyMetadata?.Arn;
        if (arn !== undefined) this.#allowed.add(arn);
      } catch (err) {
        this.#aliasesResolved = undefined; // try again on the next payload
        throw err;
      }
    }
  }

  /** Sends one KMS command, counting it and turning its failure into a typed SealedError. */
  async #send<T>(operation: KmsOperation, command: unknown, ids: { kmsKeyId?: string; keyId?: string }): Promise<T> {
    this.#stats[operation === 'GenerateDataKey' ? 'generateDataKey' : operation === 'Decrypt' ? 'decrypt' : 'describeKey']++;
    try {
      return (await this.#client.send(command as never)) as T;
    } catch (err) {
      throw kmsError(err, operation, ids);
    }
  }
}

/** The KMS key for a scope. */
export function selectKey(selection: KmsKeySelection, scope: KeyScope): string {
  if (typeof selection === 'string') return selection;
  if (typeof selection === 'function') {
    const chosen = selection(scope);
    if (typeof chosen !== 'string' || chosen === '')
      throw sealedError('SEALED_INVALID_OPTION', 'kmsKeyId function returned no KMS key', { purpose: scope.purpose });
    return chosen;
  }
  const rules = selection.rules ?? {};
  const own = (name: string): string | undefined => (Object.hasOwn(rules, name) ? rules[name] : undefined);
  return own(`${scope.namespace}/${scope.purpose}`) ?? own(`${scope.namespace}/*`) ?? own(`*/${scope.purpose}`) ?? selection.default;
}

/** The KMS encryption context of a data key: what the AAD binds (namespace, purpose), the data key id and the library tag. */
export function encryptionContext(ref: { namespace: string; purpose: string; keyId: string }): Record<string, string> {
  const context: Record<string, string> = {
    [KMS_CONTEXT.library]: KMS_CONTEXT_TAG,
    [KMS_CONTEXT.purpose]: ref.purpose,
    [KMS_CONTEXT.keyId]: ref.keyId,
  };
  // KMS context values must not be empty: no namespace is no entry (distinct from any namespace).
  if (ref.namespace !== '') context[KMS_CONTEXT.namespace] = ref.namespace;
  return context;
}

/** A fresh data key id: `dk-` and 12 random base64url characters (72 bits), never derived from the key. */
export function newDataKeyId(): string {
  return `dk-${randomBytes(9).toString('base64url')}`;
}

/** Error code of a KMS failure (for callers that map codes, e.g. to HTTP statuses). */
export { kmsErrorCode };

function configuredKeys(selection: KmsKeySelection): string[] {
  if (typeof selection === 'string') return [selection];
  if (typeof selection === 'function') return [];
  return [...new Set([selection.default, ...Object.values(selection.rules ?? {})])];
}

function checkSelection(selection: KmsKeySelection): void {
  const bad = (): never => {
    throw sealedError('SEALED_INVALID_OPTION', 'kmsKeyId must be a KMS key id, ARN or alias, a function, or { default, rules }');
  };
  if (typeof selection === 'function') return;
  if (typeof selection === 'string') return void (selection.trim() === '' && bad());
  if (typeof selection !== 'object' || selection === null || typeof selection.default !== 'string' || selection.default === '') bad();
  for (const [rule, key] of Object.entries(selection.rules ?? {})) {
    if (typeof key !== 'string' || key === '' || !/^[^/]+\/[^/]+$/.test(rule)) bad();
  }
}

function isAlias(id: string): boolean {
  return id.startsWith('alias/') || /^arn:[^:]+:kms:[^:]*:[^:]*:alias\//.test(id);
}

/** A key ARN and its bare key id name the same key: compare by the key id. */
function keyUuid(id: string): string {
  const match = /^arn:[^:]+:kms:[^:]*:[^:]*:key\/(.+)$/.exec(id);
  return match !== null ? (match[1] as string) : id;
}

function slotOf(scope: KeyScope): string {
  return `${scope.namespace}\u0000${scope.purpose}`;
}

function openSlotOf(box: SealedKeyReference): string {
  return `${box.keyId}\u0000${box.namespace}\u0000${box.purpose}\u0000${Buffer.from(box.wrapped.buffer, box.wrapped.byteOffset, box.wrapped.byteLength).toString('latin1')}`;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) throw sealedError('SEALED_INVALID_OPTION', `${name} must be a positive number`);
  return value;
}

export type { KmsOperation };
