/**
 * The assess pipeline: facts → path → pod CIDR → rule catalog → verdict, for one cluster or a fleet,
 * plus the `az aks update` commands that carry out a ready assessment by hand.
 * Per-cluster work is linear in the cluster's own size; the fleet is indexed once (normalizeFleet).
 */
import { armIdKey } from './arm/id';
import type { Assessment, CurrentState, Step, Target } from './model/assessment';
import type { ClusterFacts } from './model/facts';
import { normalizeFleet } from './model/normalize';
import type { PlanContext } from './model/plan';
import type { Snapshot } from './model/snapshot';
import { planPath } from './planning/path';
import { choosePodCidr } from './planning/podCidr';
import { evaluateRules } from './rules';

export interface AssessOptions {
  target: Target;
  /** Pod CIDR for clusters moving to Overlay from Azure CNI (kubenet keeps its own). */
  podCidr?: string;
}

export function currentStateOf(facts: ClusterFacts): CurrentState {
  return { ipam: facts.ipam, dataplane: facts.dataplane, networkPolicy: facts.networkPolicy, nap: facts.napMode };
}

/** The plan the rules read: path, and the pod CIDR choice when the path moves IPAM to Overlay. */
export function planFor(facts: ClusterFacts, options: AssessOptions): PlanContext {
  const steps = planPath(currentStateOf(facts), options.target);
  const plan: PlanContext = { target: options.target, steps };
  if (steps.includes('ipam:overlay')) plan.podCidr = choosePodCidr(facts, options.podCidr);
  return plan;
}

export function assessCluster(facts: ClusterFacts, options: AssessOptions): Assessment {
  const plan = planFor(facts, options);
  const findings = evaluateRules({ facts, plan });
  const blocked = findings.some((f) => f.severity === 'blocker');
  const verdict = plan.steps.length === 0 ? 'compliant' : blocked ? 'blocked' : 'ready';
  const assessment: Assessment = {
    id: facts.id,
    name: facts.name,
    resourceGroup: facts.resourceGroup,
    subscriptionId: facts.subscriptionId,
    verdict,
    steps: verdict === 'ready' ? plan.steps : [],
    findings,
    current: currentStateOf(facts),
  };
  if (plan.podCidr?.cidr) assessment.podCidr = plan.podCidr.cidr;
  return assessment;
}

/**
 * One assessment per managed cluster in the snapshot, ordered by ARM id (case-insensitive) so output is
 * stable. A cluster listed twice (ids equal but for case) is assessed once, from its last entry, as a
 * later read of the same resource.
 */
export function assessFleet(snapshot: Snapshot, options: AssessOptions): Assessment[] {
  const byKey = new Map<string, ClusterFacts>();
  for (const f of normalizeFleet(snapshot)) {
    const key = armIdKey(f.id);
    byKey.delete(key);
    byKey.set(key, f);
  }
  const keys = [...byKey.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys.map((k) => assessCluster(byKey.get(k) as ClusterFacts, options));
}

/** Quotes a value for POSIX shells when it holds anything beyond ARM-name-safe characters. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9._\-/:]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The `az aks update` command equivalent to each step of a ready assessment, in order (none otherwise).
 * Seed 000_c747be24177f73a8.txt § Update the IPAM mode to Azure CNI Overlay / § Update the data plane;
 * kubenet takes no --pod-cidr (seed 003 § Kubenet Cluster Upgrade); Cilium needs --network-policy cilium
 * alongside the data plane (aks-facts.md § What the PUT must contain); NAP mode is --node-provisioning-mode.
 */
export function azAksUpdateCommands(assessment: Assessment): string[] {
  const base = `az aks update --name ${shellWord(assessment.name)} --resource-group ${shellWord(assessment.resourceGroup)}`;
  const sub = assessment.subscriptionId ? ` --subscription ${shellWord(assessment.subscriptionId)}` : '';
  const args: Record<Step, () => string> = {
    'nap:disable': () => '--node-provisioning-mode Manual',
    'ipam:overlay': () =>
      assessment.current.ipam === 'kubenet' || !assessment.podCidr
        ? '--network-plugin azure --network-plugin-mode overlay'
        : `--network-plugin azure --network-plugin-mode overlay --pod-cidr ${assessment.podCidr}`,
    'dataplane:cilium': () => '--network-dataplane cilium --network-policy cilium',
    'nap:enable': () => '--node-provisioning-mode Auto',
  };
  return assessment.steps.map((s) => `${base} ${args[s]()}${sub}`);
}
