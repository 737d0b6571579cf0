import { setActivityOptions } from '@temporalio/activity';
import { sealedTypeInfo } from '../../src';
import { LAB_ORDER } from './names';
import type { LabOrder } from './schemas';

/** A lab service: reads the sealed result opened, returns the order with a (sealed) interpretation. */
export async function interpretResult(order: LabOrder): Promise<LabOrder> {
  const value = Number.parseFloat(order.result);
  return { ...order, interpretation: value < 5.7 ? 'within normal range' : 'above normal range' };
}
// A plain object's sensitive fields are known only through its schema: name it for the result.
setActivityOptions({ typeInfo: { inputTypes: [sealedTypeInfo(LAB_ORDER)], outputType: sealedTypeInfo(LAB_ORDER) } }, interpretResult);
