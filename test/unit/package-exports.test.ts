// The published entry points as a user loads them: by package name, through package.json "exports",
// with require and with import, plus what `npm pack` ships. Builds dist/ first when it is missing or stale.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ensureBuilt, ROOT as root } from '../support/dist';

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, Record<string, string>>>;
  typesVersions: Record<string, Record<string, string[]>>;
};
const entries = ['', '/codec', '/server', '/plugin', '/keystore'];
ensureBuilt();

// Loads every entry by package name (self-reference) with require and import, in a plain Node process.
const probe = `
import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/package.json');
const out = {};
for (const sub of ${JSON.stringify(entries)}) {
  const spec = ${JSON.stringify(pkg.name)} + sub;
  const cjs = require(spec);
  const esm = await import(spec);
  const cjsNames = Object.keys(cjs).filter((n) => n !== '__esModule').sort();
  const esmNames = Object.keys(esm).filter((n) => n !== 'default').sort();
  out[spec] = { cjsNames, esmNames, same: cjsNames.every((n) => esm[n] === cjs[n]), defaultIsCjs: esm.default === cjs };
}
console.log(JSON.stringify(out));
`;

describe('package entry points (dist/)', () => {
  test('every exports, typesVersions, main, types and bin target exists', () => {
    const targets = [pkg.main, pkg.types, ...Object.values(pkg.bin)];
    for (const value of Object.values(pkg.exports)) {
      if (typeof value === 'string') targets.push(value);
      else for (const conditions of Object.values(value)) targets.push(...Object.values(conditions));
    }
    for (const paths of Object.values(pkg.typesVersions['*'] ?? {})) targets.push(...paths);
    for (const target of targets) expect(existsSync(join(root, target)), target).toBe(true);
    // moduleResolution node10 (no "exports") finds the subpath types through typesVersions.
    expect(Object.keys(pkg.typesVersions['*'] ?? {}).sort()).toEqual(['codec', 'keystore', 'plugin', 'server']);
  });

  test('import gets ESM types (.d.mts) and require CJS types (.d.ts), each beside its JS', () => {
    for (const [sub, value] of Object.entries(pkg.exports)) {
      if (typeof value === 'string') continue;
      const base = sub === '.' ? 'index' : sub.slice(2);
      expect(value, sub).toEqual({
        import: { types: `./dist/${base}.d.mts`, default: `./dist/${base}.mjs` },
        require: { types: `./dist/${base}.d.ts`, default: `./dist/${base}.js` },
      });
    }
  });

  test('require and import load ".", "/codec", "/server", "/plugin" and "/keystore" with the same exports and one module instance', () => {
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: root, encoding: 'utf8' })) as Record<
      string,
      { cjsNames: string[]; esmNames: string[]; same: boolean; defaultIsCjs: boolean }
    >;
    for (const sub of entries) {
      const r = out[pkg.name + sub]!;
      expect(r.cjsNames.length, sub).toBeGreaterThan(0);
      expect(r.esmNames, sub).toEqual(r.cjsNames);
      expect(r.same, sub).toBe(true);
      expect(r.defaultIsCjs, sub).toBe(true);
    }
    expect(out[pkg.name]!.cjsNames).toEqual(expect.arrayContaining(['createSealedPayloadConverter', 'SealedType', 'Sensitive', 'secret']));
    expect(out[`${pkg.name}/codec`]!.cjsNames).toEqual(expect.arrayContaining(['SealingCodec', 'Keyring']));
    expect(out[`${pkg.name}/server`]!.cjsNames).toContain('createCodecServer');
    expect(out[`${pkg.name}/plugin`]!.cjsNames).toContain('SealedFieldsPlugin');
    expect(out[`${pkg.name}/keystore`]!.cjsNames).toEqual(['FileSubjectKeyStore', 'MemorySubjectKeyStore', 'PostgresSubjectKeyStore']);
  });

  test('the bin runs', () => {
    const help = execFileSync(process.execPath, [join(root, pkg.bin['sealed-fields']!), '--help'], { encoding: 'utf8' });
    expect(help).toContain('Usage: sealed-fields');
  });

  test('npm pack ships dist, bin, docs, the screenshots the README shows and README; no sources, tests, examples or source maps', () => {
    const [report] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }),
    ) as [{ files: Array<{ path: string }> }];
    const files = report.files.map((f) => f.path);
    for (const needed of ['package.json', 'README.md', 'LICENSE', 'bin/sealed-fields.js', 'dist/cli.js', 'docs/FORMAT.md'])
      expect(files, needed).toContain(needed);
    for (const entry of ['index', 'codec', 'server', 'plugin', 'keystore']) {
      for (const ext of ['.js', '.mjs', '.d.ts', '.d.mts']) expect(files, entry + ext).toContain(`dist/${entry}${ext}`);
    }
    // What the plugin hands to workers and workflow bundles (src/plugin/files.ts).
    for (const internal of ['plugin-converter.js', 'plugin-workflow-interceptors.js', 'plugin-reflect.js'])
      expect(files, internal).toContain(`dist/${internal}`);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    const odd = files.filter(
      (f) => !/^(dist|bin)\//.test(f) && !/^docs\/[^/]+\.md$/.test(f) && !['package.json', 'README.md', 'LICENSE'].includes(f),
    );
    // Images: exactly those README.md and docs/*.md show by a relative link (shipped so the docs in node_modules show them too).
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const imagesOf = (text: string, folder: string): string[] =>
      [...text.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)]
        .map((m) => m[1]!)
        .filter((src) => !/^[a-z]+:/i.test(src))
        .map((src) => posix.join(folder, src));
    const docs = files.filter((f) => /^docs\/[^/]+\.md$/.test(f));
    const relativeImages = [...imagesOf(readme, '.'), ...docs.flatMap((doc) => imagesOf(readFileSync(join(root, doc), 'utf8'), 'docs'))];
    expect(odd.sort()).toEqual([...new Set(relativeImages)].sort());
    // Every relative link in README.md points at a shipped file (or is made absolute).
    const relativeLinks = [...readme.matchAll(/(?<!!)\[[^\]]*\]\(([^)\s#]+)[^)]*\)/g)]
      .map((m) => m[1]!)
      .filter((href) => !/^[a-z]+:/i.test(href));
    for (const href of relativeLinks) expect(files, `README links ${href}`).toContain(href.replace(/^\.\//, ''));
  });
});
