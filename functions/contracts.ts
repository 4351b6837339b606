/** Inputs and outputs passed between the orchestrators and the activities (all JSON, all small). */
import type { Assessment, Finding, Step, Target, Verdict } from '../shared/model/assessment';
import type { NapMode } from '../shared/model/facts';
import type { ClusterOutcome, ClusterResult } from '../shared/migration/result';
import type { BeginOutcome, ScaleOutcome } from '../shared/migration/operations';
import type { NapDisablePlan } from '../shared/migration/nap';
import type { OperationHandle, OperationStatus } from '../shared/migration/ports';
import type { VerifyExpectation } from '../shared/migration/verify';
import type { WindowSource } from '../shared/rollout/maintenance';
import type { RolloutSpec } from '../shared/rollout/spec';
import type { RolloutClusterRecord } from '../shared/rollout/store';
import type { BudgetState } from '../shared/rollout/budget';

export interface ClusterMigrationInput {
  clusterId: string;
  target: Target;
  /** The pod CIDR for ipam:overlay (the spec's fixed CIDR or the planner's choice at discovery). */
  podCidr?: string;
  /** Set when run by a rollout: results go to its store. */
  rolloutId?: string;
  /** Maintenance windows; empty or absent = any time. */
  windows?: WindowSource[];
  /** Expected length of one ARM operation; it must fit in the window. Default 60. */
  expectedOperationMinutes?: number;
  /** Give up following one operation after this long. Default 240 (a whole-cluster reimage takes tens of minutes, aks-facts). */
  operationDeadlineMinutes?: number;
  /** Wait this long for a lock another run holds before skipping. Default 60. */
  lockWaitMinutes?: number;
  /** Wait at most this long for a maintenance window before skipping. Default 10080 (a week). */
  windowWaitMinutes?: number;
  /**
   * Per step kind (ipam:overlay, dataplane:cilium): seconds after a begin during which the operation is not expected
   * to end, so followOperation polls once early (fast failures) and then not before this (its `quietUntil`). Set by
   * a rollout from the durations its earlier clusters measured (RolloutCursor.operationSeconds); absent = poll as usual.
   */
  pollQuietSeconds?: Partial<Record<Step, number>>;
}

/**
 * What clusterMigration returns to a rollout (`rolloutId` set): the full ClusterResult is in the result store (the
 * finish activity saved it), and a parent replays every child's output on each of its episodes, so it gets only what
 * it counts and learns from — unless the save failed after all its retries: then `unsaved` carries the full result
 * and the rollout saves it (saveClusterResult). A run without rolloutId returns the full ClusterResult (its status
 * API shows it).
 */
export interface ClusterRunSummary {
  clusterId: string;
  result: ClusterOutcome;
  /** Per followed step kind that ended `done`: StepRecord.operationSeconds. */
  operationSeconds?: Partial<Record<Step, number>>;
  /** The full result when the run could not save it (the store failed every attempt): the rollout stores it. */
  unsaved?: ClusterResult;
}

export interface LockInput {
  clusterId: string;
  owner: string;
}
export type LockOutput = { acquired: true } | { acquired: false; holder: string; since: string };

/** The first lock acquisition and the preflight in one activity (one orchestrator episode instead of two). */
export type LockAndPreflightInput = LockInput & PreflightInput;
/** Acquired: what preflight found. Not acquired: the holder (no preflight; the run waits and asks again). */
export type LockAndPreflightOutput = { acquired: true; preflight: PreflightOutput } | Extract<LockOutput, { acquired: false }>;

export interface PreflightInput {
  clusterId: string;
  target: Target;
  podCidr?: string;
}
export interface PreflightOutput {
  verdict: Verdict;
  steps: Step[];
  podCidr?: string;
  findings: Finding[];
  napMode: NapMode;
  nodeImages: Record<string, string | undefined>;
}

export interface BeginStepInput {
  clusterId: string;
  step: Step;
  podCidr?: string;
}
export type BeginStepOutput = BeginOutcome;

export interface PollInput {
  handle: OperationHandle;
}
export type PollOutput = OperationStatus;

export interface NapInput {
  clusterId: string;
}
export interface NapPlanInput extends NapInput {
  plan: NapDisablePlan;
}
export type NapApplyOutput = ScaleOutcome;

export interface VerifyInput extends VerifyExpectation {
  clusterId: string;
}
export interface VerifyOutput {
  problems: string[];
}

export interface SaveResultInput {
  rolloutId: string;
  result: ClusterResult;
  /**
   * A run no rollout started (Event Grid remediation): what its preflight found, saved first as a one-record plan
   * under `rolloutId` (then the run's own instance id), so its result is queryable like a rollout's and its
   * correlation ids are known as aksnet's own.
   */
  plan?: { verdict: Verdict; steps: Step[]; napMode: NapMode; podCidr?: string; windows?: WindowSource[] };
}

/** The run's end in one activity: its result saved, then (when `release` is set) its lock released. */
export interface FinishRunInput extends SaveResultInput {
  /** The lock to release after the save; absent when the run never held it or lost it to another run. */
  release?: LockInput;
}

/**
 * The code (failureText, functions/orchestrators/common.ts) of a verifyAndFinish failure in its second half, the
 * result's save or the lock's release: the cluster was verified, only the store failed. Any other code is verify's.
 */
export const RESULT_SAVE_FAILED = 'ResultSaveFailed';

/**
 * A migrated run's end in one activity: verify, then the result with verify's problems applied (withVerifyProblems,
 * shared/migration/verify.ts) saved and the lock released as in `finish`. `finish.result` is the run's result
 * before verify; the activity answers verify's problems (VerifyOutput) and the orchestrator applies them the same way.
 */
export interface VerifyAndFinishInput {
  verify: VerifyInput;
  finish: FinishRunInput;
}

export interface DiscoverInput {
  rolloutId: string;
  spec: RolloutSpec;
}
export interface DiscoverOutput {
  total: number;
  byVerdict: Record<Verdict, number>;
  stages: Array<{ name: string; size: number }>;
  /** Clusters in scope no stage selected (recorded as skipped). */
  unassigned: number;
  /** Clusters whose facts could not be read (recorded as failed? no: skipped with the reason). */
  discoveryFailures: number;
}

export interface LoadBatchInput {
  rolloutId: string;
  stageIndex: number;
  offset: number;
  limit: number;
}
/** A batch record as the rollout needs it (the store's record without the result). */
export type BatchCluster = Pick<RolloutClusterRecord, 'clusterId' | 'podCidr' | 'windows' | 'steps'>;

export interface CloseRolloutInput {
  rolloutId: string;
  /** Clusters that never started get this result. */
  outcome: 'cancelled';
  reason: string;
}

export interface CancelInstancesInput {
  instanceIds: string[];
  reason: string;
}

export interface RolloutInput {
  spec: RolloutSpec;
  /** Carried over continueAsNew; absent on the first execution. */
  cursor?: RolloutCursor;
}

export interface StageProgress {
  name: string;
  size: number;
  counts: Partial<Record<ClusterOutcome, number>>;
}

export interface RolloutCursor {
  discovery: DiscoverOutput;
  stageIndex: number;
  offset: number;
  stages: StageProgress[];
  counts: Partial<Record<ClusterOutcome, number>>;
  budget: BudgetState;
  /** Stage indexes whose approval arrived. */
  approved: number[];
  startedAt: string;
  cancelled?: boolean;
  /**
   * Per step kind, the last OPERATION_SAMPLES operation durations (seconds, oldest first) the rollout's clusters
   * measured (ClusterRunSummary.operationSeconds): they set the children's pollQuietSeconds. Absent in cursors
   * written before it existed.
   */
  operationSeconds?: Partial<Record<Step, number[]>>;
}

export type RolloutStatus = 'running' | 'waitingForApproval' | 'halted' | 'waitingForWindow' | 'completed' | 'cancelled' | 'dryRun';

/** The rollout's custom status and output: aggregates only (custom status is capped at 16 KB). */
export interface RolloutReport {
  id: string;
  name: string;
  status: RolloutStatus;
  target: Target;
  total: number;
  byVerdict: Record<Verdict, number>;
  counts: Partial<Record<ClusterOutcome, number>>;
  stages: Array<StageProgress & { state: 'pending' | 'running' | 'done' }>;
  currentStage?: string;
  running: number;
  failureBudgetLeft?: number;
  /** Failures the current stage may still have before it halts (perStage budget), when it has one. */
  stageFailureBudgetLeft?: number;
  haltReason?: string;
  waitingUntil?: string;
  startedAt: string;
  updatedAt: string;
}

export type { Assessment };
