// Post-build step (tsup onSuccess, after the JS builds; the declarations finish on their own).
// dist/<entry>.mjs re-exports the CommonJS build under ESM `import`, so CJS and ESM users share one
// module instance; the types of both come from the same sources (dist/<entry>.d.ts and .d.mts).
// The ESM bundles esbuild wrote for the internal entries are removed; src/plugin/sandbox-reflect.cjs
// is copied to dist/plugin-reflect.js as is (webpack resolves its require in workflow bundles).
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const root = process.cwd();
const dist = join(root, 'dist');

for (const entry of ['index', 'codec', 'server', 'plugin', 'keystore']) {
  const names = Object.keys(require(join(dist, `${entry}.js`))).filter((n) => n !== 'default' && n !== '__esModule');
  const body = `import cjs from './${entry}.js';\nexport const { ${names.join(', ')} } = cjs;\nexport default cjs;\n`;
  writeFileSync(join(dist, `${entry}.mjs`), body);
}
for (const internal of ['cli', 'plugin-converter', 'plugin-workflow-interceptors']) rmSync(join(dist, `${internal}.mjs`), { force: true });
copyFileSync(join(root, 'src/plugin/sandbox-reflect.cjs'), join(dist, 'plugin-reflect.js'));
