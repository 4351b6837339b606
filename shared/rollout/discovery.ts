/**
 * Turns discovered and assessed clusters into a rollout's plan: one record per cluster, each either placed in a
 * stage (verdict `ready`) or ended at once — `blocked` and `compliant` clusters are recorded with their findings
 * and never written to; clusters no stage selected, and clusters whose facts could not be read, are `skipped`
 * with the reason. Percentages of stages count the clusters to migrate (the ready ones), not the whole scope.
 *
 * A cluster another aksnet run holds (its lock: that run is migrating it) is read mid-change — provisioning state
 * `Updating`, the network profile already showing that run's PUT, NAP switched off for the while. No verdict read
 * from that is the cluster's own, so planRolloutWithLocks ends none of them here: the cluster goes to its stage, and
 * at its turn clusterMigration's lock step waits for the holder (or skips naming it), then assesses afresh — the
 * truest picture, since by then the other run may have finished it (docs/workflow.md § rollout › Discovery).
 */
import { armIdKey, parseArmId } from '../arm/id';
import { limiter } from '../azure/limit';
import type { Assessment, Finding, Severity, Target, Verdict } from '../model/assessment';
import type { ClusterFacts } from '../model/facts';
import type { ClusterResult } from '../migration/result';
import { planPath } from '../planning/path';
import { windowSourcesFor } from './maintenance';
import type { RolloutSpec } from './spec';
import { assignStages } from './stages';
import type { ClusterLocks, RolloutClusterRecord } from './store';

export interface RolloutPlanSummary {
  total: number;
  byVerdict: Record<Verdict, number>;
  stages: Array<{ name: string; size: number }>;
  unassigned: number;
  discoveryFailures: number;
}

function endedResult(clusterId: string, result: ClusterResult['result'], at: string, reason: string | undefined, findings: ClusterResult['findings']): ClusterResult {
  return { clusterId, result, ...(reason ? { reason } : {}), findings, steps: [], startedAt: at, endedAt: at, correlationIds: [] };
}

export function planRollout(
  rolloutId: string,
  spec: RolloutSpec,
  clusters: ClusterFacts[],
  assess: (facts: ClusterFacts) => Assessment,
  failures: Array<{ id: string; error: string }>,
  now: Date,
): { records: RolloutClusterRecord[]; summary: RolloutPlanSummary } {
  const at = now.toISOString();
  const excluded = new Set((spec.selector.excludes ?? []).map(armIdKey));
  const inScope = clusters.filter((c) => !excluded.has(armIdKey(c.id)));
  const byVerdict: Record<Verdict, number> = { ready: 0, blocked: 0, compliant: 0 };
  const assessed = inScope.map((facts) => {
    const a = assess(facts);
    byVerdict[a.verdict]++;
    return { facts, a };
  });
  const ready = assessed.filter((x) => x.a.verdict === 'ready');
  const plan = assignStages(
    ready.map((x) => ({ id: x.facts.id, subscriptionId: x.facts.subscriptionId, resourceGroup: x.facts.resourceGroup, tags: x.facts.tags, x })),
    spec.stages,
    spec.name,
  );
  const base = (x: { facts: ClusterFacts; a: Assessment }): RolloutClusterRecord => ({
    rolloutId,
    clusterId: x.facts.id,
    name: x.facts.name,
    resourceGroup: x.facts.resourceGroup,
    subscriptionId: x.facts.subscriptionId,
    verdict: x.a.verdict,
    steps: x.a.steps,
    ...(x.a.podCidr ? { podCidr: x.a.podCidr } : {}),
    napMode: x.facts.napMode,
    windows: windowSourcesFor(x.facts.maintenanceConfigurations, spec.maintenanceWindow),
  });
  const records: RolloutClusterRecord[] = [];
  for (const stage of plan.stages) {
    stage.clusters.forEach((c, order) => records.push({ ...base(c.x), stage: stage.stage, stageIndex: stage.stageIndex, order }));
  }
  for (const c of plan.unassigned) records.push({ ...base(c.x), result: endedResult(c.id, 'skipped', at, 'no stage of the rollout spec selected this cluster', c.x.a.findings) });
  for (const x of assessed) {
    if (x.a.verdict === 'blocked') records.push({ ...base(x), result: endedResult(x.facts.id, 'blocked', at, 'preflight found blockers', x.a.findings) });
    if (x.a.verdict === 'compliant') records.push({ ...base(x), result: endedResult(x.facts.id, 'compliant', at, undefined, x.a.findings) });
  }
  for (const f of failures.filter((f) => !excluded.has(armIdKey(f.id)))) {
    let parsed: { subscriptionId: string; resourceGroup?: string; name?: string } = { subscriptionId: '' };
    try {
      parsed = parseArmId(f.id);
    } catch {
      // keep the id as given; the record still tells the user which cluster could not be read
    }
    records.push({
      rolloutId,
      clusterId: f.id,
      name: parsed.name ?? f.id,
      resourceGroup: parsed.resourceGroup ?? '',
      subscriptionId: parsed.subscriptionId,
      verdict: 'blocked',
      steps: [],
      napMode: 'Manual',
      windows: [],
      result: endedResult(f.id, 'skipped', at, `facts could not be read: ${f.error}`, []),
    });
  }
  return {
    records,
    summary: {
      total: records.length,
      byVerdict,
      stages: plan.stages.map((s) => ({ name: s.stage, size: s.clusters.length })),
      unassigned: plan.unassigned.length,
      discoveryFailures: failures.length,
    },
  };
}

/**
 * The rule a cluster's own running operation raises (shared/rules/cluster.ts; aks-facts.md § Server-side errors seen
 * in the field: AKS answers 409 OperationNotAllowed to an update while another operation runs).
 */
export const IN_PROGRESS_RULE = 'cluster.provisioning-state';

/** ARM provisioning states of a resource whose last operation has ended; any other (Updating, Upgrading, …) is one running. */
const ENDED_STATES = new Set(['succeeded', 'failed', 'canceled']);

function operationRunning(facts: ClusterFacts): boolean {
  const running = (state: string | undefined): boolean => state !== undefined && !ENDED_STATES.has(state.toLowerCase());
  return running(facts.provisioningState) || facts.pools.some((p) => running(p.provisioningState));
}

const RANK: Record<Severity, number> = { blocker: 0, warning: 1, info: 2 };

/**
 * The plan for a cluster whose lock `holder` (another aksnet run) held at discovery: `ready` for its stage, with the
 * planner's path from what was read (shared/assess.ts planFor; empty when the other run's PUT already shows), whatever
 * the snapshot made of it — the run's own preflight, under the lock, decides. The in-progress finding is that run's
 * doing: it becomes information naming the run. Other findings are kept as read. The rule catalog stays pure; the
 * lock is discovery's knowledge.
 */
export function heldByAnotherRun(assessment: Assessment, holder: string, target: Target): Assessment {
  const findings: Finding[] = assessment.findings
    .map((f) =>
      f.rule === IN_PROGRESS_RULE && f.severity === 'blocker'
        ? {
            ...f,
            severity: 'info' as const,
            message: `Another aksnet run (${holder}) holds this cluster's lock and is changing it; discovery read its work in progress, which is no blocker: ${f.message}`,
            remediation: `Nothing to do: at this cluster's turn its migration waits for the lock, then assesses the cluster afresh (compliant if ${holder} finished it) — or ends skipped, naming the run, if the lock is still held after the wait.`,
          }
        : f,
    )
    // Blockers first, as evaluateRules orders them (Array.prototype.sort is stable: catalog order within a severity).
    .sort((a, b) => RANK[a.severity] - RANK[b.severity]);
  return { ...assessment, verdict: 'ready', steps: planPath(assessment.current, target), findings };
}

export interface DiscoveryLockPorts {
  locks: Pick<ClusterLocks, 'lockHolder'>;
  /**
   * Fresh facts of one cluster (the preflight's reader). Used for a cluster read mid-operation whose lock is free by
   * the time it is asked: the operation may have been a run's that ended since (a fleet's facts take minutes to read).
   */
  readCluster?(clusterId: string): Promise<ClusterFacts>;
}

/** Lock look-ups (and re-reads) at once: point reads, kept from flooding the store at 10,000 clusters. */
const LOCK_LOOKUPS_AT_ONCE = 16;

/**
 * planRollout, with the cluster locks asked about every cluster discovery would end at once (blocked or compliant; a
 * ready cluster goes to its stage anyway, and its migration takes the lock before anything else):
 *  - held by another run → heldByAnotherRun: to its stage, judged at its turn;
 *  - free, blocked by an operation the facts show running → read once more and assessed afresh (a run that held it
 *    may have finished since it was read), and the lock asked again if that still ends it;
 *  - free otherwise → as assessed (an operation running under nobody's lock, e.g. an auto-upgrade, blocks: AKS
 *    would refuse the update, aks-facts.md § Server-side errors seen in the field).
 */
export async function planRolloutWithLocks(
  rolloutId: string,
  spec: RolloutSpec,
  clusters: ClusterFacts[],
  assess: (facts: ClusterFacts) => Assessment,
  failures: Array<{ id: string; error: string }>,
  now: Date,
  ports: DiscoveryLockPorts,
): Promise<{ records: RolloutClusterRecord[]; summary: RolloutPlanSummary }> {
  const excluded = new Set((spec.selector.excludes ?? []).map(armIdKey));
  const entries = clusters.filter((c) => !excluded.has(armIdKey(c.id))).map((facts) => ({ facts, a: assess(facts) }));
  const inProgress = (a: Assessment): boolean => a.findings.some((f) => f.rule === IN_PROGRESS_RULE && f.severity === 'blocker');
  const limit = limiter(LOCK_LOOKUPS_AT_ONCE);
  await Promise.all(
    entries
      .filter((e) => e.a.verdict !== 'ready')
      .map((e) =>
        limit(async () => {
          let holder = await ports.locks.lockHolder(e.facts.id, now);
          if (holder === undefined && inProgress(e.a) && ports.readCluster && operationRunning(e.facts)) {
            try {
              const fresh = await ports.readCluster(e.facts.id);
              e.facts = fresh;
              e.a = assess(fresh);
            } catch {
              // Keep what discovery read: blocked by the operation it saw, which is what the user should look at.
            }
            if (e.a.verdict !== 'ready') holder = await ports.locks.lockHolder(e.facts.id, now);
          }
          if (holder !== undefined) e.a = heldByAnotherRun(e.a, holder, spec.target);
        }),
      ),
  );
  const settled = new Map(entries.map((e) => [e.facts, e.a]));
  return planRollout(
    rolloutId,
    spec,
    entries.map((e) => e.facts),
    (facts) => settled.get(facts) ?? assess(facts),
    failures,
    now,
  );
}

/** The sub-orchestration instance id of a cluster in a rollout: deterministic, free of '/', readable. */
export function clusterInstanceId(rolloutId: string, clusterId: string): string {
  const p = parseArmId(clusterId);
  return `${rolloutId}:${p.subscriptionId}:${p.resourceGroup ?? ''}:${p.name ?? ''}`.toLowerCase();
}
