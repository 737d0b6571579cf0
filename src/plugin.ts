/**
 * temporal-sealed-fields/plugin: Node only. The Temporal plugin (Client, Worker, bundler, replay)
 * and the bundler hook for DTOs that use class-transformer and reflect-metadata in workflows.
 * @packageDocumentation
 */
export { SealedFieldsPlugin, type SealedFieldsPluginOptions } from './plugin/sealed-fields-plugin';
export { sealedWebpackConfigHook, type SealedBundlerOptions } from './plugin/bundler';
