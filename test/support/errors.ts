// How a test reads a failure: by its `code`, never by its message (a reworded message must not break a test).
// Free of Node built-ins, so workflow code bundled for the sandbox may use it too.

/** The `code` of an error; an error without one reads `not a coded error: <Name>: <message>`, so it never passes for a code. */
export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const name = (err as { constructor?: { name?: string } } | null)?.constructor?.name ?? typeof err;
  return `not a coded error: ${name}: ${(err as { message?: string } | null)?.message ?? String(err)}`;
}

/** The `code` of the error `run` throws, or undefined when it returns normally. */
export function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    return errorCode(err);
  }
  return undefined;
}

/** The `code` of the error `run` rejects with, or undefined when it resolves. */
export async function codeOfAsync(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (err) {
    return errorCode(err);
  }
  return undefined;
}

/** The error `run` throws; fails the test when it returns normally, so assertions on the error always run. */
export function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure, but the call returned normally');
}
