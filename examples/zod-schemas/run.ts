import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Payload } from '@temporalio/common';
import type { DevServer } from '../support/dev-server';
import { withExample } from '../support/harness';
import { sideBySide, twoViews } from '../support/side-by-side';
import * as activities from './activities';
import { payloadConverter } from './converter';
import type { LabOrder } from './schemas';
import { labOrderWorkflow } from './workflows';

export interface ZodExampleResult {
  result: LabOrder;
  /** The result payload's data exactly as the service stored it. */
  storedResult: string;
  sensitive: string[];
}

/** Sends a zod-typed lab order through a workflow and an activity; prints stored vs opened result. */
export async function runZodExample(options: { server?: DevServer; print?: (text: string) => void } = {}): Promise<ZodExampleResult> {
  const print = options.print ?? ((text: string) => console.log(text));
  const setup = {
    server: options.server,
    converterPath: path.join(__dirname, 'converter.ts'),
    workflowsPath: require.resolve('./workflows'),
    activities,
  };
  return withExample(setup, async ({ client, codec, taskQueue, withWorker, rawEvents }) => {
    const order: LabOrder = { orderId: 'lab-7781', test: 'HbA1c', orderedBy: 'dr-quinn', result: '5.4%' };
    const workflowId = `lab-order-${randomUUID().slice(0, 8)}`;
    const result = await withWorker(() => client.workflow.execute(labOrderWorkflow, { taskQueue, workflowId, args: [order] }));
    const events = await rawEvents(workflowId);
    const stored = events.find((e) => e.workflowExecutionCompletedEventAttributes)?.workflowExecutionCompletedEventAttributes?.result
      ?.payloads?.[0] as Payload;
    const views = await twoViews(stored, codec, payloadConverter);
    print(sideBySide('workflow result: LabOrder (zod schema, sensitive() fields)', views.stored, views.opened));
    return {
      result,
      storedResult: Buffer.from(stored.data ?? []).toString('utf8'),
      sensitive: [order.result, result.interpretation ?? ''],
    };
  });
}
