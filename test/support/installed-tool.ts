import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const installed = new Map<string, string>();

/**
 * A tool the tests start: the path in `$envVar` (checked: `check(path)` must be executable), else
 * what `scripts/<script>` installs or finds and prints on its last line (once per process).
 */
export function installedTool(envVar: string, script: string, check: (found: string) => string = (found) => found): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    accessSync(check(fromEnv), constants.X_OK);
    return fromEnv;
  }
  let found = installed.get(script);
  if (found === undefined) {
    found = execFileSync('bash', [path.join(ROOT, 'scripts', script)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
      .trim()
      .split('\n')
      .pop() as string;
    installed.set(script, found);
  }
  return found;
}
