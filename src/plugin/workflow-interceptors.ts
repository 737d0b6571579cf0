/** The workflow interceptors module the plugin lists in `workflowModules`. Workflow-safe. */
export { sealedWorkflowInterceptors as interceptors } from '../index';
