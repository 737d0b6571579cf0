import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { secretJwt } from '../../bench/fixtures';
import { createPipelines } from '../../bench/pipelines';
import { createScenarios } from '../../bench/scenarios';
import { verifyPipeline } from '../../bench/verify';

// Runs the real `npm run bench -- --quick` and checks what it reports, never how fast it was.

const SCENARIOS = ['small', 'many', 'large', 'secret', 'zod'];
const PIPELINES = ['json', 'aesgcm-whole', 'sodium-whole', 'sealed', 'kms', 'subject'];
const ROOT = join(__dirname, '..', '..');

interface Entry {
  scenario: string;
  direction: string;
  us: Record<string, number | null>;
  sealedVsJson: number | null;
  sealedVsAesgcm: number | null;
  kmsVsSealed: number | null;
  kmsVsJson: number | null;
  subjectVsSealed: number | null;
  subjectVsJson: number | null;
  roundTrip: Record<string, boolean>;
  hidesSensitive: Record<string, boolean>;
}

describe('npm run bench -- --quick', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  const out = join(dir, 'results.json');
  let entries: Entry[] = [];
  let stdout = '';

  beforeAll(async () => {
    const run = await promisify(execFile)('npm', ['run', 'bench', '--', '--quick', '--out', out], { cwd: ROOT, maxBuffer: 1 << 20 });
    stdout = run.stdout;
    entries = JSON.parse(readFileSync(out, 'utf8')) as Entry[];
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('writes one entry per scenario and direction', () => {
    const keys = entries.map((e) => `${e.scenario}/${e.direction}`).sort();
    expect(keys).toEqual(SCENARIOS.flatMap((s) => [`${s}/decode`, `${s}/encode`]).sort());
  });

  test('every entry has a median for every pipeline and the sealed ratios', () => {
    for (const entry of entries) {
      expect(Object.keys(entry.us).sort()).toEqual([...PIPELINES].sort());
      for (const pipeline of PIPELINES) expect(entry.us[pipeline]).toBeGreaterThan(0);
      expect(entry.sealedVsJson).toBeCloseTo((entry.us['sealed'] as number) / (entry.us['json'] as number), 2);
      expect(entry.sealedVsAesgcm).toBeCloseTo((entry.us['sealed'] as number) / (entry.us['aesgcm-whole'] as number), 2);
      expect(entry.kmsVsSealed).toBeCloseTo((entry.us['kms'] as number) / (entry.us['sealed'] as number), 2);
      expect(entry.kmsVsJson).toBeCloseTo((entry.us['kms'] as number) / (entry.us['json'] as number), 2);
      expect(entry.subjectVsSealed).toBeCloseTo((entry.us['subject'] as number) / (entry.us['sealed'] as number), 2);
      expect(entry.subjectVsJson).toBeCloseTo((entry.us['subject'] as number) / (entry.us['json'] as number), 2);
    }
  });

  test('every pipeline gave back its input before it was timed', () => {
    for (const entry of entries)
      for (const pipeline of PIPELINES) expect(entry.roundTrip[pipeline], `${entry.scenario} ${pipeline}`).toBe(true);
  });

  test('encrypting pipelines keep the sensitive values out of the payload; plain JSON does not', () => {
    for (const entry of entries) {
      expect(entry.hidesSensitive['json']).toBe(false);
      for (const pipeline of PIPELINES.slice(1)) expect(entry.hidesSensitive[pipeline], `${entry.scenario} ${pipeline}`).toBe(true);
    }
  });

  test('prints a table of the figures', () => {
    expect(stdout).toMatch(/scenario\s+direction\s+json us\s+aesgcm-whole us\s+sodium-whole us\s+sealed us/);
  });
});

describe('bench verification', () => {
  test('a pipeline that does not give back its input fails verification', async () => {
    const { json } = await createPipelines(['json']);
    // The default converter prints a Secret redacted: the value is lost, so this pipeline may not be timed.
    const lossy = {
      ...(createScenarios().find((s) => s.name === 'secret') as ReturnType<typeof createScenarios>[number]),
      plainInput: secretJwt(),
    };
    expect((await verifyPipeline(json as NonNullable<typeof json>, lossy)).roundTrip).toBe(false);
  });
});
