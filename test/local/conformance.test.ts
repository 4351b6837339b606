// The Functions worker provides @azure/functions-core; under jest the host's stand-in plays it.
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import path from 'node:path';
import { EventType, type HistoryEvent } from '../../local/history';
import { startHost, type RunningHost } from '../../local/host';

type App = typeof import('./apps/conformanceApp');
let appModule: App;

const entry = path.join(__dirname, 'apps/conformanceApp.ts');
const hour = 3600_000;
const day = 24 * hour;

let host: RunningHost;
beforeAll(async () => {
  // ×1,000,000: an hour of durable time is 3.6 ms, the 10-day timer under a second
  host = await startHost({ entry, clockScale: 1_000_000, timers: false, maxConcurrentActivities: 10, functionKey: 'test-key', log: () => undefined });
  // the instance the host loaded (loading it before the host would hide its registrations)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  appModule = require('./apps/conformanceApp') as App;
});
afterAll(() => host.stop());

/** [EventType name, EventId, Name | TaskScheduledId | TimerId] — the shape the extension writes. */
function shape(events: HistoryEvent[]): string[] {
  const names: Record<number, string> = Object.fromEntries(Object.entries(EventType).map(([k, v]) => [v, k]));
  return events.map((e) => {
    const ref = e.Name ?? e.TaskScheduledId ?? e.TimerId;
    return `${names[e.EventType]}#${e.EventId}${ref !== undefined ? `:${ref}` : ''}`;
  });
}

async function run(name: string, input?: unknown, instanceId?: string) {
  const id = host.client.startNew(name, { input, instanceId });
  const status = await host.client.waitForCompletion(id, 20_000);
  return { id, status, history: host.client.history(id) };
}

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('orchestration history as the Durable extension writes it', () => {
  test('a sequence of activities: episodes, sequence numbers, completion', async () => {
    const { status, history } = await run('Sequence');
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual(['Hello Tokyo', 'Hello Seattle', 'Hello London']);
    expect(shape(history)).toEqual([
      'OrchestratorStarted#-1',
      'ExecutionStarted#-1:Sequence',
      'TaskScheduled#0:Hello',
      'OrchestratorCompleted#-1',
      'OrchestratorStarted#-1',
      'TaskCompleted#-1:0',
      'TaskScheduled#1:Hello',
      'OrchestratorCompleted#-1',
      'OrchestratorStarted#-1',
      'TaskCompleted#-1:1',
      'TaskScheduled#2:Hello',
      'OrchestratorCompleted#-1',
      'OrchestratorStarted#-1',
      'TaskCompleted#-1:2',
      'ExecutionCompleted#3',
      'OrchestratorCompleted#-1',
    ]);
    expect(history[2].Input).toBe('"Tokyo"');
    expect(history[5].Result).toBe('"Hello Tokyo"');
    expect(history.at(-2)?.OrchestrationStatus).toBe('Completed');
  });

  test('fan-out/fan-in with Task.all schedules every activity in one episode', async () => {
    const { status, history } = await run('FanOut', 20);
    expect(status.output).toBe(2 * ((19 * 20) / 2));
    const scheduled = history.filter((e) => e.EventType === EventType.TaskScheduled);
    expect(scheduled.map((e) => e.EventId)).toEqual([...Array(20).keys()]);
    // all 20 scheduled in the first episode, between the first OrchestratorStarted/Completed pair
    const firstCompleted = history.findIndex((e) => e.EventType === EventType.OrchestratorCompleted);
    expect(history.slice(0, firstCompleted).filter((e) => e.EventType === EventType.TaskScheduled)).toHaveLength(20);
    expect(history.filter((e) => e.EventType === EventType.TaskCompleted).map((e) => e.TaskScheduledId).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([...Array(20).keys()]);
  });

  test('callActivityWithRetry: TaskFailed → TimerCreated(backoff) → TimerFired → TaskScheduled, until success', async () => {
    const { status, history } = await run('Retry', { key: 'retry-ok', failures: 2, attempts: 3 });
    expect(status.output).toBe('ok after 3');
    const retryPart = history.filter((e) => e.EventType !== EventType.OrchestratorStarted && e.EventType !== EventType.OrchestratorCompleted);
    expect(shape(retryPart)).toEqual([
      'ExecutionStarted#-1:Retry',
      'TaskScheduled#0:Flaky',
      'TaskFailed#-1:0',
      'TimerCreated#1',
      'TimerFired#-1:1',
      'TaskScheduled#2:Flaky',
      'TaskFailed#-1:2',
      'TimerCreated#3',
      'TimerFired#-1:3',
      'TaskScheduled#4:Flaky',
      'TaskCompleted#-1:4',
      'ExecutionCompleted#5',
    ]);
    // delay = firstRetryInterval × backoff^(attempt-1): 60 s then 120 s after the failing episode
    const timers = history.filter((e) => e.EventType === EventType.TimerCreated);
    const delays = timers.map((t) => new Date(t.FireAt as string).getTime() - new Date(t.Timestamp as string).getTime());
    expect(delays).toEqual([60_000, 120_000]);
    const failed = history.find((e) => e.EventType === EventType.TaskFailed);
    expect(failed?.Reason).toBe("Activity function 'Flaky' failed: flaky failure 1");
    expect(JSON.parse(failed?.Details as string).Message).toBe('flaky failure 1');
  });

  test('retries exhausted: one more timer (due at once) after the last failure, then the error reaches the orchestration', async () => {
    const { status, history } = await run('Retry', { key: 'retry-exhausted', failures: 10, attempts: 2 });
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toMatch(/^gave up: Activity function 'Flaky' failed: flaky failure 2/);
    const seq = shape(history.filter((e) => e.EventType !== EventType.OrchestratorStarted && e.EventType !== EventType.OrchestratorCompleted));
    expect(seq).toEqual([
      'ExecutionStarted#-1:Retry',
      'TaskScheduled#0:Flaky',
      'TaskFailed#-1:0',
      'TimerCreated#1',
      'TimerFired#-1:1',
      'TaskScheduled#2:Flaky',
      'TaskFailed#-1:2',
      'TimerCreated#3',
      'TimerFired#-1:3',
      'ExecutionCompleted#4',
    ]);
    expect(appModule.calls['retry-exhausted']).toBe(2);
    // RetryInterceptor.Invoke: 60 s after the first failure; after the last one a back-compat timer due at once
    const delays = history
      .filter((e) => e.EventType === EventType.TimerCreated)
      .map((t) => new Date(t.FireAt as string).getTime() - new Date(t.Timestamp as string).getTime());
    expect(delays).toEqual([60_000, 0]);
  });

  test('an uncaught activity error fails the orchestration with its message', async () => {
    const { status, history } = await run('Failing');
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toContain("Orchestrator function 'Failing' failed: Activity function 'Boom' failed: the cluster is on fire");
    const failed = history.find((e) => e.EventType === EventType.TaskFailed);
    expect(failed?.Reason).toBe("Activity function 'Boom' failed: the cluster is on fire");
    expect(history.at(-2)?.OrchestrationStatus).toBe('Failed');
  });

  test('sub-orchestrations: deterministic and generated ids, Created/Completed/Failed, retry', async () => {
    const { id, status, history } = await run('Parent');
    expect(status.runtimeStatus).toBe('Completed');
    const out = status.output as { a: { child: string; parent: string; doubled: number }; b: { child: string; doubled: number }; failure: string };
    expect(out.a).toEqual({ child: `${id}:child`, parent: id, doubled: 2 });
    const executionId = (history.find((e) => e.EventType === EventType.ExecutionStarted)?.OrchestrationInstance as { ExecutionId: string }).ExecutionId;
    // DurableTask.Core names an unnamed sub-orchestration "<parent execution id>:<sequence number>"
    expect(out.b.child).toBe(`${executionId}:1`);
    expect(out.failure).toContain(`child ${id}:failing refuses`);
    const seq = shape(history.filter((e) => e.EventType !== EventType.OrchestratorStarted && e.EventType !== EventType.OrchestratorCompleted));
    expect(seq).toEqual([
      'ExecutionStarted#-1:Parent',
      'SubOrchestrationInstanceCreated#0:Child',
      'SubOrchestrationInstanceCompleted#-1:0',
      'SubOrchestrationInstanceCreated#1:Child',
      'SubOrchestrationInstanceCompleted#-1:1',
      'SubOrchestrationInstanceCreated#2:Child',
      'SubOrchestrationInstanceFailed#-1:2',
      'TimerCreated#3',
      'TimerFired#-1:3',
      'SubOrchestrationInstanceCreated#4:Child',
      'SubOrchestrationInstanceFailed#-1:4',
      'TimerCreated#5',
      'TimerFired#-1:5',
      'ExecutionCompleted#6',
    ]);
    expect(history.find((e) => e.EventType === EventType.SubOrchestrationInstanceCreated)?.InstanceId).toBe(`${id}:child`);
    const childStatus = host.client.getStatus(`${id}:child`);
    expect(childStatus?.runtimeStatus).toBe('Completed');
    const childStart = host.client.history(`${id}:child`).find((e) => e.EventType === EventType.ExecutionStarted);
    expect(childStart?.ParentInstance?.OrchestrationInstance.InstanceId).toBe(id);
    expect(childStart?.ParentInstance?.TaskScheduleId).toBe(0);
  });

  test('a durable timer fires on the scaled clock; currentUtcDateTime comes from the episode', async () => {
    const started = Date.now();
    const { status, history } = await run('Timer', 2);
    expect(Date.now() - started).toBeLessThan(5_000);
    const out = status.output as { startedAt: string; elapsedMs: number };
    expect(out.elapsedMs).toBeGreaterThanOrEqual(2 * hour);
    const created = history.find((e) => e.EventType === EventType.TimerCreated) as HistoryEvent;
    const firstStarted = history.find((e) => e.EventType === EventType.OrchestratorStarted) as HistoryEvent;
    expect(new Date(firstStarted.Timestamp).toISOString()).toBe(out.startedAt);
    expect(new Date(created.FireAt as string).getTime() - new Date(out.startedAt).getTime()).toBe(2 * hour);
    const fired = history.find((e) => e.EventType === EventType.TimerFired) as HistoryEvent;
    expect(fired.TimerId).toBe(created.EventId);
    // the episode that saw TimerFired started at or after FireAt
    const resumedAt = history[history.indexOf(fired) - 1];
    expect(resumedAt.EventType).toBe(EventType.OrchestratorStarted);
    expect(new Date(resumedAt.Timestamp).getTime()).toBeGreaterThanOrEqual(new Date(created.FireAt as string).getTime());
  });

  test('a timer longer than maximumShortTimerDuration (6 days) is split into 3-day timers', async () => {
    const { status, history } = await run('LongTimer');
    expect(status.output).toBeGreaterThanOrEqual(10 * day);
    const created = history.filter((e) => e.EventType === EventType.TimerCreated);
    expect(created.map((e) => e.EventId)).toEqual([0, 1, 2]);
    const start = new Date(history[0].Timestamp).getTime();
    const offsets = created.map((e) => (new Date(e.FireAt as string).getTime() - start) / day);
    expect(offsets[0]).toBe(3);
    // the second 3-day timer starts from the episode that saw the first one fire
    const firstFired = history.findIndex((e) => e.EventType === EventType.TimerFired);
    const episodeStart = history[firstFired - 1];
    expect(episodeStart.EventType).toBe(EventType.OrchestratorStarted);
    expect(new Date(created[1].FireAt as string).getTime()).toBe(new Date(episodeStart.Timestamp).getTime() + 3 * day);
    expect(offsets[1]).toBeGreaterThanOrEqual(6);
    expect(offsets[2]).toBe(10);
  });

  test('external events: Task.any with a timeout; the approval wins and the timer is cancelled', async () => {
    // a one-year timeout (31 s of real time at ×1,000,000), so the event surely comes first
    const id = host.client.startNew('Approval', { input: 8760 });
    await waitFor(() => host.client.history(id).some((e) => e.EventType === EventType.TimerCreated), 'the timeout timer');
    expect(host.client.raiseEvent(id, 'Approval', { by: 'ops' })).toBe('accepted');
    const status = await host.client.waitForCompletion(id);
    expect(status.output).toEqual({ approved: { by: 'ops' } });
    const raised = host.client.history(id).find((e) => e.EventType === EventType.EventRaised);
    expect(raised?.Name).toBe('Approval');
    expect(raised?.Input).toBe('{"by":"ops"}');
  });

  test('external events: Task.any times out without an event', async () => {
    const { status, history } = await run('Approval');
    expect(status.output).toEqual({ approved: false, timedOut: true });
    expect(history.some((e) => e.EventType === EventType.TimerFired)).toBe(true);
  });

  test('external events raised before anyone waits are buffered, in order of waiting', async () => {
    const id = host.client.startNew('TwoEvents');
    host.client.raiseEvent(id, 'Second', 2);
    host.client.raiseEvent(id, 'First', 1);
    const status = await host.client.waitForCompletion(id);
    expect(status.output).toEqual([1, 2]);
  });

  test('a listener yielded once and reused in a later Task.any (the functions/ cancel pattern)', async () => {
    const a = host.client.startNew('Listener');
    await waitFor(() => host.client.history(a).some((e) => e.EventType === EventType.TaskCompleted), 'first activity');
    host.client.raiseEvent(a, 'approve', true);
    expect((await host.client.waitForCompletion(a)).output).toBe('approved: Hello a, Hello b');
    const c = host.client.startNew('Listener');
    await waitFor(() => host.client.history(c).some((e) => e.EventType === EventType.TaskCompleted), 'first activity');
    host.client.raiseEvent(c, 'cancel', true);
    expect((await host.client.waitForCompletion(c)).output).toBe('cancelled: Hello a, Hello b');
    // cancel raised before the orchestration even started listening: buffered, seen by the first Task.any
    const e = host.client.startNew('Listener');
    host.client.raiseEvent(e, 'cancel', true);
    expect((await host.client.waitForCompletion(e)).output).toBe('cancelled: Hello a, Hello b');
  });

  test('continueAsNew starts a fresh execution with the new input', async () => {
    const { status, history } = await run('Counter', 0);
    expect(status.output).toBe('finished at 3');
    const started = history.find((e) => e.EventType === EventType.ExecutionStarted);
    expect(started?.Input).toBe('3');
    expect(history.filter((e) => e.EventType === EventType.TaskScheduled)).toHaveLength(1);
  });

  test('custom status is stored; more than 16 KB fails the orchestration as in Azure', async () => {
    const small = await run('CustomStatus', 100);
    expect(small.status.runtimeStatus).toBe('Completed');
    expect((small.status.customStatus as { phase: string }).phase).toBe('working');
    const big = await run('CustomStatus', 17 * 1024);
    expect(big.status.runtimeStatus).toBe('Failed');
    expect(String(big.status.output)).toMatch(/16 KB/);
  });

  test('an action that does not match the history at its sequence number fails the instance (non-determinism)', async () => {
    const id = host.client.startNew('NonDeterministic');
    await waitFor(() => host.client.history(id).some((e) => e.EventType === EventType.TaskCompleted), 'the first activity');
    appModule.toggles.renameActivity = true;
    try {
      host.client.raiseEvent(id, 'Go');
      const status = await host.client.waitForCompletion(id);
      expect(status.runtimeStatus).toBe('Failed');
      expect(String(status.output)).toContain("Non-Deterministic workflow detected: A previous execution of this orchestration scheduled an activity task with sequence ID 0 and name 'Hello'");
    } finally {
      appModule.toggles.renameActivity = false;
    }
  });

  test('terminate, suspend and resume', async () => {
    const t = host.client.startNew('TwoEvents');
    await waitFor(() => host.client.getStatus(t)?.runtimeStatus === 'Running', 'running');
    expect(host.client.terminate(t, 'no longer needed')).toBe('accepted');
    const ts = await host.client.waitForCompletion(t);
    expect(ts.runtimeStatus).toBe('Terminated');
    expect(ts.output).toBe('no longer needed');
    expect(host.client.raiseEvent(t, 'First', 1)).toBe('gone');

    const s = host.client.startNew('TwoEvents');
    await waitFor(() => host.client.getStatus(s)?.runtimeStatus === 'Running', 'running');
    host.client.suspend(s, 'maintenance');
    await waitFor(() => host.client.getStatus(s)?.runtimeStatus === 'Suspended', 'suspended');
    host.client.raiseEvent(s, 'First', 'a');
    host.client.raiseEvent(s, 'Second', 'b');
    await new Promise((r) => setTimeout(r, 100));
    expect(host.client.getStatus(s)?.runtimeStatus).toBe('Suspended');
    host.client.resume(s, 'done');
    const rs = await host.client.waitForCompletion(s);
    expect(rs.output).toEqual(['a', 'b']);
    const types = host.client.history(s).map((e) => e.EventType);
    expect(types).toContain(EventType.ExecutionSuspended);
    expect(types).toContain(EventType.ExecutionResumed);
  });
});

describe('activities', () => {
  test('an activity with the durableClient binding drives another instance', async () => {
    const target = host.client.startNew('TwoEvents');
    const { status } = await run('Notifier', { target });
    expect(['Pending', 'Running', 'Completed']).toContain(status.output);
    expect((await host.client.waitForCompletion(target)).output).toEqual(['from an activity', 'via the rpc API']);
  });

  test('run concurrently up to maxConcurrentActivities', async () => {
    const limited = await startHost({ entry, maxConcurrentActivities: 3, timers: false, log: () => undefined });
    try {
      appModule.calls.slowPeak = 0;
      const id = limited.client.startNew('SlowFanOut');
      const status = await limited.client.waitForCompletion(id);
      expect(status.output).toBe('done');
      expect(appModule.calls.slowPeak).toBe(3);
    } finally {
      await limited.stop();
    }
  });
});

describe('the SDK test pattern agrees with the host', () => {
  // durable-functions' own tests drive an orchestrator with DurableOrchestrationInput + the handler
  // createOrchestrator builds; feeding it the host's stored history must give the host's result.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const testing = require('durable-functions/lib/src/util/testingUtils') as {
    createOrchestrator(fn: unknown): (input: unknown, ctx: unknown) => Promise<{ isDone: boolean; output: unknown; actions: unknown[][] }>;
    DurableOrchestrationInput: new (id: string, history: unknown[], input: unknown, longTimer?: string, maxShort?: string, sleep?: number, schema?: number) => unknown;
    DummyOrchestrationContext: new (name?: string, invocationId?: string, log?: () => void) => unknown;
  };
  const cases: [string, unknown, keyof App][] = [
    ['Sequence', undefined, 'sequence'],
    ['FanOut', 7, 'fanOut'],
    ['Retry', { key: 'sdk-retry', failures: 1, attempts: 3 }, 'retry'],
    ['Parent', undefined, 'parent'],
    ['Timer', 1, 'timer'],
    ['LongTimer', undefined, 'longTimer'],
    ['Counter', 3, 'counter'],
  ];
  test.each(cases)('%s', async (name, input, handlerName) => {
    const handler = appModule[handlerName];
    const { id, status, history } = await run(name, input);
    expect(status.runtimeStatus).toBe('Completed');
    const orchestrator = testing.createOrchestrator(handler);
    const sdkHistory = JSON.parse(JSON.stringify(history.filter((e) => e.EventType !== EventType.ExecutionCompleted)));
    const result = await orchestrator(new testing.DurableOrchestrationInput(id, sdkHistory, input, '3.00:00:00', '6.00:00:00', 30000, 3), new testing.DummyOrchestrationContext(name, 'inv', () => undefined));
    expect(result.isDone).toBe(true);
    expect(JSON.parse(JSON.stringify(result.output))).toEqual(status.output);
    // and the SDK's actions name exactly the functions the host scheduled
    type Action = { functionName?: string; compoundActions?: Action[] };
    const flatten = (a: Action[]): Action[] => a.flatMap((x) => (x.compoundActions ? flatten(x.compoundActions) : [x]));
    const actionNames = new Set(flatten(result.actions[0] as Action[]).map((a) => a.functionName).filter(Boolean));
    const scheduledNames = new Set(history.filter((e) => e.EventType === EventType.TaskScheduled || e.EventType === EventType.SubOrchestrationInstanceCreated).map((e) => e.Name));
    expect(actionNames).toEqual(scheduledNames);
  });
});
