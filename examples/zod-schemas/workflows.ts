import { defineWorkflowOptions, proxyActivities } from '@temporalio/workflow';
import { sealedTypeInfo } from '../../src';
import type * as activities from './activities';
import { LAB_ORDER } from './names';
import type { LabOrder } from './schemas';

const { interpretResult } = proxyActivities<typeof activities>({
  startToCloseTimeout: '30s',
  activityTypeInfo: { interpretResult: { inputTypes: [sealedTypeInfo(LAB_ORDER)], outputType: sealedTypeInfo(LAB_ORDER) } },
});

export async function labOrderWorkflow(order: LabOrder): Promise<LabOrder> {
  return interpretResult(order);
}
// Client and worker both read this hint: input and result are LabOrder values.
defineWorkflowOptions(labOrderWorkflow, {
  staticOptions: { typeInfo: { inputTypes: [sealedTypeInfo(LAB_ORDER)], outputType: sealedTypeInfo(LAB_ORDER) } },
});
