/**
 * Table transformers (az's `table_transformer`): pure functions from a command's JSON result to
 * table rows. They read the result's documented JSON shape only, so they load nothing heavy.
 */
import type { Assessment, Verdict } from '../shared/model/assessment';
import type { TableTransformer } from './types';

const VERDICT_ORDER: readonly Verdict[] = ['ready', 'blocked', 'compliant'];

function asAssessments(result: unknown): Assessment[] {
  return Array.isArray(result) ? (result as Assessment[]) : result ? [result as Assessment] : [];
}

function blockerCount(a: Assessment): number {
  return (a.findings ?? []).filter((f) => f.severity === 'blocker').length;
}

/** `fleet assess -o table`: one row per cluster, then the number of clusters per verdict. */
export const fleetAssessTable: TableTransformer = (result) => {
  const list = asAssessments(result);
  const rows = list.map((a) => ({
    Name: a.name,
    ResourceGroup: a.resourceGroup,
    Verdict: a.verdict,
    Steps: a.steps.join(', '),
    Blockers: blockerCount(a),
    PodCidr: a.podCidr ?? '',
  }));
  const counts = VERDICT_ORDER.map((v) => `${v}: ${list.filter((a) => a.verdict === v).length}`);
  return { rows, footer: [`${counts.join('  ')}  (${list.length} cluster${list.length === 1 ? '' : 's'})`] };
};

/** `cluster preflight -o table`: the cluster's row, then each finding on its own line, blockers first. */
export const clusterPreflightTable: TableTransformer = (result) => {
  const a = result as Assessment;
  const order = { blocker: 0, warning: 1, info: 2 } as const;
  const findings = [...(a.findings ?? [])].sort((x, y) => order[x.severity] - order[y.severity]);
  return {
    rows: [{ Name: a.name, ResourceGroup: a.resourceGroup, Verdict: a.verdict, Steps: a.steps.join(', '), PodCidr: a.podCidr ?? '' }],
    footer: findings.length ? findings.map((f) => `${f.severity.toUpperCase()} ${f.rule}: ${f.message} Fix: ${f.remediation} (${f.source})`) : ['No findings.'],
  };
};

/** The `cluster plan` result. */
export interface ClusterPlanResult {
  id: string;
  name: string;
  resourceGroup: string;
  target: string;
  verdict: Verdict;
  steps: string[];
  podCidr?: string;
  /** The equivalent `az aks update` commands, in order; empty unless the verdict is ready. */
  commands: string[];
  /** Why the cluster cannot be planned (blocked), or empty. */
  blockers: Array<{ rule: string; message: string; remediation: string; source: string }>;
}

/** `cluster plan -o table`: one row per command, then the verdict and the blockers, if any. */
export const clusterPlanTable: TableTransformer = (result) => {
  const p = result as ClusterPlanResult;
  const footer = [`${p.name} (${p.resourceGroup}): ${p.verdict}${p.podCidr ? `, pod CIDR ${p.podCidr}` : ''}`];
  for (const b of p.blockers ?? []) footer.push(`BLOCKER ${b.rule}: ${b.message} Fix: ${b.remediation} (${b.source})`);
  return { rows: p.commands.map((c, i) => ({ Order: i + 1, Command: c })), footer };
};
