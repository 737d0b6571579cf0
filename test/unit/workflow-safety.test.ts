import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, test } from 'vitest';

// The workflow-safe part (bundled into the Temporal workflow sandbox) must not reach Node or crypto.
const SRC = join(__dirname, '..', '..', 'src');
const WORKFLOW_SAFE = ['index.ts', 'errors.ts', 'lib', 'model', 'converter', 'interceptors'];
const FORBIDDEN =
  /^(node:|libsodium|crypto$|fs$|path$|os$|http|net$|child_process|worker_threads|hono|jose|@hono|@temporalio\/(worker|client|testing|activity))/;

function files(path: string): string[] {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) return [];
  if (stat.isFile()) return /\.(ts|cjs)$/.test(path) ? [path] : [];
  return readdirSync(path).flatMap((entry) => files(join(path, entry)));
}

function importsOf(file: string): string[] {
  // Type-only imports vanish at compile time.
  const text = readFileSync(file, 'utf8').replace(/import\s+type\s[^;]*;/g, '');
  return [...text.matchAll(/(?:from\s+|require\(|import\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1] as string);
}

test('lib/, model/, converter/ and the main entry import nothing Node-only and nothing from codec/, server/ or cli/', () => {
  const offenders: string[] = [];
  for (const file of WORKFLOW_SAFE.flatMap((p) => files(join(SRC, p)))) {
    for (const spec of importsOf(file)) {
      const inward = spec.startsWith('.') && /(^|\/)(codec|server|cli)(\/|$|\.ts$)/.test(relative(SRC, join(file, '..', spec)));
      if (FORBIDDEN.test(spec) || inward) offenders.push(`${relative(SRC, file)} -> ${spec}`);
    }
  }
  expect(offenders).toEqual([]);
});

/** Every relative import of the files under `from` (type-only ones too) that lands in one of `folders`. */
function reachesInto(from: string, folders: readonly string[]): string[] {
  return files(join(SRC, from)).flatMap((file) => {
    const specs = [...readFileSync(file, 'utf8').matchAll(/(?:from\s+|require\(|import\()\s*['"](\.[^'"]*)['"]/g)].map(
      (m) => m[1] as string,
    );
    return specs
      .filter((spec) => folders.includes(relative(SRC, join(file, '..', spec)).split('/')[0] as string))
      .map((spec) => `${relative(SRC, file)} -> ${spec}`);
  });
}

test('codec/ never imports server/, cli/ or converter/: what it shares with the converter lives in lib/', () => {
  expect(reachesInto('codec', ['server', 'cli', 'converter'])).toEqual([]);
});

test('server/ and cli/ never reach into converter/ internals', () => {
  expect(reachesInto('server', ['converter'])).toEqual([]);
  expect(reachesInto('cli', ['converter'])).toEqual([]);
});
