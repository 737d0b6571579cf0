import type { Command } from './command';
import type { CliIo } from './io';

// The codec server's command (./commands/serve, owned by src/server) is imported on demand,
// so the other commands start without loading hono and the server.
async function run(args: string[], io: CliIo): Promise<number> {
  const { serveCommand: serve } = await import('./commands/serve');
  return serve(args, io);
}

/** `sealed-fields serve`: the codec server for the Web UI (see src/server and its `--help`). */
export const serveCommand: Command = { name: 'serve', summary: 'run the codec server for the Temporal Web UI', help: '', run };
