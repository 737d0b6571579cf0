import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * A file this library ships for workers and bundles: `dist/<built>` in the package, or the
 * source file beside this module when running from source (tests, tsx).
 */
export function libraryFile(built: string, source: string): string {
  const candidates = [path.join(__dirname, built), path.join(__dirname, source), path.join(__dirname, 'plugin', source)];
  const found = candidates.find((file) => existsSync(file));
  if (found === undefined) throw new Error(`temporal-sealed-fields: missing ${built}; reinstall the package`);
  return found;
}
