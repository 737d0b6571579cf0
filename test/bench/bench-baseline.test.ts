import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt, ROOT } from '../support/dist';

// `npm run bench -- --baseline DIR --quick` against this very checkout: checks what the comparison
// reports (every scenario, both directions, both sides timed), never how fast either side was.

const SCENARIOS = ['small', 'many', 'large', 'secret', 'zod'];

interface Row {
  scenario: string;
  direction: string;
  baselineUs: number;
  oursUs: number;
  ratio: number;
}

describe('npm run bench -- --baseline . --quick', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-baseline-'));
  const out = join(dir, 'comparison.json');
  let rows: Row[] = [];
  let stdout = '';
  let stderr = '';

  beforeAll(async () => {
    ensureBuilt(); // each side runs its checkout's build, as users run it
    const run = await promisify(execFile)('npm', ['run', 'bench', '--', '--baseline', ROOT, '--quick', '--out', out], {
      cwd: ROOT,
      maxBuffer: 1 << 20,
    });
    stdout = run.stdout;
    stderr = run.stderr;
    rows = JSON.parse(readFileSync(out, 'utf8')) as Row[];
  }, 180_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('times every scenario in both directions on both sides', () => {
    expect(rows.map((r) => `${r.scenario}/${r.direction}`).sort()).toEqual(SCENARIOS.flatMap((s) => [`${s}/decode`, `${s}/encode`]).sort());
    expect(stderr).not.toContain('not timed');
    for (const row of rows) {
      expect(row.baselineUs).toBeGreaterThan(0);
      expect(row.oursUs).toBeGreaterThan(0);
      expect(row.ratio).toBeGreaterThan(0);
    }
  });

  test('prints the table it wrote', () => {
    expect(stdout).toContain('this/baseline (median of rounds)');
    for (const row of rows) expect(stdout).toMatch(new RegExp(`${row.scenario}\\s+${row.direction}\\s`));
  });
});
