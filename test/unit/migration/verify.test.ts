import { normalizeFleet } from '../../../shared/model/normalize';
import { verifyCluster } from '../../../shared/migration/verify';
import { ciliumCluster, daemonSet, nodeSubnetCluster, node, nsg, pod, snapshotOf, vnet } from '../../support/arm';
import type { KubeObject } from '../../../shared/model/kube';
import type { ManagedClusterResource } from '../../../shared/model/arm';

function facts(cluster: ManagedClusterResource, items: KubeObject[]) {
  return normalizeFleet(snapshotOf([cluster, vnet(), nsg()], { [cluster.id]: items }))[0];
}

const healthyCilium: KubeObject[] = [node('aks-nodepool1-0', { pool: 'nodepool1' }), daemonSet('kube-system', 'cilium', 1, 1), pod('default', 'web-0', { podIP: '10.244.1.5' })];

describe('verify', () => {
  it('passes an Overlay + Cilium cluster that is as intended', () => {
    const f = facts(ciliumCluster({ name: 'aks-1' }), healthyCilium);
    expect(verifyCluster(f, { target: 'overlay+cilium', podCidr: '10.244.0.0/16', napModeBefore: 'Manual' })).toEqual([]);
  });

  it('reports the network profile, kube-proxy, Cilium readiness, pod IPs and NAP mode', () => {
    const cluster = nodeSubnetCluster({ name: 'aks-1', nodeProvisioningProfile: { mode: 'Manual' } });
    const items: KubeObject[] = [node('aks-nodepool1-0', { pool: 'nodepool1' }), daemonSet('kube-system', 'cilium', 3, 1), daemonSet('kube-system', 'kube-proxy', 3, 3), pod('default', 'web-0', { podIP: '10.10.0.20' })];
    const problems = verifyCluster(facts(cluster, items), { target: 'overlay+cilium', podCidr: '10.244.0.0/16', napModeBefore: 'Auto' });
    const checks = problems.map((p) => p.check);
    expect(checks).toEqual(expect.arrayContaining(['network-profile', 'cilium', 'kube-proxy', 'pod-ips', 'nap-mode']));
    expect(problems.find((p) => p.check === 'cilium')?.message).toBe('DaemonSet kube-system/cilium has 1/3 pods ready');
    expect(problems.find((p) => p.check === 'nap-mode')?.message).toBe('node auto-provisioning is Manual, it was Auto before the run');
  });

  it('reports a pool that was not reimaged and a node that is not Ready', () => {
    const cluster = ciliumCluster({ name: 'aks-1' });
    const notReady = node('aks-nodepool1-1', { pool: 'nodepool1' });
    notReady.status!.conditions = [{ type: 'Ready', status: 'False' }];
    const f = facts(cluster, [...healthyCilium, notReady]);
    const image = f.pools[0].nodeImageVersion;
    const problems = verifyCluster(f, { target: 'cilium', napModeBefore: 'Manual', nodeImagesBefore: { [f.pools[0].name]: image } });
    expect(problems.map((p) => p.check).sort()).toEqual(['node-image', 'nodes-ready']);
  });

  it('says so when Kubernetes facts could not be read', () => {
    const f = normalizeFleet(snapshotOf([ciliumCluster({ name: 'aks-1' }), vnet(), nsg()]))[0];
    expect(verifyCluster(f, { target: 'cilium', napModeBefore: 'Manual' }).map((p) => p.check)).toEqual(['facts']);
  });
});
