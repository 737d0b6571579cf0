/**
 * The webpack hook for Temporal's workflow bundler: gives the bundle a `Reflect` that carries
 * reflect-metadata's API without touching the frozen global (class-transformer's `@Type`,
 * `import 'reflect-metadata'` under the Worker's default `reuseV8Context`), and defines the
 * plugin's converter options for its default converter module. Node only.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BundleOptions } from '@temporalio/worker';
import { BUNDLE_OPTIONS_CONSTANT, type ConverterOptionsJson } from './converter-options';
import { libraryFile } from './files';

type WebpackConfig = Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0];
type WebpackHook = (config: WebpackConfig) => WebpackConfig;

/**
 * Options of {@link sealedWebpackConfigHook}.
 *
 * @example
 * ```ts
 * await bundleWorkflowCode({ workflowsPath, webpackConfigHook: sealedWebpackConfigHook({ reflectMetadata: true }) });
 * ```
 */
export interface SealedBundlerOptions {
  /**
   * Route free `Reflect` and `import 'reflect-metadata'` in the bundle to a sandbox-local Reflect with
   * reflect-metadata's API. Default: on when `reflect-metadata` resolves from the workflow code.
   */
  reflectMetadata?: boolean;
  /** @internal The plugin's converter options, for its default converter module. */
  converterOptions?: ConverterOptionsJson;
}

const MARK = 'temporal-sealed-fields';
const REFLECT_METADATA_ALIAS = '__temporal_sealed_fields_reflect_metadata__';

interface Parser {
  state: { module?: { resource?: string } };
  hooks: Record<
    'expression' | 'call',
    { for(name: string): { tap(options: { name: string; stage: number }, fn: () => true | undefined): void } }
  >;
}
interface Compilation {
  assets: Record<string, { source(): string | Uint8Array }>;
  errors: Error[];
}
interface Compiler {
  hooks: {
    compilation: { tap(name: string, fn: (compilation: unknown, params: { normalModuleFactory: NormalModuleFactory }) => void): void };
    afterCompile: { tap(name: string, fn: (compilation: Compilation) => void): void };
  };
}
interface NormalModuleFactory {
  hooks: { parser: { for(type: string): { tap(name: string, fn: (parser: Parser) => void): void } } };
}
interface WebpackModule {
  ProvidePlugin: new (definitions: Record<string, string>) => { apply(compiler: Compiler): void };
  DefinePlugin: new (definitions: Record<string, string>) => { apply(compiler: Compiler): void };
}

/** Temporal's own webpack, the one its bundler runs. */
function temporalWebpack(): WebpackModule {
  const workerRequire = createRequire(require.resolve('@temporalio/worker'));
  return workerRequire('webpack') as WebpackModule;
}

/** reflect-metadata's no-conflict build as the workflow code would resolve it, if installed. */
function findReflectMetadata(from: string): string | undefined {
  try {
    return createRequire(path.join(from, 'noop.js')).resolve('reflect-metadata/no-conflict');
  } catch {
    return undefined;
  }
}

function entryDirectory(config: WebpackConfig): string {
  const entry = (config as { entry?: unknown }).entry;
  const first = Array.isArray(entry) ? entry[0] : typeof entry === 'string' ? entry : undefined;
  return typeof first === 'string' && path.isAbsolute(first) ? path.dirname(first) : process.cwd();
}

/**
 * ProvidePlugin for `Reflect`, except in the modules that build the sandbox Reflect itself:
 * they must see the global one. Our taps run first (lower stage) and bail for those modules.
 */
class SandboxReflectPlugin {
  readonly [MARK] = 'reflect';
  constructor(
    private readonly webpack: WebpackModule,
    private readonly shimPath: string,
    private readonly exempt: readonly string[],
  ) {}

  apply(compiler: Compiler): void {
    const exempt = this.exempt;
    compiler.hooks.compilation.tap(MARK, (_compilation, { normalModuleFactory }) => {
      const handler = (parser: Parser): void => {
        const bail = (): true | undefined => (exempt.includes(parser.state.module?.resource ?? '') ? true : undefined);
        parser.hooks.expression.for('Reflect').tap({ name: MARK, stage: -100 }, bail);
        parser.hooks.call.for('Reflect').tap({ name: MARK, stage: -100 }, bail);
      };
      for (const type of ['javascript/auto', 'javascript/dynamic', 'javascript/esm'])
        normalModuleFactory.hooks.parser.for(type).tap(MARK, handler);
    });
    new this.webpack.ProvidePlugin({ Reflect: this.shimPath }).apply(compiler);
  }
}

type ConfigPlugin = NonNullable<WebpackConfig['plugins']>[number];

function addPlugin(config: WebpackConfig, plugin: { apply(compiler: Compiler): void }): void {
  config.plugins ??= [];
  config.plugins.push(plugin as unknown as ConfigPlugin);
}

const MISSING_MODULE = /Cannot find module '([^'"]+)'"\); e\.code = 'MODULE_NOT_FOUND'/g;

/** Fails the bundle (at worker start-up) when webpack left a module unresolved without reporting it, instead of at the first workflow task. */
class MissingModuleCheck {
  readonly [MARK] = 'missing-modules';
  apply(compiler: Compiler): void {
    compiler.hooks.afterCompile.tap(MARK, (compilation) => {
      const missing = new Set<string>();
      for (const asset of Object.values(compilation.assets)) {
        for (const match of String(asset.source()).matchAll(MISSING_MODULE)) missing.add(match[1] as string);
      }
      if (missing.size === 0) return;
      compilation.errors.push(
        new Error(
          `temporal-sealed-fields: the workflow bundle would fail to load these modules in the sandbox: ${[...missing].join(', ')}. ` +
            'Move the code that needs them out of workflow code (DTO modules imported by workflows must be workflow-safe), or list them in bundlerOptions.ignoreModules if never used at run time.',
        ),
      );
    });
  }
}

function alreadyConfigured(config: WebpackConfig): boolean {
  return (config.plugins ?? []).some((p) => typeof p === 'object' && p !== null && MARK in p);
}

function withReflect(config: WebpackConfig, webpack: WebpackModule, noConflict: string): void {
  const shim = libraryFile('plugin-reflect.js', 'sandbox-reflect.cjs');
  config.resolve ??= {};
  const alias = config.resolve.alias ?? {};
  if (Array.isArray(alias)) throw new TypeError('temporal-sealed-fields: resolve.alias as an array is not supported by the bundler hook');
  config.resolve.alias = {
    ...alias,
    'reflect-metadata$': shim,
    'reflect-metadata/lite$': shim,
    'reflect-metadata/Reflect$': shim,
    'reflect-metadata/Reflect.js$': shim,
    [`${REFLECT_METADATA_ALIAS}$`]: noConflict,
  };
  addPlugin(config, new SandboxReflectPlugin(webpack, shim, [shim, noConflict]));
}

function withConverterOptions(config: WebpackConfig, webpack: WebpackModule, options: ConverterOptionsJson): void {
  const define = new webpack.DefinePlugin({ [BUNDLE_OPTIONS_CONSTANT]: JSON.stringify(JSON.stringify(options)) });
  addPlugin(config, Object.assign(define, { [MARK]: 'options' }));
}

/**
 * A `webpackConfigHook` for `bundleWorkflowCode` or `Worker.create({ bundlerOptions })` that lets
 * DTOs using class-transformer's `@Type` and `import 'reflect-metadata'` load in the workflow
 * sandbox under the Worker's default options. Composes with a hook of your own (`then`).
 *
 * @example
 * ```ts
 * await bundleWorkflowCode({ workflowsPath, webpackConfigHook: sealedWebpackConfigHook() });
 * ```
 */
export function sealedWebpackConfigHook(options: SealedBundlerOptions = {}, then?: WebpackHook): WebpackHook {
  return (input) => {
    const config = then !== undefined ? then(input) : input;
    if (alreadyConfigured(config)) return config;
    const webpack = temporalWebpack();
    const noConflict = options.reflectMetadata === false ? undefined : findReflectMetadata(entryDirectory(config));
    if (options.reflectMetadata === true && noConflict === undefined) {
      throw new TypeError(
        "temporal-sealed-fields: reflectMetadata: true but 'reflect-metadata' does not resolve from the workflow code: npm install reflect-metadata",
      );
    }
    if (noConflict !== undefined) withReflect(config, webpack, noConflict);
    // webpack 5 (as Temporal's bundler runs it) drops re-exported modules of "sideEffects": false packages
    // such as class-validator and class-transformer without an error; the sandbox then fails on load.
    config.optimization = { ...config.optimization, sideEffects: false };
    addPlugin(config, new MissingModuleCheck());
    if (options.converterOptions !== undefined) withConverterOptions(config, webpack, options.converterOptions);
    return config;
  };
}
