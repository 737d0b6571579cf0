import type { Command } from './command';
import { CliError, EXIT, type CliIo } from './io';

// The codec server's command lives in ./commands/serve (owned by src/server); loaded on demand
// so the other commands start without hono.
const SERVE_MODULE = './commands/serve';

async function run(args: string[], io: CliIo): Promise<number> {
  void io;
  let mod: { serveCommand?: (args: string[]) => Promise<number> };
  try {
    mod = (await import(SERVE_MODULE)) as typeof mod;
  } catch {
    throw new CliError(EXIT.problems, 'the codec server is not part of this build');
  }
  if (typeof mod.serveCommand !== 'function') throw new CliError(EXIT.problems, 'the codec server is not part of this build');
  return mod.serveCommand(args);
}

/** `sealed-fields serve`: the codec server for the Web UI (see src/server). */
export const serveCommand: Command = { name: 'serve', summary: 'run the codec server for the Temporal Web UI', help: '', run };
