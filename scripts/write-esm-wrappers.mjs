// Writes dist/<entry>.mjs files that re-export the CommonJS build under ESM `import`.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const dist = join(process.cwd(), 'dist');
for (const entry of ['index', 'codec', 'server']) {
  const names = Object.keys(require(join(dist, `${entry}.js`))).filter((n) => n !== 'default' && n !== '__esModule');
  const body = `import cjs from './${entry}.js';\nexport const { ${names.join(', ')} } = cjs;\nexport default cjs;\n`;
  writeFileSync(join(dist, `${entry}.mjs`), body);
}
