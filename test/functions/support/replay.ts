/**
 * Drives an orchestrator function the way the Durable extension does, with the real durable-functions SDK
 * doing the replay: build a history of events, call the handler, read its actions, answer them with history
 * events, one completion per episode, on a virtual clock. Retries follow the extension's pattern
 * (durable-local-host.md § Retries). Used only by the orchestrator tests.
 */
import type { OrchestrationHandler } from 'durable-functions';
import * as df from 'durable-functions';

// The SDK's own test helper (lib/src/util/testingUtils: createOrchestrator) is not exported from the
// package index; it is what the SDK's tests use to run an orchestrator on a hand-built history.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const testing = require('durable-functions/lib/src/util/testingUtils') as {
  createOrchestrator(fn: OrchestrationHandler): (trigger: unknown, context: unknown) => Promise<OrchestratorState>;
};

interface OrchestratorState {
  isDone: boolean;
  actions: RawAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

interface RawAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  fireAt?: Date;
  isCanceled?: boolean;
  externalEventName?: string;
  retryOptions?: { maxNumberOfAttempts: number; firstRetryIntervalInMilliseconds: number; backoffCoefficient: number; maxRetryIntervalInMilliseconds: number };
  compoundActions?: RawAction[];
}

const A = { CallActivity: 0, CallActivityWithRetry: 1, CallSubOrchestrator: 2, CallSubOrchestratorWithRetry: 3, ContinueAsNew: 4, CreateTimer: 5, WaitForExternalEvent: 6, WhenAny: 11, WhenAll: 12 };
const E = { OrchestratorCompleted: 13, ExecutionStarted: 0, TaskScheduled: 4, TaskCompleted: 5, TaskFailed: 6, SubOrchestrationInstanceCreated: 7, SubOrchestrationInstanceCompleted: 8, SubOrchestrationInstanceFailed: 9, TimerCreated: 10, TimerFired: 11, OrchestratorStarted: 12, EventRaised: 15 };

export type Reply = { ok: true; value?: unknown; afterSeconds?: number } | { ok: false; message: string; afterSeconds?: number };

export interface Scheduled {
  kind: 'activity' | 'subOrchestration' | 'timer';
  seq: number;
  name?: string;
  input?: unknown;
  instanceId?: string;
  fireAt?: Date;
  attempt?: number;
  /** Virtual time it was scheduled at. */
  at: Date;
}

export interface DriverScript {
  activity(name: string, input: any, attempt: number, run: Run): Reply | Promise<Reply>; // eslint-disable-line @typescript-eslint/no-explicit-any
  subOrchestration?(name: string, input: any, instanceId: string, run: Run): Reply; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Nothing left to deliver: raise events (return them) or let the run stop as waiting. */
  onIdle?(run: Run): Array<{ name: string; input?: unknown }>;
  /** Called after every episode: raise events at chosen points. */
  afterEpisode?(run: Run): Array<{ name: string; input?: unknown }>;
}

export interface Run {
  now: Date;
  /** The longest history any execution reached (continueAsNew starts a new one). */
  maxHistory: number;
  log: Scheduled[];
  customStatus: unknown;
  episodes: number;
  executions: number;
  /** Inputs of every continueAsNew. */
  continuedWith: unknown[];
  raised: Array<{ name: string; at: Date }>;
}

export interface RunResult extends Run {
  state: 'completed' | 'failed' | 'waiting';
  output?: unknown;
  error?: string;
  historyLength: number;
  /** Sub-orchestrations run with their real handler (options.children): each child's own run. */
  children: RunResult[];
}

interface Pending {
  item: Scheduled;
  dueAt: number;
  retry?: RawAction['retryOptions'];
  /** For a retry timer: the activity item it re-runs. */
  retryOf?: Scheduled;
  reply?: Reply;
}

function flatten(actions: RawAction[]): RawAction[] {
  const out: RawAction[] = [];
  for (const a of actions) {
    if (a.actionType === A.WhenAny || a.actionType === A.WhenAll) out.push(...flatten(a.compoundActions ?? []));
    else out.push(a);
  }
  return out;
}

const consumesSeq = (a: RawAction): boolean => [A.CallActivity, A.CallActivityWithRetry, A.CallSubOrchestrator, A.CallSubOrchestratorWithRetry, A.CreateTimer].includes(a.actionType);

export async function runOrchestration(
  handler: OrchestrationHandler,
  input: unknown,
  script: DriverScript,
  options: {
    instanceId?: string;
    start?: Date;
    maxEpisodes?: number;
    /**
     * Sub-orchestrations played by their real orchestrator, on the same script and clock, from when they are
     * scheduled to their end (their activities join this run's log); others are answered by script.subOrchestration.
     */
    children?: Record<string, OrchestrationHandler>;
  } = {},
): Promise<RunResult> {
  const children: RunResult[] = [];
  const listener = testing.createOrchestrator(handler);
  const instanceId = options.instanceId ?? 'test-instance';
  const run: Run = { maxHistory: 0, now: new Date(options.start ?? '2026-01-05T10:00:00Z'), log: [], customStatus: undefined, episodes: 0, executions: 1, continuedWith: [], raised: [] };
  let currentInput = input;
  let history: Array<Record<string, unknown>> = [];
  let seqCounter = 0;
  let actionSeqs: number[] = [];
  const written: Array<Record<string, unknown>> = [];
  const write = (item: Scheduled): void => {
    const type = item.kind === 'timer' ? E.TimerCreated : item.kind === 'subOrchestration' ? E.SubOrchestrationInstanceCreated : E.TaskScheduled;
    written.push({ EventType: type, EventId: item.seq, IsPlayed: false, Timestamp: ts(), ...(item.name ? { Name: item.name } : {}), ...(item.instanceId ? { InstanceId: item.instanceId } : {}), ...(item.fireAt ? { FireAt: item.fireAt.toISOString() } : {}) });
  };
  let pending: Pending[] = [];
  const ts = (): string => run.now.toISOString();

  const episode = async (events: Array<Record<string, unknown>>): Promise<OrchestratorState | { failed: string }> => {
    // What the extension writes after an episode: the scheduling events of its new actions, then OrchestratorCompleted.
    if (history.length > 0) history.push(...written.splice(0), { EventType: E.OrchestratorCompleted, EventId: -1, IsPlayed: false, Timestamp: ts() });
    history = history.map((e) => ({ ...e, IsPlayed: true }));
    history.push({ EventType: E.OrchestratorStarted, EventId: -1, IsPlayed: false, Timestamp: ts() }, ...events.map((e) => ({ EventId: -1, IsPlayed: false, Timestamp: ts(), ...e })));
    run.episodes++;
    run.maxHistory = Math.max(run.maxHistory, history.length);
    const context = new df.DummyOrchestrationContext('orchestrator', `inv-${run.episodes}`, () => undefined);
    try {
      return await listener({ history, input: JSON.parse(JSON.stringify(currentInput ?? null)) as unknown, instanceId, isReplaying: false, parentInstanceId: '', upperSchemaVersion: 1 }, context);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      const m = /\$OutOfProcData\$:(.*)$/s.exec(msg);
      if (m) {
        const data = JSON.parse(m[1]) as OrchestratorState;
        run.customStatus = data.customStatus;
        return { failed: data.error ?? msg };
      }
      return { failed: msg };
    }
  };

  const absorb = async (state: OrchestratorState): Promise<void> => {
    run.customStatus = state.customStatus;
    const all = flatten(state.actions.flat());
    const scheduling = all.filter(consumesSeq);
    // Actions beyond those already numbered are new this episode; the older ones may have been cancelled since.
    for (const [i, a] of scheduling.entries()) {
      if (i < actionSeqs.length) {
        if (a.actionType === A.CreateTimer && a.isCanceled) pending = pending.filter((p) => p.item.seq !== actionSeqs[i] || p.retryOf !== undefined);
        continue;
      }
      const seq = seqCounter++;
      actionSeqs.push(seq);
      const item: Scheduled = { kind: 'activity', seq, at: new Date(run.now) };
      if (a.actionType === A.CreateTimer) {
        item.kind = 'timer';
        item.fireAt = new Date(a.fireAt as Date);
        run.log.push(item);
        write(item);
        if (!a.isCanceled) pending.push({ item, dueAt: item.fireAt.getTime() });
      } else if (a.actionType === A.CallSubOrchestrator || a.actionType === A.CallSubOrchestratorWithRetry) {
        Object.assign(item, { kind: 'subOrchestration', name: a.functionName, input: a.input, instanceId: a.instanceId });
        run.log.push(item);
        write(item);
        const handler = options.children?.[a.functionName as string];
        if (handler) {
          // The child's activities are answered by the same script (with this run for its callbacks, on the child's
          // clock: `now` is when the child calls the activity); it raises no events.
          const child = await runOrchestration(
            handler,
            JSON.parse(JSON.stringify(a.input ?? null)) as unknown,
            { activity: (name, inp, attempt, childRun) => script.activity(name, inp, attempt, { ...run, now: new Date(childRun.now) }), subOrchestration: script.subOrchestration },
            { instanceId: a.instanceId || `${instanceId}:${seq}`, start: run.now, maxEpisodes: options.maxEpisodes, children: options.children },
          );
          children.push(child);
          run.log.push(...child.log);
          const reply: Reply = child.state === 'completed' ? { ok: true, value: child.output } : { ok: false, message: child.error ?? `the child ended ${child.state}` };
          pending.push({ item, dueAt: child.now.getTime(), reply });
        } else {
          const reply = script.subOrchestration ? script.subOrchestration(a.functionName as string, a.input, a.instanceId as string, run) : { ok: true as const };
          pending.push({ item, dueAt: run.now.getTime() + (reply.afterSeconds ?? 0) * 1000, reply });
        }
      } else {
        Object.assign(item, { name: a.functionName, input: a.input, attempt: 1 });
        run.log.push(item);
        write(item);
        pending.push({ item, dueAt: run.now.getTime(), ...(a.actionType === A.CallActivityWithRetry ? { retry: a.retryOptions } : {}) });
      }
    }
  };

  let state = await episode([{ EventType: E.ExecutionStarted, Name: 'orchestrator', Input: JSON.stringify(currentInput) }]);
  for (;;) {
    if ('failed' in state) return { ...run, state: 'failed', error: state.failed, historyLength: history.length, children };
    if (state.isDone) {
      const cont = flatten(state.actions.flat()).find((a) => a.actionType === A.ContinueAsNew);
      if (cont) {
        run.executions++;
        currentInput = JSON.parse(JSON.stringify(cont.input));
        run.continuedWith.push(currentInput);
        history = [];
        written.length = 0;
        seqCounter = 0;
        actionSeqs = [];
        pending = [];
        state = await episode([{ EventType: E.ExecutionStarted, Name: 'orchestrator', Input: JSON.stringify(currentInput) }]);
        continue;
      }
      run.customStatus = state.customStatus;
      return { ...run, state: 'completed', output: state.output, historyLength: history.length, children };
    }
    await absorb(state);
    if (run.episodes > (options.maxEpisodes ?? 20_000)) throw new Error(`orchestration did not finish in ${options.maxEpisodes ?? 20_000} episodes`);

    const raise = script.afterEpisode?.(run) ?? [];
    if (raise.length > 0) {
      for (const r of raise) run.raised.push({ name: r.name, at: new Date(run.now) });
      state = await episode(raise.map((r) => ({ EventType: E.EventRaised, Name: r.name, Input: JSON.stringify(r.input ?? null) })));
      continue;
    }
    if (pending.length === 0) {
      const idle = script.onIdle?.(run) ?? [];
      if (idle.length === 0) return { ...run, state: 'waiting', historyLength: history.length, children };
      for (const r of idle) run.raised.push({ name: r.name, at: new Date(run.now) });
      state = await episode(idle.map((r) => ({ EventType: E.EventRaised, Name: r.name, Input: JSON.stringify(r.input ?? null) })));
      continue;
    }
    pending.sort((a, b) => a.dueAt - b.dueAt || a.item.seq - b.item.seq);
    const next = pending.shift() as Pending;
    if (next.dueAt > run.now.getTime()) run.now = new Date(next.dueAt);
    const { item } = next;
    if (item.kind === 'timer') {
      const events: Array<Record<string, unknown>> = [{ EventType: E.TimerFired, TimerId: item.seq, FireAt: item.fireAt?.toISOString() }];
      state = await episode(events);
      if (next.retryOf) {
        const activity = next.retryOf;
        const max = next.retry?.maxNumberOfAttempts ?? 1;
        if ((activity.attempt ?? 1) < max) {
          // The SDK tracks a rescheduled attempt under the next sequence number as it processes TimerFired.
          const again: Scheduled = { ...activity, seq: seqCounter++, attempt: (activity.attempt ?? 1) + 1, at: new Date(run.now) };
          run.log.push(again);
          write(again);
          pending.push({ item: again, dueAt: run.now.getTime(), retry: next.retry });
        }
      }
      continue;
    }
    if (item.kind === 'subOrchestration') {
      // Children ending at the same instant arrive in one episode, as a host delivers queued messages together.
      const together = [next, ...pending.filter((p) => p.item.kind === 'subOrchestration' && p.dueAt === next.dueAt)];
      pending = pending.filter((p) => !together.includes(p));
      state = await episode(
        together.map(({ item: child, reply: r = { ok: true } }) =>
          r.ok
            ? { EventType: E.SubOrchestrationInstanceCompleted, TaskScheduledId: child.seq, Result: JSON.stringify(r.value ?? null) }
            : { EventType: E.SubOrchestrationInstanceFailed, TaskScheduledId: child.seq, Reason: r.message, Details: r.message },
        ),
      );
      continue;
    }
    const reply = await script.activity(item.name as string, item.input, item.attempt ?? 1, run);
    if (reply.ok) {
      state = await episode([{ EventType: E.TaskCompleted, TaskScheduledId: item.seq, Result: JSON.stringify(reply.value ?? null) }]);
      continue;
    }
    state = await episode([{ EventType: E.TaskFailed, TaskScheduledId: item.seq, Reason: reply.message, Details: reply.message }]);
    if (next.retry) {
      // The SDK tracks the retry timer under the next sequence number while processing TaskFailed.
      const r = next.retry;
      const attempt = item.attempt ?? 1;
      const delay = Math.min(r.firstRetryIntervalInMilliseconds * Math.pow(r.backoffCoefficient || 1, attempt - 1), r.maxRetryIntervalInMilliseconds || Number.MAX_SAFE_INTEGER);
      const timer: Scheduled = { kind: 'timer', seq: seqCounter++, fireAt: new Date(run.now.getTime() + delay), at: new Date(run.now) };
      run.log.push(timer);
      write(timer);
      pending.push({ item: timer, dueAt: timer.fireAt!.getTime(), retry: r, retryOf: item });
    }
  }
}

/** Activities scheduled, in order, by name (with attempts). */
export function activityCalls(run: Run, name?: string): Scheduled[] {
  return run.log.filter((s) => s.kind === 'activity' && (name === undefined || s.name === name));
}
