/**
 * A small Functions app exercising every Durable feature the local host plays. Registered with the
 * real `app.*` / `df.app.*` APIs, loaded by the host unchanged. The orchestration generators are
 * exported so tests can also run them under the SDK's own test pattern.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';

export const calls: Record<string, number> = {};
export const hookLog: string[] = [];
app.hook.appStart(() => {
  hookLog.push('appStart');
});
app.hook.preInvocation((ctx) => {
  if (ctx.invocationContext.functionName === 'Greet') hookLog.push(`pre:${ctx.invocationContext.functionName}`);
});
app.hook.postInvocation((ctx) => {
  if (ctx.invocationContext.functionName === 'Greet') hookLog.push(`post:${ctx.invocationContext.functionName}:${(ctx.result as { jsonBody?: { hello?: string } })?.jsonBody?.hello}`);
});
export const observed: { timers: string[]; eventGrid: unknown[] } = { timers: [], eventGrid: [] };
/** Flipped by the non-determinism test between episodes. */
export const toggles = { renameActivity: false };

df.app.activity('Hello', { handler: (input: unknown) => `Hello ${String(input)}` });
df.app.activity('Double', { handler: (n: number) => n * 2 });
df.app.activity('Boom', {
  handler: (input: { message?: string }) => {
    calls.Boom = (calls.Boom ?? 0) + 1;
    throw new Error(input?.message ?? 'boom');
  },
});
/** Fails until called `failures + 1` times for the same key. */
df.app.activity('Flaky', {
  handler: (input: { key: string; failures: number }) => {
    calls[input.key] = (calls[input.key] ?? 0) + 1;
    if (calls[input.key] <= input.failures) throw new Error(`flaky failure ${calls[input.key]}`);
    return `ok after ${calls[input.key]}`;
  },
});
df.app.activity('Slow', {
  handler: async (ms: number) => {
    calls.slowRunning = (calls.slowRunning ?? 0) + 1;
    calls.slowPeak = Math.max(calls.slowPeak ?? 0, calls.slowRunning);
    await new Promise((r) => setTimeout(r, ms));
    calls.slowRunning--;
    return ms;
  },
});

/** An activity with the durable client binding (functions/ raises `cancel` this way). */
df.app.activity('Notify', {
  extraInputs: [df.input.durableClient()],
  handler: async (input: { target: string }, context: InvocationContext) => {
    const client = df.getClient(context);
    await client.raiseEvent(input.target, 'First', 'from an activity');
    await client.raiseEvent(input.target, 'Second', 'via the rpc API');
    return (await client.getStatus(input.target)).runtimeStatus;
  },
});

export const notifier: OrchestrationHandler = function* (context: OrchestrationContext) {
  return yield context.df.callActivity('Notify', context.df.getInput());
};
df.app.orchestration('Notifier', notifier);

export const sequence: OrchestrationHandler = function* (context: OrchestrationContext) {
  const out: string[] = [];
  out.push(yield context.df.callActivity('Hello', 'Tokyo'));
  out.push(yield context.df.callActivity('Hello', 'Seattle'));
  out.push(yield context.df.callActivity('Hello', 'London'));
  return out;
};
df.app.orchestration('Sequence', sequence);

export const fanOut: OrchestrationHandler = function* (context: OrchestrationContext) {
  const n = (context.df.getInput() as number) ?? 5;
  const tasks = [];
  for (let i = 0; i < n; i++) tasks.push(context.df.callActivity('Double', i));
  const results: number[] = yield context.df.Task.all(tasks);
  return results.reduce((a, b) => a + b, 0);
};
df.app.orchestration('FanOut', fanOut);

export const slowFanOut: OrchestrationHandler = function* (context: OrchestrationContext) {
  const tasks = [];
  for (let i = 0; i < 8; i++) tasks.push(context.df.callActivity('Slow', 100));
  yield context.df.Task.all(tasks);
  return 'done';
};
df.app.orchestration('SlowFanOut', slowFanOut);

export const retry: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput() as { key: string; failures: number; attempts: number };
  const options = new df.RetryOptions(60_000, input.attempts);
  options.backoffCoefficient = 2;
  try {
    return yield context.df.callActivityWithRetry('Flaky', options, { key: input.key, failures: input.failures });
  } catch (err) {
    return `gave up: ${(err as Error).message}`;
  }
};
df.app.orchestration('Retry', retry);

export const failing: OrchestrationHandler = function* (context: OrchestrationContext) {
  yield context.df.callActivity('Boom', { message: 'the cluster is on fire' });
  return 'unreachable';
};
df.app.orchestration('Failing', failing);

export const child: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput() as { n: number; fail?: boolean };
  if (input.fail) throw new Error(`child ${context.df.instanceId} refuses`);
  const doubled: number = yield context.df.callActivity('Double', input.n);
  return { child: context.df.instanceId, parent: context.df.parentInstanceId, doubled };
};
df.app.orchestration('Child', child);

export const parent: OrchestrationHandler = function* (context: OrchestrationContext) {
  const a = yield context.df.callSubOrchestrator('Child', { n: 1 }, `${context.df.instanceId}:child`);
  const b = yield context.df.callSubOrchestrator('Child', { n: 2 });
  let failure = '';
  try {
    yield context.df.callSubOrchestratorWithRetry('Child', new df.RetryOptions(1000, 2), { n: 3, fail: true }, `${context.df.instanceId}:failing`);
  } catch (err) {
    failure = (err as Error).message;
  }
  return { a, b, failure };
};
df.app.orchestration('Parent', parent);

export const timer: OrchestrationHandler = function* (context: OrchestrationContext) {
  const hours = (context.df.getInput() as number) ?? 1;
  const start = context.df.currentUtcDateTime;
  yield context.df.createTimer(new Date(start.getTime() + hours * 3600_000));
  const end = context.df.currentUtcDateTime;
  return { startedAt: start.toISOString(), elapsedMs: end.getTime() - start.getTime() };
};
df.app.orchestration('Timer', timer);

export const approval: OrchestrationHandler = function* (context: OrchestrationContext) {
  const hours = (context.df.getInput() as number | null) ?? 24;
  const deadline = new Date(context.df.currentUtcDateTime.getTime() + hours * 3600_000);
  const timeout = context.df.createTimer(deadline);
  const approvalEvent = context.df.waitForExternalEvent('Approval');
  const winner = yield context.df.Task.any([approvalEvent, timeout]);
  if (winner === approvalEvent) {
    timeout.cancel();
    return { approved: approvalEvent.result };
  }
  return { approved: false, timedOut: true };
};
df.app.orchestration('Approval', approval);

export const twoEvents: OrchestrationHandler = function* (context: OrchestrationContext) {
  const first = yield context.df.waitForExternalEvent('First');
  const second = yield context.df.waitForExternalEvent('Second');
  return [first, second];
};
df.app.orchestration('TwoEvents', twoEvents);

export const counter: OrchestrationHandler = function* (context: OrchestrationContext) {
  const n = (context.df.getInput() as number) ?? 0;
  yield context.df.callActivity('Double', n);
  if (n < 3) {
    context.df.continueAsNew(n + 1);
    return;
  }
  return `finished at ${n}`;
};
df.app.orchestration('Counter', counter);

export const customStatus: OrchestrationHandler = function* (context: OrchestrationContext) {
  const size = context.df.getInput() as number;
  context.df.setCustomStatus({ phase: 'working', padding: 'x'.repeat(size) });
  yield context.df.callActivity('Hello', 'status');
  return 'done';
};
df.app.orchestration('CustomStatus', customStatus);

export const nonDeterministic: OrchestrationHandler = function* (context: OrchestrationContext) {
  yield context.df.callActivity(toggles.renameActivity ? 'Double' : 'Hello', 1);
  yield context.df.waitForExternalEvent('Go');
  return 'finished';
};
df.app.orchestration('NonDeterministic', nonDeterministic);

/** functions/ style: a `cancel` listener yielded once with a due-now timer, then reused in later Task.any. */
export const listener: OrchestrationHandler = function* (context: OrchestrationContext) {
  const cancel = context.df.waitForExternalEvent('cancel');
  const tick = context.df.createTimer(context.df.currentUtcDateTime);
  yield context.df.Task.any([cancel, tick]);
  if (!tick.isCompleted) tick.cancel();
  const r1 = yield context.df.callActivity('Hello', 'a');
  const approve = context.df.waitForExternalEvent('approve');
  const winner = cancel.isCompleted ? cancel : yield context.df.Task.any([approve, cancel]);
  const r2 = yield context.df.callActivity('Hello', 'b');
  return winner === approve ? `approved: ${r1}, ${r2}` : `cancelled: ${r1}, ${r2}`;
};
df.app.orchestration('Listener', listener);

export const longTimer: OrchestrationHandler = function* (context: OrchestrationContext) {
  const start = context.df.currentUtcDateTime;
  yield context.df.createTimer(new Date(start.getTime() + 10 * 24 * 3600_000));
  return context.df.currentUtcDateTime.getTime() - start.getTime();
};
df.app.orchestration('LongTimer', longTimer);

// HTTP: a starter with the durable client, and plain routes with parameters and auth levels
app.http('StartOrchestration', {
  route: 'orchestrators/{name}/{instanceId?}',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const client = df.getClient(context);
    const body = await request.text();
    const instanceId = await client.startNew(request.params.name, { instanceId: request.params.instanceId, input: body ? JSON.parse(body) : undefined });
    return client.createCheckStatusResponse(request, instanceId);
  },
});

app.http('ClientOps', {
  route: 'client/{instanceId}/{op}',
  methods: ['GET', 'POST'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const client = df.getClient(context);
    const id = request.params.instanceId;
    switch (request.params.op) {
      case 'status': {
        const s = await client.getStatus(id, { showHistory: true, showInput: true });
        return { jsonBody: s };
      }
      case 'raise':
        await client.raiseEvent(id, 'Approval', await request.json());
        return { status: 202 };
      case 'terminate':
        await client.terminate(id, 'stopped by test');
        return { status: 202 };
      case 'suspend':
        await client.suspend(id, 'pause');
        return { status: 202 };
      case 'resume':
        await client.resume(id, 'go on');
        return { status: 202 };
      case 'list': {
        const all = await client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Completed] });
        return { jsonBody: all.map((s) => s.instanceId) };
      }
      case 'purge': {
        const r = await client.purgeInstanceHistory(id);
        return { jsonBody: r };
      }
      default:
        return { status: 400, body: `unknown op ${request.params.op}` };
    }
  },
});

app.get('Greet', {
  route: 'greet/{name:alpha}',
  authLevel: 'anonymous',
  handler: async (request: HttpRequest): Promise<HttpResponseInit> => ({ jsonBody: { hello: request.params.name, q: request.query.get('q') }, headers: { 'x-greeted': request.params.name } }),
});

app.http('Secret', {
  route: 'secret',
  methods: ['GET'],
  authLevel: 'function',
  handler: async (): Promise<HttpResponseInit> => ({ body: 'the secret' }),
});

app.timer('EverySecond', {
  schedule: '* * * * * *',
  handler: async (t: Timer) => {
    observed.timers.push(`${t.isPastDue}:${t.scheduleStatus?.next ?? ''}`);
  },
});

app.eventGrid('OnClusterEvent', {
  extraInputs: [df.input.durableClient()],
  handler: async (event, context: InvocationContext) => {
    observed.eventGrid.push(event);
    const client = df.getClient(context);
    await client.startNew('Sequence', { instanceId: `eg-${event.id}` });
  },
});
