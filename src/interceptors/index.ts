export { sealedClientInterceptors } from './client';
export { sealedWorkflowInterceptors } from './workflow';
export { refuseSecrets } from './guard';
