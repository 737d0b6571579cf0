// Activities run on the worker main thread: they get class instances and Secrets back.
import { ApplicationFailure } from '@temporalio/common';
import { Secret } from '../../../src';
import { VisitDto } from './dto';

export async function recordVisit(jwt: Secret<string>, visit: VisitDto): Promise<VisitDto> {
  if (!Secret.isSecret(jwt) || !(visit instanceof VisitDto)) throw ApplicationFailure.nonRetryable('activity got no DTO', 'BadInput');
  return Object.assign(new VisitDto(), { date: `${visit.date}-recorded`, notes: `${visit.notes}-recorded` });
}
