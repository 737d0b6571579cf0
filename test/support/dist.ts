// The package as published (dist/), for the tests that load it the way a user does: package-exports,
// the decorator fixtures compiled by a user's toolchain, the built bin. `ensureBuilt()` runs
// `npm run build` when dist/ is missing or older than its sources, so these tests run the same with
// or without a prior build. `npm test` builds first, so under it nothing is rebuilt here.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const DIST_INDEX = path.join(ROOT, 'dist/index.js');
export const DIST_CODEC = path.join(ROOT, 'dist/codec.js');

/** What the build reads. */
const INPUTS = ['src', 'package.json', 'tsconfig.json', 'tsup.config.ts', 'scripts/write-esm-wrappers.mjs'];
/** Test files in parallel processes build one at a time; a lock older than this is left over from a killed run. */
const LOCK = path.join(ROOT, '.tmp/dist-build.lock');
const STALE_LOCK_MS = 10 * 60_000;

/** Every file the package points at (main, types, exports, typesVersions) and the CLI the bin loads. */
function outputs(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    main: unknown;
    types: unknown;
    exports: unknown;
    typesVersions?: unknown;
  };
  const targets = ['dist/cli.js', ...packageTargets(pkg.main, pkg.types, pkg.exports, pkg.typesVersions)];
  return [...new Set(targets.filter((t) => /^(\.\/)?dist\//.test(t)))].map((t) => path.join(ROOT, t));
}

/** Every path string inside package.json fields, however deeply their conditions nest. */
export function packageTargets(...fields: unknown[]): string[] {
  return fields.flatMap((field) => {
    if (typeof field === 'string') return [field];
    if (typeof field === 'object' && field !== null) return packageTargets(...Object.values(field));
    return [];
  });
}

function newestMtime(file: string): number {
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(file).map((name) => newestMtime(path.join(file, name))));
}

/** dist/ holds every output, none older than the newest source. */
export function isBuilt(): boolean {
  const built = outputs();
  if (!built.every((file) => existsSync(file))) return false;
  const oldestOutput = Math.min(...built.map((file) => statSync(file).mtimeMs));
  const newestInput = Math.max(
    ...INPUTS.map((input) => path.join(ROOT, input))
      .filter((p) => existsSync(p))
      .map(newestMtime),
  );
  return oldestOutput >= newestInput;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Takes the build lock, waiting for another test process's build; false when that build left dist/ fresh. */
function lockOrWait(): boolean {
  mkdirSync(path.dirname(LOCK), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      return true;
    } catch {
      const lock = statSync(LOCK, { throwIfNoEntry: false });
      if (lock !== undefined && Date.now() - lock.mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      else sleep(250);
      if (isBuilt()) return false;
    }
  }
}

/** Builds dist/ unless it is fresh; throws with the build's output when the build fails or leaves a target out. */
export function ensureBuilt(): void {
  if (isBuilt() || !lockOrWait()) return;
  try {
    if (!isBuilt()) execFileSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`dist/ is missing or stale and \`npm run build\` failed:\n${`${stdout ?? ''}${stderr ?? ''}`.slice(-8000)}`);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
  const missing = outputs().filter((file) => !existsSync(file));
  if (missing.length > 0) throw new Error(`\`npm run build\` left out ${missing.map((file) => path.relative(ROOT, file)).join(', ')}`);
}
