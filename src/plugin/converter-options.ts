/**
 * The payload converter options the plugin hands to its default converter module, in a form that
 * crosses into the workflow bundle as JSON (webpack's DefinePlugin) and reaches the worker main
 * thread and clients through a per-realm slot. Workflow-safe: no Node built-ins.
 */
import type { SealedPayloadConverterOptions } from '../index';

/** JSON form of the converter options; RegExps travel as source and flags. */
export interface ConverterOptionsJson {
  strict?: boolean;
  keyRules?: Array<{ source: string; flags: string; purpose?: string }>;
  maxDepth?: number;
  maxPayloadBytes?: number;
  validateOnDecode?: boolean;
}

/** Name of the constant the bundler hook defines in the workflow bundle (JSON text). */
export const BUNDLE_OPTIONS_CONSTANT = '__TEMPORAL_SEALED_FIELDS_CONVERTER_OPTIONS__';

const SLOT = Symbol.for('temporal-sealed-fields.plugin.converter-options.v1');

interface Slot {
  key: string;
  options: SealedPayloadConverterOptions;
}

const bag = globalThis as unknown as Record<symbol, Slot | undefined>;

export function toJson(options: SealedPayloadConverterOptions): ConverterOptionsJson {
  const json: ConverterOptionsJson = {};
  if (options.strict === true) json.strict = true; // false is the default: same options
  if (options.maxDepth !== undefined) json.maxDepth = options.maxDepth;
  if (options.maxPayloadBytes !== undefined) json.maxPayloadBytes = options.maxPayloadBytes;
  if (options.validateOnDecode === true) json.validateOnDecode = true;
  if (options.keyRules !== undefined) {
    json.keyRules = options.keyRules.map((rule) => ({
      source: rule.pattern.source,
      flags: rule.pattern.flags,
      ...(rule.purpose !== undefined ? { purpose: rule.purpose } : {}),
    }));
  }
  return json;
}

export function fromJson(json: ConverterOptionsJson): SealedPayloadConverterOptions {
  const options: SealedPayloadConverterOptions = {};
  if (json.strict !== undefined) options.strict = json.strict;
  if (json.maxDepth !== undefined) options.maxDepth = json.maxDepth;
  if (json.maxPayloadBytes !== undefined) options.maxPayloadBytes = json.maxPayloadBytes;
  if (json.validateOnDecode !== undefined) options.validateOnDecode = json.validateOnDecode;
  if (json.keyRules !== undefined) {
    options.keyRules = json.keyRules.map((rule) => ({
      pattern: new RegExp(rule.source, rule.flags),
      ...(rule.purpose !== undefined ? { purpose: rule.purpose } : {}),
    }));
  }
  return options;
}

/**
 * Publishes the options for this realm's default converter module. One set per process: the
 * module is loaded once, so a second, different set is refused (give `payloadConverterPath`).
 */
export function publishConverterOptions(options: SealedPayloadConverterOptions, key: string): boolean {
  const current = bag[SLOT];
  if (current !== undefined && current.key !== key) return false;
  if (current === undefined) bag[SLOT] = { key, options };
  else if (options.schemas !== undefined) current.options.schemas = { ...current.options.schemas, ...options.schemas };
  return true;
}

export function publishedConverterOptions(): SealedPayloadConverterOptions | undefined {
  return bag[SLOT]?.options;
}
