/**
 * The payload and failure converter module the plugin gives workers, bundles and clients when the
 * user gives none (`payloadConverterPath`). Workflow-safe: it is bundled into the workflow sandbox.
 * Inside the bundle its options come from a constant the plugin's bundler hook defines; on the
 * worker main thread and in clients, from the plugin that published them in this process.
 */
import { createSealedFailureConverter, createSealedPayloadConverter } from '../index';
import { fromJson, publishedConverterOptions, type ConverterOptionsJson } from './converter-options';

declare const __TEMPORAL_SEALED_FIELDS_CONVERTER_OPTIONS__: string | undefined;

function bundledOptions(): ConverterOptionsJson | undefined {
  // DefinePlugin replaces the name with a string literal in the workflow bundle; elsewhere it is undeclared.
  return typeof __TEMPORAL_SEALED_FIELDS_CONVERTER_OPTIONS__ === 'string'
    ? (JSON.parse(__TEMPORAL_SEALED_FIELDS_CONVERTER_OPTIONS__) as ConverterOptionsJson)
    : undefined;
}

const fromBundle = bundledOptions();

export const payloadConverter = createSealedPayloadConverter(
  fromBundle !== undefined ? fromJson(fromBundle) : (publishedConverterOptions() ?? {}),
);
export const failureConverter = createSealedFailureConverter();
