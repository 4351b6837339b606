/**
 * Activities of one cluster's migration: thin wrappers over shared/migration with their dependencies from the
 * composition root. Transient faults throw (the orchestrator's retry policy fires); definite answers return.
 */
import type { InvocationContext } from '@azure/functions';
import { parseArmId } from '../../shared/arm/id';
import { assessCluster } from '../../shared/assess';
import { classifyError, TransientAzureError } from '../../shared/migration/errors';
import type { NapDisablePlan } from '../../shared/migration/nap';
import { beginStep, napApply, napDrain, napNodesRemaining, napPlan, napRestore, pollOperation } from '../../shared/migration/operations';
import { verifyCluster, withVerifyProblems } from '../../shared/migration/verify';
import {
  RESULT_SAVE_FAILED,
  type BeginStepInput,
  type BeginStepOutput,
  type FinishRunInput,
  type LockAndPreflightInput,
  type LockAndPreflightOutput,
  type LockInput,
  type LockOutput,
  type NapApplyOutput,
  type NapInput,
  type NapPlanInput,
  type PollInput,
  type PollOutput,
  type PreflightInput,
  type PreflightOutput,
  type SaveResultInput,
  type VerifyAndFinishInput,
  type VerifyInput,
  type VerifyOutput,
} from '../contracts';
import { dependencies } from '../dependencies';

/** A lock is a lease: a run that vanished (terminated instance) frees the cluster after this long. */
export const LOCK_LEASE_SECONDS = 24 * 3600;

async function readFacts(clusterId: string) {
  const deps = await dependencies();
  try {
    return await deps.facts.readCluster(clusterId);
  } catch (err) {
    const c = classifyError(err);
    if (c.kind === 'transient' || c.kind === 'busy') throw new TransientAzureError(c);
    throw err;
  }
}

export async function acquireClusterLock(input: LockInput, _context?: InvocationContext): Promise<LockOutput> {
  const deps = await dependencies();
  return deps.locks.acquire(input.clusterId, input.owner, new Date(), LOCK_LEASE_SECONDS);
}

export async function releaseClusterLock(input: LockInput, _context?: InvocationContext): Promise<void> {
  const deps = await dependencies();
  await deps.locks.release(input.clusterId, input.owner);
}

/** The preflight (only reads): the second half of acquireLockAndPreflight. */
export async function preflight(input: PreflightInput, _context?: InvocationContext): Promise<PreflightOutput> {
  const facts = await readFacts(input.clusterId);
  const a = assessCluster(facts, { target: input.target, ...(input.podCidr ? { podCidr: input.podCidr } : {}) });
  return {
    verdict: a.verdict,
    steps: a.steps,
    ...(a.podCidr ? { podCidr: a.podCidr } : {}),
    findings: a.findings,
    napMode: facts.napMode,
    nodeImages: Object.fromEntries(facts.pools.map((p) => [p.name, p.nodeImageVersion])),
  };
}

/**
 * The first lock acquisition and, when acquired, the preflight: one activity, so one orchestrator episode instead of
 * two. Idempotent: acquire is re-entrant for the same owner (a retry after the preflight's transient fault, or a
 * re-run after a crash, renews the lease) and the preflight only reads. Not acquired: the holder, no preflight.
 */
export async function acquireLockAndPreflight(input: LockAndPreflightInput, context?: InvocationContext): Promise<LockAndPreflightOutput> {
  const lock = await acquireClusterLock({ clusterId: input.clusterId, owner: input.owner }, context);
  if (!lock.acquired) return lock;
  return { acquired: true, preflight: await preflight({ clusterId: input.clusterId, target: input.target, ...(input.podCidr ? { podCidr: input.podCidr } : {}) }, context) };
}

export async function beginStepActivity(input: BeginStepInput, _context?: InvocationContext): Promise<BeginStepOutput> {
  const deps = await dependencies();
  return beginStep(deps.clusters, input.clusterId, input.step, input.podCidr ? { podCidr: input.podCidr } : {});
}

export async function pollOperationActivity(input: PollInput, _context?: InvocationContext): Promise<PollOutput> {
  const deps = await dependencies();
  return pollOperation(deps.clusters, input.handle);
}

export async function napPlanActivity(input: NapInput, _context?: InvocationContext): Promise<NapDisablePlan> {
  const deps = await dependencies();
  return napPlan(deps.clusters, deps.kube, input.clusterId);
}

export async function napApplyActivity(input: NapPlanInput, _context?: InvocationContext): Promise<NapApplyOutput> {
  const deps = await dependencies();
  return napApply(deps.clusters, deps.kube, input.clusterId, input.plan);
}

export async function napDrainActivity(input: NapInput, _context?: InvocationContext): Promise<string[]> {
  const deps = await dependencies();
  return napDrain(deps.kube, input.clusterId);
}

export async function napNodesRemainingActivity(input: NapInput, _context?: InvocationContext): Promise<string[]> {
  const deps = await dependencies();
  return napNodesRemaining(deps.kube, input.clusterId);
}

export async function napRestoreActivity(input: NapPlanInput, _context?: InvocationContext): Promise<NapApplyOutput> {
  const deps = await dependencies();
  return napRestore(deps.clusters, deps.kube, input.clusterId, input.plan);
}

/** Verify on fresh facts (only reads): the first half of verifyAndFinish. */
export async function verifyActivity(input: VerifyInput, _context?: InvocationContext): Promise<VerifyOutput> {
  const facts = await readFacts(input.clusterId);
  const { clusterId: _id, ...expect } = input;
  return { problems: verifyCluster(facts, expect).map((p) => `${p.check}: ${p.message}`) };
}

export async function saveClusterResult(input: SaveResultInput, _context?: InvocationContext): Promise<void> {
  const deps = await dependencies();
  if (input.plan) {
    // A run no rollout started: its one-record plan first (savePlan keeps a result already written on a re-run).
    const id = parseArmId(input.result.clusterId);
    await deps.results.savePlan(input.rolloutId, [
      {
        rolloutId: input.rolloutId,
        clusterId: input.result.clusterId,
        name: id.name ?? input.result.clusterId,
        resourceGroup: id.resourceGroup ?? '',
        subscriptionId: id.subscriptionId,
        verdict: input.plan.verdict,
        steps: input.plan.steps,
        ...(input.plan.podCidr ? { podCidr: input.plan.podCidr } : {}),
        napMode: input.plan.napMode,
        windows: input.plan.windows ?? [],
      },
    ]);
  }
  await deps.results.saveResult(input.rolloutId, input.result);
}

/**
 * A run's end in one activity (one orchestrator episode instead of two): the result saved, then the lock released
 * when `release` is set. A save that throws keeps the lock (the retry policy runs the whole activity again; the
 * orchestrator releases the lock on its own if every attempt fails). Idempotent: saving the same result again
 * overwrites it, and release is owner-checked (a lock another run took since is left alone).
 */
export async function finishClusterRun(input: FinishRunInput, context?: InvocationContext): Promise<void> {
  const { release, ...save } = input;
  await saveClusterResult(save, context);
  if (release) await releaseClusterLock(release, context);
}

/**
 * A migrated run's end in one activity (one orchestrator episode instead of two): verify on fresh facts, its problems
 * applied to the result (withVerifyProblems), then finishClusterRun (saved; the lock released when asked). Answers
 * verify's problems; the orchestrator applies them to its own copy with the same function. Idempotent, so a retry or
 * a re-run after a crash is harmless: verify only reads, the save overwrites, release is owner-checked. A fault in
 * either half throws and the retry policy runs the whole activity again; a fault in the save or release throws with
 * the code RESULT_SAVE_FAILED, so that once the retries are spent the orchestrator knows verify passed and verifies
 * alone before saving again, while a fault of verify's own ends the run `failed` at once (no second round of retries).
 */
export async function verifyAndFinish(input: VerifyAndFinishInput, context?: InvocationContext): Promise<VerifyOutput> {
  const verified = await verifyActivity(input.verify, context);
  try {
    await finishClusterRun({ ...input.finish, result: withVerifyProblems(input.finish.result, verified.problems) }, context);
  } catch (err) {
    const cause = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new Error(`${RESULT_SAVE_FAILED}: the result could not be saved or the lock released: ${cause}`, { cause: err });
  }
  return verified;
}
