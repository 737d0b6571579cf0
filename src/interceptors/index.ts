export { sealedClientInterceptors, SealedWorkflowClientInterceptor, SealedScheduleClientInterceptor } from './client';
export { sealedWorkflowInterceptors, SealedWorkflowOutboundInterceptor, SealedWorkflowInternalsInterceptor } from './workflow';
export { refuseSecrets } from './guard';
