import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Payload } from '@temporalio/common';
import { SignJWT } from 'jose';
import { secret } from '../../src';
import type { DevServer } from '../support/dev-server';
import { withExample } from '../support/harness';
import { sideBySide, twoViews } from '../support/side-by-side';
import * as activities from './activities';
import { payloadConverter } from './converter';
import { profileWorkflow } from './workflows';

const EXAMPLE_KEY = new TextEncoder().encode('example-only-hs256-key-not-a-real-secret');

export interface BareSecretResult {
  result: string;
  /** Each workflow input's data as the service stored it. */
  storedInputs: string[];
  sensitive: string[];
}

/** Sends `secret(jwt)` and a plain object with a `password` key; prints stored vs opened inputs. */
export async function runBareSecretExample(
  options: { server?: DevServer; print?: (text: string) => void } = {},
): Promise<BareSecretResult> {
  const print = options.print ?? ((text: string) => console.log(text));
  const setup = {
    server: options.server,
    converterPath: path.join(__dirname, 'converter.ts'),
    workflowsPath: require.resolve('./workflows'),
    activities,
  };
  return withExample(setup, async ({ client, codec, taskQueue, withWorker, rawEvents }) => {
    const jwt = await new SignJWT({ scope: 'profile:read' }).setProtectedHeader({ alg: 'HS256' }).setSubject('user-42').sign(EXAMPLE_KEY);
    const login = { username: 'ada', password: 'correct-horse-battery' };
    const workflowId = `profile-${randomUUID().slice(0, 8)}`;
    const result = await withWorker(() =>
      client.workflow.execute(profileWorkflow, { taskQueue, workflowId, args: [secret(jwt, { purpose: 'credential' }), login] }),
    );
    const inputs = ((await rawEvents(workflowId))[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? []) as Payload[];
    for (const [index, payload] of inputs.entries()) {
      const views = await twoViews(payload, codec, payloadConverter);
      print(sideBySide(`workflow input ${index + 1}`, views.stored, views.opened));
    }
    return { result, storedInputs: inputs.map((p) => Buffer.from(p.data ?? []).toString('utf8')), sensitive: [jwt, login.password] };
  });
}
