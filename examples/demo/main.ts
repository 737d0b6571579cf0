// npm run demo [-- --keep]: a JWT and a patient intake cross a real Temporal server, sealed field by field.
import net from 'node:net';
import { freePort, startDevServer } from '../support/dev-server';
import { runDemo } from './run';

async function uiPort(): Promise<number> {
  // The usual Web UI port when it is free, any free port otherwise.
  const free = await new Promise<boolean>((resolve) => {
    const srv = net.createServer().once('error', () => resolve(false));
    srv.listen(8233, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
  return free ? 8233 : freePort();
}

/** Resolves on Ctrl-C (or SIGTERM); the timer keeps Node alive, as the server's handles do not. */
function untilInterrupted(): Promise<void> {
  const keepAlive = setInterval(() => undefined, 60_000);
  return new Promise((resolve) => {
    const stop = (): void => {
      clearInterval(keepAlive);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

async function main(): Promise<void> {
  const keep = process.argv.includes('--keep');
  console.log('Starting an embedded Temporal dev server (127.0.0.1)…');
  const server = await startDevServer(keep ? { uiPort: await uiPort() } : {});
  try {
    const result = await runDemo({ server });
    console.log(`\nWorkflow ${result.workflowId} completed: ${result.receipt.recordId}`);
    if (!keep) return;
    console.log(`\nWeb UI: ${server.uiUrl}/namespaces/${server.namespace}/workflows/${result.workflowId}`);
    console.log('The UI shows clear fields and [sealed:<purpose>:<keyId>] placeholders. Ctrl-C stops the server.');
    await untilInterrupted();
  } finally {
    await server.teardown();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
