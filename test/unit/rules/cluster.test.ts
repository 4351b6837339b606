import { agentPool, kubenetCluster, managedCluster, node, nodeSubnetCluster, overlayCluster, karpenterNodePool, subnetId, customIpMasqConfigMap } from '../../support/arm';
import { BOTH, CILIUM, OVERLAY, factsOf, findingsFor, hits } from './context';

describe('cluster.provisioning-state', () => {
  it('blocks a cluster or pool not in Succeeded, naming each', () => {
    const f = factsOf(managedCluster({ provisioningState: 'Updating', agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId(), provisioningState: 'Failed' })] }));
    const [h] = hits('cluster.provisioning-state', f, OVERLAY);
    expect(h.severity).toBe('blocker');
    expect(h.message).toMatch(/^Not in provisioning state Succeeded: cluster Updating and pool nodepool1 Failed;/);
    expect(hits('cluster.provisioning-state', f, CILIUM)).toHaveLength(1);
  });
  it('passes Succeeded', () => {
    expect(hits('cluster.provisioning-state', factsOf(nodeSubnetCluster()), OVERLAY)).toEqual([]);
  });
});

describe('cluster.stopped', () => {
  it('blocks a stopped cluster', () => {
    const f = factsOf(managedCluster({ properties: { powerState: { code: 'Stopped' } }, agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId() })] }));
    const [h] = hits('cluster.stopped', f, OVERLAY);
    expect(h).toMatchObject({ severity: 'blocker' });
    expect(h.message).toContain('power state is Stopped');
  });
  it('passes a running cluster', () => {
    const f = factsOf(managedCluster({ properties: { powerState: { code: 'Running' } }, agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId() })] }));
    expect(hits('cluster.stopped', f, BOTH)).toEqual([]);
  });
});

describe('cluster.network-plugin', () => {
  it('blocks bring-your-own CNI', () => {
    const f = factsOf(managedCluster({ networkProfile: { networkPlugin: 'none' } }));
    expect(hits('cluster.network-plugin', f, CILIUM)[0].message).toBe("Network plugin 'none' (bring your own CNI) has no supported migration path.");
  });
  it('passes azure and kubenet', () => {
    expect(hits('cluster.network-plugin', factsOf(nodeSubnetCluster()), OVERLAY)).toEqual([]);
    expect(hits('cluster.network-plugin', factsOf(kubenetCluster()), OVERLAY)).toEqual([]);
  });
});

describe('plan.separate-operations (000: never in one operation)', () => {
  it('info when the plan has both steps, in the plan order', () => {
    const [h] = hits('plan.separate-operations', factsOf(nodeSubnetCluster()), BOTH);
    expect(h).toMatchObject({ severity: 'info', message: 'The IPAM mode and the data plane cannot change in one operation: ipam:overlay then dataplane:cilium, each reimaging every node pool (1 pool).' });
  });
  it('nothing for a single step', () => {
    expect(hits('plan.separate-operations', factsOf(nodeSubnetCluster()), OVERLAY)).toEqual([]);
    expect(hits('plan.separate-operations', factsOf(overlayCluster()), CILIUM)).toEqual([]);
  });
});

describe('NAP', () => {
  it('nap.disable-moves-workload names the NAP nodes and NodePools', () => {
    const f = factsOf(overlayCluster({ nodeProvisioningProfile: { mode: 'Auto' } }), {
      extraKube: [karpenterNodePool('default'), karpenterNodePool('gpu'), node('aks-default-x1', { labels: { 'karpenter.sh/nodepool': 'default' } })],
    });
    const [h] = hits('nap.disable-moves-workload', f, ['nap:disable', 'dataplane:cilium', 'nap:enable']);
    expect(h.message).toBe('Disabling NAP drains 1 NAP node (aks-default-x1) from 2 NodePools to the agent pools nodepool1.');
    expect(hits('nap.disable-moves-workload', f, CILIUM)).toEqual([]);
  });
  it('nap.reenable-ip-families warns for dual-stack clusters only', () => {
    const dual = factsOf(overlayCluster({ nodeProvisioningProfile: { mode: 'Auto' }, networkProfile: { ipFamilies: ['IPv4', 'IPv6'] } }));
    expect(hits('nap.reenable-ip-families', dual, ['nap:disable', 'dataplane:cilium', 'nap:enable'])[0].message).toContain('IPv4, IPv6');
    expect(hits('nap.reenable-ip-families', factsOf(overlayCluster()), ['nap:disable', 'dataplane:cilium', 'nap:enable'])).toEqual([]);
  });
});

describe('facts rules', () => {
  it('facts.kubernetes-missing lists the rules that could not run for the plan', () => {
    const f = factsOf(nodeSubnetCluster(), { kube: false });
    const [h] = hits('facts.kubernetes-missing', f, CILIUM);
    expect(h.severity).toBe('info');
    expect(h.message).toContain('cilium.ipblock-cluster-ips');
    expect(h.message).not.toContain('overlay.ip-masq-agent-config');
    expect(hits('facts.kubernetes-missing', factsOf(nodeSubnetCluster()), CILIUM)).toEqual([]);
  });
  it('facts.gaps reports each gap except the Kubernetes one', () => {
    const f = factsOf(nodeSubnetCluster(), { resources: [], kube: false });
    const gaps = hits('facts.gaps', f, OVERLAY).map((h) => h.message);
    expect(gaps).toEqual([expect.stringMatching(/^VNet \/subscriptions\/.*\/virtualNetworks\/vnet-aks \(used by pool nodepool1\) is not in the snapshot$/)]);
  });
});

describe('evaluateRules', () => {
  it('sorts blocker, warning, info and sets source to "doc § section"', () => {
    const f = factsOf(nodeSubnetCluster({ kubernetesVersion: '1.26.3' }), { extraKube: [customIpMasqConfigMap()] });
    const findings = findingsFor(f, BOTH, { podCidr: { cidr: '192.168.0.0/16', source: 'planned', requiredNodes: 10, collisions: [] } });
    const ranks = findings.map((x) => ['blocker', 'warning', 'info'].indexOf(x.severity));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(findings.filter((x) => x.severity === 'blocker').map((x) => x.rule)).toEqual(['overlay.kubernetes-version', 'overlay.ip-masq-agent-config']);
    for (const x of findings) expect(x.source).toMatch(/^\S+ § \S/);
  });
  it('a compliant cluster (no steps) gets no findings', () => {
    expect(findingsFor(factsOf(managedCluster({ provisioningState: 'Failed' })), [])).toEqual([]);
  });
});
