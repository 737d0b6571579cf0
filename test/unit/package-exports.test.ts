// The published entry points as a user loads them: by package name, through package.json "exports",
// with require and with import, plus what `npm pack` ships. Needs dist/ (`npm test` builds it first).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  typesVersions: Record<string, Record<string, string[]>>;
};
const entries = ['', '/codec', '/server'];
const built = existsSync(join(root, 'dist', 'index.js'));

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

describe.skipIf(!built)('package entry points (dist/)', () => {
  test('every exports, typesVersions, main, types and bin target exists', () => {
    const targets = [pkg.main, pkg.types, ...Object.values(pkg.bin)];
    for (const value of Object.values(pkg.exports)) targets.push(...(typeof value === 'string' ? [value] : Object.values(value)));
    for (const paths of Object.values(pkg.typesVersions['*'] ?? {})) targets.push(...paths);
    for (const target of targets) expect(existsSync(join(root, target)), target).toBe(true);
    // moduleResolution node10 (no "exports") finds the subpath types through typesVersions.
    expect(Object.keys(pkg.typesVersions['*'] ?? {}).sort()).toEqual(['codec', 'server']);
  });

  test('require and import load ".", "/codec" and "/server" with the same exports and one module instance', () => {
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
  });

  test('the bin runs', () => {
    const help = execFileSync(process.execPath, [join(root, pkg.bin['sealed-fields']!), '--help'], { encoding: 'utf8' });
    expect(help).toContain('Usage: sealed-fields');
  });

  test('npm pack ships dist, bin, docs and README, and no sources or tests', () => {
    const [report] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' })) as [
      { files: Array<{ path: string }> },
    ];
    const files = report.files.map((f) => f.path);
    for (const needed of ['package.json', 'README.md', 'bin/sealed-fields.js', 'dist/cli.js', 'docs/FORMAT.md'])
      expect(files, needed).toContain(needed);
    for (const entry of ['index', 'codec', 'server']) {
      for (const ext of ['.js', '.mjs', '.d.ts']) expect(files, entry + ext).toContain(`dist/${entry}${ext}`);
    }
    const odd = files.filter((f) => !/^(dist|bin|docs)\//.test(f) && !['package.json', 'README.md', 'LICENSE'].includes(f));
    expect(odd).toEqual([]);
  });
});
