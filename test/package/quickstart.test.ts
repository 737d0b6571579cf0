// The README quickstart as a new user runs it, from the packed tarball: `npm pack`, then two fresh
// apps in a temp dir (CommonJS and ESM) that `npm install` the tarball and the packages the README's
// install line names (Temporal packages at this repo's devDependency versions, from the npm cache),
// type-check with `declaration: true` (and emit, so declaration errors like TS4094 count), and run
// the README's worker and client with tsx against a real dev server, keys from the package's own
// `sealed-fields keygen`. Then the raw history (no codec) must hold no value the client sealed.
//
// The app files are the README's: every ```ts block in its "Quickstart" section whose first line is
// `// src/<file>.ts` becomes that file. The ESM app gets the same files turned into ES modules the
// way the README describes (relative imports with `.js`, `require.resolve('./x')` becomes
// `fileURLToPath(new URL('./x.ts', import.meta.url))`), unless the README gives an ESM block for a
// file (first line `// src/<file>.ts (ESM)`), which is then used as is.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startDevServer, type DevServer } from '../support/dev-server';
import { ensureBuilt, ROOT } from '../support/dist';

const run = promisify(execFile);
const rootPkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
// Child processes (npm, npx, tsx, tsc) run on the Node that runs this test (CI runs it on 20, 22, 24).
const childEnv: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };
delete childEnv.NODE_OPTIONS; // vitest's own loader flags are not the user's
delete childEnv.VITEST;

// ---- The README, read as a user reads it

interface Quickstart {
  /** Package names from the quickstart's `npm install temporal-sealed-fields ...` line. */
  install: string[];
  /** src/<file>.ts → contents (CommonJS project, as the README shows). */
  files: Map<string, string>;
  /** ESM blocks the README gives, if any. */
  esmFiles: Map<string, string>;
}

function readQuickstart(): Quickstart {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.search(/^## Quickstart/m);
  if (start < 0) throw new Error('README.md has no "## Quickstart" section');
  const rest = readme.slice(start + 3);
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  const install: string[] = [];
  const files = new Map<string, string>();
  const esmFiles = new Map<string, string>();
  for (const [, lang, body] of section.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)) {
    if (lang === 'sh' || lang === 'bash') {
      for (const line of body!.split('\n')) {
        const m = /^\s*npm (?:install|i)\s+(.*?)\s*(?:#.*)?$/.exec(line);
        if (m && m[1]!.split(/\s+/).includes(rootPkg.name)) install.push(...m[1]!.split(/\s+/).filter((p) => !p.startsWith('-')));
      }
    } else if (lang === 'ts' || lang === 'typescript') {
      const m = /^\/\/ (src\/[\w./-]+\.ts)( \(ESM\))?\s*\n/.exec(body!);
      if (m) (m[2] ? esmFiles : files).set(m[1]!, body!);
    }
  }
  if (install.length === 0) throw new Error(`README quickstart has no "npm install ${rootPkg.name} ..." line`);
  for (const needed of ['src/worker.ts', 'src/client.ts', 'src/workflows.ts', 'src/activities.ts'])
    if (!files.has(needed)) throw new Error(`README quickstart has no block starting "// ${needed}"`);
  return { install, files, esmFiles };
}

/** The README's CommonJS file as an ES module (what the README tells ESM users to change). */
function toEsm(source: string): string {
  let out = source.replace(/(from\s+|import\s+)'(\.{1,2}\/[^']+?)'/g, (all, lead: string, spec: string) =>
    /\.[cm]?[jt]s$/.test(spec) ? all : `${lead}'${spec}.js'`,
  );
  let resolved = false;
  out = out.replace(/require\.resolve\('(\.{1,2}\/[^']+?)'\)/g, (_all, spec: string) => {
    resolved = true;
    return `fileURLToPath(new URL('${/\.[cm]?ts$/.test(spec) ? spec : `${spec}.ts`}', import.meta.url))`;
  });
  if (resolved) out = `import { fileURLToPath } from 'node:url';\n${out}`;
  return out;
}

/** String literals the client wraps in secret(...) or puts in a @Sensitive field: must never reach the server in clear. */
function sealedLiterals(client: string, dto: string | undefined): string[] {
  const literals = [...client.matchAll(/secret\(\s*'([^']+)'/g)].map((m) => m[1]!);
  // Fields the DTO marks @Sensitive, as the client fills them: `notes: 'chest pain'`.
  const sensitive = [...(dto ?? '').matchAll(/@Sensitive\([^)]*\)\s+(\w+)[!?]?:/g)].map((m) => m[1]!);
  for (const field of sensitive) for (const m of client.matchAll(new RegExp(`\\b${field}:\\s*'([^']+)'`, 'g'))) literals.push(m[1]!);
  return [...new Set(literals)];
}

// ---- The apps

const quickstart = readQuickstart();
const tools = ['typescript', '@types/node', 'tsx'];
let tmp: string;
let tarball: string;
let server: DevServer;
let keysEnv: Record<string, string> = {};

function versionOf(name: string): string {
  const version = rootPkg.devDependencies[name] ?? rootPkg.dependencies[name];
  if (version === undefined)
    throw new Error(`README installs ${name}, which is not a dependency of this repo (no pinned version to test with)`);
  return `${name}@${version}`;
}

function tsconfig(kind: 'cjs' | 'esm'): object {
  const common = {
    target: 'ES2022',
    lib: ['ES2022'],
    types: ['node'],
    strict: true,
    declaration: true, // NestJS's default: exported values must have nameable types
    outDir: 'build',
    skipLibCheck: true, // NestJS's default; @temporalio/common's own .d.ts do not check under nodenext (no types for 'ms')
    experimentalDecorators: true,
  };
  return kind === 'cjs'
    ? // What `nest new` generates (module commonjs, node10 resolution, decorator metadata).
      {
        compilerOptions: { ...common, module: 'commonjs', moduleResolution: 'node10', emitDecoratorMetadata: true, esModuleInterop: true },
        include: ['src'],
      }
    : { compilerOptions: { ...common, module: 'nodenext', moduleResolution: 'nodenext' }, include: ['src'] };
}

async function sh(cwd: string, cmd: string, args: string[], timeout = 150_000, extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd, env: { ...childEnv, ...extraEnv }, timeout, maxBuffer: 32 << 20 });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`.slice(-6000));
  }
}

async function makeApp(kind: 'cjs' | 'esm'): Promise<string> {
  const dir = path.join(tmp, `${kind}-app`);
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: `quickstart-${kind}`, private: true, type: kind === 'cjs' ? 'commonjs' : 'module' }, null, 2),
  );
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig(kind), null, 2));
  for (const [file, body] of quickstart.files) {
    const source = kind === 'esm' ? (quickstart.esmFiles.get(file) ?? toEsm(body)) : body;
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), source);
  }
  const packages = quickstart.install.map((name) => (name === rootPkg.name ? tarball : versionOf(name)));
  const npmFlags = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
  await sh(dir, 'npm', ['install', ...npmFlags, ...packages]);
  const missingTools = tools.filter((t) => !quickstart.install.includes(t));
  if (missingTools.length > 0) await sh(dir, 'npm', ['install', '--save-dev', ...npmFlags, ...missingTools.map(versionOf)]);
  return dir;
}

interface RunResult {
  client: string;
  worker: string;
}

async function runQuickstart(dir: string): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...childEnv, ...keysEnv, TEMPORAL_ADDRESS: server.address };
  const tsx = path.join(dir, 'node_modules/.bin/tsx');
  let workerOut = '';
  const worker: ChildProcess = spawn(tsx, ['src/worker.ts'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  worker.stdout!.on('data', (d: Buffer) => (workerOut += d.toString()));
  worker.stderr!.on('data', (d: Buffer) => (workerOut += d.toString()));
  const workerExit = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)));
  try {
    // As the README has it: start the worker, then the client (the SDK logs the worker's RUNNING state).
    const ready = Date.now() + 90_000;
    while (!/state: 'RUNNING'/.test(workerOut) && worker.exitCode === null && Date.now() < ready)
      await new Promise((r) => setTimeout(r, 200));
    const client = await Promise.race([
      sh(dir, tsx, ['src/client.ts'], 90_000, env),
      workerExit.then((code) => {
        throw new Error(`the worker exited (${code}) before the client finished:\n${workerOut.slice(-4000)}`);
      }),
    ]);
    return { client, worker: workerOut };
  } catch (err) {
    throw new Error(`${(err as Error).message}\n(TEMPORAL_ADDRESS=${server.address})\n--- worker output:\n${workerOut.slice(-4000)}`);
  } finally {
    worker.kill('SIGINT'); // Temporal's Runtime shuts the worker down gracefully on SIGINT
    const timer = setTimeout(() => worker.kill('SIGKILL'), 15_000);
    await workerExit;
    clearTimeout(timer);
  }
}

/** Every completed run's raw history, as JSON text, read without any codec. */
async function rawHistories(client: Client, expected: number): Promise<string[]> {
  for (let attempt = 0; ; attempt++) {
    const runs: Array<{ workflowId: string; runId: string }> = [];
    for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Completed"' }))
      runs.push({ workflowId: wf.workflowId, runId: wf.runId });
    if (runs.length >= expected || attempt >= 40) {
      return Promise.all(
        runs.map(async ({ workflowId, runId }) => JSON.stringify(await client.workflow.getHandle(workflowId, runId).fetchHistory())),
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function decodedHistoryText(history: string): string {
  // Payload data is base64 in the history's JSON form; look at the decoded bytes too.
  const decoded = [...history.matchAll(/"data":"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8'));
  return `${history}\n${decoded.join('\n')}`;
}

const apps: Partial<Record<'cjs' | 'esm', string>> = {};

describe('README quickstart from the packed tarball, in fresh CommonJS and ESM apps', () => {
  beforeAll(async () => {
    ensureBuilt();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sealed-quickstart-'));
    const [report] = JSON.parse(
      await sh(ROOT, 'npm', ['pack', '--json', '--ignore-scripts', '--loglevel=error', '--pack-destination', tmp]),
    ) as [{ filename: string }];
    tarball = path.join(tmp, report.filename);
    const [cjs, esm, dev] = await Promise.all([makeApp('cjs'), makeApp('esm'), startDevServer()]);
    apps.cjs = cjs;
    apps.esm = esm;
    server = dev;
    // The README: `npx sealed-fields keygen --id k1 --format env`, export the lines it prints.
    const keygen = await sh(cjs, path.join(cjs, 'node_modules/.bin/sealed-fields'), ['keygen', '--id', 'k1', '--format', 'env']);
    keysEnv = Object.fromEntries(
      keygen
        .split('\n')
        .map((line) => /^(?:export\s+)?(SEALED_FIELDS_\w+)=["']?([^"'\s]+)["']?\s*$/.exec(line.trim()))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1]!, m[2]!]),
    );
  }, 240_000);

  afterAll(async () => {
    await server?.teardown();
    if (tmp && !process.env.KEEP_QUICKSTART_APPS) rmSync(tmp, { recursive: true, force: true });
  });

  test('the README install line names what the quickstart imports', () => {
    const imported = new Set<string>();
    for (const body of quickstart.files.values())
      for (const m of body.matchAll(/from '((?:@[\w-]+\/)?[\w-]+)([^']*)'/g)) if (!m[2]!.startsWith(':')) imported.add(m[1]!);
    expect([...imported].filter((name) => !quickstart.install.includes(name))).toEqual([]);
    expect(Object.keys(keysEnv)).toEqual(expect.arrayContaining(['SEALED_FIELDS_KEYS', 'SEALED_FIELDS_ACTIVE_KEY']));
  });

  test.each(['cjs', 'esm'] as const)(
    '%s app: tsc with declaration: true compiles the quickstart (types from the tarball)',
    async (kind) => {
      const dir = apps[kind]!;
      await sh(dir, path.join(dir, 'node_modules/.bin/tsc'), ['-p', '.']);
      // Every file got its declarations, so exported values (e.g. a failure converter) have nameable types.
      for (const file of quickstart.files.keys())
        expect(existsSync(path.join(dir, 'build', path.relative('src', file).replace(/\.ts$/, '.d.ts'))), file).toBe(true);
    },
  );

  test.each(['cjs', 'esm'] as const)(
    '%s app: the worker and the client run against the dev server, and history holds no sealed value',
    async (kind) => {
      const before = (await rawHistories(server.env.client, 0)).length;
      const { client } = await runQuickstart(apps[kind]!);
      expect(client).toMatch(/recorded \S+ \(\d+ visits?\)/);
      const histories = await rawHistories(server.env.client, before + 1);
      expect(histories.length).toBe(before + 1);
      const secrets = sealedLiterals(quickstart.files.get('src/client.ts')!, quickstart.files.get('src/dto.ts'));
      expect(secrets.length).toBeGreaterThan(0);
      for (const history of histories) {
        const text = decodedHistoryText(history);
        for (const value of secrets) expect(text, `"${value}" in clear in history`).not.toContain(value);
        expect(text).toContain('[sealed:');
      }
    },
  );
});
