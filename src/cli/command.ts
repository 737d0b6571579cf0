import type { CliIo } from './io';

/** One subcommand of `sealed-fields`. */
export interface Command {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** Full `--help` text. */
  help: string;
  run(args: string[], io: CliIo): Promise<number>;
}
