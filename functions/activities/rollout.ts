/** Activities of a rollout: discovery + assessment into the result store, batches out of it, cancelling children. */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { assessCluster } from '../../shared/assess';
import { classifyError, TransientAzureError } from '../../shared/migration/errors';
import { planRolloutWithLocks } from '../../shared/rollout/discovery';
import type { BatchCluster, CancelInstancesInput, CloseRolloutInput, DiscoverInput, DiscoverOutput, LoadBatchInput } from '../contracts';
import { dependencies } from '../dependencies';
import { EVENTS } from '../names';

export async function discoverAndAssess(input: DiscoverInput, _context?: InvocationContext): Promise<DiscoverOutput> {
  const deps = await dependencies();
  const { spec } = input;
  // Into the rollout index (GET /api/rollouts) before anything can fail: every rollout runs this activity first,
  // however it was started (the API, which registered it already, the schedule timer, a Durable client or the
  // management API). Idempotent: the API's earlier registration, or this activity's on a re-run, stands.
  await deps.results.registerRollout({ rolloutId: input.rolloutId, name: spec.name, target: spec.target, createdAt: new Date().toISOString() });
  let found;
  try {
    found = await deps.discovery.discover({
      subscriptions: spec.selector.subscriptions,
      ...(spec.selector.resourceGroups ? { resourceGroups: spec.selector.resourceGroups } : {}),
      ...(spec.selector.tags ? { tags: spec.selector.tags } : {}),
      ...(spec.selector.ids ? { ids: spec.selector.ids } : {}),
    });
  } catch (err) {
    const c = classifyError(err);
    if (c.kind === 'transient' || c.kind === 'busy') throw new TransientAzureError(c);
    throw err;
  }
  const podCidr = spec.podCidr?.policy === 'fixed' ? spec.podCidr.cidr : undefined;
  // A cluster another run holds goes to its stage instead of being ended by what was read of it mid-change (blocked
  // by that run's operation in progress): issue 5 — never two runs at once; the second waits or skips with the reason,
  // at its turn, in clusterMigration's lock step.
  const { records, summary } = await planRolloutWithLocks(
    input.rolloutId,
    spec,
    found.clusters,
    (facts) => assessCluster(facts, { target: spec.target, ...(podCidr ? { podCidr } : {}) }),
    found.failures,
    new Date(),
    { locks: deps.locks, readCluster: (clusterId) => deps.facts.readCluster(clusterId) },
  );
  await deps.results.savePlan(input.rolloutId, records);
  return summary;
}

export async function loadStageBatch(input: LoadBatchInput, _context?: InvocationContext): Promise<BatchCluster[]> {
  const deps = await dependencies();
  const records = await deps.results.loadStageBatch(input.rolloutId, input.stageIndex, input.offset, input.limit);
  return records.map((r) => ({
    clusterId: r.clusterId,
    steps: r.steps,
    windows: r.windows,
    ...(r.podCidr ? { podCidr: r.podCidr } : {}),
  }));
}

/** Raises `cancel` on running cluster migrations (an orchestrator cannot raise events to other instances in JS). */
export async function cancelInstances(input: CancelInstancesInput, context: InvocationContext): Promise<number> {
  const client = df.getClient(context);
  let raised = 0;
  for (const id of input.instanceIds) {
    try {
      await client.raiseEvent(id, EVENTS.cancel, { reason: input.reason });
      raised++;
    } catch {
      // Already finished or never started: nothing to cancel.
    }
  }
  return raised;
}

/** Marks every cluster of the rollout that never started (no result yet) with the given outcome; returns how many. */
export async function closeRollout(input: CloseRolloutInput, _context?: InvocationContext): Promise<number> {
  const deps = await dependencies();
  const at = new Date().toISOString();
  let marked = 0;
  let token: string | undefined;
  do {
    const page = await deps.results.listClusters(input.rolloutId, { status: 'pending', limit: 500, ...(token ? { continuationToken: token } : {}) });
    for (const rec of page.items) {
      await deps.results.saveResult(input.rolloutId, { clusterId: rec.clusterId, result: input.outcome, reason: input.reason, findings: [], steps: [], startedAt: at, endedAt: at, correlationIds: [] });
      marked++;
    }
    // Records just marked no longer match 'pending'; the next page starts after the last one seen.
    token = page.continuationToken;
  } while (token);
  return marked;
}
