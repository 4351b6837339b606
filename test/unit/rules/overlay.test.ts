import {
  agentPool,
  customIpMasqConfigMap,
  kubenetCluster,
  managedCluster,
  networkPolicy,
  nodeSubnetCluster,
  dynamicIpCluster,
  subnetId,
  userAssignedIdentity,
  vnet,
  nsg,
  windowsPool,
  reconciledIpMasqConfigMap,
  node,
} from '../../support/arm';
import { CILIUM, OVERLAY, factsOf, hits } from './context';

const SRC000 = '000_c747be24177f73a8.txt § Update the IPAM mode to Azure CNI Overlay';

describe('overlay.kubernetes-version (000: 1.27, newer than 003: 1.22)', () => {
  it('blocks below 1.27 and names the old control plane and pools', () => {
    const f = factsOf(nodeSubnetCluster({ kubernetesVersion: '1.26.10' }));
    const [h] = hits('overlay.kubernetes-version', f, OVERLAY);
    expect(h).toMatchObject({ severity: 'blocker', source: SRC000 });
    expect(h.message).toBe('Kubernetes 1.26.10 is older than 1.27: control plane 1.26.10 and pool nodepool1 1.26.10.');
  });

  it('counts the lowest pool version even when the control plane is new', () => {
    const f = factsOf(managedCluster({ kubernetesVersion: '1.28.3', agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId(), orchestratorVersion: '1.25.6' })] }));
    expect(hits('overlay.kubernetes-version', f, OVERLAY)[0].message).toContain('pool nodepool1 1.25.6');
  });

  it('passes 1.27.0 (1.22 from seed 003 is superseded) and does not run for a Cilium-only plan', () => {
    expect(hits('overlay.kubernetes-version', factsOf(nodeSubnetCluster({ kubernetesVersion: '1.27.0' })), OVERLAY)).toEqual([]);
    expect(hits('overlay.kubernetes-version', factsOf(nodeSubnetCluster({ kubernetesVersion: '1.24.0' })), CILIUM)).toEqual([]);
  });
});

describe('overlay.dynamic-ip', () => {
  it('blocks pools with a pod subnet', () => {
    const [h] = hits('overlay.dynamic-ip', factsOf(dynamicIpCluster()), OVERLAY);
    expect(h.message).toBe('Dynamic IP allocation on 1 pool: nodepool1 (pod subnet aks-pods).');
  });
  it('does not trigger for node subnet', () => {
    expect(hits('overlay.dynamic-ip', factsOf(nodeSubnetCluster()), OVERLAY)).toEqual([]);
  });
});

describe('overlay.network-policy-engine', () => {
  it('blocks Azure NPM with the policy count and points at the uninstall procedure', () => {
    const f = factsOf(nodeSubnetCluster({ networkProfile: { networkPolicy: 'azure' } }), { extraKube: [networkPolicy('shop', 'deny-all'), networkPolicy('shop', 'allow-web')] });
    const [h] = hits('overlay.network-policy-engine', f, OVERLAY);
    expect(h.severity).toBe('blocker');
    expect(h.message).toBe('The cluster runs Azure Network Policy Manager (networkPolicy azure) with 2 NetworkPolicies; Overlay requires no network policy engine.');
    expect(h.remediation).toContain('Uninstall Azure Network Policy Manager or Calico');
  });
  it('blocks Calico on kubenet', () => {
    expect(hits('overlay.network-policy-engine', factsOf(kubenetCluster({ networkProfile: { networkPolicy: 'calico' }, identity: userAssignedIdentity() })), OVERLAY)[0].message).toContain('Calico');
  });
  it('does not block when none, or when the plan replaces the engine with Cilium first', () => {
    expect(hits('overlay.network-policy-engine', factsOf(nodeSubnetCluster()), OVERLAY)).toEqual([]);
    const f = factsOf(nodeSubnetCluster({ networkProfile: { networkPolicy: 'azure' } }));
    expect(hits('overlay.network-policy-engine', f, ['dataplane:cilium', 'ipam:overlay'])).toEqual([]);
    expect(hits('overlay.network-policy-engine', f, ['ipam:overlay', 'dataplane:cilium'])).toHaveLength(1);
  });
});

describe('Windows pools', () => {
  it('overlay.windows-docker blocks Windows Server 2019 Docker pools', () => {
    const f = factsOf(managedCluster({ agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId() }), windowsPool({ name: 'w19', osSKU: 'Windows2019', nodeImageVersion: 'AKSWindows-2019-17763.4252.230412', vnetSubnetID: subnetId() })] }), {
      kube: [],
    });
    const [h] = hits('overlay.windows-docker', f, OVERLAY);
    expect(h.message).toBe('1 Windows pool on Docker: w19 (AKSWindows-2019-17763.4252.230412).');
  });

  it('overlay.windows-docker does not trigger on containerd', () => {
    const f = factsOf(managedCluster({ agentPoolProfiles: [windowsPool({ vnetSubnetID: subnetId() })] }));
    expect(hits('overlay.windows-docker', f, OVERLAY)).toEqual([]);
  });

  it('overlay.windows-build warns below 20348.1668, from node kernel versions', () => {
    const cluster = managedCluster({ agentPoolProfiles: [windowsPool({ name: 'win', vnetSubnetID: subnetId() })] });
    const low = factsOf(cluster, { kube: [node('w0', { pool: 'win', os: 'windows', kernelVersion: '10.0.20348.1607' })] });
    const [h] = hits('overlay.windows-build', low, OVERLAY);
    expect(h).toMatchObject({ severity: 'warning', message: '1 Windows pool below build 20348.1668: win (20348.1607).' });
    const ok = factsOf(cluster, { kube: [node('w0', { pool: 'win', os: 'windows', kernelVersion: '10.0.20348.1668' })] });
    expect(hits('overlay.windows-build', ok, OVERLAY)).toEqual([]);
  });
});

describe('overlay.ip-masq-agent-config', () => {
  it('blocks a custom or leftover azure-ip-masq-agent-config and lists its ranges', () => {
    const f = factsOf(nodeSubnetCluster(), { extraKube: [customIpMasqConfigMap(['10.0.0.0/8', '192.168.0.0/16'])] });
    const [h] = hits('overlay.ip-masq-agent-config', f, OVERLAY);
    expect(h.severity).toBe('blocker');
    expect(h.message).toBe(
      'ConfigMap kube-system/azure-ip-masq-agent-config exists exempting 10.0.0.0/8 and 192.168.0.0/16 from SNAT: a custom or leftover ip-masq-agent configuration blocks the update.',
    );
  });
  it('ignores the -reconciled ConfigMap and a same-named one in another namespace', () => {
    const other = customIpMasqConfigMap();
    other.metadata.namespace = 'default';
    expect(hits('overlay.ip-masq-agent-config', factsOf(nodeSubnetCluster(), { kube: [reconciledIpMasqConfigMap(), other] }), OVERLAY)).toEqual([]);
  });
  it('is skipped (and listed) when no Kubernetes objects were collected', () => {
    const f = factsOf(nodeSubnetCluster(), { kube: false });
    expect(hits('overlay.ip-masq-agent-config', f, OVERLAY)).toEqual([]);
    expect(hits('facts.kubernetes-missing', f, OVERLAY)[0].message).toContain('overlay.ip-masq-agent-config');
  });
});

describe('pool shape limits (seed 003)', () => {
  it('overlay.availability-set', () => {
    const f = factsOf(managedCluster({ agentPoolProfiles: [agentPool({ name: 'vmas', type: 'AvailabilitySet', vnetSubnetID: subnetId() })] }));
    expect(hits('overlay.availability-set', f, OVERLAY)[0].message).toBe('1 pool on Virtual Machine Availability Sets: vmas.');
    expect(hits('overlay.availability-set', factsOf(nodeSubnetCluster()), OVERLAY)).toEqual([]);
  });

  it('overlay.dcsv2', () => {
    const f = factsOf(managedCluster({ agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId() }), agentPool({ name: 'conf', vmSize: 'Standard_DC4s_v2', vnetSubnetID: subnetId() })] }));
    expect(hits('overlay.dcsv2', f, OVERLAY)[0].message).toBe('1 pool of DCsv2-series VMs: conf (Standard_DC4s_v2).');
    const v5 = factsOf(managedCluster({ agentPoolProfiles: [agentPool({ name: 'conf', vmSize: 'Standard_DC4as_v5', vnetSubnetID: subnetId() })] }));
    expect(hits('overlay.dcsv2', v5, OVERLAY)).toEqual([]);
  });

  it('overlay.arm64-region blocks ARM64 pools in the listed regions only', () => {
    const pools = [agentPool({ vnetSubnetID: subnetId() }), agentPool({ name: 'arm', vmSize: 'Standard_D4ps_v5', vnetSubnetID: subnetId() })];
    const [h] = hits('overlay.arm64-region', factsOf(managedCluster({ location: 'westeurope', agentPoolProfiles: pools })), OVERLAY);
    expect(h.message).toBe('1 ARM64 pool in West Europe (westeurope), where Overlay is unavailable for ARM64: arm (Standard_D4ps_v5).');
    expect(hits('overlay.arm64-region', factsOf(managedCluster({ location: 'northeurope', agentPoolProfiles: pools })), OVERLAY)).toEqual([]);
    expect(hits('overlay.arm64-region', factsOf(managedCluster({ location: 'eastus2' })), OVERLAY)).toEqual([]);
  });

  it('overlay.max-pods blocks outside 10–250', () => {
    const f = factsOf(managedCluster({ agentPoolProfiles: [agentPool({ maxPods: 5, vnetSubnetID: subnetId() }), agentPool({ name: 'ok', maxPods: 250, vnetSubnetID: subnetId() })] }));
    expect(hits('overlay.max-pods', f, OVERLAY)[0].message).toBe('Max pods outside 10–250: pool nodepool1 (5).');
    expect(hits('overlay.max-pods', factsOf(nodeSubnetCluster()), OVERLAY)).toEqual([]);
  });
});

describe('overlay.byo-name-length', () => {
  it('blocks subnet, VNet or resource group names over 63 characters', () => {
    const longVnet = `vnet-${'x'.repeat(60)}`;
    const cluster = managedCluster({ agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId('aks-nodes', longVnet) })] });
    const f = factsOf(cluster, { resources: [vnet({ name: longVnet }), nsg()] });
    const [h] = hits('overlay.byo-name-length', f, OVERLAY);
    expect(h.message).toBe(`Names longer than 63 characters: VNet '${longVnet}' (65 characters, pools nodepool1).`);
  });
  it('passes 63 characters exactly', () => {
    const rg = 'r'.repeat(63);
    const f = factsOf(managedCluster({ agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId('aks-nodes', 'vnet-aks', rg) })] }), { resources: [vnet({ resourceGroup: rg })] });
    expect(hits('overlay.byo-name-length', f, OVERLAY)).toEqual([]);
  });
});

describe('add-ons, identity, dual-stack', () => {
  it('overlay.app-gateway-ingress', () => {
    const f = factsOf(nodeSubnetCluster({ addonProfiles: { ingressApplicationGateway: { enabled: true } } }));
    expect(hits('overlay.app-gateway-ingress', f, OVERLAY)).toHaveLength(1);
    expect(hits('overlay.app-gateway-ingress', factsOf(nodeSubnetCluster({ addonProfiles: { ingressApplicationGateway: { enabled: false } } })), OVERLAY)).toEqual([]);
  });

  it('overlay.kubenet-identity blocks kubenet with a system-assigned identity only', () => {
    const [h] = hits('overlay.kubenet-identity', factsOf(kubenetCluster()), OVERLAY);
    expect(h.message).toBe("Kubenet cluster with identity type 'SystemAssigned': detaching the route table during the update needs a user-assigned managed identity.");
    expect(hits('overlay.kubenet-identity', factsOf(kubenetCluster({ identity: userAssignedIdentity() })), OVERLAY)).toEqual([]);
    expect(hits('overlay.kubenet-identity', factsOf(nodeSubnetCluster()), OVERLAY)).toEqual([]);
  });

  it('overlay.dual-stack blocks Windows pools, Azure/Calico policy and NAT Gateway on dual-stack clusters', () => {
    const cluster = managedCluster({
      networkProfile: { ipFamilies: ['IPv4', 'IPv6'], networkPolicy: 'calico', outboundType: 'managedNATGateway' },
      agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId() }), windowsPool({ vnetSubnetID: subnetId() })],
    });
    const [h] = hits('overlay.dual-stack', factsOf(cluster), OVERLAY);
    expect(h.message).toBe('Dual-stack cluster (IPv4, IPv6) with 1 Windows pool (win22), Calico network policy and outbound type managedNATGateway, not supported with dual-stack Overlay.');
    const single = managedCluster({ networkProfile: { outboundType: 'managedNATGateway' } });
    expect(hits('overlay.dual-stack', factsOf(single), OVERLAY)).toEqual([]);
    expect(hits('overlay.dual-stack', factsOf(managedCluster({ networkProfile: { ipFamilies: ['IPv4', 'IPv6'] } })), OVERLAY)).toEqual([]);
  });
});

describe('acknowledgements and notes', () => {
  it('overlay.irreversible and overlay.reimage-all-pools are warnings naming the mode and pools', () => {
    const f = factsOf(managedCluster({ agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId(), count: 3 }), agentPool({ name: 'user1', mode: 'User', count: 5, vnetSubnetID: subnetId() })] }));
    expect(hits('overlay.irreversible', f, OVERLAY)[0]).toMatchObject({
      severity: 'warning',
      message: 'Updating from Azure CNI node subnet to Azure CNI Overlay is one-way: the cluster cannot be moved back to Azure CNI node subnet.',
    });
    expect(hits('overlay.reimage-all-pools', f, OVERLAY)[0]).toMatchObject({
      severity: 'warning',
      message: 'Every node pool is reimaged at the same time: 2 pools (nodepool1 and user1), 8 nodes; pools cannot be updated one at a time.',
    });
    expect(hits('overlay.irreversible', f, CILIUM)).toEqual([]);
  });

  it('overlay.pods-not-routable for VNet-IP clusters, overlay.kubenet-route-table for kubenet', () => {
    expect(hits('overlay.pods-not-routable', factsOf(nodeSubnetCluster()), OVERLAY)).toHaveLength(1);
    expect(hits('overlay.pods-not-routable', factsOf(kubenetCluster()), OVERLAY)).toEqual([]);
    expect(hits('overlay.kubenet-route-table', factsOf(kubenetCluster()), OVERLAY)[0].message).toContain('10.244.0.0/16');
    expect(hits('overlay.kubenet-route-table', factsOf(nodeSubnetCluster()), OVERLAY)).toEqual([]);
  });
});

describe('overlay.virtual-nodes (seed 003: Overlay is for clusters without virtual nodes)', () => {
  it('warns when a virtual-kubelet node exists, and dual-stack blocks it', () => {
    const vk = node('virtual-node-aci-linux', { labels: { type: 'virtual-kubelet' } });
    expect(hits('overlay.virtual-nodes', factsOf(nodeSubnetCluster(), { extraKube: [vk] }), OVERLAY)[0]).toMatchObject({
      severity: 'warning',
      message: "Virtual nodes in use (virtual-node-aci-linux); Overlay is for clusters that don't need virtual nodes.",
    });
    expect(hits('overlay.virtual-nodes', factsOf(nodeSubnetCluster()), OVERLAY)).toEqual([]);
    const dual = factsOf(nodeSubnetCluster({ networkProfile: { ipFamilies: ['IPv4', 'IPv6'] } }), { extraKube: [vk] });
    expect(hits('overlay.dual-stack', dual, OVERLAY)[0].message).toContain('virtual nodes (virtual-node-aci-linux)');
  });
});
