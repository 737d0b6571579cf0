// The zod side of the erasure suite: a consent record whose subject id field names its data subject.
import { z } from 'zod';
import { dataSubject, sensitive } from '../../../src';
import { CONSENT } from './names';

export const ConsentSchema = dataSubject(
  z.object({
    subjectId: sensitive(z.string(), { purpose: 'contact' }),
    channel: z.string(),
    phone: sensitive(z.string(), { purpose: 'contact' }),
  }),
  'subjectId',
);
export type Consent = z.infer<typeof ConsentSchema>;

export const schemas = { [CONSENT]: ConsentSchema };
