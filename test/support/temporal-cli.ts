import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

type DevServerExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

function isExecutableFile(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

// pyenv shims are shell scripts that re-dispatch; the SDK wants the real binary, so ask pyenv for it.
function unshim(p: string): string {
  if (!readFileSync(p).subarray(0, 2).equals(Buffer.from('#!'))) return p;
  try {
    const real = execFileSync('pyenv', ['which', 'temporal'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return real && isExecutableFile(real) ? realpathSync(real) : p;
  } catch {
    return p; // not pyenv, or pyenv has no temporal: keep the script, it may still work
  }
}

/** The Temporal CLI to run: TEMPORAL_CLI_PATH, else `temporal` on PATH, else undefined (SDK downloads it). */
export function findTemporalCli(): string | undefined {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!isExecutableFile(fromEnv)) throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file`);
    return unshim(realpathSync(fromEnv));
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir || '.', 'temporal');
    if (isExecutableFile(candidate)) return unshim(realpathSync(candidate));
  }
  return undefined;
}

/** `server.executable` for TestWorkflowEnvironment.createLocal. */
export function devServerExecutable(): DevServerExecutable {
  const found = findTemporalCli();
  return found ? { type: 'existing-path', path: found } : { type: 'cached-download' };
}

/**
 * Exports a run's history as the Temporal CLI prints it (`temporal workflow show --output json`, no
 * codec) into a file in `dir`, named after the workflow id; returns the file's path.
 */
export function exportHistory(server: { address: string; namespace: string }, dir: string, workflowId: string): string {
  const text = execFileSync(
    findTemporalCli() ?? 'temporal',
    ['workflow', 'show', '--address', server.address, '--namespace', server.namespace, '-w', workflowId, '--output', 'json'],
    { encoding: 'utf8' },
  );
  const file = path.join(dir, `${workflowId.replace(/[^A-Za-z0-9-]/g, '_')}.json`);
  writeFileSync(file, text);
  return file;
}
