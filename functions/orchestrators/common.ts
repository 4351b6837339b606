/** Helpers the orchestrators share: retry policy, typed activity calls, error text, clock. */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { ActivityName } from '../names';

/**
 * Transient faults (5xx, 429, dropped connections) are retried with exponential backoff: 5 s, 10 s, 20 s, … capped
 * at 2 minutes, 6 attempts. No retryTimeout: past it the extension schedules nothing and a JS orchestration waits
 * forever (azure-functions-durable-js#629, durable-local-host.md § Retries).
 */
export function transientRetry(): df.RetryOptions {
  const retry = new df.RetryOptions(5_000, 6);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 120_000;
  return retry;
}

/** Why a run stopped early: the orchestrator turns it into the cluster's result. */
export class RunStop extends Error {
  constructor(
    public readonly outcome: 'failed' | 'cancelled' | 'skipped',
    public readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RunStop';
  }
}

/** One line from whatever an activity failure surfaced as (TaskFailedError, Reason/Details error, …). */
export function failureText(err: unknown): { code: string; message: string } {
  const raw = err instanceof Error ? err.message : String(err);
  let text = raw;
  // Activities that threw TransientAzureError: "TransientAzureError: <code>: <message>"; the Reason/Details
  // form puts the details after " \n ", and the extension's Reason starts "Activity function 'X' failed: "
  // (docs/local-host.md § Failures), which would hide the code.
  text = text
    .split(/\s\n\s/)[0]
    .replace(/^Activity function '[^']*' failed:\s*/, '')
    .replace(/^(TransientAzureError|Error|TaskFailedError):\s*/, '')
    .trim();
  const m = /^([A-Za-z][A-Za-z0-9_.]*):\s*(.*)$/s.exec(text);
  const firstLine = (s: string) => s.split('\n')[0].trim();
  return m ? { code: m[1], message: firstLine(m[2]) } : { code: 'ActivityFailed', message: firstLine(text) };
}

/** Calls an activity with the transient retry policy and gives back its typed result. */
export function* callActivity<T>(context: OrchestrationContext, name: ActivityName, input: unknown): Generator<Task, T, unknown> {
  const result = yield context.df.callActivityWithRetry(name, transientRetry(), input);
  return result as T;
}

/** Like callActivity, but a failure after all retries ends the run as `failed` with the activity's error. */
export function* callOrStop<T>(context: OrchestrationContext, name: ActivityName, input: unknown): Generator<Task, T, unknown> {
  try {
    return yield* callActivity<T>(context, name, input);
  } catch (err) {
    if (err instanceof RunStop) throw err;
    const f = failureText(err);
    throw new RunStop('failed', f.code, `${name}: ${f.message}`);
  }
}

export function now(context: OrchestrationContext): Date {
  return new Date(context.df.currentUtcDateTime.getTime());
}

export function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/**
 * Starts listening for an external event now. The SDK delivers an event only to a waiter it has seen yielded
 * (until then it is buffered), so a waiter checked with `isCompleted` between operations must be yielded once:
 * here together with a timer due now, which costs one extra episode.
 */
export function* listenFor(context: OrchestrationContext, name: string): Generator<Task, Task, unknown> {
  const event = context.df.waitForExternalEvent(name);
  const tick = context.df.createTimer(now(context));
  yield context.df.Task.any([event, tick]);
  if (!tick.isCompleted) tick.cancel();
  return event;
}

/** Whether a task has ended, successfully or not (the SDK's isCompleted is false for a failed task). */
export function ended(task: Task): boolean {
  return task.isCompleted || task.isFaulted;
}
