import { randomUUID } from 'node:crypto';
import { EventType, type HistoryEvent, toJsonText } from './history';
import { type EpisodeCommit, type InstanceQuery, type InstanceRow, type InstanceStore, type NewInboxMessage, type RuntimeStatus, type WorkRow, terminalStatuses } from './instanceStore';
import { invokeFunction, type TypedData } from './invoke';
import type { LoadedApp, RegisteredFunction } from './loadEntry';
import { type ActionJson, type Decision, ShimSession } from './orchestrationShim';
import type { ScaledClock } from './scaledClock';

/**
 * The Durable extension's part, played locally: runs orchestration episodes through the SDK's replay
 * engine, writes the history the extension writes, dispatches activities, timers and sub-orchestrations,
 * and answers the management operations. Facts: /work/shared/docs/durable-local-host.md.
 */

export interface TaskHubOptions {
  app: LoadedApp;
  store: InstanceStore;
  clock: ScaledClock;
  taskHubName: string;
  maxConcurrentActivities: number;
  /** Azure Storage defaults: 6 days and 3 days (DurableTaskOptions MaximumTimerDuration / LongRunningTimerIntervalDuration). */
  maximumShortTimerMs?: number;
  longRunningTimerIntervalMs?: number;
  log: (message: string) => void;
  /** Values for a function's non-trigger inputs (the durableClient binding), filled by the host. */
  extraInputsFor?: (fn: RegisteredFunction) => Record<string, TypedData>;
}

/** The Durable extension limit on the serialized custom status (docs: "Limits to respect"). */
export const customStatusLimitChars = 16 * 1024;

const outOfProcDataLabel = '\n\n$OutOfProcData$:';
/** One batch of episodes in this many is also timed with process.cpuUsage (see TaskHub.stats). */
const CPU_SAMPLE_EVERY = 4;
const day = 24 * 3600 * 1000;

interface OrchestratorStateJson {
  isDone: boolean;
  actions: ActionJson[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

interface Consumed {
  inbox: number[];
  work: number[];
  committed?: boolean;
}

/** An episode's commit, queued for the batch's one transaction, and what it does once written. */
interface QueuedCommit {
  commit: EpisodeCommit;
  consumed: Consumed;
  after?: (ids: { workIds: number[]; messageIds: number[] }) => void;
}

/**
 * Episodes run back to back in one macrotask and committed in one SQLite transaction (group commit): at most this
 * many, so the event loop (timers, activity I/O, the HTTP front door) is never held for more than a few tens of ms.
 */
const MAX_BATCH_EPISODES = 32;

interface CachedHistory {
  executionId: string;
  events: HistoryEvent[];
  input: unknown;
  shim?: ShimSession;
  /** How many of `events` are already marked IsPlayed (the marking is O(new events) per episode, not O(history)). */
  played?: number;
}

export class InstanceExistsError extends Error {}
export class UnknownFunctionError extends Error {}

/** `.NET TimeSpan` text ("d.hh:mm:ss") that moment.duration, used by the SDK, parses. */
function toTimeSpan(ms: number): string {
  const days = Math.floor(ms / day);
  let rest = ms - days * day;
  const h = Math.floor(rest / 3600000);
  rest -= h * 3600000;
  const m = Math.floor(rest / 60000);
  rest -= m * 60000;
  const s = rest / 1000;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${days}.${pad(h)}:${pad(m)}:${pad(Math.floor(s))}${s % 1 ? (s % 1).toFixed(3).slice(1) : ''}`;
}

export function newGuid(): string {
  return randomUUID().replace(/-/g, '');
}

function parseJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined || text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export class TaskHub {
  private readonly app: LoadedApp;
  private readonly store: InstanceStore;
  private readonly clock: ScaledClock;
  private readonly maxShortMs: number;
  private readonly longIntervalMs: number;
  private readonly cache = new Map<string, CachedHistory>();
  private readonly ready = new Set<string>();
  private readonly timers: { at: number; instanceId: string }[] = [];
  private timerHandle?: NodeJS.Timeout;
  private armedAt = Number.POSITIVE_INFINITY;
  private draining = false;
  private drainScheduled = false;
  private readonly activityQueue: WorkRow[] = [];
  /**
   * Activity results not yet in a history. They stay in memory until the instance's next episode,
   * which deletes the work item and records the result in one transaction: a kill before that runs
   * the activity again (at least once, as in Azure) and saves a transaction per activity.
   */
  private readonly completions = new Map<string, { workId: number; executionId: string; event: HistoryEvent }[]>();
  private runningActivities = 0;
  private pumpScheduled = false;
  private stopped = false;
  private readonly idleWaiters: (() => void)[] = [];
  private currentEpisode: Promise<void> = Promise.resolve();
  /** Set while a batch of episodes runs: their commits wait here for the batch's one transaction. */
  private batch?: QueuedCommit[];
  /**
   * Counters for tests and the bench. `episodeMs`: wall time of the replays (the SDK's replay + the shim's plan);
   * `hostMs`: main-thread time of the Durable host's synchronous work — each whole batch of episodes (inbox, the
   * SDK's replay of the orchestrator, the shim's plan, the SQLite commit, dispatch) and each activity's hand-back
   * (result serialised, completion queued); `sdkMs` the part of it inside the durable-functions SDK's
   * orchestrator handler (the replay of the app's orchestrator code); `hostMs - sdkMs` is the local host's own
   * work, of which `commitMs` the SQLite transactions. A batch runs in one macrotask (its awaits settle as
   * microtasks), so nothing else of this process runs inside what is measured, and its time on the monotonic clock is
   * that work's CPU time on the main thread — more, never less, when the OS runs something else meanwhile.
   * Not process.cpuUsage around each: getrusage costs 15–100 µs in this process (measured: 13,500 calls in a
   * 100-cluster rollout bench took 2.1 ms per cluster step, 1,800 calls 1.75 ms), more than some of what it measured.
   * Instead one batch in CPU_SAMPLE_EVERY is also measured with process.cpuUsage (`sampledCpuMs`, over the same
   * batches' `sampledWallMs`, inside it): on a busy machine the monotonic clock counts time the OS gave to others,
   * and that ratio turns the times into CPU (bench/rollout.ts). It counts the process's other threads too (V8's
   * concurrent GC) while a batch runs, so it errs high. `batches`: SQLite transactions of episodes.
   */
  readonly stats = { episodes: 0, activitiesCompleted: 0, activitiesFailed: 0, replayedEvents: 0, episodeMs: 0, hostMs: 0, sdkMs: 0, commitMs: 0, batches: 0, sampledCpuMs: 0, sampledWallMs: 0 };
  /** Per orchestration name: episodes replayed, events replayed, host CPU of those episodes (ms) and the SDK's part of it. */
  readonly statsByName = new Map<string, { episodes: number; replayedEvents: number; ms: number; sdkMs: number }>();
  /** The orchestration name of the episode being run (for statsByName), and its main-thread time in the SDK. */
  private episodeName?: string;
  private episodeSdkMs = 0;
  private batchesRun = 0;

  constructor(readonly options: TaskHubOptions) {
    this.app = options.app;
    this.store = options.store;
    this.clock = options.clock;
    this.maxShortMs = options.maximumShortTimerMs ?? 6 * day;
    this.longIntervalMs = options.longRunningTimerIntervalMs ?? 3 * day;
  }

  /** Picks up whatever a previous process left: work items run again, inbox messages get delivered. */
  start(): void {
    for (const w of this.store.pendingWork()) this.activityQueue.push(w);
    for (const m of this.store.pendingInbox()) this.schedule(m.instance_id, m.visible_at);
    this.pumpActivities();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timerHandle) clearTimeout(this.timerHandle);
    await this.currentEpisode.catch(() => undefined);
    // a graceful stop keeps the results it has: they become inbox messages
    for (const [instanceId, list] of this.completions) {
      for (const c of list) this.store.completeWork(c.workId, { instanceId, executionId: c.executionId, event: c.event, visibleAt: 0 });
    }
    this.completions.clear();
  }

  now(): number {
    return this.clock.now();
  }

  private iso(t: number): string {
    return new Date(t).toISOString();
  }

  /* ---------------- scheduling ---------------- */

  private schedule(instanceId: string, visibleAt: number): void {
    if (this.stopped) return;
    if (visibleAt <= this.clock.now()) {
      this.ready.add(instanceId);
      this.kick();
      return;
    }
    // sorted insert (binary search): timers are few compared with messages
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.timers[mid].at <= visibleAt) lo = mid + 1;
      else hi = mid;
    }
    this.timers.splice(lo, 0, { at: visibleAt, instanceId });
    this.armTimer();
  }

  private armTimer(): void {
    if (this.stopped || this.timers.length === 0) return;
    const next = this.timers[0].at;
    if (this.timerHandle && next >= this.armedAt) return;
    if (this.timerHandle) clearTimeout(this.timerHandle);
    this.armedAt = next;
    // setTimeout caps at ~24.8 days; re-arm in steps for longer waits
    const delay = Math.min(this.clock.realDelayUntil(next), 2 ** 31 - 1);
    this.timerHandle = setTimeout(() => {
      this.timerHandle = undefined;
      this.armedAt = Number.POSITIVE_INFINITY;
      const now = this.clock.now();
      while (this.timers.length > 0 && this.timers[0].at <= now) {
        const t = this.timers.shift() as { at: number; instanceId: string };
        this.ready.add(t.instanceId);
      }
      this.kick();
      this.armTimer();
    }, Math.ceil(delay));
  }

  private kick(): void {
    if (this.drainScheduled || this.draining || this.stopped) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.stopped && this.ready.size > 0) {
        const ids: string[] = [];
        for (const id of this.ready) {
          ids.push(id);
          if (ids.length >= MAX_BATCH_EPISODES) break;
        }
        for (const id of ids) this.ready.delete(id);
        const batch = this.runBatch(ids);
        this.currentEpisode = batch;
        await batch;
        // An episode is promise work only (the SDK's replay; SQLite is synchronous), so without this turn of the
        // event loop an instance whose next timer is already due when its episode commits (a poll shorter than an
        // episode: the rollout's 30-s poll under a ×1000 clock once its history is long) is ready again at once and
        // this loop never lets timers, activity I/O or HTTP run: every other instance and the front door froze while
        // the CPU spun (the hang of test/e2e/rollout-faults.test.ts). In Azure the dispatchers run concurrently.
        if (this.ready.size > 0 && !this.stopped) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.draining = false;
      this.notifyIdle();
    }
  }

  private notifyIdle(): void {
    if (this.ready.size === 0 && this.runningActivities === 0 && this.activityQueue.length === 0 && !this.draining) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /* ---------------- activities ---------------- */

  private pumpActivities(): void {
    while (!this.stopped && this.runningActivities < this.options.maxConcurrentActivities && this.activityQueue.length > 0) {
      const w = this.activityQueue.shift() as WorkRow;
      this.runningActivities++;
      void this.runActivity(w).finally(() => {
        this.runningActivities--;
        this.pumpActivities();
        this.notifyIdle();
      });
    }
  }

  private async runActivity(w: WorkRow): Promise<void> {
    const fn = this.app.functions.get(w.name);
    let t0: number | undefined;
    let event: HistoryEvent;
    const base = { EventId: -1, IsPlayed: false, TaskScheduledId: w.task_id };
    if (!fn || fn.kind !== 'activity') {
      event = {
        ...base,
        EventType: EventType.TaskFailed,
        Timestamp: this.iso(this.clock.now()),
        Reason: `The function '${w.name}' doesn't exist, is disabled, or is not an activity function. Additional info: the following are the known activity functions: ${this.knownNames('activity')}.`,
        Details: null,
      };
    } else {
      try {
        const { result } = await invokeFunction(this.app, fn, { triggerData: { json: w.input }, extraInputs: this.options.extraInputsFor?.(fn), rawResult: true });
        t0 = performance.now();
        event = { ...base, EventType: EventType.TaskCompleted, Timestamp: this.iso(this.clock.now()), Result: toJsonText(result) };
        this.stats.activitiesCompleted++;
      } catch (err) {
        t0 = performance.now();
        event = { ...base, EventType: EventType.TaskFailed, Timestamp: this.iso(this.clock.now()), ...activityFailure(w.name, err) };
        this.stats.activitiesFailed++;
      }
    }
    if (this.stopped) return;
    const list = this.completions.get(w.instance_id) ?? [];
    list.push({ workId: w.id, executionId: w.execution_id, event });
    this.completions.set(w.instance_id, list);
    this.schedule(w.instance_id, 0);
    if (t0 !== undefined) this.stats.hostMs += performance.now() - t0;
  }

  private knownNames(kind: RegisteredFunction['kind']): string {
    return [...this.app.functions.values()]
      .filter((f) => f.kind === kind)
      .map((f) => `'${f.name}'`)
      .join(', ');
  }

  /* ---------------- orchestration episodes ---------------- */

  private history(instanceId: string, executionId: string): CachedHistory {
    let h = this.cache.get(instanceId);
    if (!h || h.executionId !== executionId) {
      const events = this.store.loadHistory(instanceId);
      const started = events.find((e) => e.EventType === EventType.ExecutionStarted);
      h = { executionId, events, input: parseJson(started?.Input) };
      this.cache.set(instanceId, h);
    }
    return h;
  }

  /**
   * One episode for each of these instances (each at most once), then one SQLite transaction for all their commits
   * (group commit), then their effects — activities queued, timers and messages scheduled, the in-memory histories
   * extended — only once that transaction is written: a kill at any point leaves either none or all of the batch.
   * Within the batch no episode reads what another one writes: an episode reads its own instance's row, inbox and
   * history, and whatever it sends another instance reaches it only after the commit (that instance is scheduled
   * then, for a later batch).
   */
  private async runBatch(ids: string[]): Promise<void> {
    const sampleWall0 = performance.now();
    const cpu0 = this.batchesRun++ % CPU_SAMPLE_EVERY === 0 ? process.cpuUsage() : undefined;
    const wall0 = performance.now();
    const queued: QueuedCommit[] = [];
    const runs: { instanceId: string; results: { workId: number; executionId: string; event: HistoryEvent }[]; consumed: Consumed; name?: string; sdkMs: number }[] = [];
    this.batch = queued;
    try {
      for (const instanceId of ids) {
        const results = this.completions.get(instanceId) ?? [];
        this.completions.delete(instanceId);
        const consumed: Consumed = { inbox: [], work: [] };
        try {
          await this.runEpisode(instanceId, results, consumed);
        } catch (err) {
          this.options.log(`episode of ${instanceId} failed in the host: ${err instanceof Error ? err.stack : String(err)}`);
        }
        runs.push({ instanceId, results, consumed, name: this.episodeName, sdkMs: this.episodeSdkMs });
        this.episodeName = undefined;
        this.episodeSdkMs = 0;
      }
    } finally {
      this.batch = undefined;
    }
    const c0 = performance.now();
    if (queued.length > 0) {
      let written: { workIds: number[]; messageIds: number[] }[] | undefined;
      try {
        written = this.store.commitEpisodes(queued.map((q) => q.commit));
      } catch (err) {
        this.options.log(`the task hub could not commit ${queued.length} episode(s) together (${err instanceof Error ? err.message : String(err)}); committing them one by one`);
      }
      this.stats.batches++;
      queued.forEach((q, i) => {
        let ids = written?.[i];
        if (!ids) {
          try {
            ids = this.store.commitEpisode(q.commit);
          } catch (err) {
            // not written: its messages stay in the inbox and its results in memory; the history is re-read next time
            this.cache.delete(q.commit.instanceId);
            this.options.log(`episode of ${q.commit.instanceId} failed in the host: ${err instanceof Error ? err.stack : String(err)}`);
            return;
          }
        }
        q.consumed.committed = true;
        q.after?.(ids);
      });
    }
    const commitMs = performance.now() - c0;
    for (const r of runs) {
      // results this episode did not deliver (suspended instance, host error) wait for the next one
      const delivered = new Set(r.consumed.committed ? r.consumed.work : []);
      const kept = r.results.filter((x) => !delivered.has(x.workId));
      if (kept.length > 0) this.completions.set(r.instanceId, [...kept, ...(this.completions.get(r.instanceId) ?? [])]);
    }
    const spent = performance.now() - wall0;
    if (cpu0) {
      const cpu = process.cpuUsage(cpu0);
      this.stats.sampledCpuMs += (cpu.user + cpu.system) / 1000;
      // the wall window of the sample spans both getrusage calls, as its CPU window does
      this.stats.sampledWallMs += performance.now() - sampleWall0;
    }
    const sdkMs = runs.reduce((sum, r) => sum + r.sdkMs, 0);
    this.stats.hostMs += spent;
    this.stats.sdkMs += sdkMs;
    this.stats.commitMs += commitMs;
    // per name: each episode's SDK time plus an equal share of the rest of the batch
    const shared = runs.length > 0 ? (spent - sdkMs) / runs.length : 0;
    for (const r of runs) {
      if (r.name === undefined) continue;
      const byName = this.byName(r.name);
      byName.sdkMs += r.sdkMs;
      byName.ms += shared + r.sdkMs;
    }
  }

  private byName(name: string): { episodes: number; replayedEvents: number; ms: number; sdkMs: number } {
    let byName = this.statsByName.get(name);
    if (!byName) {
      byName = { episodes: 0, replayedEvents: 0, ms: 0, sdkMs: 0 };
      this.statsByName.set(name, byName);
    }
    return byName;
  }

  private async runEpisode(instanceId: string, results: { workId: number; executionId: string; event: HistoryEvent }[], consumed: Consumed): Promise<void> {
    const row = this.store.getInstance(instanceId);
    const now = this.clock.now();
    const inbox = this.store.inbox(instanceId).filter((m) => m.visible_at <= now);
    if (inbox.length === 0 && results.length === 0) return;
    if (!row) {
      // purged: nothing to deliver to (its work items went with it)
      for (const r of results) consumed.work.push(r.workId);
      this.commit(consumed, { instanceId, resetHistory: false, firstSeq: 0, newEvents: [], consumedInbox: inbox.map((m) => m.id), completedWork: consumed.work, work: [], messages: [], newInstances: [], instance: { instance_id: instanceId } });
      return;
    }
    const incoming: HistoryEvent[] = [];
    let terminate: HistoryEvent | undefined;
    let suspend: HistoryEvent | undefined;
    let resume: HistoryEvent | undefined;
    let started: HistoryEvent | undefined;
    const suspended = row.status === 'Suspended';
    const parsed: { id?: number; workId?: number; event: HistoryEvent }[] = [];
    const finished = terminalStatuses.has(row.status);
    for (const m of inbox) {
      const stale = m.execution_id !== null && m.execution_id !== row.execution_id;
      if (stale || finished) {
        consumed.inbox.push(m.id); // messages for an old execution or a finished instance are dropped
        continue;
      }
      const event = JSON.parse(m.event) as HistoryEvent;
      if (event.EventType === EventType.ExecutionTerminated) {
        terminate ??= event;
        consumed.inbox.push(m.id);
      } else if (event.EventType === EventType.ExecutionSuspended) {
        if (!suspended && !suspend) suspend = event;
        consumed.inbox.push(m.id);
      } else if (event.EventType === EventType.ExecutionResumed) {
        if (suspended && !resume) resume = event;
        consumed.inbox.push(m.id);
      } else parsed.push({ id: m.id, event });
    }
    for (const r of results) {
      if (r.executionId !== row.execution_id || finished) consumed.work.push(r.workId);
      else parsed.push({ workId: r.workId, event: r.event });
    }
    // A suspended instance keeps its other messages in the inbox until it is resumed (or terminated);
    // a suspend request is recorded alone, the rest waits.
    const deliverOthers = terminate !== undefined || (!suspend && (!suspended || resume !== undefined));
    if (deliverOthers) {
      for (const { id, workId, event } of parsed) {
        if (id !== undefined) consumed.inbox.push(id);
        if (workId !== undefined) consumed.work.push(workId);
        incoming.push(event);
        if (event.EventType === EventType.ExecutionStarted) started = event;
      }
    }
    if (terminalStatuses.has(row.status) || (incoming.length === 0 && !terminate && !suspend && !resume)) {
      if (consumed.inbox.length || consumed.work.length) {
        this.commit(consumed, { instanceId, resetHistory: false, firstSeq: 0, newEvents: [], consumedInbox: consumed.inbox, completedWork: consumed.work, work: [], messages: [], newInstances: [], instance: { instance_id: instanceId } });
      }
      return;
    }
    const t0 = performance.now();
    const cached = this.history(instanceId, row.execution_id);
    const past = cached.events;
    for (let i = cached.played ?? 0; i < past.length; i++) past[i].IsPlayed = true;
    cached.played = past.length;
    const nowIso = this.iso(now);
    const newEvents: HistoryEvent[] = [{ EventType: EventType.OrchestratorStarted, EventId: -1, IsPlayed: false, Timestamp: nowIso }];
    if (started) cached.input = parseJson(started.Input);

    const finishWith = (status: RuntimeStatus, result: string | null, extra: Partial<InstanceRow>, failure?: { reason: string; details: string | null }) =>
      this.commitCompletion(row, cached, newEvents, consumed, status, result, extra, failure, now);

    if (terminate) {
      newEvents.push(...incoming.filter((e) => e.EventType === EventType.ExecutionStarted));
      newEvents.push(terminate);
      const reason = terminate.Input ?? null;
      finishWith('Terminated', reason, {}, { reason: `Orchestration terminated: ${parseJson(reason) ?? ''}`, details: null });
      return;
    }
    if (suspend) {
      newEvents.push(suspend, { EventType: EventType.OrchestratorCompleted, EventId: -1, IsPlayed: false, Timestamp: nowIso });
      this.commitRunning(row, cached, newEvents, consumed, [], 'Suspended', undefined, now);
      return;
    }
    if (resume) newEvents.push(resume);
    newEvents.push(...incoming);
    const full = past.concat(newEvents);

    const fn = this.app.functions.get(row.name);
    if (!fn || fn.kind !== 'orchestration') {
      const msg = `The function '${row.name}' doesn't exist, is disabled, or is not an orchestrator function. Additional info: the following are the known orchestrator functions: ${this.knownNames('orchestration')}.`;
      finishWith('Failed', JSON.stringify(msg), {}, { reason: msg, details: null });
      return;
    }
    const binding = {
      history: full,
      // a fresh copy each episode, as the extension sends freshly deserialized JSON: changes the
      // orchestrator makes to its input must not leak into the next replay
      input: cached.input === null || typeof cached.input !== 'object' ? cached.input : structuredClone(cached.input),
      instanceId,
      isReplaying: past.length > 0,
      parentInstanceId: row.parent_instance_id ?? undefined,
      upperSchemaVersion: 3,
      upperSchemaVersionNew: 3,
      longRunningTimerIntervalDuration: toTimeSpan(this.longIntervalMs),
      maximumShortTimerDuration: toTimeSpan(this.maxShortMs),
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
    let state: OrchestratorStateJson;
    let error: string | undefined;
    // (b) of the bench's split: the SDK's handler, from the call to its settled promise (microtasks only)
    const sdk0 = performance.now();
    try {
      const { result } = await invokeFunction(this.app, fn, { triggerValue: binding, rawResult: true });
      state = result as OrchestratorStateJson;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const at = message.indexOf(outOfProcDataLabel);
      if (at >= 0) {
        state = JSON.parse(message.slice(at + outOfProcDataLabel.length)) as OrchestratorStateJson;
        error = state.error ?? message.slice(0, at);
      } else {
        state = { isDone: false, actions: [[]] };
        error = message;
      }
    }
    this.episodeSdkMs = performance.now() - sdk0;
    this.stats.episodes++;
    this.stats.replayedEvents += full.length;
    this.episodeName = row.name;
    const byName = this.byName(row.name);
    byName.episodes++;
    byName.replayedEvents += full.length;
    const actions = (state.actions ?? [])[0] ?? [];
    cached.shim ??= new ShimSession({
      executionId: row.execution_id,
      maximumShortTimerMs: this.maxShortMs,
      longRunningTimerIntervalMs: this.longIntervalMs,
      warn: (m) => this.options.log(`${instanceId}: ${m}`),
    });
    const plan = cached.shim.plan(full, actions);
    this.stats.episodeMs += performance.now() - t0;

    const customStatusText = state.customStatus === undefined ? undefined : JSON.stringify(state.customStatus);
    const failWith = (message: string, details: string | null = null) => finishWith('Failed', JSON.stringify(message), customStatusText !== undefined ? { custom_status: customStatusText } : {}, { reason: message, details });

    if (plan.nonDeterminism) return failWith(plan.nonDeterminism);
    if (plan.unsupported) return failWith(`Orchestrator function '${row.name}' failed: ${plan.unsupported}`);
    if (customStatusText !== undefined && customStatusText.length > customStatusLimitChars) {
      return failWith(
        `Orchestrator function '${row.name}' failed: the custom status is ${customStatusText.length} characters of JSON, more than the ${customStatusLimitChars} (16 KB) the Durable extension accepts. Keep custom status small (a summary, not results).`,
      );
    }
    if (error !== undefined) return failWith(`Orchestrator function '${row.name}' failed: ${error}`, error);
    if (state.isDone && plan.continueAsNew) {
      this.commitContinueAsNew(row, consumed, plan.continueAsNew.input, customStatusText, now);
      return;
    }
    if (state.isDone) {
      return finishWith('Completed', toJsonText(state.output), customStatusText !== undefined ? { custom_status: customStatusText } : {});
    }
    this.commitRunning(row, cached, newEvents, consumed, plan.decisions, 'Running', customStatusText, now);
  }

  /**
   * Queues the episode's commit for its batch's transaction (runBatch); `after` runs once it is written, with the
   * ids of the rows it inserted. Outside a batch it commits at once.
   */
  private commit(consumed: Consumed, c: EpisodeCommit, after?: QueuedCommit['after']): void {
    if (this.batch) {
      this.batch.push({ commit: c, consumed, after });
      return;
    }
    const ids = this.store.commitEpisode(c);
    consumed.committed = true;
    after?.(ids);
  }

  private schedulingEvents(row: InstanceRow, decisions: Decision[], now: number) {
    const events: HistoryEvent[] = [];
    const work: { executionId: string; taskId: number; name: string; input: string }[] = [];
    const messages: NewInboxMessage[] = [];
    const newInstances: InstanceRow[] = [];
    const ts = this.iso(now);
    for (const d of decisions) {
      if (d.kind === 'activity') {
        const input = actionInputText(d.input);
        events.push({ EventType: EventType.TaskScheduled, EventId: d.id, IsPlayed: false, Timestamp: ts, Name: d.name, Version: '', Input: input });
        work.push({ executionId: row.execution_id, taskId: d.id, name: d.name, input });
      } else if (d.kind === 'timer') {
        const fireAt = d.fireAt.toISOString();
        events.push({ EventType: EventType.TimerCreated, EventId: d.id, IsPlayed: false, Timestamp: ts, FireAt: fireAt });
        messages.push({
          instanceId: row.instance_id,
          executionId: row.execution_id,
          event: { EventType: EventType.TimerFired, EventId: -1, IsPlayed: false, Timestamp: fireAt, TimerId: d.id, FireAt: fireAt },
          visibleAt: d.fireAt.getTime(),
        });
      } else {
        const input = toJsonText(d.input);
        events.push({ EventType: EventType.SubOrchestrationInstanceCreated, EventId: d.id, IsPlayed: false, Timestamp: ts, Name: d.name, Version: '', InstanceId: d.instanceId, Input: input });
        const childExecution = newGuid();
        newInstances.push({
          instance_id: d.instanceId,
          name: d.name,
          execution_id: childExecution,
          status: 'Pending',
          input,
          output: null,
          custom_status: null,
          created_time: ts,
          last_updated_time: ts,
          parent_instance_id: row.instance_id,
          parent_execution_id: row.execution_id,
          parent_task_id: d.id,
        });
        messages.push({
          instanceId: d.instanceId,
          executionId: childExecution,
          event: {
            EventType: EventType.ExecutionStarted,
            EventId: -1,
            IsPlayed: false,
            Timestamp: ts,
            OrchestrationInstance: { InstanceId: d.instanceId, ExecutionId: childExecution },
            Name: d.name,
            Version: '',
            Input: input,
            ParentInstance: { Name: row.name, Version: '', TaskScheduleId: d.id, OrchestrationInstance: { InstanceId: row.instance_id, ExecutionId: row.execution_id } },
          },
          visibleAt: 0,
        });
      }
    }
    return { events, work, messages, newInstances };
  }

  private afterCommit(row: InstanceRow, workIds: number[], work: { executionId: string; taskId: number; name: string; input: string }[], messages: NewInboxMessage[]): void {
    work.forEach((w, i) => this.activityQueue.push({ id: workIds[i], instance_id: row.instance_id, execution_id: w.executionId, task_id: w.taskId, name: w.name, input: w.input }));
    for (const m of messages) this.schedule(m.instanceId, m.visibleAt);
    if (work.length > 0) this.pumpSoon();
  }

  /**
   * Starts queued activities from a macrotask of their own, not inside the episode that scheduled them: an
   * activity's synchronous start (its arguments, the app's code up to its first I/O) is the app's work, and the
   * episode's CPU (stats.hostMs) must not include it.
   */
  private pumpSoon(): void {
    if (this.pumpScheduled || this.stopped) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pumpActivities();
    });
  }

  private commitRunning(row: InstanceRow, cached: CachedHistory, newEvents: HistoryEvent[], consumed: Consumed, decisions: Decision[], status: RuntimeStatus, customStatus: string | undefined, now: number): void {
    const s = this.schedulingEvents(row, decisions, now);
    const all = status === 'Suspended' ? newEvents : [...newEvents, ...s.events, { EventType: EventType.OrchestratorCompleted, EventId: -1, IsPlayed: false, Timestamp: this.iso(now) }];
    const patch: Partial<InstanceRow> & { instance_id: string } = { instance_id: row.instance_id, status, last_updated_time: this.iso(now) };
    if (customStatus !== undefined) patch.custom_status = customStatus;
    const firstSeq = cached.events.length;
    this.commit(consumed, {
      instanceId: row.instance_id,
      resetHistory: false,
      firstSeq,
      newEvents: all,
      consumedInbox: consumed.inbox,
      completedWork: consumed.work,
      work: s.work,
      messages: s.messages,
      newInstances: s.newInstances,
      instance: patch,
    }, ({ workIds }) => {
      cached.events.push(...all);
      cached.shim?.absorb(all.slice(newEvents.length));
      this.afterCommit(row, workIds, s.work, s.messages);
    });
  }

  private commitCompletion(
    row: InstanceRow,
    cached: CachedHistory,
    newEvents: HistoryEvent[],
    consumed: Consumed,
    status: RuntimeStatus,
    result: string | null,
    extra: Partial<InstanceRow>,
    failure: { reason: string; details: string | null } | undefined,
    now: number,
  ): void {
    const ts = this.iso(now);
    const maxId = cached.events.concat(newEvents).reduce((m, e) => (e.EventId > m ? e.EventId : m), -1);
    const all: HistoryEvent[] = [
      ...newEvents,
      { EventType: EventType.ExecutionCompleted, EventId: maxId + 1, IsPlayed: false, Timestamp: ts, OrchestrationStatus: status, Result: result },
      { EventType: EventType.OrchestratorCompleted, EventId: -1, IsPlayed: false, Timestamp: ts },
    ];
    const messages: NewInboxMessage[] = [];
    if (row.parent_instance_id && row.parent_task_id !== null) {
      const base = { EventId: -1, IsPlayed: false, Timestamp: ts, TaskScheduledId: row.parent_task_id };
      const event: HistoryEvent =
        status === 'Completed'
          ? { ...base, EventType: EventType.SubOrchestrationInstanceCompleted, Result: result }
          : { ...base, EventType: EventType.SubOrchestrationInstanceFailed, Reason: failure?.reason ?? status, Details: failure?.details ?? null };
      messages.push({ instanceId: row.parent_instance_id, executionId: row.parent_execution_id, event, visibleAt: 0 });
    }
    this.commit(consumed, {
      instanceId: row.instance_id,
      resetHistory: false,
      firstSeq: cached.events.length,
      newEvents: all,
      consumedInbox: consumed.inbox,
      completedWork: consumed.work,
      work: [],
      messages,
      newInstances: [],
      instance: { instance_id: row.instance_id, status, output: result, last_updated_time: ts, ...extra },
    }, () => {
      // a finished instance needs no replay state: keep memory flat across a fleet of instances
      this.cache.delete(row.instance_id);
      this.afterCommit(row, [], [], messages);
    });
  }

  /**
   * continueAsNew: the execution ends as ContinuedAsNew and a new one starts from a fresh history
   * with the new input (the old execution's history is not kept). Events raised for the instance
   * and still in the inbox are delivered to the new execution.
   */
  private commitContinueAsNew(row: InstanceRow, consumed: Consumed, input: unknown, customStatus: string | undefined, now: number): void {
    const ts = this.iso(now);
    const executionId = newGuid();
    const inputText = actionInputText(input);
    const start: NewInboxMessage = {
      instanceId: row.instance_id,
      executionId,
      event: {
        EventType: EventType.ExecutionStarted,
        EventId: -1,
        IsPlayed: false,
        Timestamp: ts,
        OrchestrationInstance: { InstanceId: row.instance_id, ExecutionId: executionId },
        Name: row.name,
        Version: '',
        Input: inputText,
        ParentInstance: null,
      },
      visibleAt: 0,
    };
    const patch: Partial<InstanceRow> & { instance_id: string } = { instance_id: row.instance_id, status: 'ContinuedAsNew', execution_id: executionId, input: inputText, output: null, last_updated_time: ts };
    if (customStatus !== undefined) patch.custom_status = customStatus;
    this.commit(consumed, { instanceId: row.instance_id, resetHistory: true, firstSeq: 0, newEvents: [], consumedInbox: consumed.inbox,
      completedWork: consumed.work, work: [], messages: [start], newInstances: [], instance: patch }, () => {
      this.cache.delete(row.instance_id);
      this.afterCommit(row, [], [], [start]);
    });
  }

  /* ---------------- client operations (management API) ---------------- */

  startNew(name: string, instanceId: string | undefined, input: unknown): string {
    const fn = this.app.functions.get(name);
    if (!fn || fn.kind !== 'orchestration') {
      throw new UnknownFunctionError(
        `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function. Additional info: the following are the known orchestrator functions: ${this.knownNames('orchestration')}.`,
      );
    }
    const id = instanceId ?? newGuid();
    const existing = this.store.getInstance(id);
    if (existing && !terminalStatuses.has(existing.status)) {
      throw new InstanceExistsError(`An instance with ID '${id}' already exists and is ${existing.status}; choose another instance id or wait for it to finish.`);
    }
    const now = this.clock.now();
    const ts = this.iso(now);
    const executionId = newGuid();
    const inputText = toJsonText(input);
    this.store.createInstance(
      {
        instance_id: id,
        name,
        execution_id: executionId,
        status: 'Pending',
        input: inputText,
        output: null,
        custom_status: null,
        created_time: ts,
        last_updated_time: ts,
        parent_instance_id: null,
        parent_execution_id: null,
        parent_task_id: null,
      },
      {
        instanceId: id,
        executionId,
        event: {
          EventType: EventType.ExecutionStarted,
          EventId: -1,
          IsPlayed: false,
          Timestamp: ts,
          OrchestrationInstance: { InstanceId: id, ExecutionId: executionId },
          Name: name,
          Version: '',
          Input: inputText,
          ParentInstance: null,
        },
        visibleAt: 0,
      },
    );
    this.cache.delete(id);
    this.schedule(id, 0);
    return id;
  }

  /**
   * Restart (HttpApiHandler "restart"): a new instance of the same orchestration with the same input,
   * under a new id, or under the same id when `newInstanceId` is false (only once it has finished).
   */
  restart(instanceId: string, newInstanceId: boolean): string | undefined {
    const row = this.store.getInstance(instanceId);
    if (!row) return undefined;
    if (!newInstanceId && !terminalStatuses.has(row.status)) {
      throw new InstanceExistsError(`The instance '${instanceId}' is ${row.status}; restart it under the same id only once it has finished, or use restartWithNewInstanceId=true.`);
    }
    return this.startNew(row.name, newInstanceId ? undefined : instanceId, parseJson(row.input));
  }

  /** 'notFound' | 'gone' (finished) | 'accepted', as the extension's HTTP API distinguishes 404/410/202. */
  private send(instanceId: string, event: HistoryEvent, executionBound: boolean): 'notFound' | 'gone' | 'accepted' {
    const row = this.store.getInstance(instanceId);
    if (!row) return 'notFound';
    if (terminalStatuses.has(row.status)) return 'gone';
    this.store.enqueue({ instanceId, executionId: executionBound ? row.execution_id : null, event, visibleAt: 0 });
    this.schedule(instanceId, 0);
    return 'accepted';
  }

  raiseEvent(instanceId: string, name: string, data: unknown): 'notFound' | 'gone' | 'accepted' {
    return this.send(instanceId, { EventType: EventType.EventRaised, EventId: -1, IsPlayed: false, Timestamp: this.iso(this.clock.now()), Name: name, Input: toJsonText(data) }, false);
  }

  terminate(instanceId: string, reason: string): 'notFound' | 'gone' | 'accepted' {
    return this.send(instanceId, { EventType: EventType.ExecutionTerminated, EventId: -1, IsPlayed: false, Timestamp: this.iso(this.clock.now()), Input: toJsonText(reason) }, false);
  }

  suspend(instanceId: string, reason: string): 'notFound' | 'gone' | 'accepted' {
    return this.send(instanceId, { EventType: EventType.ExecutionSuspended, EventId: -1, IsPlayed: false, Timestamp: this.iso(this.clock.now()), Reason: reason }, false);
  }

  resume(instanceId: string, reason: string): 'notFound' | 'gone' | 'accepted' {
    return this.send(instanceId, { EventType: EventType.ExecutionResumed, EventId: -1, IsPlayed: false, Timestamp: this.iso(this.clock.now()), Reason: reason }, false);
  }

  purge(instanceId: string): boolean {
    this.cache.delete(instanceId);
    return this.store.purge(instanceId);
  }

  queryInstances(q: InstanceQuery): InstanceRow[] {
    return this.store.queryInstances(q);
  }

  getInstance(instanceId: string): InstanceRow | undefined {
    return this.store.getInstance(instanceId);
  }

  /** The stored history of the current execution, with the fields the extension writes. */
  getHistory(instanceId: string): HistoryEvent[] {
    return this.store.loadHistory(instanceId);
  }

  /** Resolves when no episode, activity or ready instance is left (timers may still be pending). */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.notifyIdle();
    });
  }

  get isStopped(): boolean {
    return this.stopped;
  }
}

/**
 * Activity and continue-as-new inputs arrive pre-serialized when they are strings (the SDK's
 * Utils.processInput JSON-encodes strings so the extension reads them as JSON); other values are raw.
 */
export function actionInputText(input: unknown): string {
  return typeof input === 'string' ? input : toJsonText(input);
}

/** TaskFailed fields for an activity error, as the extension writes them (Reason + Details, or FailureDetails). */
export function activityFailure(name: string, err: unknown): Pick<HistoryEvent, 'Reason' | 'Details'> & { FailureDetails?: unknown } {
  const error = err instanceof Error ? err : new Error(String(err));
  // With setExceptionPropertiesProvider the SDK puts serialized FailureDetails in the message.
  try {
    const parsed = JSON.parse(error.message) as Record<string, unknown>;
    if (parsed && typeof parsed === 'object' && typeof parsed.ErrorType === 'string') {
      return { Reason: `Activity function '${name}' failed: ${String(parsed.ErrorMessage ?? '')}`, Details: null, FailureDetails: parsed };
    }
  } catch {
    /* plain message */
  }
  const details = {
    $type: 'System.Exception, System.Private.CoreLib',
    ClassName: 'System.Exception',
    Message: error.message,
    InnerException: {
      $type: 'Microsoft.Azure.WebJobs.Script.Workers.Rpc.RpcException, Microsoft.Azure.WebJobs.Script',
      RemoteMessage: error.message,
      RemoteStackTrace: error.stack ?? '',
      RemoteTypeName: error.name,
    },
  };
  return { Reason: `Activity function '${name}' failed: ${error.message}`, Details: JSON.stringify(details) };
}
