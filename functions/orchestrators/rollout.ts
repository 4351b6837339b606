/**
 * rollout: one fleet, from a rollout spec (docs/rollout-spec.md, docs/workflow.md).
 *
 * discover + assess (one activity; per-cluster plan and results go to the ResultStore, the orchestration keeps
 * counts only) → stages in order: approval gate → batches of clusters loaded from the store → a sliding window
 * of at most maxConcurrency clusterMigration sub-orchestrations (instance id `${rolloutId}:${cluster key}`),
 * each started only inside its maintenance window → failure budget halts and waits for `resume` or `cancel` →
 * afterStageWaitMinutes → next stage. After every batch the orchestration continues as new, so its history
 * holds one batch (≤ 500 clusters) whatever the fleet size. Custom status = the RolloutReport (aggregates only).
 */
import type { OrchestrationContext, OrchestrationHandler, Task, TimerTask } from 'durable-functions';
import type { Step } from '../../shared/model/assessment';
import { type ClusterOutcome, type ClusterResult, MEASURED_STEPS } from '../../shared/migration/result';
import { acceptFailures, budgetHalt, budgetLeft, budgetLimits, emptyBudgetState, recordFailure, type BudgetLimits } from '../../shared/rollout/budget';
import { clusterInstanceId } from '../../shared/rollout/discovery';
import { nextOperationStart } from '../../shared/rollout/maintenance';
import { validateRolloutSpec } from '../../shared/rollout/spec';
import type { BatchCluster, ClusterMigrationInput, ClusterRunSummary, DiscoverOutput, RolloutCursor, RolloutInput, RolloutReport, RolloutStatus } from '../contracts';
import { ACTIVITIES, EVENTS, ORCHESTRATIONS } from '../names';
import { addSeconds, callActivity, clamp, ended, failureText, listenFor, now } from './common';

/** Clusters per batch (and per execution of the orchestration between continueAsNew). */
export function batchSize(maxConcurrency: number): number {
  return Math.min(500, Math.max(100, 2 * maxConcurrency));
}

/**
 * Running children are looked at every pollSeconds, except while every one of them is in its quiet period — past
 * its first EARLY_SECONDS and not yet at the sum of its steps' pollQuietSeconds, before which none of its operations
 * is polled to its end (followOperation.ts: quietUntil). EARLY_SECONDS covers a child's early ends: a preflight that
 * finds it compliant or blocked (its transient retries back off 5+10+20+40+80 s ≈ 155 s), an operation that fails at
 * its first poll (a minute, or the PUT's Retry-After up to MAX_POLL_SECONDS, 5 minutes), each plus a few
 * activities: all are seen within pollSeconds, as without a quiet period. Then the rollout wakes when the first of
 * them may end, at most QUIET_WAKE_SECONDS later: a child that ends inside its quiet period for another reason (a lock
 * wait that gives up, a second step failing at its first poll) is seen within that. For a cohort of 20-minute
 * reimages with a quiet period of 16 minutes: ~22 wakes instead of ~40 (12 in the first 6 minutes, 2 in the quiet
 * period, 8 in its last 4), each a replay of this batch's history.
 */
const EARLY_SECONDS = 360;
const QUIET_WAKE_SECONDS = 300;

/** Operation durations kept per step kind (RolloutCursor.operationSeconds), the newest. */
export const OPERATION_SAMPLES = 20;
/** Samples of a step kind needed before its children get a quiet period. */
export const MIN_OPERATION_SAMPLES = 3;
/** The quiet period is this share of the shortest sample: an operation a fifth faster than any seen yet is still heard early. */
const QUIET_SHARE = 0.8;

/**
 * Per step kind with at least MIN_OPERATION_SAMPLES durations: floor(0.8 × the shortest), the children's
 * pollQuietSeconds (followOperation.ts: quietUntil). Operations of one fleet migration are alike (same target,
 * similar pools), so a follow need not poll through the part of the operation none of them ever ended in.
 */
export function pollQuietSeconds(samples: RolloutCursor['operationSeconds']): Partial<Record<Step, number>> | undefined {
  const out: Partial<Record<Step, number>> = {};
  for (const [step, list] of Object.entries(samples ?? {}) as Array<[Step, number[]]>) {
    if (list.length >= MIN_OPERATION_SAMPLES) out[step] = Math.floor(QUIET_SHARE * Math.min(...list));
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * When to look at running children next if every one is in its quiet period (see EARLY_SECONDS): the first end of
 * one, at most QUIET_WAKE_SECONDS away; undefined when any child may end any moment (young, past its quiet period,
 * or with none).
 */
export function wakeAfterQuiet(children: Iterable<{ startedAt: number; quietUntil: number }>, at: number): number | undefined {
  let first = Number.POSITIVE_INFINITY;
  for (const c of children) {
    if (c.quietUntil === 0 || at < c.startedAt + EARLY_SECONDS * 1000 || at >= c.quietUntil) return undefined;
    first = Math.min(first, c.quietUntil);
  }
  return first === Number.POSITIVE_INFINITY ? undefined : Math.min(first, at + QUIET_WAKE_SECONDS * 1000);
}

/** Adds a child's measured durations to the cursor, keeping the last OPERATION_SAMPLES per step kind. */
function learn(cur: RolloutCursor, seconds: ClusterRunSummary['operationSeconds']): void {
  for (const [step, value] of Object.entries(seconds ?? {}) as Array<[Step, number]>) {
    if (typeof value !== 'number' || !(value > 0)) continue;
    const samples = (cur.operationSeconds ??= {});
    samples[step] = [...(samples[step] ?? []), value].slice(-OPERATION_SAMPLES);
  }
}

function bump(counts: Partial<Record<ClusterOutcome, number>>, outcome: ClusterOutcome, by = 1): void {
  counts[outcome] = (counts[outcome] ?? 0) + by;
}

function initialCursor(discovery: DiscoverOutput, at: Date): RolloutCursor {
  const counts: Partial<Record<ClusterOutcome, number>> = {};
  if (discovery.byVerdict.blocked) bump(counts, 'blocked', discovery.byVerdict.blocked);
  if (discovery.byVerdict.compliant) bump(counts, 'compliant', discovery.byVerdict.compliant);
  if (discovery.unassigned + discovery.discoveryFailures) bump(counts, 'skipped', discovery.unassigned + discovery.discoveryFailures);
  return {
    discovery,
    stageIndex: 0,
    offset: 0,
    stages: discovery.stages.map((s) => ({ name: s.name, size: s.size, counts: {} })),
    counts,
    budget: emptyBudgetState(),
    approved: [],
    startedAt: at.toISOString(),
  };
}

function stageLeft(limits: BudgetLimits, cur: RolloutCursor): number | undefined {
  const stage = cur.stages[cur.stageIndex];
  const limit = stage ? limits.perStage[stage.name] : undefined;
  return limit === undefined ? undefined : Math.max(0, limit - (cur.budget.failedByStage[stage.name] ?? 0));
}

interface Live {
  status: RolloutStatus;
  running: number;
  haltReason?: string;
  waitingUntil?: string;
}

function report(context: OrchestrationContext, input: RolloutInput, cur: RolloutCursor, limits: BudgetLimits, live: Live): RolloutReport {
  return {
    id: context.df.instanceId,
    name: input.spec.name,
    status: live.status,
    target: input.spec.target,
    total: cur.discovery.total,
    byVerdict: cur.discovery.byVerdict,
    counts: cur.counts,
    stages: cur.stages.map((s, i) => ({ ...s, state: i < cur.stageIndex || live.status === 'completed' ? 'done' : i === cur.stageIndex ? 'running' : 'pending' })),
    ...(cur.stageIndex < cur.stages.length ? { currentStage: cur.stages[cur.stageIndex].name } : {}),
    running: live.running,
    ...(budgetLeft(limits, cur.budget) !== undefined ? { failureBudgetLeft: budgetLeft(limits, cur.budget) } : {}),
    ...(stageLeft(limits, cur) !== undefined ? { stageFailureBudgetLeft: stageLeft(limits, cur) } : {}),
    ...(live.haltReason ? { haltReason: live.haltReason } : {}),
    ...(live.waitingUntil ? { waitingUntil: live.waitingUntil } : {}),
    startedAt: cur.startedAt,
    updatedAt: now(context).toISOString(),
  };
}

export const rolloutOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const raw = context.df.getInput() as RolloutInput;
  // Starters validate too; this keeps a hand-started instance from running on a spec nobody checked.
  const input: RolloutInput = { ...raw, spec: raw.cursor ? raw.spec : validateRolloutSpec(raw.spec) };
  const { spec } = input;
  const rolloutId = context.df.instanceId;
  const cancel = yield* listenFor(context, EVENTS.cancel);
  const live: Live = { status: 'running', running: 0 };

  let cur: RolloutCursor;
  // A copy: the cursor is changed as clusters end, and the input must stay as the history recorded it.
  if (input.cursor) cur = structuredClone(input.cursor);
  else {
    context.df.setCustomStatus({ id: rolloutId, name: spec.name, status: 'running', phase: 'discovering' });
    const discovery = yield* callActivity<DiscoverOutput>(context, ACTIVITIES.discoverAndAssess, { rolloutId, spec });
    cur = initialCursor(discovery, now(context));
  }
  const ready = cur.discovery.byVerdict.ready;
  const limits = budgetLimits(spec, ready, Object.fromEntries(cur.stages.map((s) => [s.name, s.size])));
  const publish = (): void => context.df.setCustomStatus(report(context, input, cur, limits, live));

  if (spec.dryRun) {
    live.status = 'dryRun';
    const out = report(context, input, cur, limits, live);
    context.df.setCustomStatus(out);
    return out;
  }

  const expected = spec.maintenanceWindow?.expectedOperationMinutes ?? 60;
  /** How often running children are looked at: a fortieth of an operation, 5–30 s (≤ 2.5 % of a slot's time). */
  const pollSeconds = clamp(Math.round((expected * 60) / 40), 5, 30);

  /** Runs one batch through a sliding window of sub-orchestrations. */
  /** Halts saying why and waits for resume or cancel; true when resumed. */
  function* haltUntilResumed(reason: string): Generator<Task, boolean, unknown> {
    live.status = 'halted';
    live.haltReason = reason;
    publish();
    const resume = context.df.waitForExternalEvent(EVENTS.resume);
    const winner = cancel.isCompleted ? cancel : yield context.df.Task.any([resume, cancel]);
    live.status = 'running';
    delete live.haltReason;
    return winner === resume;
  }

  function* runBatch(batch: BatchCluster[], stageIndex: number): Generator<Task, void, unknown> {
    const stage = spec.stages[stageIndex];
    const progress = cur.stages[stageIndex];
    const pending = [...batch];
    /** quietUntil: when the child's first operation may be seen ending after its early part (ms; 0: not known). */
    const running = new Map<string, { task: Task; clusterId: string; startedAt: number; quietUntil: number }>();
    const count = (outcome: ClusterOutcome): void => {
      bump(cur.counts, outcome);
      bump(progress.counts, outcome);
      if (outcome === 'failed') cur.budget = recordFailure(cur.budget, stage.name);
    };
    /**
     * Counts the children that ended; returns the results to store: those of children that failed outright (no result
     * of their own) and those a child could not save (ClusterRunSummary.unsaved), each counted once by its outcome.
     */
    const collect = (): ClusterResult[] => {
      const crashed: ClusterResult[] = [];
      for (const [id, r] of [...running]) {
        if (!ended(r.task)) continue;
        running.delete(id);
        if (r.task.isFaulted) {
          count('failed');
          const f = failureText(r.task.result);
          const at = now(context).toISOString();
          crashed.push({ clusterId: r.clusterId, result: 'failed', reason: `the cluster migration failed: ${f.message}`, error: f, findings: [], steps: [], startedAt: at, endedAt: at, correlationIds: [] });
        } else {
          // A ClusterRunSummary (the child ran for this rollout); a full ClusterResult has the same `result`.
          const out = r.task.result as ClusterRunSummary | undefined;
          count((out?.result ?? 'failed') as ClusterOutcome);
          learn(cur, out?.operationSeconds);
          if (out?.unsaved) crashed.push(out.unsaved);
        }
      }
      live.running = running.size;
      return crashed;
    };

    while (pending.length > 0 || running.size > 0) {
      // A child that failed outright never stored its result, and one whose save failed every attempt holds it in its
      // output: store them so no cluster stays pending (a later cancel's closeRollout would count it again).
      for (const result of collect()) yield* callActivity<void>(context, ACTIVITIES.saveClusterResult, { rolloutId, result });
      if (cancel.isCompleted && !cur.cancelled) {
        cur.cancelled = true;
        // Running migrations finish their current operation and put NAP back; those not started never will.
        if (running.size > 0) yield* callActivity<number>(context, ACTIVITIES.cancelInstances, { instanceIds: [...running.keys()], reason: 'rollout cancelled' });
        pending.length = 0;
      }
      if (cur.cancelled && running.size === 0) return;

      const halt = cur.cancelled ? undefined : budgetHalt(limits, cur.budget, stage.name);
      if (halt) {
        // cancel is not completed here (handled above), so this waits exactly as before.
        if (yield* haltUntilResumed(halt)) cur.budget = acceptFailures(cur.budget, stage.name);
        continue;
      }

      // Start what may start: free slots, and the cluster's window open for an operation that fits.
      let nextWindow: Date | undefined;
      const at = now(context);
      const started: Task[] = [];
      const quiet = pollQuietSeconds(cur.operationSeconds);
      for (let i = 0; i < pending.length && running.size < stage.maxConcurrency && !cur.cancelled; ) {
        const c = pending[i];
        const next = nextOperationStart(c.windows, at, expected);
        if (next && next.getTime() > at.getTime()) {
          if (!nextWindow || next < nextWindow) nextWindow = next;
          i++;
          continue;
        }
        // Open now, or never long enough: the child records the latter as skipped without touching the cluster.
        pending.splice(i, 1);
        const childInput: ClusterMigrationInput = {
          clusterId: c.clusterId,
          target: spec.target,
          rolloutId,
          windows: c.windows,
          expectedOperationMinutes: expected,
          ...(c.podCidr ? { podCidr: c.podCidr } : {}),
          ...(quiet ? { pollQuietSeconds: quiet } : {}),
        };
        const id = clusterInstanceId(rolloutId, c.clusterId);
        const task = context.df.callSubOrchestrator(ORCHESTRATIONS.clusterMigration, childInput, id);
        // The child's steps run one after the other, each quiet for its kind's period: it cannot be seen ending
        // (but early) before their sum; 0 when a step kind has no period yet.
        const quietSeconds = c.steps.filter((st) => MEASURED_STEPS.includes(st)).reduce((sum, st) => (quiet?.[st] !== undefined && sum >= 0 ? sum + quiet[st] : -1), 0);
        running.set(id, { task, clusterId: c.clusterId, startedAt: at.getTime(), quietUntil: quietSeconds > 0 ? at.getTime() + quietSeconds * 1000 : 0 });
        started.push(task);
      }
      live.running = running.size;
      if (running.size === 0 && pending.length === 0) return;

      // Wake on the first of: a child started now ending, the next poll, a window opening, cancel. Children
      // started earlier are found ended at the next poll: a task already yielded must never go into a new
      // Task.any, because the Durable extension schedules every action of a WhenAny again
      // (OutOfProcOrchestrationShim; azure-functions-durable-js#574).
      let wake = addSeconds(at, pollSeconds);
      const quietWake = wakeAfterQuiet(running.values(), at.getTime());
      if (quietWake !== undefined && quietWake > wake.getTime()) wake = new Date(quietWake);
      if (running.size === 0 && nextWindow) {
        wake = nextWindow;
        live.status = 'waitingForWindow';
        live.waitingUntil = nextWindow.toISOString();
      } else if (nextWindow && running.size < stage.maxConcurrency && nextWindow < wake) wake = nextWindow;
      const timer: TimerTask = context.df.createTimer(wake);
      const waits: Task[] = [timer, ...started];
      if (!cancel.isCompleted) waits.push(cancel);
      publish();
      yield context.df.Task.any(waits);
      if (!timer.isCompleted) timer.cancel();
      delete live.waitingUntil;
      if (live.status === 'waitingForWindow') live.status = 'running';
    }
  }

  try {
    while (cur.stageIndex < cur.stages.length && !cur.cancelled) {
      const stageIndex = cur.stageIndex;
      const stage = spec.stages[stageIndex];
      const progress = cur.stages[stageIndex];
      if (cur.offset === 0 && stage.approval && progress.size > 0 && !cur.approved.includes(stageIndex)) {
        live.status = 'waitingForApproval';
        publish();
        const approve = context.df.waitForExternalEvent(EVENTS.approve);
        // A Task.any never resolves from a child that completed before it was built: check cancel first.
        const winner = cancel.isCompleted ? cancel : yield context.df.Task.any([approve, cancel]);
        live.status = 'running';
        if (winner !== approve) {
          cur.cancelled = true;
          break;
        }
        cur.approved.push(stageIndex);
      }
      const limit = batchSize(stage.maxConcurrency);
      const batch = progress.size > cur.offset ? yield* callActivity<BatchCluster[]>(context, ACTIVITIES.loadStageBatch, { rolloutId, stageIndex, offset: cur.offset, limit }) : [];
      if (batch.length === 0 && progress.size > cur.offset) {
        // The store lost the stage's plan (e.g. a host restarted on an in-memory result store): never count the
        // stage as done with its clusters untouched. Halt saying so; resume reads the store again.
        const resumed = yield* haltUntilResumed(
          `stage '${stage.name}': the result store returned no clusters from position ${cur.offset} of ${progress.size}: the rollout's plan is missing from the store (a host on an in-memory store restarted? set AKSNET_RESULTS_DB to a file); resume to read it again, or cancel`,
        );
        if (!resumed) {
          cur.cancelled = true;
          break;
        }
        continue;
      }
      publish();
      yield* runBatch(batch, stageIndex);
      cur.offset += batch.length;
      const stageDone = cur.offset >= progress.size;
      if (stageDone) {
        const wait = stage.afterStageWaitMinutes ?? 0;
        if (wait > 0 && !cur.cancelled && stageIndex + 1 < cur.stages.length) {
          live.waitingUntil = new Date(now(context).getTime() + wait * 60_000).toISOString();
          publish();
          if (cancel.isCompleted) cur.cancelled = true;
          else {
            const timer = context.df.createTimer(new Date(live.waitingUntil));
            const winner = yield context.df.Task.any([timer, cancel]);
            if (winner === cancel) {
              timer.cancel();
              cur.cancelled = true;
            }
          }
          delete live.waitingUntil;
        }
        cur.stageIndex++;
        cur.offset = 0;
      }
      if (!cur.cancelled && cur.stageIndex < cur.stages.length) {
        // Keep the history to one batch: the next batch or stage runs in a fresh execution.
        publish();
        context.df.continueAsNew({ spec, cursor: cur } satisfies RolloutInput);
        return undefined;
      }
    }
  } catch (err) {
    // An activity of the rollout itself failed after its retries: report and stop; running children go on.
    const f = failureText(err);
    live.status = 'halted';
    live.haltReason = `${f.code}: ${f.message}`;
    publish();
    throw err;
  }

  if (cur.cancelled) {
    const marked = yield* callActivity<number>(context, ACTIVITIES.closeRollout, { rolloutId, outcome: 'cancelled', reason: 'the rollout was cancelled before this cluster started' });
    if (marked) bump(cur.counts, 'cancelled', marked);
    live.status = 'cancelled';
  } else live.status = 'completed';
  live.running = 0;
  const out = report(context, input, cur, limits, live);
  context.df.setCustomStatus(out);
  return out;
};
