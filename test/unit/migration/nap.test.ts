import { cpuMillis, planNapDisable, planNapRestore, remainingNapNodes } from '../../../shared/migration/nap';
import { agentPool, karpenterNodePool, nodeSubnetCluster, node } from '../../support/arm';
import type { Node } from '../../../shared/model/kube';

const withCpu = (n: Node, cpu: string): Node => ({ ...n, status: { ...n.status, allocatable: { cpu } } as Node['status'] });

describe('NAP disable plan (aks-facts § Disabling NAP)', () => {
  const cluster = nodeSubnetCluster({
    nodeProvisioningProfile: { mode: 'Auto' },
    agentPoolProfiles: [agentPool({ name: 'system', mode: 'System', count: 3 }), agentPool({ name: 'user', mode: 'User', count: 2 }), agentPool({ name: 'auto', mode: 'User', enableAutoScaling: true, minCount: 1, maxCount: 10, count: 1 })],
  });
  const nodes = [
    withCpu(node('aks-user-0', { pool: 'user' }), '3860m'),
    withCpu(node('aks-user-1', { pool: 'user' }), '3860m'),
    withCpu(node('aks-default-abcde', { labels: { 'karpenter.sh/nodepool': 'default' } }), '7820m'),
    withCpu(node('aks-default-fghij', { labels: { 'karpenter.sh/nodepool': 'default' } }), '1900m'),
  ];
  const nodePools = [karpenterNodePool('default'), karpenterNodePool('gpu', { limits: { cpu: '64' }, template: { spec: { taints: [{ key: 'sku', value: 'gpu', effect: 'NoSchedule' }] } } })];

  it('sets limits.cpu 0 and the disable taint on every NodePool, remembering what was there', () => {
    const plan = planNapDisable(cluster, nodePools, nodes);
    expect(plan.nodePools).toEqual([
      { name: 'default', before: { limitsCpu: '1000', taints: [] }, after: { limitsCpu: '0', taints: [{ key: 'karpenter.azure.com/disable', effect: 'NoSchedule' }] } },
      {
        name: 'gpu',
        before: { limitsCpu: '64', taints: [{ key: 'sku', value: 'gpu', effect: 'NoSchedule' }] },
        after: { limitsCpu: '0', taints: [{ key: 'sku', value: 'gpu', effect: 'NoSchedule' }, { key: 'karpenter.azure.com/disable', effect: 'NoSchedule' }] },
      },
    ]);
    expect(plan.napNodes).toEqual(['aks-default-abcde', 'aks-default-fghij']);
  });

  it('scales the fixed-size user pool by the NAP nodes’ CPU', () => {
    // 9720m of NAP CPU over 3860m nodes → 3 more nodes in the fixed User pool; the autoscaling pool is left alone.
    expect(planNapDisable(cluster, nodePools, nodes).scale).toEqual([{ pool: 'user', from: 2, to: 5 }]);
  });

  it('adds one node per NAP node when CPU figures are missing', () => {
    const bare = [node('aks-user-0', { pool: 'user' }), node('aks-default-abcde', { labels: { 'karpenter.sh/nodepool': 'default' } })];
    expect(planNapDisable(cluster, nodePools, bare).scale).toEqual([{ pool: 'user', from: 2, to: 3 }]);
  });

  it('a re-run keeps the original NodePool state and pool sizes of the first plan', () => {
    const first = planNapDisable(cluster, nodePools, nodes);
    const patched = nodePools.map((np) => ({ ...np, spec: { ...np.spec, limits: { cpu: '0' }, template: { spec: { taints: first.nodePools.find((c) => c.name === np.metadata.name)?.after.taints } } } }));
    const again = planNapDisable(cluster, patched, nodes, first);
    expect(again.nodePools.map((c) => c.before)).toEqual(first.nodePools.map((c) => c.before));
    expect(again.nodePools[0].after.taints).toHaveLength(1);
    expect(again.scale).toEqual(first.scale);
  });

  it('restore puts NodePools and pool sizes back', () => {
    const restore = planNapRestore(planNapDisable(cluster, nodePools, nodes));
    expect(restore.nodePools[1]).toEqual({ name: 'gpu', patch: { limitsCpu: '64', taints: [{ key: 'sku', value: 'gpu', effect: 'NoSchedule' }] } });
    expect(restore.scale).toEqual([{ pool: 'user', from: 5, to: 2 }]);
  });

  it('notes when no fixed pool can take the workload', () => {
    const onlyAuto = nodeSubnetCluster({ agentPoolProfiles: [agentPool({ name: 'auto', enableAutoScaling: true, minCount: 1, maxCount: 5 })] });
    const plan = planNapDisable(onlyAuto, nodePools, nodes);
    expect(plan.scale).toEqual([]);
    expect(plan.notes[0]).toContain('cluster autoscaler');
  });

  it('reads CPU quantities and finds the NAP nodes left', () => {
    expect(cpuMillis('4')).toBe(4000);
    expect(cpuMillis('3860m')).toBe(3860);
    expect(cpuMillis('0.5')).toBe(500);
    expect(cpuMillis('lots')).toBeUndefined();
    expect(remainingNapNodes(nodes)).toEqual(['aks-default-abcde', 'aks-default-fghij']);
  });
});
