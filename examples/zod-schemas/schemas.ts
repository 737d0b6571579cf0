// A zod v4 schema with sensitive() fields: values of it are plain objects, typed by a sealedTypeInfo hint.
import { z } from 'zod';
import { sensitive } from '../../src';

export const LabOrder = z.object({
  orderId: z.string(),
  test: z.string(),
  orderedBy: z.string(),
  result: sensitive(z.string(), { purpose: 'phi' }),
  interpretation: sensitive(z.string(), { purpose: 'phi' }).optional(),
});

export type LabOrder = z.infer<typeof LabOrder>;
