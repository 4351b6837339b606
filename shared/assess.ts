/**
 * The assess pipeline: facts → path → pod CIDR → rule catalog → verdict, for one cluster or a fleet,
 * plus the `az aks update` commands that carry out a ready assessment by hand.
 * Per-cluster work is linear in the cluster's own size; the fleet is indexed once (normalizeFleet).
 */
import { armIdKey } from './arm/id';
import type { Assessment, CurrentState, Step, Target } from './model/assessment';
import type { ClusterFacts } from './model/facts';
import type { ArmResource, ManagedClusterResource } from './model/arm';
import { RESOURCE_TYPES } from './model/arm';
import type { KubeObject } from './model/kube';
import { indexSnapshot, normalizeCluster, normalizeFleet, type ResourceIndex } from './model/normalize';
import type { PlanContext } from './model/plan';
import type { ByteReader, Snapshot } from './model/snapshot';
import { streamSnapshot } from './model/snapshot';
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

export interface StreamedFleetAssessment {
  /** As assessFleet returns them for the same snapshot. */
  assessments: Assessment[];
  resources: number;
  clusters: number;
}

/**
 * assessFleet for a snapshot read piece by piece (streamSnapshot): each cluster is assessed as soon as its
 * `kubernetes` entry has been read, then its resource and Kubernetes objects are dropped, so a
 * 10,000-cluster snapshot of 235 MB is assessed in a small fraction of the memory it takes whole. Same
 * result as assessFleet(parseSnapshot(JSON.parse(text)), options).
 *
 * Returns undefined when the document is not one this reads: invalid JSON, not a snapshot, `kubernetes`
 * before `resources`, and two rare shapes it would have to keep everything for (a cluster id that is also
 * another resource's id, a `kubernetes` key repeated after its cluster was assessed). Read it whole with
 * parseSnapshot then, which reports the problem or assesses it as always.
 */
export function assessSnapshotStream(read: ByteReader, options: AssessOptions): StreamedFleetAssessment | undefined {
  let resourceCount = 0;
  const others: ArmResource[] = [];
  /** Clusters not assessed yet, by armIdKey; a cluster listed twice (ids equal but for case) counts from its last entry, as in assessFleet. */
  const pending = new Map<string, ArmResource>();
  let index: ResourceIndex | undefined;
  const assessed = new Map<string, Assessment>();
  /** Per lower-cased id, the first spelling seen: kubeItemsFor uses the first entry whose id matches but for case. */
  const firstSpelling = new Map<string, string>();
  let clash = false;

  // Clusters are kept out of the index (normalizeCluster looks up VNets, NSGs and maintenance
  // configurations only), so an assessed cluster can be dropped.
  const fleetIndex = (): ResourceIndex => {
    if (!index) {
      index = indexSnapshot({ resources: others, kubernetes: {} });
      // A VNet or NSG sharing a cluster's id would resolve differently without the cluster in the index.
      for (const key of pending.keys()) if (index.get(key)) clash = true;
    }
    return index;
  };
  // One index for every cluster; only the Kubernetes objects change, those of the cluster in hand.
  let items: KubeObject[] | undefined;
  let withItems: ResourceIndex | undefined;
  const assess = (cluster: ArmResource, clusterItems: KubeObject[] | undefined): Assessment => {
    withItems ??= { ...fleetIndex(), kubeItems: () => items };
    items = clusterItems;
    const facts = normalizeCluster(cluster as ManagedClusterResource, withItems);
    items = undefined;
    return assessCluster(facts, options);
  };

  const streamed = streamSnapshot(read, {
    resource: (r) => {
      resourceCount++;
      if (r.type.toLowerCase() !== RESOURCE_TYPES.managedCluster) others.push(r);
      else {
        const key = armIdKey(r.id);
        pending.delete(key);
        pending.set(key, r);
      }
    },
    kube: (id, entry) => {
      fleetIndex();
      if (clash) return false;
      const key = armIdKey(id);
      const first = firstSpelling.get(key);
      if (first === undefined) firstSpelling.set(key, id);
      // Another spelling of an id already seen is never read. The same spelling again would replace the
      // entry (JSON.parse keeps the last value of a repeated key): its cluster is gone by then.
      else if (first !== id) return true;
      else if (assessed.has(key)) return false;
      const cluster = pending.get(key);
      if (!cluster) return true;
      pending.delete(key);
      assessed.set(key, assess(cluster, entry.items));
      return true;
    },
  });
  if (!streamed) return undefined;
  fleetIndex();
  if (clash) return undefined;
  for (const [key, cluster] of pending) assessed.set(key, assess(cluster, undefined));
  const keys = [...assessed.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { assessments: keys.map((k) => assessed.get(k) as Assessment), resources: resourceCount, clusters: assessed.size };
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
