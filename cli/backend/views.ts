/**
 * The result shapes of the rollout commands and their `-o table` views. Light on purpose (no imports beyond
 * types): the group files load these with the command table.
 */
import type { TableTransformer } from '../types';
import type { RolloutListItem } from './client';

/** One cluster of a rollout in `rollout show -o json`: `{ id, result, steps, findings, error }` and where it stood. */
export interface ClusterView {
  id: string;
  name: string;
  resourceGroup: string;
  subscriptionId: string;
  stage: string | null;
  verdict: string;
  result: string;
  reason: string | null;
  steps: Array<{ step: string; status: string; startedAt?: string; endedAt?: string; correlationId?: string; error?: { code: string; message: string } }>;
  findings: Array<{ rule: string; severity: string; message: string; remediation?: string; source?: string }>;
  error: { code: string; message: string } | null;
  startedAt?: string;
  endedAt?: string;
  /** Every ARM correlation id of a write the run made on the cluster (steps, NAP mode changes, pool scaling); [] before it ran. */
  correlationIds: string[];
  /** Whether NAP was disabled and put back (absent when the run did not touch NAP). */
  nap?: { disabled: boolean; restored: boolean; problem?: string };
  /** What verify found wrong (the result is then `failed`). */
  verifyProblems?: string[];
}

/** `rollout show|wait|start --wait -o json`. */
export interface RolloutView extends Pick<RolloutListItem, 'id' | 'name' | 'status' | 'runtimeStatus' | 'target' | 'total'> {
  stages: Array<{ name: string; status: string; size?: number; counts: Record<string, number> }>;
  counts: Record<string, number>;
  verdictCounts: Record<string, number>;
  failureBudget: { perStageLeft: number | null; totalLeft: number | null };
  waitingApprovals: Array<{ stage: string }>;
  haltReason?: string;
  startedAt?: string;
  updatedAt?: string;
  clusters: ClusterView[];
  /** `aksnet demo`: where the JSON report was written. */
  report?: string;
}

const RESULT_ORDER = ['failed', 'cancelled', 'skipped', 'migrated', 'blocked', 'compliant', 'pending'];

/** Why a cluster ended as it did, in a few words: the error, the reason, or its first blocker. */
export function clusterWhy(c: ClusterView): string {
  if (c.error) return `${c.error.code}: ${c.error.message}`;
  if (c.result === 'blocked') {
    const blockers = c.findings.filter((f) => f.severity === 'blocker').map((f) => f.rule);
    if (blockers.length) return `blocked by ${blockers.join(', ')}`;
  }
  return c.reason ?? '';
}

function isRolloutView(r: unknown): r is RolloutView {
  return typeof r === 'object' && r !== null && Array.isArray((r as RolloutView).clusters) && typeof (r as RolloutView).id === 'string';
}

function countsLine(counts: Record<string, number>): string {
  const order = ['migrated', 'compliant', 'blocked', 'failed', 'skipped', 'cancelled', 'pending'];
  return order.filter((k) => (counts[k] ?? 0) > 0).map((k) => `${k}: ${counts[k]}`).join('  ');
}

/** The per-cluster table, then the rollout's status and counts (and the report path for the demo). */
export const rolloutTable: TableTransformer = (result) => {
  if (!isRolloutView(result)) {
    const rows = Array.isArray(result) ? (result as Array<Record<string, unknown>>) : [result as Record<string, unknown>];
    return { rows: rows.filter((r) => typeof r === 'object' && r !== null).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v === null || typeof v !== 'object'))) };
  }
  const clusters = [...result.clusters].sort(
    (a, b) => RESULT_ORDER.indexOf(a.result) - RESULT_ORDER.indexOf(b.result) || a.resourceGroup.localeCompare(b.resourceGroup) || a.name.localeCompare(b.name),
  );
  const rows = clusters.map((c) => ({
    Name: c.name,
    ResourceGroup: c.resourceGroup,
    Stage: c.stage ?? '',
    Verdict: c.verdict,
    Result: c.result,
    Steps: c.steps.filter((s) => s.status === 'done' || s.status === 'already').map((s) => s.step).join(', '),
    Why: clusterWhy(c).slice(0, 110),
  }));
  const counts: Record<string, number> = {};
  for (const c of result.clusters) counts[c.result] = (counts[c.result] ?? 0) + 1;
  const footer = [`rollout ${result.id}: ${result.status}  ${countsLine(counts)}  (${result.clusters.length} clusters)`];
  if (result.haltReason) footer.push(`halted: ${result.haltReason}`);
  if (result.report) footer.push(`report: ${result.report}`);
  return { rows, footer };
};

/** `cluster migrate`: the cluster's row and its steps. */
export const clusterMigrateTable: TableTransformer = (result) => {
  const c = result as Partial<ClusterView> & { rollout?: string };
  if (!c || typeof c !== 'object' || !Array.isArray(c.steps)) return rolloutTable(result);
  const rows = c.steps.map((s, i) => ({ '#': i + 1, Step: s.step, Status: s.status, Started: s.startedAt ?? '', Ended: s.endedAt ?? '', Error: s.error ? `${s.error.code}: ${s.error.message}` : '' }));
  return { rows, footer: [`${c.name} (${c.resourceGroup}): ${c.result}${clusterWhy(c as ClusterView) ? ` — ${clusterWhy(c as ClusterView)}` : ''}  [rollout ${c.rollout ?? '?'}]`] };
};

/** `rollout list`. */
export const rolloutListTable: TableTransformer = (result) => ({
  rows: (Array.isArray(result) ? (result as Array<Record<string, unknown>>) : []).map((r) => ({
    Id: r.id,
    Name: r.name ?? '',
    Status: r.status,
    Target: r.target ?? '',
    Clusters: r.total ?? '',
    Created: r.createdTime ?? '',
  })),
});
