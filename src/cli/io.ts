/** Exit codes of the `sealed-fields` command; documented in `sealed-fields --help` and docs/KEYS.md. */
export const EXIT = {
  /** Done, nothing to report. */
  ok: 0,
  /** Problems found (scan, keys check, decode) or the operation failed. */
  problems: 1,
  /** Bad arguments or configuration (flags, keyring settings). */
  usage: 2,
  /** Cannot reach the Temporal server or the subject key store, or cannot read the input. */
  unreachable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A text sink: process.stdout/stderr, or a buffer in tests. */
export interface TextSink {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Everything a command touches outside itself, so tests run it in process. */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  stdin: NodeJS.ReadableStream;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** A failure that ends the command with a given exit code and one line on stderr. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string): CliError {
  return new CliError(EXIT.usage, message);
}

export function inputError(message: string): CliError {
  return new CliError(EXIT.unreachable, message);
}

/** The real process streams. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

/** Writes a line. */
export function line(sink: TextSink, text = ''): void {
  sink.write(`${text}\n`);
}

/** Prints a command's help to stdout; `--help` always exits 0. */
export function printHelp(io: CliIo, help: string): 0 {
  line(io.stdout, help);
  return EXIT.ok;
}
