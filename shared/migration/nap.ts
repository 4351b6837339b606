/**
 * Disabling node auto-provisioning (NAP) before the Cilium data plane update, and putting it back.
 *
 * seed 000 § Update the data plane to Azure CNI Powered by Cilium: "Clusters with node auto-provisioning (NAP)
 * enabled can't be updated to Azure CNI Powered by Cilium. As a workaround, disable NAP before the update, then
 * re-enable it after the update completes." aks-facts § Disabling NAP is a workload move, not a flag: mode
 * `Manual` is accepted only when no NAP nodes remain and every Karpenter NodePool has limits.cpu 0; the documented
 * steps are 1. limits.cpu "0" on every NodePool, 2. the taint karpenter.azure.com/disable:NoSchedule, 3. scale
 * fixed agent pools up to take the workload, 4. delete the NAP nodes, 5. mode Manual.
 *
 * This module is pure: it turns what the cluster shows into a plan, and the plan into what to restore.
 */
import type { ManagedClusterResource } from '../model/arm';
import { NAP_DISABLE_TAINT, NAP_NODE_LABEL, type KarpenterNodePool, type Node } from '../model/kube';
import type { NodePoolPatch, Taint } from './ports';

export interface NodePoolChange {
  name: string;
  /** What the NodePool had, for the way back (null = no cpu limit). */
  before: NodePoolPatch;
  after: NodePoolPatch;
}

export interface PoolScale {
  pool: string;
  from: number;
  to: number;
}

/** Everything the disable procedure changes; kept in the orchestration so enableNap can undo it. */
export interface NapDisablePlan {
  nodePools: NodePoolChange[];
  scale: PoolScale[];
  /** Names of the Node objects Karpenter created, to delete (step 4). */
  napNodes: string[];
  /** Why the plan could not fully absorb the workload, when it could not (reported as a warning, not a stop). */
  notes: string[];
}

/** Kubernetes CPU quantity ("4", "3860m", "0.5") in millicores; undefined when absent or unreadable. */
export function cpuMillis(quantity: unknown): number | undefined {
  if (typeof quantity === 'number') return Math.round(quantity * 1000);
  if (typeof quantity !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(quantity.trim());
  if (!m) return undefined;
  return m[2] === 'm' ? Math.round(Number(m[1])) : Math.round(Number(m[1]) * 1000);
}

function allocatableCpu(node: Node): number | undefined {
  const status = node.status as { allocatable?: Record<string, unknown>; capacity?: Record<string, unknown> } | undefined;
  return cpuMillis(status?.allocatable?.cpu ?? status?.capacity?.cpu);
}

function taintsOf(np: KarpenterNodePool): Taint[] {
  return (np.spec?.template?.spec?.taints ?? []).map((t) => ({ ...t }));
}

function hasDisableTaint(taints: Taint[]): boolean {
  return taints.some((t) => t.key === NAP_DISABLE_TAINT.key && t.effect === NAP_DISABLE_TAINT.effect);
}

export function isNapNode(node: Node): boolean {
  return node.metadata.labels?.[NAP_NODE_LABEL] !== undefined;
}

/**
 * Plans steps 1–4. `previous` is the plan a crashed earlier attempt recorded: NodePools it already changed keep
 * their original `before` values, so a re-run never records the disable taint as the state to restore.
 */
export function planNapDisable(
  cluster: ManagedClusterResource,
  nodePools: KarpenterNodePool[],
  nodes: Node[],
  previous?: NapDisablePlan,
): NapDisablePlan {
  const notes: string[] = [];
  const changes: NodePoolChange[] = nodePools.map((np) => {
    const earlier = previous?.nodePools.find((c) => c.name === np.metadata.name);
    const current: NodePoolPatch = { limitsCpu: np.spec?.limits?.cpu ?? null, taints: taintsOf(np) };
    const before = earlier?.before ?? current;
    const taints = hasDisableTaint(current.taints) ? current.taints : [...current.taints, { key: NAP_DISABLE_TAINT.key, effect: NAP_DISABLE_TAINT.effect }];
    return { name: np.metadata.name, before, after: { limitsCpu: '0', taints } };
  });

  const napNodes = nodes.filter(isNapNode);
  const napCpu = napNodes.reduce((sum, n) => sum + (allocatableCpu(n) ?? 0), 0);
  const scale: PoolScale[] = previous?.scale.map((s) => ({ ...s })) ?? [];
  if (napNodes.length > 0 && scale.length === 0) {
    // Step 3: fixed-size Linux VMSS pools take the NAP nodes' workload; autoscaling pools grow on their own
    // once pods are pending, so they are left to the cluster autoscaler.
    const pools = (cluster.properties?.agentPoolProfiles ?? []).filter(
      (p) => (p.osType ?? 'Linux') === 'Linux' && !p.enableAutoScaling && (p.type ?? 'VirtualMachineScaleSets') === 'VirtualMachineScaleSets',
    );
    const target = [...pools].sort((a, b) => (a.mode === b.mode ? a.name.localeCompare(b.name) : a.mode === 'User' ? -1 : 1))[0];
    if (!target) {
      notes.push('no fixed-size Linux agent pool to absorb the NAP nodes’ workload; relying on the cluster autoscaler');
    } else {
      const poolNodes = nodes.filter((n) => !isNapNode(n) && n.metadata.labels?.['kubernetes.azure.com/agentpool'] === target.name);
      const perNode = poolNodes.map(allocatableCpu).find((c) => c !== undefined);
      // With CPU figures on both sides, add enough nodes for the NAP nodes' CPU; otherwise one node per NAP node.
      const extra = perNode && napCpu > 0 ? Math.ceil(napCpu / perNode) : napNodes.length;
      const from = target.count ?? poolNodes.length;
      scale.push({ pool: target.name, from, to: from + extra });
    }
  }
  return { nodePools: changes, scale, napNodes: napNodes.map((n) => n.metadata.name).sort(), notes };
}

/** The NodePool patches and pool sizes that undo a plan (the way back, step 4 of the clusterMigration). */
export function planNapRestore(plan: NapDisablePlan): { nodePools: Array<{ name: string; patch: NodePoolPatch }>; scale: PoolScale[] } {
  return {
    nodePools: plan.nodePools.map((c) => ({ name: c.name, patch: c.before })),
    scale: plan.scale.map((s) => ({ pool: s.pool, from: s.to, to: s.from })),
  };
}

/** NAP nodes still present: mode Manual is refused until none remain (aks-facts § Disabling NAP). */
export function remainingNapNodes(nodes: Node[]): string[] {
  return nodes.filter(isNapNode).map((n) => n.metadata.name).sort();
}
