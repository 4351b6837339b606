/**
 * clusterMigration: one cluster from preflight to verify (docs/workflow.md).
 *
 * lock + preflight (one activity; blocked/compliant end here, nothing written) → for each step: nap:disable = the documented NAP
 * disable procedure; ipam:overlay / dataplane:cilium = one ARM PUT from a fresh GET with If-Match, followed with
 * durable timers honouring Retry-After and a poll activity until terminal or a deadline; nap:enable = mode Auto and
 * NodePools/pool sizes as they were → verify, result saved and lock released (one activity, verifyAndFinish; a run
 * not migrated ends with finishClusterRun: saved + released).
 * Whatever happens once NAP was touched (failure, timeout, cancel), NAP is put back before the run ends.
 * `cancel` is heard between operations and during every wait (window, lock, 409, NAP drain); a running ARM
 * operation is always followed to its end. Every begin but the NAP restore is inside the maintenance window, and
 * the cluster lock is kept (renewed) across long waits: see beforeWrite.
 */
import type { OrchestrationContext, OrchestrationHandler, Task, TimerTask } from 'durable-functions';
import type { Step } from '../../shared/model/assessment';
import type { NapDisablePlan } from '../../shared/migration/nap';
import type { BeginOutcome, ScaleOutcome } from '../../shared/migration/operations';
import type { OperationStarted } from '../../shared/migration/ports';
import { type ClusterResult, MEASURED_STEPS, type StepRecord } from '../../shared/migration/result';
import { withVerifyProblems } from '../../shared/migration/verify';
import { nextOperationStart, operationAllowedAt } from '../../shared/rollout/maintenance';
import {
  type ClusterMigrationInput,
  type ClusterRunSummary,
  type FinishRunInput,
  type LockAndPreflightOutput,
  type LockOutput,
  type PreflightOutput,
  RESULT_SAVE_FAILED,
  type SaveResultInput,
  type VerifyAndFinishInput,
  type VerifyInput,
  type VerifyOutput,
} from '../contracts';
import { ACTIVITIES, EVENTS, ORCHESTRATIONS } from '../names';
import { addSeconds, callActivity, callOrStop, clamp, failureText, listenFor, now, RunStop } from './common';
import { firstPollWait, type FollowOperationInput, type FollowOperationOutput, MIN_POLL_SECONDS } from './followOperation';

/** Retryable terminal failures (AKSOperationPreempted) begin the same step again at most this often. */
const MAX_STEP_RESTARTS = 2;
/** Wait after a 409 without Retry-After. */
const BUSY_WAIT_SECONDS = 60;
const LOCK_POLL_SECONDS = 300;
/**
 * The lock is a 24 h lease (LOCK_LEASE_SECONDS, functions/activities/migration.ts) and a run can wait a week for a
 * window: it is renewed (acquire is re-entrant for the same owner) whenever this much orchestration time has
 * passed since it was last taken, checked in every long wait and before every write. Between two checks a run
 * spends at most an operation's deadline plus a NAP drain (2 × 240 min by default), so the lease never lapses
 * while the run lives, and a fast run pays no extra activity.
 */
const LOCK_RENEW_SECONDS = 6 * 3600;
/**
 * Long waits (for a maintenance window) sleep in slices of at most an hour: in Azure an external event may reach
 * an earlier waiter of the same name, and the orchestration then hears `cancel` when its current timer fires.
 */
const MAX_SLEEP_SECONDS = 3600;
const NAP_NODES_POLL_SECONDS = 30;

interface RunState {
  input: ClusterMigrationInput;
  result: ClusterResult;
  cancel: Task;
  napPlan?: NapDisablePlan;
  napTouched: boolean;
  napRestored: boolean;
  /** Orchestration time the lock was last taken or renewed; undefined until it is held or once it was lost. */
  lockTakenAt?: Date;
}

function setPhase(context: OrchestrationContext, phase: string, extra: Record<string, unknown> = {}): void {
  context.df.setCustomStatus({ phase, ...extra });
}

/** A timer that also ends when `cancel` arrives; returns true when cancelled. */
function* sleepUnlessCancelled(context: OrchestrationContext, state: RunState, until: Date): Generator<Task, boolean, unknown> {
  const timer: TimerTask = context.df.createTimer(until);
  if (state.cancel.isCompleted) {
    timer.cancel();
    return true;
  }
  const winner = yield context.df.Task.any([timer, state.cancel]);
  if (winner === state.cancel) {
    timer.cancel();
    return true;
  }
  return false;
}

function throwIfCancelled(state: RunState): void {
  if (state.cancel.isCompleted) throw new RunStop('cancelled', 'Cancelled', 'cancelled on request');
}

/**
 * Takes the lock and, once taken, runs the preflight: one activity (acquireLockAndPreflight), so one episode. While
 * another run holds the lock it waits as before and asks again. If the activity fails after its retries the lock may
 * have been taken before the preflight failed: it is counted as held, so the run's end releases it (owner-checked).
 */
function* lockAndPreflight(context: OrchestrationContext, state: RunState, podCidr: string | undefined): Generator<Task, PreflightOutput, unknown> {
  const owner = context.df.instanceId;
  const waitUntil = addSeconds(now(context), (state.input.lockWaitMinutes ?? 60) * 60);
  for (;;) {
    let lock: LockAndPreflightOutput;
    try {
      lock = yield* callActivity<LockAndPreflightOutput>(context, ACTIVITIES.acquireLockAndPreflight, {
        clusterId: state.input.clusterId,
        owner,
        target: state.input.target,
        ...(podCidr ? { podCidr } : {}),
      });
    } catch (err) {
      state.lockTakenAt = now(context);
      const f = failureText(err);
      throw new RunStop('failed', f.code, `${ACTIVITIES.acquireLockAndPreflight}: ${f.message}`);
    }
    if (lock.acquired) {
      state.lockTakenAt = now(context);
      return lock.preflight;
    }
    const reason = `the cluster is being migrated by another run (${lock.holder}, since ${lock.since})`;
    if (now(context) >= waitUntil) throw new RunStop('skipped', 'ClusterLocked', reason);
    setPhase(context, 'waitingForLock', { holder: lock.holder });
    if (yield* sleepUnlessCancelled(context, state, addSeconds(now(context), LOCK_POLL_SECONDS))) throw new RunStop('cancelled', 'Cancelled', 'cancelled while waiting for the lock');
  }
}

/**
 * Renews the lock when LOCK_RENEW_SECONDS have passed since it was last taken. If another run holds it now (the
 * lease lapsed, e.g. the host was down a day), this run stops and writes nothing more (NAP is still put back if it
 * disabled it): `skipped` when nothing of the migration was written, else `failed` (the cluster is half-way).
 */
function* keepLock(context: OrchestrationContext, state: RunState): Generator<Task, void, unknown> {
  if (!state.lockTakenAt || now(context).getTime() - state.lockTakenAt.getTime() < LOCK_RENEW_SECONDS * 1000) return;
  const lock = yield* callOrStop<LockOutput>(context, ACTIVITIES.acquireClusterLock, { clusterId: state.input.clusterId, owner: context.df.instanceId });
  if (lock.acquired) {
    state.lockTakenAt = now(context);
    return;
  }
  state.lockTakenAt = undefined;
  const wrote = state.result.steps.some((s) => s.status === 'done' && s.step !== 'nap:disable' && s.step !== 'nap:enable');
  throw new RunStop(
    wrote ? 'failed' : 'skipped',
    'ClusterLockLost',
    `the cluster lock lapsed while this run waited and another run holds it now (${lock.holder}, since ${lock.since}): this run writes nothing more`,
  );
}

/** How long one operation may run before the step is timed out (input, default 4 hours). */
function deadlineMinutes(state: RunState): number {
  return state.input.operationDeadlineMinutes ?? 240;
}

function operationMinutes(state: RunState, operations: number): number {
  return (state.input.expectedOperationMinutes ?? 60) * operations;
}

/**
 * Before every begin but the NAP restore (which runs whatever the window: docs/rollout-spec.md): the operation
 * must fit in the maintenance window now. While this run has NAP off it never waits for a later window (NAP would
 * stay off for days): it stops `skipped` and NAP is put back. Otherwise it waits for the window. Then the lock is
 * kept (renewed if due), so a write never happens under a lock another run took over.
 */
function* beforeWrite(context: OrchestrationContext, state: RunState, operations: number): Generator<Task, void, unknown> {
  const windows = state.input.windows ?? [];
  if (state.napTouched && !state.napRestored) {
    if (windows.length > 0 && !operationAllowedAt(windows, now(context), operationMinutes(state, operations))) {
      throw new RunStop(
        'skipped',
        'MaintenanceWindowClosed',
        `the maintenance window no longer holds a ${operationMinutes(state, operations)}-minute operation after NAP was disabled: NAP is put back, the cluster is left for a later run`,
      );
    }
  } else yield* waitForWindow(context, state, operations);
  yield* keepLock(context, state);
}

/** Never start an operation outside the maintenance window, nor one expected to outlast it (shared/rollout/maintenance.ts). */
function* waitForWindow(context: OrchestrationContext, state: RunState, operations = 1): Generator<Task, void, unknown> {
  const windows = state.input.windows ?? [];
  if (windows.length === 0) return;
  const need = operationMinutes(state, operations);
  const giveUpAt = addSeconds(now(context), (state.input.windowWaitMinutes ?? 10080) * 60);
  for (;;) {
    const next = nextOperationStart(windows, now(context), need);
    if (!next) throw new RunStop('skipped', 'NoMaintenanceWindow', `no maintenance window within a year is long enough for a ${need}-minute operation`);
    if (next.getTime() <= now(context).getTime()) return;
    if (next > giveUpAt) throw new RunStop('skipped', 'MaintenanceWindowTooFar', `the next maintenance window opens at ${next.toISOString()}, later than the run waits`);
    setPhase(context, 'waitingForWindow', { until: next.toISOString() });
    const slice = addSeconds(now(context), MAX_SLEEP_SECONDS);
    if (yield* sleepUnlessCancelled(context, state, next < slice ? next : slice)) throw new RunStop('cancelled', 'Cancelled', 'cancelled while waiting for the maintenance window');
    yield* keepLock(context, state);
  }
}

/**
 * Follows one accepted operation to its end in a followOperation sub-orchestration (durable timers honouring
 * Retry-After and a poll activity, until terminal or the deadline; it continues as new every few polls so its
 * episodes replay short histories: functions/orchestrators/followOperation.ts). Never abandoned, not even on cancel:
 * the run does not hear cancel while it waits for it. The child's instance id is the extension's default, the
 * run's execution id and the task's sequence number: unique per execution, the same on every replay.
 */
function* follow(context: OrchestrationContext, state: RunState, started: OperationStarted, label: string, quietSeconds?: number): Generator<Task, FollowOperationOutput, unknown> {
  const begun = now(context);
  const deadline = addSeconds(begun, deadlineMinutes(state) * 60);
  // A quiet period never reaches past the deadline (followOperation.ts: quietUntil).
  const quietUntil = quietSeconds && quietSeconds > 0 ? new Date(Math.min(addSeconds(begun, quietSeconds).getTime(), deadline.getTime())) : undefined;
  const input: FollowOperationInput = {
    handle: started.handle,
    begunAt: begun.toISOString(),
    deadlineAt: deadline.toISOString(),
    waitSeconds: firstPollWait(started.retryAfterSeconds),
    ...(quietUntil ? { quietUntil: quietUntil.toISOString() } : {}),
  };
  setPhase(context, label, { polling: true });
  const status = yield context.df.callSubOrchestrator(ORCHESTRATIONS.followOperation, input);
  return status as FollowOperationOutput;
}

/**
 * One step: begin (one PUT) → follow → done; 409 waits and begins again; 400 fails at once with AKS's words.
 * Every begin (the first and each again after a 409, a 412 or a preempted operation) is gated by beforeWrite and
 * hears cancel, except the NAP restore's (`nap:enable`), which always runs.
 */
function* runStep(context: OrchestrationContext, state: RunState, step: Step, podCidr: string | undefined): Generator<Task, StepRecord, unknown> {
  const startedAt = now(context).toISOString();
  const record = (status: StepRecord['status'], extra: Partial<StepRecord> = {}): StepRecord => {
    const r: StepRecord = { step, status, startedAt, endedAt: now(context).toISOString(), ...extra };
    state.result.steps.push(r);
    return r;
  };
  const busyUntil = addSeconds(now(context), deadlineMinutes(state) * 60);
  let restarts = 0;
  let staleRetries = 0;
  const restoring = step === 'nap:enable';
  for (;;) {
    if (!restoring) {
      throwIfCancelled(state);
      // nap:disable's mode-Manual PUT counts the Cilium update after it: NAP stays off until both are done.
      yield* beforeWrite(context, state, step === 'nap:disable' ? 2 : 1);
    }
    setPhase(context, step);
    const begin = yield* callOrStop<BeginOutcome>(context, ACTIVITIES.beginStep, { clusterId: state.input.clusterId, step, ...(podCidr ? { podCidr } : {}) });
    if (begin.kind === 'already') return record('already');
    if (begin.kind === 'rejected') {
      record('failed', { error: { code: begin.code, message: begin.message } });
      throw new RunStop('failed', begin.code, `${step} was rejected: ${begin.message}`);
    }
    if (begin.kind === 'busy') {
      if (begin.retryAfterSeconds === 0 && staleRetries < 5) {
        staleRetries++; // 412: the ETag moved; a fresh GET at once
        continue;
      }
      if (now(context) >= busyUntil) {
        record('failed', { error: { code: begin.code, message: begin.message } });
        throw new RunStop('failed', begin.code, `${step}: the cluster stayed busy: ${begin.message}`);
      }
      setPhase(context, step, { busy: begin.code });
      const until = addSeconds(now(context), clamp(begin.retryAfterSeconds ?? BUSY_WAIT_SECONDS, MIN_POLL_SECONDS, 600));
      if (restoring) yield context.df.createTimer(until);
      // Nothing of this step was accepted yet: cancel ends the wait at once.
      else if (yield* sleepUnlessCancelled(context, state, until)) throw new RunStop('cancelled', 'Cancelled', `cancelled while ${step} waited for the cluster to be free (${begin.code})`);
      continue;
    }
    if (begin.correlationId) state.result.correlationIds.push(begin.correlationId);
    // The network steps are measured, and quiet for as long as the rollout expects them to run (pollQuietSeconds);
    // NAP's mode PUTs and pool scaling are neither (short, and unlike each other). Not measured either: an operation
    // followed from the cluster's provisioning state (a begin after a crash found its PUT already accepted,
    // shared/migration/operations.ts beginStep): it began before this begin, so its measured time would be a part
    // of it, and a rollout would learn a quiet period too short. Nor quiet: it may be near its end already.
    const measured = MEASURED_STEPS.includes(step) && begin.handle.kind !== 'provisioning-state';
    const acceptedAt = now(context);
    const status = yield* follow(context, state, begin, step, measured ? state.input.pollQuietSeconds?.[step] : undefined);
    const correlation = begin.correlationId ? { correlationId: begin.correlationId } : {};
    if (status.status === 'Succeeded') {
      // Seen ended at the first poll past its quiet period: it ended somewhere inside it, so its length is not known;
      // the last poll that saw it running is a lower bound (followOperation.ts: lastRunningAt), which lets the
      // rollout's next quiet periods fall at once to what is known.
      const endedBy = status.lastRunningAt ? new Date(status.lastRunningAt) : now(context);
      return record('done', { ...correlation, ...(measured ? { operationSeconds: Math.round((endedBy.getTime() - acceptedAt.getTime()) / 1000) } : {}) });
    }
    if (status.status === 'InProgress') {
      record('timedOut', correlation);
      const last = status.error ? ` (${status.error.message})` : '';
      throw new RunStop('failed', 'OperationTimedOut', `${step}: the operation was still running after ${deadlineMinutes(state)} minutes${last}; it goes on in Azure`);
    }
    const error = status.error ?? { code: `Operation${status.status}`, message: `the operation ended ${status.status}` };
    if (status.status === 'Failed' && ['AKSOperationPreempted', 'OperationPreempted'].includes(error.code) && restarts < MAX_STEP_RESTARTS) {
      restarts++;
      continue;
    }
    record('failed', { ...correlation, error });
    throw new RunStop('failed', error.code, `${step} failed: ${error.message}`);
  }
}

function* followAll(context: OrchestrationContext, state: RunState, outcome: ScaleOutcome, label: string): Generator<Task, void, unknown> {
  for (const op of outcome.started) {
    if (op.correlationId) state.result.correlationIds.push(op.correlationId);
    const status = yield* follow(context, state, op, label);
    if (status.status !== 'Succeeded') {
      throw new RunStop('failed', status.error?.code ?? 'ScaleFailed', `${label}: scaling ${op.handle.resourceId.split('/').pop()} ended ${status.status}${status.error ? `: ${status.error.message}` : ''}`);
    }
  }
  if (outcome.rejected) throw new RunStop('failed', outcome.rejected.code, `${label}: ${outcome.rejected.message}`);
}

/** aks-facts § Disabling NAP: NodePools limits.cpu 0 + disable taint, fixed pools scaled, NAP nodes gone, mode Manual. */
function* disableNap(context: OrchestrationContext, state: RunState): Generator<Task, void, unknown> {
  const clusterId = state.input.clusterId;
  setPhase(context, 'nap:disable');
  const plan = yield* callOrStop<NapDisablePlan>(context, ACTIVITIES.napPlan, { clusterId });
  state.napPlan = plan;
  state.napTouched = true;
  state.result.nap = { disabled: false, restored: false };
  const applied = yield* callOrStop<ScaleOutcome>(context, ACTIVITIES.napApply, { clusterId, plan });
  yield* followAll(context, state, applied, 'nap:disable');
  let remaining = yield* callOrStop<string[]>(context, ACTIVITIES.napDrain, { clusterId });
  const deadline = addSeconds(now(context), deadlineMinutes(state) * 60);
  while (remaining.length > 0) {
    if (now(context) >= deadline) throw new RunStop('failed', 'NapNodesRemain', `NAP nodes still present: ${remaining.join(', ')}`);
    setPhase(context, 'nap:disable', { napNodesRemaining: remaining.length });
    if (yield* sleepUnlessCancelled(context, state, addSeconds(now(context), NAP_NODES_POLL_SECONDS))) throw new RunStop('cancelled', 'Cancelled', 'cancelled while the NAP nodes drained');
    yield* keepLock(context, state);
    remaining = yield* callOrStop<string[]>(context, ACTIVITIES.napNodesRemaining, { clusterId });
  }
  yield* runStep(context, state, 'nap:disable', undefined);
  state.result.nap.disabled = true;
}

/** The way back: mode Auto, NodePools as they were, pools at their former size. Runs whatever the window. */
function* restoreNap(context: OrchestrationContext, state: RunState): Generator<Task, void, unknown> {
  if (!state.napTouched || state.napRestored || !state.napPlan) return;
  state.napRestored = true;
  const problems: string[] = [];
  let firstCode: string | undefined;
  try {
    yield* runStep(context, state, 'nap:enable', undefined);
  } catch (err) {
    const f = err instanceof RunStop ? { code: err.code, message: err.message } : failureText(err);
    firstCode ??= f.code;
    problems.push(f.message);
  }
  try {
    const restored = yield* callOrStop<ScaleOutcome>(context, ACTIVITIES.napRestore, { clusterId: state.input.clusterId, plan: state.napPlan });
    yield* followAll(context, state, restored, 'nap:enable');
  } catch (err) {
    const f = err instanceof RunStop ? { code: err.code, message: err.message } : failureText(err);
    firstCode ??= f.code;
    problems.push(f.message);
  }
  state.result.nap = { disabled: state.result.nap?.disabled ?? false, restored: problems.length === 0, ...(problems.length ? { problem: problems.join('; ') } : {}) };
  if (problems.length) throw new RunStop('failed', firstCode ?? 'NapRestoreFailed', `NAP could not be fully restored: ${problems.join('; ')}`);
}

export const clusterMigrationOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput() as ClusterMigrationInput;
  const startedAt = now(context).toISOString();
  const state: RunState = {
    input,
    result: { clusterId: input.clusterId, result: 'failed', findings: [], steps: [], startedAt, endedAt: startedAt, correlationIds: [] },
    cancel: yield* listenFor(context, EVENTS.cancel),
    napTouched: false,
    napRestored: false,
  };
  const { result } = state;
  let napModeBefore: PreflightOutput['napMode'] = 'Manual';
  let nodeImagesBefore: PreflightOutput['nodeImages'] = {};
  let podCidr = input.podCidr;
  let verifyNeeded = false;
  // What preflight found, for the one-record plan of a run no rollout started; 'ready' until then (asked to migrate).
  let planned: NonNullable<SaveResultInput['plan']> = { verdict: 'ready', steps: [], napMode: 'Manual' };

  const stop = (err: unknown): void => {
    if (err instanceof RunStop) {
      // A failure (e.g. while restoring NAP) outranks an earlier cancel or skip: the cluster needs attention.
      if (result.result === 'failed' || err.outcome === 'failed') result.result = err.outcome;
      result.reason = result.reason ? `${result.reason}; ${err.message}` : err.message;
      if (err.outcome === 'failed') result.error ??= { code: err.code, message: err.message };
    } else {
      const f = failureText(err);
      result.result = 'failed';
      result.reason = f.message;
      result.error ??= f;
    }
  };

  try {
    // A window that can never hold one operation: say so before taking the lock or reading the cluster.
    if ((input.windows ?? []).length > 0 && !nextOperationStart(input.windows ?? [], now(context), input.expectedOperationMinutes ?? 60)) {
      throw new RunStop('skipped', 'NoMaintenanceWindow', `no maintenance window within a year is long enough for a ${input.expectedOperationMinutes ?? 60}-minute operation`);
    }
    setPhase(context, 'lock');
    const pf = yield* lockAndPreflight(context, state, podCidr);
    result.findings = pf.findings;
    napModeBefore = pf.napMode;
    nodeImagesBefore = pf.nodeImages;
    podCidr = pf.podCidr ?? podCidr;
    planned = { verdict: pf.verdict, steps: pf.steps, napMode: pf.napMode };
    if (pf.verdict === 'blocked') {
      result.result = 'blocked';
      result.reason = `preflight found ${pf.findings.filter((f) => f.severity === 'blocker').length} blocker(s); nothing was changed`;
    } else if (pf.verdict === 'compliant') {
      result.result = 'compliant';
    } else {
      for (const step of pf.steps) {
        if (step === 'nap:enable') {
          yield* restoreNap(context, state);
          continue;
        }
        throwIfCancelled(state);
        // NAP stays off from its disable to the Cilium update: both must fit in the same window, so the cluster
        // never waits days for the next window with NAP disabled (beforeWrite stops instead of waiting then). Waiting
        // for the window here, before runStep, also starts the step's 409-busy deadline only once the window is open
        // (runStep's own check then finds it open; it is there for the re-begins after 409/412/preemption).
        yield* beforeWrite(context, state, step === 'nap:disable' ? 2 : 1);
        throwIfCancelled(state);
        if (step === 'nap:disable') yield* disableNap(context, state);
        else {
          const rec = yield* runStep(context, state, step, podCidr);
          if (rec.status === 'done') verifyNeeded = true;
        }
      }
      result.result = 'migrated';
    }
  } catch (err) {
    stop(err);
  }

  // Whatever happened after NAP was touched, put it back (issue 5: failure, timeout, cancel).
  try {
    yield* restoreNap(context, state);
  } catch (err) {
    stop(err);
  }

  // The save (a run no rollout started keeps its result under its own instance id) and the lock's release, built
  // from the result as it stands when called. Not released when the lock was lost to another run (keepLock): it is
  // theirs now (release is owner-checked anyway). A copy of the result: the SDK serializes the inputs of the scheduled
  // activities (replayed ones too) when an episode ends, and the result changes after verifyAndFinish is scheduled.
  const lock = { clusterId: input.clusterId, owner: context.df.instanceId };
  const finishInput = (): FinishRunInput => ({
    ...(input.rolloutId
      ? { rolloutId: input.rolloutId, result: structuredClone(result) }
      : { rolloutId: context.df.instanceId, result: structuredClone(result), plan: { ...planned, ...(podCidr ? { podCidr } : {}), ...(input.windows ? { windows: input.windows } : {}) } }),
    ...(state.lockTakenAt ? { release: lock } : {}),
  });

  let finished = false;
  if (result.result === 'migrated') {
    // Verify, the result saved and the lock released in one activity (one episode fewer). Its end time is when the
    // run's end began: the activity saves this result, so it cannot wait for a later episode's clock.
    setPhase(context, 'verify');
    const reimaged = result.steps.some((s) => s.status === 'done' && (s.step === 'ipam:overlay' || s.step === 'dataplane:cilium'));
    const verify: VerifyInput = {
      clusterId: input.clusterId,
      target: input.target,
      ...(podCidr ? { podCidr } : {}),
      napModeBefore,
      ...(reimaged && verifyNeeded ? { nodeImagesBefore } : {}),
    };
    result.endedAt = now(context).toISOString();
    try {
      const v = yield* callActivity<VerifyOutput>(context, ACTIVITIES.verifyAndFinish, { verify, finish: finishInput() } satisfies VerifyAndFinishInput);
      // The same function the activity applied before it saved: the output and the saved result agree.
      Object.assign(result, withVerifyProblems(result, v.problems));
      finished = true;
    } catch (err) {
      const f = failureText(err);
      if (f.code === RESULT_SAVE_FAILED) {
        // Verify passed its half on the last attempt; only the store failed. Verify alone then (a store outage must not
        // turn a verified migration into `failed`), and the save and release below as for any other run; verify
        // failing now ends the run `failed` with its error.
        try {
          const v = yield* callOrStop<VerifyOutput>(context, ACTIVITIES.verify, verify);
          Object.assign(result, withVerifyProblems(result, v.problems));
        } catch (verifyErr) {
          stop(verifyErr);
        }
      } else {
        // Verify itself failed all its retries (the cluster unreadable): failed with its error at once, not verified
        // again (that would double its retries); the save and release below as for any other run.
        stop(new RunStop('failed', f.code, `${ACTIVITIES.verifyAndFinish}: ${f.message}`));
      }
    }
  }

  if (!finished) result.endedAt = now(context).toISOString();
  setPhase(context, 'done', { result: result.result });
  let saved = finished;
  if (!finished) {
    const finish = finishInput();
    try {
      yield* callActivity<void>(context, ACTIVITIES.finishClusterRun, finish);
      saved = true;
    } catch {
      // The result is then only in the orchestration's output: in full, also for a rollout (summarize's `unsaved`),
      // whose rollout saves it. A failed save still gives the lock back.
      if (finish.release) {
        try {
          yield* callActivity<void>(context, ACTIVITIES.releaseClusterLock, lock);
        } catch {
          // The lease expires on its own (LOCK_LEASE_SECONDS).
        }
      }
    }
  }
  return input.rolloutId ? summarize(result, saved) : result;
};

/**
 * A rollout child's output (ClusterRunSummary): the rollout replays every child's output on each of its episodes,
 * and needs only the outcome and the measured durations; the full result is in the result store — or, when the run
 * could not save it, in `unsaved`, for the rollout to save (rollout.ts collect).
 */
export function summarize(result: ClusterResult, saved = true): ClusterRunSummary {
  const seconds: Partial<Record<Step, number>> = {};
  for (const s of result.steps) if (s.status === 'done' && s.operationSeconds !== undefined) seconds[s.step] = s.operationSeconds;
  return { clusterId: result.clusterId, result: result.result, ...(Object.keys(seconds).length > 0 ? { operationSeconds: seconds } : {}), ...(saved ? {} : { unsaved: structuredClone(result) }) };
}
