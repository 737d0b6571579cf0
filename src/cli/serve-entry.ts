import type { Command } from './command';
import { CliError, EXIT, type CliIo } from './io';

// The codec server's command lives in ./commands/serve (owned by src/server); loaded on demand
// so the other commands start without hono.
const SERVE_MODULE = './commands/serve';

type ServeModule = { serveCommand?: (args: string[], io: CliIo) => Promise<number> };

async function run(args: string[], io: CliIo): Promise<number> {
  let mod: ServeModule;
  try {
    mod = (await import(SERVE_MODULE)) as ServeModule;
  } catch {
    throw new CliError(EXIT.problems, 'the codec server is not part of this build');
  }
  if (typeof mod.serveCommand !== 'function') throw new CliError(EXIT.problems, 'the codec server is not part of this build');
  return mod.serveCommand(args, io);
}

/** `sealed-fields serve`: the codec server for the Web UI (see src/server). */
export const serveCommand: Command = { name: 'serve', summary: 'run the codec server for the Temporal Web UI', help: '', run };
