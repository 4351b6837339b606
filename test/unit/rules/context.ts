/** Rule-test helpers: builder-made ARM JSON → snapshot → normalizeCluster → evaluateRules (the real path, no mocks). */
import type { ArmResource, ManagedClusterResource } from '../../../shared/model/arm';
import type { Finding, Step, Target } from '../../../shared/model/assessment';
import type { ClusterFacts } from '../../../shared/model/facts';
import type { KubeObject } from '../../../shared/model/kube';
import { indexSnapshot, normalizeCluster } from '../../../shared/model/normalize';
import type { PlanContext } from '../../../shared/model/plan';
import { evaluateRules } from '../../../shared/rules';
import { node, nsg, reconciledIpMasqConfigMap, snapshotOf, vnet } from '../../support/arm';

export interface FactsOptions {
  /** Other resources; default: the builders' VNet and NSG. */
  resources?: ArmResource[];
  /** Kubernetes items; default: one node per pool and the reconciled ip-masq ConfigMap. false: none collected. */
  kube?: KubeObject[] | false;
  /** Extra Kubernetes items added to the default ones. */
  extraKube?: KubeObject[];
}

export function factsOf(cluster: ManagedClusterResource, o: FactsOptions = {}): ClusterFacts {
  const pools = cluster.properties?.agentPoolProfiles ?? [];
  const defaults: KubeObject[] = [
    ...pools.map((p, i) => node(`aks-${p.name}-vmss00000${i}`, { pool: p.name, os: p.osType === 'Windows' ? 'windows' : 'linux', internalIP: `10.10.0.${4 + i}` })),
    reconciledIpMasqConfigMap(),
  ];
  const kube = o.kube === false ? undefined : [...(o.kube ?? defaults), ...(o.extraKube ?? [])];
  const snapshot = snapshotOf([cluster, ...(o.resources ?? [vnet(), nsg()])], kube ? { [cluster.id]: kube } : {});
  return normalizeCluster(cluster, indexSnapshot(snapshot));
}

const TARGET_OF = (steps: Step[]): Target =>
  steps.includes('ipam:overlay') && steps.includes('dataplane:cilium') ? 'overlay+cilium' : steps.includes('dataplane:cilium') ? 'cilium' : 'overlay';

export function plan(steps: Step[], extra: Partial<PlanContext> = {}): PlanContext {
  return { target: TARGET_OF(steps), steps, ...extra };
}

export function findingsFor(facts: ClusterFacts, steps: Step[], extra: Partial<PlanContext> = {}): Finding[] {
  return evaluateRules({ facts, plan: plan(steps, extra) });
}

/** Findings of one rule. */
export function hits(ruleId: string, facts: ClusterFacts, steps: Step[], extra: Partial<PlanContext> = {}): Finding[] {
  return findingsFor(facts, steps, extra).filter((f) => f.rule === ruleId);
}

export const OVERLAY: Step[] = ['ipam:overlay'];
export const CILIUM: Step[] = ['dataplane:cilium'];
export const BOTH: Step[] = ['ipam:overlay', 'dataplane:cilium'];
