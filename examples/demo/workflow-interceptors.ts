// Refuses a Secret in search attributes or headers from inside workflows.
export { sealedWorkflowInterceptors as interceptors } from '../../src';
