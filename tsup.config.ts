import { defineConfig } from 'tsup';

// One CommonJS build; dist/*.mjs re-export it (scripts/write-esm-wrappers.mjs replaces the ESM
// bundles esbuild writes), so ESM and CJS users share one module instance and class-transformer's
// builds resolve as in plain Node. The 'esm' format is there for its declarations: dist/*.d.mts,
// the types ESM consumers resolve (without them TypeScript sees CJS types behind an ESM import).
// plugin-converter and plugin-workflow-interceptors are modules the plugin hands to workers and
// workflow bundles (src/plugin/files.ts finds them beside dist/plugin.js); plugin-reflect.js is
// src/plugin/sandbox-reflect.cjs copied as is (the post-build script), since webpack resolves its require.
// No source maps: src/ is not shipped, so maps would point at nothing.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    codec: 'src/codec.ts',
    server: 'src/server.ts',
    plugin: 'src/plugin.ts',
    keystore: 'src/keystore.ts',
    'plugin-converter': 'src/plugin/converter-module.ts',
    'plugin-workflow-interceptors': 'src/plugin/workflow-interceptors.ts',
    cli: 'src/cli/main.ts',
  },
  format: ['cjs', 'esm'],
  dts: {
    entry: { index: 'src/index.ts', codec: 'src/codec.ts', server: 'src/server.ts', plugin: 'src/plugin.ts', keystore: 'src/keystore.ts' },
  },
  target: 'node20',
  platform: 'node',
  external: [/^@temporalio\//], // the user's SDK, never a copy (tsup externalizes only dependencies and peers, pg among them)
  sourcemap: false,
  clean: true,
  splitting: false,
  onSuccess: 'node scripts/write-esm-wrappers.mjs',
});
