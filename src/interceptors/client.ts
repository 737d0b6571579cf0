import type {
  ClientInterceptors,
  CreateScheduleInput,
  CreateScheduleOutput,
  Next,
  ScheduleClientInterceptor,
  WorkflowClientInterceptor,
  WorkflowSignalInput,
  WorkflowSignalWithStartInput,
  WorkflowStartInput,
  WorkflowStartOutput,
  WorkflowStartUpdateInput,
  WorkflowStartUpdateOutput,
  WorkflowStartUpdateWithStartInput,
  WorkflowStartUpdateWithStartOutput,
} from '@temporalio/client';
import { refuseSealableHeaders, refuseSecretSearchAttributes } from './guard';

/**
 * Refuses, before anything is sent, a workflow start, signal-with-start or update-with-start
 * whose search attributes or headers hold a `Secret` (no codec ever sees those).
 *
 * @example
 * ```ts
 * new Client({ interceptors: { workflow: [myInterceptor, new SealedWorkflowClientInterceptor()] } });
 * ```
 */
export class SealedWorkflowClientInterceptor implements WorkflowClientInterceptor {
  start(input: WorkflowStartInput, next: Next<WorkflowClientInterceptor, 'start'>): Promise<string> {
    guardStart(input.options, input.headers, 'client.start');
    return next(input);
  }

  startWithDetails(input: WorkflowStartInput, next: Next<WorkflowClientInterceptor, 'startWithDetails'>): Promise<WorkflowStartOutput> {
    guardStart(input.options, input.headers, 'client.start');
    return next(input);
  }

  signalWithStart(input: WorkflowSignalWithStartInput, next: Next<WorkflowClientInterceptor, 'signalWithStart'>): Promise<string> {
    guardStart(input.options, input.headers, 'client.signalWithStart');
    return next(input);
  }

  startUpdateWithStart(
    input: WorkflowStartUpdateWithStartInput,
    next: Next<WorkflowClientInterceptor, 'startUpdateWithStart'>,
  ): Promise<WorkflowStartUpdateWithStartOutput> {
    guardStart(input.workflowStartOptions, input.workflowStartHeaders, 'client.startUpdateWithStart');
    refuseSealableHeaders(input.updateHeaders, 'client.startUpdateWithStart.updateHeaders');
    return next(input);
  }

  signal(input: WorkflowSignalInput, next: Next<WorkflowClientInterceptor, 'signal'>): Promise<void> {
    refuseSealableHeaders(input.headers, 'client.signal.headers');
    return next(input);
  }

  startUpdate(input: WorkflowStartUpdateInput, next: Next<WorkflowClientInterceptor, 'startUpdate'>): Promise<WorkflowStartUpdateOutput> {
    refuseSealableHeaders(input.headers, 'client.startUpdate.headers');
    return next(input);
  }
}

/**
 * Refuses a schedule whose own or whose action's search attributes hold a `Secret`.
 *
 * @example
 * ```ts
 * new Client({ interceptors: { schedule: [new SealedScheduleClientInterceptor()] } });
 * ```
 */
export class SealedScheduleClientInterceptor implements ScheduleClientInterceptor {
  create(input: CreateScheduleInput, next: Next<ScheduleClientInterceptor, 'create'>): Promise<CreateScheduleOutput> {
    refuseSealableHeaders(input.headers, 'schedule.create.headers');
    refuseSecretSearchAttributes(input.options, 'schedule.create');
    refuseSecretSearchAttributes(input.options.action, 'schedule.create.action');
    return next(input);
  }
}

function guardStart(options: WorkflowStartInput['options'], headers: WorkflowStartInput['headers'], where: string): void {
  refuseSecretSearchAttributes(options, where);
  refuseSealableHeaders(headers, `${where}.headers`);
}

/**
 * Client interceptors that refuse a `Secret` in search attributes or headers before a call
 * leaves the process. Pass them as `new Client({ interceptors: sealedClientInterceptors() })`.
 *
 * @example
 * ```ts
 * const client = new Client({ connection, dataConverter, interceptors: sealedClientInterceptors() });
 * await client.workflow.start(wf, { typedSearchAttributes: [{ key, value: secret('x') }], ... }); // throws SEALED_NOT_ALLOWED_HERE
 * ```
 */
export function sealedClientInterceptors(): ClientInterceptors {
  return { workflow: [new SealedWorkflowClientInterceptor()], schedule: [new SealedScheduleClientInterceptor()] };
}
