import type { Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { META } from '../../lib/metadata';
import { CliError, EXIT } from '../io';
import type { SealedOpener } from '../history/open-sealed';
import { forEachProtoPayload } from '../history/payloads';
import { classifyPayload } from './classify';
import type { Progress } from './progress';
import { saveState, type ScanState } from './state';
import { mergeTotals, RunTally, type RunInfo } from './tally';

type WorkflowService = Connection['workflowService'];
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Options of {@link scanNamespace}. */
export interface ScanOptions {
  service: WorkflowService;
  namespace: string;
  query: string | null;
  concurrency: number;
  rules: RegExp;
  /** With the keyring: opens sealed payloads in memory to count the key ids inside sealed values. */
  opener?: SealedOpener | undefined;
  state: ScanState;
  statePath?: string | undefined;
  /** Count the boxes of the data subject with this keyed hash (`scan --subject`, `forget`); the state's totals must have been made for it. */
  subjectHash?: string | undefined;
  /** Stop after this many more runs (the state file lets the next call go on). */
  maxWorkflows?: number | undefined;
  progress: Progress | ((total: number | undefined) => Progress);
}

/** Result of a scan: the state (totals included) and whether every listed run was read. */
export interface ScanOutcome {
  state: ScanState;
  complete: boolean;
  listed: number | undefined;
}

const PAGE_SIZE = 100;
/** WORKFLOW_EXECUTION_STATUS_RUNNING: the run is open. */
const RUNNING = 1;
const HISTORY_PAGE_SIZE = 1000;
const SAVE_EVERY_MS = 1000;

/** Lists the runs (visibility, paginated), reads each history with bounded concurrency, and tallies every payload. */
export async function scanNamespace(options: ScanOptions): Promise<ScanOutcome> {
  const listed = await countRuns(options);
  const progress = typeof options.progress === 'function' ? options.progress(listed) : options.progress;
  const done = new Set(options.state.done);
  const saver = throttledSaver(options);
  let budget = options.maxWorkflows ?? Infinity;
  let nextPageToken: Uint8Array | undefined;
  try {
    do {
      const page = await call(() =>
        options.service.listWorkflowExecutions({
          namespace: options.namespace,
          query: options.query ?? '',
          pageSize: PAGE_SIZE,
          nextPageToken: nextPageToken ?? null,
        }),
      );
      const runs = (page.executions ?? []).map(runOf).filter((r) => r.runId !== '' && !done.has(r.runId));
      const now = runs.slice(0, budget);
      budget -= now.length;
      await pool(now, options.concurrency, async (run) => {
        await scanRun(options, run);
        done.add(run.runId);
        options.state.done.push(run.runId);
        progress.update(options.state.totals.workflows, options.state.totals.payloads);
        saver.maybe();
      });
      if (now.length < runs.length) return { state: options.state, complete: false, listed };
      nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
    } while (nextPageToken !== undefined);
  } finally {
    saver.now();
    progress.finish();
  }
  return { state: options.state, complete: true, listed };
}

async function countRuns(options: ScanOptions): Promise<number | undefined> {
  const response = await call(() => options.service.countWorkflowExecutions({ namespace: options.namespace, query: options.query ?? '' }));
  const count = response.count;
  return count === undefined || count === null ? undefined : Number(count);
}

function runOf(info: temporal.api.workflow.v1.IWorkflowExecutionInfo): RunInfo {
  return {
    workflowId: info.execution?.workflowId ?? '',
    runId: info.execution?.runId ?? '',
    start: info.startTime ? tsToMs(info.startTime) : null,
    open: info.status === RUNNING,
  };
}

/** Reads one run's history page by page; a run that cannot be read is reported, not fatal (unless the server is gone). */
async function scanRun(options: ScanOptions, run: RunInfo): Promise<void> {
  const tally = new RunTally(run, options.subjectHash);
  const execution = { workflowId: run.workflowId, runId: run.runId };
  let nextPageToken: Uint8Array | undefined;
  try {
    do {
      const page = await call(() =>
        options.service.getWorkflowExecutionHistory({
          namespace: options.namespace,
          execution,
          maximumPageSize: HISTORY_PAGE_SIZE,
          nextPageToken: nextPageToken ?? null,
        }),
      );
      const events = page.history?.events ?? [];
      if (options.opener?.fetchesKeys === true) await warmKeys(options.opener, events);
      for (const event of events) tallyEvent(tally, event, options);
      nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
    } while (nextPageToken !== undefined);
  } catch (err) {
    if (err instanceof CliError && err.exitCode === EXIT.unreachable) throw err;
    if (err instanceof CliError && err.exitCode === EXIT.usage) return; // deleted since it was listed: nothing retains it
    options.state.totals.failed.push({ ...execution, reason: err instanceof CliError ? err.message : 'history could not be read' });
    throw new SkippedRun();
  }
  mergeTotals(options.state.totals, tally.totals);
}

/** With keys from a KMS: unwraps the data keys of a page's payloads first (one call per data key, then cached); opening is synchronous. */
async function warmKeys(opener: SealedOpener, events: HistoryEvent[]): Promise<void> {
  const sealed: Payload[] = [];
  for (const event of events) {
    forEachProtoPayload(event, (payload) => {
      if (payload.metadata?.[META.sealed] != null) sealed.push(payload);
    });
  }
  for (const payload of sealed) await opener.warm(payload);
}

function tallyEvent(tally: RunTally, event: HistoryEvent, options: Pick<ScanOptions, 'rules' | 'opener'>): void {
  tally.addEvent();
  const at = {
    eventId: String(event.eventId ?? ''),
    eventType: eventTypeOf(event),
    time: event.eventTime ? tsToMs(event.eventTime) : null,
  };
  // Examples name the payload within its event: an event carries several (inputs, memo fields, headers).
  let payloadIndex = 0;
  forEachProtoPayload(event, (payload) =>
    tally.addPayload(classifyPayload(payload, options.rules, options.opener), { ...at, payloadIndex: payloadIndex++ }),
  );
}

/** The event type, named after its attributes field: `workflowExecutionStartedEventAttributes` gives `WorkflowExecutionStarted`. */
function eventTypeOf(event: HistoryEvent): string {
  const record = event as unknown as Record<string, unknown>;
  const field = Object.keys(record).find((key) => key.endsWith('EventAttributes') && record[key] != null);
  return field === undefined ? 'Unknown' : field.charAt(0).toUpperCase() + field.slice(1, -'EventAttributes'.length);
}

/** Marks a run that was reported as failed; it is not marked done, so a rerun retries it. */
class SkippedRun extends Error {}

/** Runs `work` over `items` with at most `limit` at once; skipped runs do not stop the others. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (err) {
        if (!(err instanceof SkippedRun)) throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function throttledSaver(options: ScanOptions): { maybe(): void; now(): void } {
  let last = 0;
  const now = (): void => {
    if (options.statePath !== undefined) saveState(options.statePath, options.state);
    last = Date.now();
  };
  return { now, maybe: () => (Date.now() - last >= SAVE_EVERY_MS ? now() : undefined) };
}

const UNREACHABLE = new Set([4, 14]); // DEADLINE_EXCEEDED, UNAVAILABLE
const USAGE = new Set([3, 5]); // INVALID_ARGUMENT (bad query), NOT_FOUND (namespace)

/** Maps gRPC failures to exit codes; messages name the status, never request contents. */
async function call<T>(rpc: () => Promise<T>): Promise<T> {
  try {
    return await rpc();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const detail = (err as { details?: unknown }).details;
    const text = `${typeof code === 'number' ? `gRPC status ${code}` : 'request failed'}${typeof detail === 'string' && detail !== '' ? `: ${detail}` : ''}`;
    if (typeof code === 'number' && UNREACHABLE.has(code))
      throw new CliError(EXIT.unreachable, `cannot reach the Temporal server (${text})`);
    if (typeof code === 'number' && USAGE.has(code)) throw new CliError(EXIT.usage, `the server refused the request (${text})`);
    throw new CliError(EXIT.problems, text);
  }
}
