import { proxyActivities } from '@temporalio/workflow';
import type { Secret } from '../../src';
import type * as activities from './activities';

const { callProfileService, checkLegacyLogin } = proxyActivities<typeof activities>({ startToCloseTimeout: '30s' });

/** A bare Secret travels as a workflow argument and an activity argument without any DTO around it. */
export async function profileWorkflow(jwt: Secret<string>, login: { username: string; password: string }): Promise<string> {
  const response = await callProfileService(jwt, '/v1/profile');
  const legacyOk = await checkLegacyLogin(login);
  return `${response.status} ${response.path} authorized=${response.authorized} legacyLogin=${legacyOk}`;
}
