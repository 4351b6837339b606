import { normalizeCluster, normalizeFleet, indexSnapshot, isArm64VmSize, isDCsv2VmSize, KUBERNETES_GAP } from '../../../shared/model/normalize';
import { parseSnapshot } from '../../../shared/model/snapshot';
import type { ManagedClusterResource } from '../../../shared/model/arm';
import {
  agentPool,
  clusterId,
  configMap,
  maintenanceConfiguration,
  managedCluster,
  networkPolicy,
  node,
  nsg,
  presetFixture,
  snapshotOf,
  subnetId,
  userAssignedIdentity,
  vnet,
  vnetId,
  windowsPool,
  karpenterNodePool,
  kubenetCluster,
  ciliumNetworkPolicy,
  POD_CIDR,
  SERVICE_CIDR,
  NODE_SUBNET_PREFIX,
} from '../../support/arm';

function only(cluster: ManagedClusterResource, ...rest: Parameters<typeof snapshotOf>[0]) {
  const facts = normalizeFleet(snapshotOf([cluster, ...rest]));
  expect(facts).toHaveLength(1);
  return facts[0];
}

describe('normalize: IPAM presets', () => {
  it('kubenet: pod CIDR kept, max pods 110, AKS-managed VNet missing is a gap', () => {
    const { snapshot } = presetFixture('kubenet');
    const [f] = normalizeFleet(snapshot);
    expect(f).toMatchObject({ ipam: 'kubenet', networkPlugin: 'kubenet', dataplane: 'azure', networkPolicy: 'none', napMode: 'Manual', podCidrs: [POD_CIDR] });
    expect(f.pools[0].maxPods).toBe(110);
    expect(f.byoSubnets).toEqual([]);
    expect(f.gaps.some((g) => /AKS-managed VNet in node resource group MC_rg-aks_aks-1_eastus/.test(g))).toBe(true);
    expect(f.kubernetes?.nodes).toHaveLength(1);
  });

  it('node subnet: BYO subnet, VNet and NSG resolved', () => {
    const { snapshot } = presetFixture('nodeSubnet');
    const [f] = normalizeFleet(snapshot);
    expect(f.ipam).toBe('nodeSubnet');
    expect(f.podCidrs).toEqual([]);
    expect(f.serviceCidrs).toEqual([SERVICE_CIDR]);
    expect(f.dnsServiceIp).toBe('10.0.0.10');
    expect(f.byoSubnets).toEqual([{ subnetId: subnetId(), subnetName: 'aks-nodes', vnetName: 'vnet-aks', vnetResourceGroup: 'rg-aks', usedBy: ['nodepool1'] }]);
    expect(f.vnets).toHaveLength(1);
    expect(f.vnets[0].subnets.find((s) => s.name === 'aks-nodes')?.addressPrefixes).toEqual([NODE_SUBNET_PREFIX]);
    expect(f.nsgs.map((n) => n.name)).toEqual(['nsg-aks']);
    expect(f.nsgs[0].defaultSecurityRules).toHaveLength(6);
    expect(f.gaps).toEqual([]);
  });

  it('dynamic IP: any pool with podSubnetID', () => {
    const [f] = normalizeFleet(presetFixture('dynamicIp').snapshot);
    expect(f.ipam).toBe('dynamicIp');
    expect(f.byoSubnets.map((s) => s.subnetName).sort()).toEqual(['aks-nodes', 'aks-pods']);
    // NSGs of node subnets only (the pod subnet has none here anyway).
    expect(f.nsgs).toHaveLength(1);
  });

  it('overlay and cilium', () => {
    const [o] = normalizeFleet(presetFixture('overlay').snapshot);
    expect(o).toMatchObject({ ipam: 'overlay', dataplane: 'azure', networkPluginMode: 'overlay', podCidrs: [POD_CIDR] });
    const [c] = normalizeFleet(presetFixture('cilium').snapshot);
    expect(c).toMatchObject({ ipam: 'overlay', dataplane: 'cilium', networkPolicy: 'cilium' });
  });

  it('legacy ebpfDataplane=cilium counts as the Cilium data plane (seed 001 Prerequisites note)', () => {
    const f = only(managedCluster({ networkProfile: { networkDataplane: undefined, ebpfDataplane: 'cilium', networkPolicy: undefined } }), vnet(), nsg());
    expect(f.dataplane).toBe('cilium');
    expect(f.networkPolicy).toBe('none');
  });
});

describe('normalize: references', () => {
  it('matches ids case-insensitively (resourceGroups vs resourcegroups) for VNets, NSGs, maintenance configs and Kubernetes items', () => {
    const upper = (id: string) => id.replace('/resourcegroups/', '/resourceGroups/').toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/');
    const cluster = managedCluster({
      id: upper(clusterId('aks-1')),
      agentPoolProfiles: [agentPool({ vnetSubnetID: upper(subnetId()) })],
    });
    const v = vnet();
    const mc = maintenanceConfiguration(clusterId('aks-1'));
    const snapshot = snapshotOf([cluster, v, nsg(), mc], { [clusterId('aks-1')]: [node('n1', { pool: 'nodepool1' })] });
    const [f] = normalizeFleet(snapshot);
    expect(f.vnets.map((x) => x.id)).toEqual([vnetId()]);
    expect(f.nsgs).toHaveLength(1);
    expect(f.maintenanceConfigurations.map((m) => m.name)).toEqual(['aksManagedAutoUpgradeSchedule']);
    expect(f.kubernetes?.nodes.map((n) => n.metadata.name)).toEqual(['n1']);
    expect(f.gaps).toEqual([]);
  });

  it('a VNet missing from the snapshot is a gap naming it and its pools; Kubernetes missing is a gap', () => {
    const f = only(managedCluster());
    expect(f.vnets).toEqual([]);
    expect(f.gaps).toContain(`VNet ${vnetId()} (used by pool nodepool1) is not in the snapshot`);
    expect(f.gaps).toContain(KUBERNETES_GAP);
    expect(f.kubernetes).toBeUndefined();
  });

  it('an NSG missing from the snapshot is a gap', () => {
    const f = only(managedCluster(), vnet());
    expect(f.gaps.some((g) => g.startsWith('NSG ') && g.includes('nsg-aks') && g.includes('aks-nodes'))).toBe(true);
  });

  it('finds an AKS-managed VNet in the node resource group (kubenet, no BYO subnet)', () => {
    const managedVnet = vnet({ name: 'aks-vnet-34761072', resourceGroup: 'MC_rg-aks_aks-1_eastus', addressPrefixes: ['10.224.0.0/12'], subnets: [{ name: 'aks-subnet', addressPrefix: '10.224.0.0/16' }] });
    const f = only(kubenetCluster(), managedVnet, vnet({ name: 'unrelated' }));
    expect(f.vnets.map((v) => v.name)).toEqual(['aks-vnet-34761072']);
    expect(f.gaps.filter((g) => g.includes('VNet'))).toEqual([]);
  });

  it('an unreadable address prefix is a gap naming the VNet and subnet', () => {
    const f = only(managedCluster(), vnet({ subnets: [{ name: 'aks-nodes', addressPrefix: '10.10.0.0/33' }] }));
    expect(f.gaps).toContain("subnet aks-nodes of VNet vnet-aks: address prefix '10.10.0.0/33' is not a valid CIDR");
  });

  it('does not pick up maintenance configurations of another cluster', () => {
    const f = only(managedCluster(), vnet(), nsg(), maintenanceConfiguration(clusterId('aks-10')));
    expect(f.maintenanceConfigurations).toEqual([]);
  });

  it('reads peerings with their remote address prefixes', () => {
    const v = vnet({ peerings: [{ name: 'to-hub', remoteVnetId: vnetId('hub', 'rg-hub'), remoteAddressPrefixes: ['10.100.0.0/16'] }] });
    const f = only(managedCluster(), v, nsg());
    expect(f.vnets[0].peerings).toEqual([{ name: 'to-hub', state: 'Connected', remoteVnetId: vnetId('hub', 'rg-hub'), remoteAddressPrefixes: ['10.100.0.0/16'] }]);
  });

  it('accepts a parsed snapshot file (bare array form) and normalizes every cluster in order', () => {
    const snap = parseSnapshot(JSON.parse(JSON.stringify([managedCluster({ name: 'a' }), managedCluster({ name: 'b' }), vnet(), nsg()])));
    expect(normalizeFleet(snap).map((f) => f.name)).toEqual(['a', 'b']);
  });
});

describe('normalize: cluster fields', () => {
  it('lowest Kubernetes version of control plane and pools; subscription, group, location', () => {
    const f = only(
      managedCluster({ kubernetesVersion: '1.28.5', location: 'West Europe', agentPoolProfiles: [agentPool({ orchestratorVersion: '1.28.5' }), agentPool({ name: 'old', orchestratorVersion: '1.26.10' })] }),
    );
    expect(f.kubernetesVersion).toBe('1.28.5');
    expect(f.lowestKubernetesVersion).toBe('1.26.10');
    expect(f).toMatchObject({ subscriptionId: '00000000-0000-0000-0000-000000000001', resourceGroup: 'rg-aks', location: 'westeurope' });
  });

  it('merges singular and plural CIDR fields without duplicates; ipFamilies default IPv4', () => {
    const f = only(
      managedCluster({ networkProfile: { podCidr: '10.244.0.0/16', podCidrs: ['10.244.0.0/16', 'fd12:3456:789a::/64'], serviceCidr: '10.0.0.0/16', serviceCidrs: undefined, ipFamilies: undefined, networkPluginMode: 'overlay' } }),
    );
    expect(f.podCidrs).toEqual(['10.244.0.0/16', 'fd12:3456:789a::/64']);
    expect(f.serviceCidrs).toEqual(['10.0.0.0/16']);
    expect(f.ipFamilies).toEqual(['IPv4']);
  });

  it('NAP mode, AGIC add-on, user-assigned identity, network policy engine', () => {
    const f = only(
      managedCluster({
        nodeProvisioningProfile: { mode: 'Auto' },
        addonProfiles: { ingressApplicationGateway: { enabled: true, config: { applicationGatewayName: 'agw' } } },
        identity: userAssignedIdentity(),
        networkProfile: { networkPolicy: 'calico' },
      }),
    );
    expect(f).toMatchObject({ napMode: 'Auto', addons: { appGatewayIngress: true }, identity: { type: 'UserAssigned', userAssigned: true }, networkPolicy: 'calico' });
    expect(only(managedCluster({ addonProfiles: { ingressApplicationGateway: { enabled: false } } })).addons.appGatewayIngress).toBe(false);
  });

  it('an unknown networkPolicy value is a gap, not an exception', () => {
    const f = only(managedCluster({ networkProfile: { networkPolicy: 'weave' } }));
    expect(f.networkPolicy).toBe('none');
    expect(f.gaps.some((g) => g.includes("'weave'"))).toBe(true);
  });

  it('never throws on a cluster without properties', () => {
    const bare = { id: clusterId('bare'), name: 'bare', type: 'Microsoft.ContainerService/managedClusters' } as ManagedClusterResource;
    const f = normalizeCluster(bare, indexSnapshot(snapshotOf([bare])));
    expect(f.pools).toEqual([]);
    expect(f.ipam).toBe('kubenet');
    expect(f.gaps.length).toBeGreaterThan(0);
  });
});

describe('normalize: pools', () => {
  it('ARM64 from the VM size feature letter p, or from nodes labelled arm64', () => {
    expect(['Standard_D4ps_v5', 'Standard_E2pds_v5', 'Standard_D2plds_v5', 'standard_d4ps_v5', 'Standard_E4-2ps_v5'].map(isArm64VmSize)).toEqual([true, true, true, true, true]);
    expect(['Standard_D4s_v5', 'Standard_DS2_v2', 'Standard_NC24ads_A100_v4', 'Standard_D8ds_v5'].map(isArm64VmSize)).toEqual([false, false, false, false]);
    const f = normalizeFleet(
      snapshotOf([managedCluster({ agentPoolProfiles: [agentPool({ name: 'x86' }), agentPool({ name: 'arm', vmSize: 'Standard_B2s' })] }), vnet(), nsg()], {
        [clusterId('aks-1')]: [node('a0', { pool: 'arm', arch: 'arm64' }), node('x0', { pool: 'x86' })],
      }),
    )[0];
    expect(f.pools.map((p) => [p.name, p.isArm64])).toEqual([
      ['x86', false],
      ['arm', true],
    ]);
  });

  it('DCsv2 sizes', () => {
    expect(['Standard_DC2s_v2', 'Standard_DC8_v2', 'standard_dc4s_v2'].map(isDCsv2VmSize)).toEqual([true, true, true]);
    expect(['Standard_DC4as_v5', 'Standard_DC2s_v3', 'Standard_D2s_v2'].map(isDCsv2VmSize)).toEqual([false, false, false]);
  });

  it('Windows build and runtime from the node image name', () => {
    const f = only(
      managedCluster({
        agentPoolProfiles: [
          agentPool(),
          windowsPool({ name: 'w22', nodeImageVersion: 'AKSWindows-2022-containerd-20348.1668.230915' }),
          windowsPool({ name: 'w19', osSKU: 'Windows2019', nodeImageVersion: 'AKSWindows-2019-17763.4252.230412' }),
          windowsPool({ name: 'w19c', osSKU: 'Windows2019', nodeImageVersion: 'AKSWindows-2019-containerd-17763.4252.230412' }),
        ],
      }),
    );
    expect(f.pools.map((p) => [p.name, p.windowsBuild, p.containerRuntime])).toEqual([
      ['nodepool1', undefined, 'containerd'],
      ['w22', '20348.1668', 'containerd'],
      ['w19', '17763.4252', 'docker'],
      ['w19c', '17763.4252', 'containerd'],
    ]);
  });

  it('Windows build and runtime from running nodes win over the image (lowest build)', () => {
    const cluster = managedCluster({ agentPoolProfiles: [windowsPool({ name: 'win', nodeImageVersion: 'AKSWindows-2022-containerd-20348.2700.240911' })] });
    const f = normalizeFleet(
      snapshotOf([cluster, vnet(), nsg()], {
        [cluster.id]: [
          node('w0', { pool: 'win', os: 'windows', kernelVersion: '10.0.20348.1607', containerRuntimeVersion: 'docker://20.10.9' }),
          node('w1', { pool: 'win', os: 'windows', kernelVersion: '10.0.20348.2700' }),
        ],
      }),
    )[0];
    expect(f.pools[0]).toMatchObject({ windowsBuild: '20348.1607', containerRuntime: 'docker' });
  });

  it('maxPods defaults per IPAM mode when ARM omits it; max reachable nodes from autoscaler max', () => {
    const pool = agentPool({ maxPods: undefined, vnetSubnetID: undefined, enableAutoScaling: true, count: 3, minCount: 1, maxCount: 20 });
    delete pool.maxPods;
    expect(only(managedCluster({ agentPoolProfiles: [pool], networkProfile: { networkPlugin: 'kubenet' } })).pools[0].maxPods).toBe(110);
    expect(only(managedCluster({ agentPoolProfiles: [pool], networkProfile: { networkPluginMode: 'overlay' } })).pools[0].maxPods).toBe(250);
    const f = only(managedCluster({ agentPoolProfiles: [pool] }));
    expect(f.pools[0]).toMatchObject({ maxPods: 30, maxReachableNodes: 20, enableAutoScaling: true });
    expect(only(managedCluster({ agentPoolProfiles: [agentPool({ count: 4 })] })).pools[0].maxReachableNodes).toBe(4);
  });
});

describe('normalize: Kubernetes objects', () => {
  it('sorts items by kind, keeping only networking.k8s.io NetworkPolicies and karpenter.sh NodePools', () => {
    const cluster = managedCluster();
    const calico = { apiVersion: 'crd.projectcalico.org/v1', kind: 'NetworkPolicy', metadata: { name: 'c', namespace: 'x' } };
    const f = normalizeFleet(
      snapshotOf([cluster, vnet(), nsg()], {
        [cluster.id]: [configMap('kube-system', 'a'), networkPolicy('x', 'np'), calico, karpenterNodePool(), ciliumNetworkPolicy('x', 'cnp')],
      }),
    )[0];
    const k = f.kubernetes;
    expect(k?.configMaps).toHaveLength(1);
    expect(k?.networkPolicies.map((p) => p.metadata.name)).toEqual(['np']);
    expect(k?.napNodePools).toHaveLength(1);
    expect(k?.ciliumNetworkPolicies).toHaveLength(1);
  });
});
