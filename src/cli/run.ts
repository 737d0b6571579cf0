import type { Command } from './command';
import { decodeCommand } from './commands/decode';
import { forgetCommand } from './commands/forget';
import { keygenCommand } from './commands/keygen';
import { keysCommand } from './commands/keys';
import { scanCommand } from './commands/scan';
import { CliError, EXIT, line, type CliIo } from './io';
import { serveCommand } from './serve-entry';

const COMMANDS: Command[] = [keygenCommand, keysCommand, scanCommand, decodeCommand, serveCommand, forgetCommand];

const HELP = `Usage: sealed-fields <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`).join('\n')}

Run "sealed-fields <command> --help" for a command's options.

Exit codes:
  0  ok
  1  problems found, or the operation failed
  2  bad arguments or configuration
  3  cannot reach the Temporal server or the subject key store, or cannot read the input`;

/**
 * Runs `sealed-fields` with the given arguments and returns its exit code. Never throws:
 * failures become one line on stderr and a documented exit code.
 *
 * @example
 * ```ts
 * const code = await runCli(['keys', 'check', '--json'], processIo());
 * ```
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    line(name === undefined ? io.stderr : io.stdout, HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    line(io.stderr, `sealed-fields: unknown command "${name}"; run "sealed-fields --help"`);
    return EXIT.usage;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    return reportFailure(io, command.name, err);
  }
}

function reportFailure(io: CliIo, name: string, err: unknown): number {
  if (err instanceof CliError) {
    line(io.stderr, `sealed-fields ${name}: ${err.message}`);
    return err.exitCode;
  }
  // Unexpected: name the error type and code only; messages of foreign errors may quote data.
  const code = (err as { code?: unknown })?.code;
  line(io.stderr, `sealed-fields ${name}: failed (${(err as Error)?.name ?? 'error'}${typeof code === 'string' ? ` ${code}` : ''})`);
  return EXIT.problems;
}
