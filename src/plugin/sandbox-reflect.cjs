// The `Reflect` that workflow bundles see when the plugin's bundler hook is on: the global Reflect's
// methods plus reflect-metadata's API (its no-conflict build), without touching the global, which
// Temporal's reusable V8 context freezes. Workflow-safe; CommonJS so webpack can provide it as is.
'use strict';
// The bundler hook aliases this name to the user's `reflect-metadata/no-conflict`.
const metadata = require('__temporal_sealed_fields_reflect_metadata__');
const builtin = globalThis.Reflect;
const sandboxReflect = {};
for (const key of Object.getOwnPropertyNames(builtin)) sandboxReflect[key] = builtin[key];
for (const key of Object.keys(metadata)) if (typeof metadata[key] === 'function') sandboxReflect[key] = metadata[key];
module.exports = sandboxReflect;
