import { defineConfig } from 'tsup';

// One CommonJS build; dist/*.mjs re-export it (scripts/write-esm-wrappers.mjs), so ESM and CJS
// users share one module instance and class-transformer's builds resolve as in plain Node.
export default defineConfig({
  entry: { index: 'src/index.ts', codec: 'src/codec.ts', server: 'src/server.ts', cli: 'src/cli/main.ts' },
  format: ['cjs'],
  dts: { entry: { index: 'src/index.ts', codec: 'src/codec.ts', server: 'src/server.ts' } },
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  splitting: false,
  onSuccess: 'node scripts/write-esm-wrappers.mjs',
});
