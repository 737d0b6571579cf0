import { defineConfig } from 'tsup';

// Dual CJS + ESM build. The registry lives on globalThis, so loading both copies is safe.
export default defineConfig({
  entry: { index: 'src/index.ts', codec: 'src/codec.ts', server: 'src/server.ts', cli: 'src/cli/main.ts' },
  format: ['cjs', 'esm'],
  dts: { entry: { index: 'src/index.ts', codec: 'src/codec.ts', server: 'src/server.ts' } },
  target: 'node20',
  sourcemap: true,
  clean: true,
  splitting: false,
  outExtension: ({ format }) => ({ js: format === 'esm' ? '.mjs' : '.js' }),
});
