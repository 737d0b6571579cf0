// Trivial workflow for the dev-server sanity test; workflow code may import only @temporalio/workflow.
export async function echo(input: string): Promise<string> {
  return input;
}
