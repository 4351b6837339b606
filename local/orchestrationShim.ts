import { EventType, type HistoryEvent } from './history';

/**
 * Plays the Durable extension's side of an out-of-process orchestration episode.
 *
 * The SDK returns every action it has produced since the orchestration began (schema V2+:
 * one outer array). The extension (OutOfProcOrchestrationShim.ProcessAsyncActionsV2) awaits them
 * one after another against DurableTask.Core's TaskOrchestrationContext, which hands out sequence
 * numbers (idCounter) as tasks are created and checks each scheduling event in the history against
 * them (HandleTaskScheduledEvent & co., NonDeterministicOrchestrationException). This module does the
 * same walk over the history: it reproduces the numbering (including the retry timers of
 * RetryInterceptor and the long-timer split of the SDK's LongTimerTask), reports mismatches as the
 * framework does, and returns the new scheduling decisions of this episode.
 */

export interface RetryOptionsJson {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

/** An action as the SDK's OrchestratorState carries it (class instances or parsed JSON). */
export interface ActionJson {
  actionType: number;
  functionName?: string;
  input?: unknown;
  retryOptions?: RetryOptionsJson;
  instanceId?: string;
  fireAt?: Date | string;
  isCanceled?: boolean;
  externalEventName?: string;
  compoundActions?: ActionJson[];
}

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  ScheduledSignalEntity: 10,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

export type Decision =
  | { kind: 'activity'; id: number; name: string; input: unknown }
  | { kind: 'subOrchestration'; id: number; name: string; instanceId: string; input: unknown }
  | { kind: 'timer'; id: number; fireAt: Date };

export interface ShimOptions {
  executionId: string;
  /** maximumShortTimerDuration / longRunningTimerIntervalDuration in ms (Azure Storage: 6 days / 3 days). */
  maximumShortTimerMs: number;
  longRunningTimerIntervalMs: number;
  warn?: (message: string) => void;
}

export interface ShimResult {
  decisions: Decision[];
  continueAsNew?: { input: unknown };
  /** Set when the history does not match the actions: the instance must fail with this message. */
  nonDeterminism?: string;
  /** Set when the app uses a feature the local host does not play (entities, callHttp). */
  unsupported?: string;
}

class NonDeterminismError extends Error {}
class UnsupportedError extends Error {}

type Expectation = { kind: 'activity' | 'subOrchestration'; name: string; decision: Decision } | { kind: 'timer'; decision: Decision };

abstract class Node {
  done = false;
  failed = false;
  parent?: Compound;
  onTopDone?: () => void;
  constructor(protected readonly shim: ShimRun) {}
  abstract issue(): void;
  protected finish(failed: boolean): void {
    if (this.done) return;
    this.done = true;
    this.failed = failed;
    if (this.parent) this.parent.childDone(this);
    else if (this.onTopDone) this.onTopDone();
  }
}

abstract class Compound extends Node {
  constructor(shim: ShimRun, readonly children: Node[]) {
    super(shim);
    for (const c of children) c.parent = this;
  }
  issue(): void {
    for (const c of this.children) c.issue();
    this.check();
  }
  childDone(_child: Node): void {
    this.check();
  }
  abstract check(): void;
}

class WhenAll extends Compound {
  check(): void {
    if (this.done) return;
    if (this.children.some((c) => c.done && c.failed)) this.finish(true);
    else if (this.children.every((c) => c.done)) this.finish(false);
  }
}

class WhenAny extends Compound {
  check(): void {
    if (!this.done && this.children.some((c) => c.done)) this.finish(false);
  }
}

/** Activity or sub-orchestration, with or without retry (DurableTask.Core RetryInterceptor). */
class CallNode extends Node {
  private attempt = 1;
  private waitingOnTimer = false;
  private firstAttemptAt = 0;
  constructor(
    shim: ShimRun,
    private readonly kind: 'activity' | 'subOrchestration',
    private readonly action: ActionJson,
    private readonly retry?: RetryOptionsJson,
  ) {
    super(shim);
  }
  issue(): void {
    this.firstAttemptAt = this.shim.currentTime;
    this.schedule();
  }
  private schedule(): void {
    const id = this.shim.nextId(this);
    const name = this.action.functionName ?? '';
    const decision: Decision =
      this.kind === 'activity'
        ? { kind: 'activity', id, name, input: this.action.input }
        : { kind: 'subOrchestration', id, name, instanceId: this.action.instanceId || `${this.shim.options.executionId}:${id}`, input: this.action.input };
    this.shim.expect(id, { kind: this.kind, name, decision });
  }
  onResult(success: boolean): void {
    if (this.waitingOnTimer) {
      // The retry timer fired (TimerFired routed to this node).
      this.waitingOnTimer = false;
      if (this.retry && this.attempt > this.retry.maxNumberOfAttempts) this.finish(true);
      else this.schedule();
      return;
    }
    if (success) return this.finish(false);
    if (!this.retry) return this.finish(true);
    // DurableTask.Core RetryInterceptor.Invoke: after a failed attempt it creates a timer at
    // now + ComputeNextDelay; after the last attempt a "dummy timer for back-compat" due at once
    // (earlier versions scheduled a full delay there, and replay must keep that timer). The error
    // surfaces only once that timer has fired. The JS SDK's RetryableTask takes a sequence number for
    // the timer the moment it sees the failure.
    const retryCount = this.attempt - 1;
    const isLastRetry = retryCount + 1 >= this.retry.maxNumberOfAttempts;
    this.attempt++;
    this.waitingOnTimer = true;
    const id = this.shim.nextId(this);
    if (isLastRetry) {
      this.shim.expect(id, { kind: 'timer', decision: { kind: 'timer', id, fireAt: new Date(this.shim.currentTime) } });
      return;
    }
    const delay = computeNextDelay(this.retry, retryCount, this.firstAttemptAt, this.shim.currentTime);
    if (delay === 0) {
      // Past retryTimeout RetryInterceptor creates no timer; the JS SDK still waits for one
      // (azure-functions-durable-js#629), so the orchestration waits forever, as in Azure.
      this.shim.options.warn?.(
        `retryTimeoutInMilliseconds expired for '${this.action.functionName}': like the Durable extension, no retry timer is scheduled and the JS orchestration waits forever (azure-functions-durable-js#629). Remove retryTimeoutInMilliseconds or handle the timeout yourself.`,
      );
      return;
    }
    this.shim.expect(id, { kind: 'timer', decision: { kind: 'timer', id, fireAt: new Date(this.shim.currentTime + delay) } });
  }
}

/** DurableTask.Core RetryInterceptor.ComputeNextDelay (attempt is the 0-based retry count). */
export function computeNextDelay(retry: RetryOptionsJson, attempt: number, firstAttemptAt: number, now: number): number {
  const timeout = retry.retryTimeoutInMilliseconds;
  const expiration = timeout !== undefined && timeout !== null && Number.isFinite(timeout) && timeout > 0 ? firstAttemptAt + timeout : Number.POSITIVE_INFINITY;
  if (!(now < expiration)) return 0;
  const backoff = retry.backoffCoefficient ?? 1;
  const next = retry.firstRetryIntervalInMilliseconds * Math.pow(backoff, attempt);
  const max = retry.maxRetryIntervalInMilliseconds;
  return max !== undefined && max !== null && Number.isFinite(max) && max > 0 && next >= max ? max : next;
}

/** createTimer; long timers are split like the SDK's LongTimerTask (schema V3+). */
class TimerNode extends Node {
  private finalFireAt = 0;
  constructor(shim: ShimRun, private readonly action: ActionJson) {
    super(shim);
  }
  issue(): void {
    this.finalFireAt = new Date(this.action.fireAt as Date | string).getTime();
    // A cancelled timer (timer.cancel() after Task.any) keeps its place: its TimerCreated stays in the
    // history and, like the SDK's LongTimerTask, a long timer keeps chaining its sub-timers.
    this.scheduleNext();
  }
  private scheduleNext(): void {
    const now = this.shim.currentTime;
    const remaining = this.finalFireAt - now;
    const fireAt = remaining > this.shim.options.maximumShortTimerMs ? now + this.shim.options.longRunningTimerIntervalMs : this.finalFireAt;
    const id = this.shim.nextId(this);
    this.shim.expect(id, { kind: 'timer', decision: { kind: 'timer', id, fireAt: new Date(fireAt) } });
  }
  onResult(): void {
    if (this.finalFireAt > this.shim.currentTime) this.scheduleNext();
    else this.finish(false);
  }
}

class ExternalEventNode extends Node {
  constructor(shim: ShimRun, readonly eventName: string) {
    super(shim);
  }
  issue(): void {
    this.shim.waitForEvent(this);
  }
  deliver(): void {
    this.finish(false);
  }
}

class FireAndForgetNode extends Node {
  issue(): void {
    this.finish(false);
  }
}

type IdNode = CallNode | TimerNode;

class ShimRun {
  currentTime = 0;
  private counter = 0;
  private readonly openById = new Map<number, IdNode>();
  private readonly expected = new Map<number, Expectation>();
  private readonly matched = new Set<number>();
  /** Expected scheduling events not yet seen in the history: this episode's new decisions. */
  private readonly pending = new Set<number>();
  private readonly eventWaiters = new Map<string, ExternalEventNode[]>();
  private readonly bufferedEvents = new Map<string, number>();
  private nextAction = 0;
  continueAsNew?: { input: unknown };

  constructor(
    readonly options: ShimOptions,
    private actions: ActionJson[],
  ) {}

  /** The SDK's cumulative action list of this episode (its prefix was checked by the caller). */
  setActions(actions: ActionJson[]): void {
    this.actions = actions;
  }

  nextId(node: IdNode): number {
    const id = this.counter++;
    this.openById.set(id, node);
    return id;
  }
  expect(id: number, e: Expectation): void {
    this.expected.set(id, e);
    this.pending.add(id);
  }
  waitForEvent(node: ExternalEventNode): void {
    const buffered = this.bufferedEvents.get(node.eventName) ?? 0;
    if (buffered > 0) {
      this.bufferedEvents.set(node.eventName, buffered - 1);
      node.deliver();
      return;
    }
    const list = this.eventWaiters.get(node.eventName) ?? [];
    list.push(node);
    this.eventWaiters.set(node.eventName, list);
  }

  private build(action: ActionJson): Node {
    switch (action.actionType) {
      case ActionType.CallActivity:
        return new CallNode(this, 'activity', action);
      case ActionType.CallActivityWithRetry:
        return new CallNode(this, 'activity', action, action.retryOptions);
      case ActionType.CallSubOrchestrator:
        return new CallNode(this, 'subOrchestration', action);
      case ActionType.CallSubOrchestratorWithRetry:
        return new CallNode(this, 'subOrchestration', action, action.retryOptions);
      case ActionType.CreateTimer:
        return new TimerNode(this, action);
      case ActionType.WaitForExternalEvent:
        return new ExternalEventNode(this, action.externalEventName ?? '');
      case ActionType.WhenAll:
        return new WhenAll(this, (action.compoundActions ?? []).map((a) => this.build(a)));
      case ActionType.WhenAny:
        return new WhenAny(this, (action.compoundActions ?? []).map((a) => this.build(a)));
      case ActionType.ContinueAsNew:
        this.continueAsNew = { input: action.input };
        return new FireAndForgetNode(this);
      default:
        throw new UnsupportedError(
          `The local host does not play action type ${action.actionType} (entities and callHttp are not supported locally); use activities, sub-orchestrations, timers and external events, or run against Azure.`,
        );
    }
  }

  /** ProcessAsyncActionsV2: await each top-level action before invoking the next. */
  issueNextAction(): void {
    while (this.nextAction < this.actions.length) {
      const node = this.build(this.actions[this.nextAction++]);
      let finished = false;
      node.onTopDone = () => {
        finished = true;
      };
      node.issue();
      if (!finished) {
        node.onTopDone = () => this.issueNextAction();
        return;
      }
    }
  }

  private checkScheduled(event: HistoryEvent, kind: 'activity' | 'subOrchestration' | 'timer'): void {
    const id = event.EventId;
    const e = this.expected.get(id);
    const label = kind === 'activity' ? 'an activity task' : kind === 'timer' ? 'a timer task' : 'a sub-orchestration task';
    const what = kind === 'timer' ? `${label} with sequence number ${id}` : `${label} with sequence ID ${id} and name '${event.Name}'`;
    if (!e || this.matched.has(id)) {
      throw new NonDeterminismError(
        `A previous execution of this orchestration scheduled ${what}, but the current replay execution hasn't (yet?) scheduled this task. Was a change made to the orchestrator code after this instance had already started running?`,
      );
    }
    if (e.kind !== kind) {
      throw new NonDeterminismError(
        `A previous execution of this orchestration scheduled ${what}, but the current orchestration replay instead produced a ${e.kind} action with this sequence number. Was a change made to the orchestrator code after this instance had already started running?`,
      );
    }
    if (e.kind !== 'timer' && (event.Name ?? '').toLowerCase() !== e.name.toLowerCase()) {
      throw new NonDeterminismError(
        `A previous execution of this orchestration scheduled ${what}, but the current orchestration replay instead scheduled ${label} named '${e.name}' with this sequence number. Was a change made to the orchestrator code after this instance had already started running?`,
      );
    }
    this.matched.add(id);
    this.pending.delete(id);
  }

  private complete(id: number | undefined, success: boolean): void {
    if (id === undefined) return;
    const node = this.openById.get(id);
    if (!node) return; // DurableTask.Core logs duplicates and ignores them
    this.openById.delete(id);
    node.onResult(success);
  }

  run(history: HistoryEvent[]): ShimResult {
    for (const event of history) {
      switch (event.EventType) {
        case EventType.OrchestratorStarted: {
          const t = new Date(event.Timestamp).getTime();
          if (t > this.currentTime) this.currentTime = t;
          break;
        }
        case EventType.ExecutionStarted:
          this.issueNextAction();
          break;
        case EventType.TaskScheduled:
          this.checkScheduled(event, 'activity');
          break;
        case EventType.SubOrchestrationInstanceCreated:
          this.checkScheduled(event, 'subOrchestration');
          break;
        case EventType.TimerCreated:
          this.checkScheduled(event, 'timer');
          break;
        case EventType.TaskCompleted:
        case EventType.SubOrchestrationInstanceCompleted:
          this.complete(event.TaskScheduledId, true);
          break;
        case EventType.TaskFailed:
        case EventType.SubOrchestrationInstanceFailed:
          this.complete(event.TaskScheduledId, false);
          break;
        case EventType.TimerFired:
          this.complete(event.TimerId, true);
          break;
        case EventType.EventRaised: {
          const name = event.Name ?? '';
          // several waiters on one name: the SDK resolves the most recent one first (openEvents.pop())
          const waiters = this.eventWaiters.get(name);
          const waiter = waiters?.pop();
          if (waiter) waiter.deliver();
          else this.bufferedEvents.set(name, (this.bufferedEvents.get(name) ?? 0) + 1);
          break;
        }
        default:
          break;
      }
    }
    if (this.nextAction < this.actions.length) {
      // The SDK moved past a task the shim still waits on (e.g. it yielded a task scheduled earlier).
      // The extension would not schedule the rest; we do, and say so.
      this.options.warn?.(`the orchestrator produced ${this.actions.length - this.nextAction} action(s) while an earlier one is still pending; scheduling them anyway`);
      while (this.nextAction < this.actions.length) {
        const node = this.build(this.actions[this.nextAction++]);
        node.issue();
      }
    }
    const decisions: Decision[] = [];
    const ids = [...this.pending].sort((a, b) => a - b);
    for (const id of ids) decisions.push((this.expected.get(id) as Expectation).decision);
    const result: ShimResult = { decisions, continueAsNew: this.continueAsNew };
    return result;
  }
}

function toResult(err: unknown): ShimResult {
  if (err instanceof NonDeterminismError) return { decisions: [], nonDeterminism: `Non-Deterministic workflow detected: ${err.message}` };
  if (err instanceof UnsupportedError) return { decisions: [], unsupported: err.message };
  throw err;
}

function sameAction(a: ActionJson, b: ActionJson): boolean {
  if (a.actionType !== b.actionType || a.functionName !== b.functionName || a.externalEventName !== b.externalEventName || a.instanceId !== b.instanceId) return false;
  const ca = a.compoundActions;
  const cb = b.compoundActions;
  if (!ca || !cb) return ca === cb;
  if (ca.length !== cb.length) return false;
  for (let i = 0; i < ca.length; i++) if (!sameAction(ca[i], cb[i])) return false;
  return true;
}

/**
 * The same walk, kept between episodes of one execution so each episode only walks its new events
 * (the SDK still replays everything; this keeps the host's share O(new events)). Falls back to a
 * full replay whenever the SDK's actions do not extend the previous episode's actions exactly.
 */
export class ShimSession {
  private run?: ShimRun;
  private previousActions: ActionJson[] = [];
  private walked = 0;

  constructor(private readonly options: ShimOptions) {}

  /** `history` = everything so far including this episode's new events. */
  plan(history: HistoryEvent[], actions: ActionJson[]): ShimResult {
    const prev = this.previousActions;
    let incremental = this.run !== undefined && actions.length >= prev.length && this.walked <= history.length;
    for (let i = 0; incremental && i < prev.length; i++) if (!sameAction(prev[i], actions[i])) incremental = false;
    this.previousActions = actions;
    try {
      if (!incremental) {
        this.run = new ShimRun(this.options, actions);
        const r = this.run.run(history);
        this.walked = history.length;
        return r;
      }
      const run = this.run as ShimRun;
      run.setActions(actions);
      const r = run.run(history.slice(this.walked));
      this.walked = history.length;
      return r;
    } catch (err) {
      this.run = undefined;
      return toResult(err);
    }
  }

  /** The scheduling events the host wrote for this episode's decisions (and OrchestratorCompleted). */
  absorb(events: HistoryEvent[]): void {
    if (!this.run) return;
    try {
      this.run.run(events);
      this.walked += events.length;
    } catch {
      this.run = undefined;
    }
  }
}
