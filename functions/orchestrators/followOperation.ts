/**
 * followOperation: follows one accepted ARM operation to its end for clusterMigration (docs/workflow.md § clusterMigration:
 * One step = one ARM PUT, and Polling with a quiet period).
 *
 * Durable timers honour Retry-After, then a poll activity reads the status, until a terminal status or the deadline.
 * It is a sub-orchestration of its own, and continues as new every few polls, for CPU: out-of-process JavaScript
 * replays an orchestration's whole history on every episode, and a 20-minute reimage is ~12 polls of two episodes
 * each (the timer, then the poll's result). Inside clusterMigration each of those episodes would replay the run so far;
 * here an episode replays at most POLLS_PER_EXECUTION polls (≤ ~100 events), for two more episodes per operation
 * (the child's start, the parent hearing its end) and one per continueAsNew (none for a 20-minute reimage).
 * Measured in docs/benchmarks.md § Rollout.
 *
 * Quiet period (`quietUntil`, set by clusterMigration from the rollout's pollQuietSeconds): the operations of one
 * fleet migration are alike (the same target, similar pools), so once a rollout has measured a few of a step kind it
 * knows roughly how long the next one takes. The first poll still comes as always (a minute, or Retry-After), which
 * catches an operation that fails fast; then one wait to quietUntil (longer than MAX_POLL_SECONDS if need be, never
 * sooner than Retry-After); from there the usual cadence restarts, counted from quietUntil (1, 1, 2, 2, … minutes).
 * An operation that fails after the first poll is heard at quietUntil at the latest, as is one that ends early. For
 * the bench's 20-minute reimages (quiet 16 minutes): polls at 1, 16, 17, 18, 20 minutes, 5 instead of 11: half the
 * orchestrator episodes per step and half the subscription's ARM reads. Without quietUntil: the cadence below.
 *
 * An operation seen ended at the first poll past quietUntil ended somewhere inside its quiet period: the time that
 * poll came is not its length. The output then says when the last poll saw it still running (`lastRunningAt`, a
 * lower bound, usually the first poll's minute), and clusterMigration records that as its operationSeconds, so the
 * rollout's next children get a quiet period no longer than what is known at once (rollout.ts pollQuietSeconds),
 * instead of shrinking it by 0.8 per generation of children: a stage of 60-minute operations followed by 10-minute
 * ones no longer holds the short ones for ~7 generations (0.8^7 × 48 min ≈ 10 min) but for one.
 */
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import type { OperationHandle, OperationStatus } from '../../shared/migration/ports';
import { ACTIVITIES } from '../names';
import { addSeconds, callActivity, clamp, failureText, now } from './common';

/** Default poll interval when ARM sends no Retry-After, and its bounds. */
const DEFAULT_POLL_SECONDS = 30;
export const MIN_POLL_SECONDS = 5;
const MAX_POLL_SECONDS = 300;
/**
 * The cadence. ARM's Retry-After is the least an operation asks a client to wait, not a cadence to keep
 * (docs/aks-facts.md: long-running operations), and every poll is a read from the subscription's bucket (25/s, shared
 * by the fleet) and, here, two orchestrator episodes. AKS operations run minutes (a reimage ~20), so the first poll
 * comes after a minute, and each next one after as long as the operation has run so far, at most two minutes, never
 * sooner than Retry-After (waits of 1, 1, 2, 2, … minutes). A 20-minute reimage is polled 11–12 times instead of ~26
 * (a quarter of its age, at most a minute) or 80 (every 15 s), a 1-hour operation ~32 times instead of ~65; an end is
 * seen at most two minutes late, about one on average. docs/benchmarks.md § Rollout measures the trade: half the
 * episodes per step for about half a minute more per slot.
 */
const FIRST_POLL_SECONDS = 60;
const MAX_AGE_POLL_SECONDS = 120;
/** Polls per execution before continueAsNew: bounds the history each episode replays (see above). */
export const POLLS_PER_EXECUTION = 12;

export interface FollowOperationInput {
  handle: OperationHandle;
  /** When the operation was accepted (orchestration time, ISO): polls spread out with its age. */
  begunAt: string;
  /** Past this (ISO) the follow ends InProgress, with the last poll's error if it failed. */
  deadlineAt: string;
  /** Seconds before the next poll. */
  waitSeconds: number;
  /**
   * No poll is expected to see the end before this (ISO, ≤ deadlineAt): after the first poll, the next comes here,
   * then the cadence restarts from it. Absent: the usual cadence (Event Grid runs, a rollout's first clusters).
   */
  quietUntil?: string;
  /** When a poll last saw the operation running (ISO), carried over continueAsNew (see FollowOperationOutput). */
  lastRunningAt?: string;
}

/**
 * The operation's end (or InProgress past the deadline). `lastRunningAt` only when the end was first seen at the
 * first poll at or past quietUntil: the operation ended between that earlier poll (ISO) and this one.
 */
export type FollowOperationOutput = OperationStatus & { lastRunningAt?: string };

/** The first wait: a minute, or the PUT's Retry-After if that is longer, within the bounds. */
export function firstPollWait(retryAfterSeconds: number | undefined): number {
  return clamp(Math.max(retryAfterSeconds ?? 0, FIRST_POLL_SECONDS), MIN_POLL_SECONDS, MAX_POLL_SECONDS);
}

/**
 * Seconds from a poll that saw the operation still running to the next. Before quietUntil: straight to it (never
 * sooner than Retry-After). Otherwise as long as the operation has run (since quietUntil when there is one, at least
 * a minute then), at most two minutes, never sooner than Retry-After, within the bounds.
 */
export function nextPollWait(at: Date, begun: Date, quietUntil: Date | undefined, retryAfterSeconds: number | undefined): number {
  if (quietUntil && at < quietUntil) {
    return Math.max((quietUntil.getTime() - at.getTime()) / 1000, Math.min(retryAfterSeconds ?? 0, MAX_POLL_SECONDS), MIN_POLL_SECONDS);
  }
  const ageSeconds = quietUntil ? Math.max((at.getTime() - quietUntil.getTime()) / 1000, FIRST_POLL_SECONDS) : (at.getTime() - begun.getTime()) / 1000;
  const byAge = Math.min(ageSeconds, MAX_AGE_POLL_SECONDS);
  return clamp(Math.max(retryAfterSeconds ?? DEFAULT_POLL_SECONDS, byAge), MIN_POLL_SECONDS, MAX_POLL_SECONDS);
}

/**
 * Follows the operation; never abandoned, not even on cancel (the parent does not hear cancel while it waits for
 * this). A poll that fails after all its retries (ARM unreachable for minutes) is not the operation's failure — it
 * goes on in Azure — so it keeps polling until the deadline; past it the status is InProgress with the last poll
 * failure as its error.
 */
export const followOperationOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput() as FollowOperationInput;
  const begun = new Date(input.begunAt);
  const deadline = new Date(input.deadlineAt);
  const quietUntil = input.quietUntil ? new Date(input.quietUntil) : undefined;
  let wait = input.waitSeconds;
  let lastRunningAt = input.lastRunningAt ? new Date(input.lastRunningAt) : undefined;
  for (let polls = 1; ; polls++) {
    yield context.df.createTimer(addSeconds(now(context), wait));
    let status: OperationStatus;
    let answered = true;
    try {
      status = yield* callActivity<OperationStatus>(context, ACTIVITIES.pollOperation, { handle: input.handle });
    } catch (err) {
      const f = failureText(err);
      status = { status: 'InProgress', error: { code: f.code, message: `the last poll failed: ${f.message}` } };
      answered = false;
    }
    if (status.status !== 'InProgress') {
      if (quietUntil && lastRunningAt && lastRunningAt < quietUntil && now(context) >= quietUntil) return { ...status, lastRunningAt: lastRunningAt.toISOString() } satisfies FollowOperationOutput;
      return status;
    }
    if (now(context) >= deadline) return { status: 'InProgress', ...(status.error ? { error: status.error } : {}) } satisfies OperationStatus;
    // A poll that failed saw nothing: only a poll that answered InProgress says the operation was running then.
    if (answered) lastRunningAt = now(context);
    wait = nextPollWait(now(context), begun, quietUntil, status.retryAfterSeconds);
    if (polls >= POLLS_PER_EXECUTION) {
      context.df.continueAsNew({ ...input, waitSeconds: wait, ...(lastRunningAt ? { lastRunningAt: lastRunningAt.toISOString() } : {}) } satisfies FollowOperationInput);
      return undefined;
    }
  }
};
