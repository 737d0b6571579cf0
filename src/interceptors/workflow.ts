import type {
  ActivityInput,
  ConcludeActivationInput,
  ConcludeActivationOutput,
  ContinueAsNewInput,
  LocalActivityInput,
  Next,
  SignalWorkflowInput,
  StartChildWorkflowExecutionInput,
  WorkflowInterceptors,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { sealedError } from '../errors';
import { isRedactedSecretPayload, refuseSealableHeaders, refuseSecretSearchAttributes } from './guard';

/**
 * Refuses child workflows, continue-as-new, activities and signals whose search attributes or headers hold a `Secret`.
 *
 * @example
 * ```ts
 * export const interceptors = () => ({ outbound: [new SealedWorkflowOutboundInterceptor()] });
 * ```
 */
export class SealedWorkflowOutboundInterceptor implements WorkflowOutboundCallsInterceptor {
  startChildWorkflowExecution(
    input: StartChildWorkflowExecutionInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'startChildWorkflowExecution'>,
  ): Promise<[Promise<string>, Promise<unknown>]> {
    refuseSecretSearchAttributes(input.options, 'workflow.startChild');
    refuseSealableHeaders(input.headers, 'workflow.startChild.headers');
    return next(input);
  }

  continueAsNew(input: ContinueAsNewInput, next: Next<WorkflowOutboundCallsInterceptor, 'continueAsNew'>): Promise<never> {
    refuseSecretSearchAttributes(input.options, 'workflow.continueAsNew');
    refuseSealableHeaders(input.headers, 'workflow.continueAsNew.headers');
    return next(input);
  }

  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>): Promise<unknown> {
    refuseSealableHeaders(input.headers, 'workflow.scheduleActivity.headers');
    return next(input);
  }

  scheduleLocalActivity(
    input: LocalActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
  ): Promise<unknown> {
    refuseSealableHeaders(input.headers, 'workflow.scheduleLocalActivity.headers');
    return next(input);
  }

  signalWorkflow(input: SignalWorkflowInput, next: Next<WorkflowOutboundCallsInterceptor, 'signalWorkflow'>): Promise<void> {
    refuseSealableHeaders(input.headers, 'workflow.signalWorkflow.headers');
    return next(input);
  }
}

/**
 * `upsertSearchAttributes` has no interceptor in SDK 1.24; the SDK refuses a Secret object there,
 * but not its redacted text (`String(secret)`). This finds that text in the outgoing commands
 * and fails the workflow task instead of indexing it.
 *
 * @example
 * ```ts
 * export const interceptors = () => ({ internals: [new SealedWorkflowInternalsInterceptor()] });
 * ```
 */
export class SealedWorkflowInternalsInterceptor implements WorkflowInternalsInterceptor {
  concludeActivation(
    input: ConcludeActivationInput,
    next: Next<WorkflowInternalsInterceptor, 'concludeActivation'>,
  ): ConcludeActivationOutput {
    for (const command of input.commands) {
      const fields = command.upsertWorkflowSearchAttributes?.searchAttributes?.indexedFields ?? {};
      for (const [name, payload] of Object.entries(fields)) {
        if (isRedactedSecretPayload(payload)) {
          throw sealedError('SEALED_NOT_ALLOWED_HERE', 'search attributes never pass through a codec: a Secret cannot go there', {
            where: `workflow.upsertSearchAttributes.${name}`,
          });
        }
      }
    }
    return next(input);
  }
}

/**
 * Workflow interceptors that refuse a `Secret` in search attributes or headers. Export them
 * from a module listed in `interceptors.workflowModules` (and in `bundleWorkflowCode`).
 *
 * @example
 * ```ts
 * // src/workflows/interceptors.ts
 * export { sealedWorkflowInterceptors as interceptors } from 'temporal-sealed-fields';
 * // worker
 * Worker.create({ interceptors: { workflowModules: [require.resolve('./workflows/interceptors')] }, ... });
 * ```
 */
export function sealedWorkflowInterceptors(): WorkflowInterceptors {
  return { outbound: [new SealedWorkflowOutboundInterceptor()], internals: [new SealedWorkflowInternalsInterceptor()] };
}
