/**
 * Turns discovered and assessed clusters into a rollout's plan: one record per cluster, each either placed in a
 * stage (verdict `ready`) or ended at once — `blocked` and `compliant` clusters are recorded with their findings
 * and never written to; clusters no stage selected, and clusters whose facts could not be read, are `skipped`
 * with the reason. Percentages of stages count the clusters to migrate (the ready ones), not the whole scope.
 */
import { armIdKey, parseArmId } from '../arm/id';
import type { Assessment, Verdict } from '../model/assessment';
import type { ClusterFacts } from '../model/facts';
import type { ClusterResult } from '../migration/result';
import { windowSourcesFor } from './maintenance';
import type { RolloutSpec } from './spec';
import { assignStages } from './stages';
import type { RolloutClusterRecord } from './store';

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

/** The sub-orchestration instance id of a cluster in a rollout: deterministic, free of '/', readable. */
export function clusterInstanceId(rolloutId: string, clusterId: string): string {
  const p = parseArmId(clusterId);
  return `${rolloutId}:${p.subscriptionId}:${p.resourceGroup ?? ''}:${p.name ?? ''}`.toLowerCase();
}
