import ipaddr from 'ipaddr.js';
import { generateFleet } from '../../sim/generate';
import { sampleFleet, SAMPLE_SUBSCRIPTIONS } from '../../sim/sample-fleet';
import { parseSnapshot, kubeItemsFor, type Snapshot } from '../../shared/model/snapshot';
import { armIdKey, parseArmId, vnetIdOfSubnet } from '../../shared/arm/id';
import type { ManagedClusterResource, NetworkSecurityGroupResource, VirtualNetworkResource } from '../../shared/model/arm';
import type { KubeObject, Node, Pod } from '../../shared/model/kube';

const MC = 'microsoft.containerservice/managedclusters';

function clustersOf(s: Snapshot): ManagedClusterResource[] {
  return s.resources.filter((r) => r.type.toLowerCase() === MC) as ManagedClusterResource[];
}
function byKey<T extends { id: string }>(list: T[]): Map<string, T> {
  return new Map(list.map((r) => [armIdKey(r.id), r]));
}
function inCidr(address: string, range: string): boolean {
  return ipaddr.parse(address).match(ipaddr.parseCIDR(range));
}
/** The IPAM mode as a reader of ARM JSON sees it (seed 000 § Supported migration paths). */
function ipamOf(c: ManagedClusterResource): string {
  const np = c.properties?.networkProfile ?? {};
  if (np.networkPlugin === 'kubenet') return 'kubenet';
  if (np.networkPluginMode === 'overlay') return 'overlay';
  if (c.properties?.agentPoolProfiles?.some((p) => p.podSubnetID)) return 'dynamicIp';
  return 'nodeSubnet';
}

describe('generateFleet', () => {
  const fleet = generateFleet({ clusters: 600, subscriptions: 6, seed: 7 });
  const clusters = clustersOf(fleet);
  const vnets = byKey(fleet.resources.filter((r) => r.type === 'Microsoft.Network/virtualNetworks') as VirtualNetworkResource[]);
  const nsgs = byKey(fleet.resources.filter((r) => r.type === 'Microsoft.Network/networkSecurityGroups') as NetworkSecurityGroupResource[]);

  it('writes a valid snapshot that survives a JSON round trip', () => {
    const parsed = parseSnapshot(JSON.parse(JSON.stringify(fleet)));
    expect(clustersOf(parsed)).toHaveLength(600);
    expect(new Set(clusters.map((c) => parseArmId(c.id).subscriptionId)).size).toBe(6);
    expect(new Set(clusters.map((c) => armIdKey(c.id))).size).toBe(600);
    for (const c of clusters) expect(kubeItemsFor(parsed, c.id)?.length).toBeGreaterThan(5);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const again = generateFleet({ clusters: 600, subscriptions: 6, seed: 7 });
    expect(JSON.stringify(again)).toBe(JSON.stringify(fleet));
    const other = generateFleet({ clusters: 600, subscriptions: 6, seed: 8 });
    expect(JSON.stringify(other)).not.toBe(JSON.stringify(fleet));
    expect(JSON.stringify(generateFleet({ clusters: 5, subscriptions: 1, seed: 'demo' }))).toBe(JSON.stringify(generateFleet({ clusters: 5, subscriptions: 1, seed: 'demo' })));
    // `--seed 7` on the command line arrives as a string: the same fleet as the number.
    expect(JSON.stringify(generateFleet({ clusters: 5, subscriptions: 1, seed: '7' }))).toBe(JSON.stringify(generateFleet({ clusters: 5, subscriptions: 1, seed: 7 })));
  });

  it('mixes every IPAM mode, data plane, policy engine and NAP mode', () => {
    const count = (f: (c: ManagedClusterResource) => boolean): number => clusters.filter(f).length;
    for (const mode of ['kubenet', 'nodeSubnet', 'dynamicIp', 'overlay']) expect(count((c) => ipamOf(c) === mode)).toBeGreaterThan(20);
    expect(count((c) => ipamOf(c) === 'overlay' && c.properties?.networkProfile?.networkDataplane === 'cilium')).toBeGreaterThan(50);
    expect(count((c) => ipamOf(c) === 'nodeSubnet' && c.properties?.networkProfile?.networkDataplane === 'cilium')).toBeGreaterThan(0);
    expect(count((c) => c.properties?.nodeProvisioningProfile?.mode === 'Auto')).toBeGreaterThan(10);
    expect(count((c) => c.properties?.networkProfile?.networkPolicy === 'azure')).toBeGreaterThan(10);
    expect(count((c) => c.properties?.networkProfile?.networkPolicy === 'calico')).toBeGreaterThan(10);
    expect(count((c) => c.properties?.networkProfile?.networkPolicy === undefined)).toBeGreaterThan(10);
    expect(count((c) => !!c.properties?.addonProfiles?.ingressApplicationGateway?.enabled)).toBeGreaterThan(5);
    expect(count((c) => c.properties?.kubernetesVersion?.startsWith('1.26.') ?? false)).toBeGreaterThan(5);
    expect(count((c) => c.identity?.type === 'UserAssigned')).toBeGreaterThan(100);
  });

  it('has Windows pools on containerd and a few on Docker with old builds, ARM64 and DCsv2 pools', () => {
    const pools = clusters.flatMap((c) => c.properties?.agentPoolProfiles ?? []);
    const win = pools.filter((p) => p.osType === 'Windows');
    expect(win.filter((p) => /containerd/.test(String(p.nodeImageVersion))).length).toBeGreaterThan(10);
    const docker = win.filter((p) => !/containerd/.test(String(p.nodeImageVersion)));
    expect(docker.length).toBeGreaterThan(0);
    for (const p of docker) expect(p.nodeImageVersion).toMatch(/-17763\./);
    expect(win.some((p) => /20348\.1(4|5|6[0-5])\d\d/.test(String(p.nodeImageVersion)))).toBe(true); // containerd before 20348.1668
    expect(pools.some((p) => p.vmSize === 'Standard_D4ps_v5' || p.vmSize === 'Standard_D8pds_v5' || p.vmSize === 'Standard_E4ps_v5')).toBe(true);
    expect(pools.some((p) => /^Standard_DC\d+s_v2$/.test(String(p.vmSize)))).toBe(true);
    // Kubenet clusters never carry Windows pools (not supported by AKS).
    expect(clusters.filter((c) => ipamOf(c) === 'kubenet').flatMap((c) => c.properties!.agentPoolProfiles!).some((p) => p.osType === 'Windows')).toBe(false);
  });

  it('references only subnets and NSGs present in the snapshot, with spokes and NSGs shared and peered to a hub', () => {
    const users = new Map<string, Set<string>>();
    for (const c of clusters) {
      for (const p of c.properties!.agentPoolProfiles!) {
        for (const sid of [p.vnetSubnetID, p.podSubnetID].filter((x): x is string => !!x)) {
          const vnet = vnets.get(armIdKey(vnetIdOfSubnet(sid)!));
          expect(vnet).toBeDefined();
          const subnet = vnet!.properties!.subnets!.find((s) => armIdKey(s.id) === armIdKey(sid));
          expect(subnet).toBeDefined();
          const nsgId = subnet!.properties?.networkSecurityGroup?.id;
          if (nsgId) expect(nsgs.get(armIdKey(nsgId))).toBeDefined();
          const set = users.get(armIdKey(vnet!.id)) ?? new Set();
          set.add(armIdKey(c.id));
          users.set(armIdKey(vnet!.id), set);
        }
      }
    }
    expect([...users.values()].filter((s) => s.size > 1).length).toBeGreaterThan(20);
    expect(users.size).toBeLessThan(clusters.length / 2);
    const spoke = [...vnets.values()].find((v) => v.name.startsWith('vnet-spoke'))!;
    const peering = spoke.properties!.virtualNetworkPeerings![0];
    expect(peering.properties?.peeringState).toBe('Connected');
    expect(vnets.get(armIdKey(peering.properties!.remoteVirtualNetwork!.id))?.name).toBe('vnet-hub');
    const denying = [...nsgs.values()].filter((n) => n.properties!.securityRules!.some((r) => r.properties.access === 'Deny'));
    expect(denying.length).toBeGreaterThan(0);
    expect(denying.length).toBeLessThan(nsgs.size);
    // Subnets within a VNet never overlap.
    for (const v of vnets.values()) {
      const prefixes = v.properties!.subnets!.map((s) => s.properties!.addressPrefix!);
      for (let i = 0; i < prefixes.length; i++) for (let j = i + 1; j < prefixes.length; j++) expect(inCidr(prefixes[i].split('/')[0], prefixes[j]) || inCidr(prefixes[j].split('/')[0], prefixes[i])).toBe(false);
    }
  });

  it('spells resource groups both ways, as ARM returns them', () => {
    expect(clusters.some((c) => c.id.includes('/resourceGroups/'))).toBe(true);
    expect(clusters.some((c) => c.id.includes('/resourcegroups/'))).toBe(true);
    const refs = clusters.flatMap((c) => c.properties!.agentPoolProfiles!.map((p) => p.vnetSubnetID!));
    expect(refs.some((r) => r.includes('/resourcegroups/'))).toBe(true);
  });

  it('has maintenance configurations as child resources of their clusters', () => {
    const mcs = fleet.resources.filter((r) => r.type === 'Microsoft.ContainerService/managedClusters/maintenanceConfigurations');
    expect(mcs.length).toBeGreaterThan(200);
    const ids = new Set(clusters.map((c) => armIdKey(c.id)));
    for (const m of mcs) expect(ids.has(armIdKey(m.id.replace(/\/maintenanceConfigurations\/[^/]+$/, '')))).toBe(true);
    expect(mcs.map((m) => m.name)).toEqual(expect.arrayContaining(['aksManagedAutoUpgradeSchedule', 'aksManagedNodeOSUpgradeSchedule', 'default']));
  });

  it('gives pods IPs from the range their IPAM mode uses and nodes per pool', () => {
    let checked = 0;
    for (const c of clusters) {
      const items = kubeItemsFor(fleet, c.id)!;
      const nodes = items.filter((i): i is Node => i.kind === 'Node');
      const pools = c.properties!.agentPoolProfiles!;
      for (const p of pools) expect(nodes.filter((n) => n.metadata.labels?.['kubernetes.azure.com/agentpool'] === p.name)).toHaveLength(p.count!);
      const pods = items.filter((i): i is Pod => i.kind === 'Pod' && !(i as Pod).spec?.hostNetwork);
      expect(pods.length).toBeGreaterThan(0);
      const mode = ipamOf(c);
      const subnetPrefix = (sid: string): string =>
        vnets.get(armIdKey(vnetIdOfSubnet(sid)!))!.properties!.subnets!.find((s) => armIdKey(s.id) === armIdKey(sid))!.properties!.addressPrefix!;
      for (const pod of pods) {
        const podIp = pod.status!.podIP!;
        if (mode === 'kubenet' || mode === 'overlay') expect(inCidr(podIp, c.properties!.networkProfile!.podCidr!)).toBe(true);
        else if (mode === 'dynamicIp') expect(inCidr(podIp, subnetPrefix(pools[0].podSubnetID!))).toBe(true);
        else {
          const node = nodes.find((n) => n.metadata.name === pod.spec!.nodeName)!;
          const pool = pools.find((p) => p.name === node.metadata.labels!['kubernetes.azure.com/agentpool'])!;
          expect(inCidr(podIp, subnetPrefix(pool.vnetSubnetID!))).toBe(true);
        }
        checked++;
      }
      for (const n of nodes.filter((x) => x.metadata.labels?.['kubernetes.azure.com/agentpool'])) {
        const pool = pools.find((p) => p.name === n.metadata.labels!['kubernetes.azure.com/agentpool'])!;
        expect(inCidr(n.status!.addresses![0].address, subnetPrefix(pool.vnetSubnetID!))).toBe(true);
      }
    }
    expect(checked).toBeGreaterThan(3000);
  });

  it('runs the data plane agents the cluster uses and NAP objects on NAP Auto clusters', () => {
    let napSeen = 0;
    for (const c of clusters) {
      const items = kubeItemsFor(fleet, c.id)!;
      const ds = (name: string): KubeObject | undefined => items.find((i) => i.kind === 'DaemonSet' && i.metadata.name === name);
      const cilium = c.properties!.networkProfile!.networkDataplane === 'cilium';
      expect(!!ds('cilium')).toBe(cilium);
      expect(!!ds('kube-proxy')).toBe(!cilium);
      expect(!!ds('azure-cns')).toBe(ipamOf(c) !== 'kubenet');
      if (c.properties!.networkProfile!.networkPolicy === 'calico') expect(ds('calico-node')).toBeDefined();
      if (c.properties!.nodeProvisioningProfile?.mode === 'Auto') {
        napSeen++;
        expect(items.filter((i) => i.apiVersion === 'karpenter.sh/v1' && i.kind === 'NodePool').length).toBeGreaterThan(0);
        expect(items.filter((i) => i.kind === 'Node' && i.metadata.labels?.['karpenter.sh/nodepool']).length).toBeGreaterThan(0);
      } else {
        expect(items.some((i) => i.kind === 'NodePool' || i.metadata.labels?.['karpenter.sh/nodepool'])).toBe(false);
      }
    }
    expect(napSeen).toBeGreaterThan(10);
    const all = Object.values(fleet.kubernetes).flatMap((k) => k.items);
    expect(all.some((i) => i.kind === 'ConfigMap' && i.metadata.name === 'azure-ip-masq-agent-config')).toBe(true);
    expect(all.some((i) => i.kind === 'NetworkPolicy' && JSON.stringify(i).includes('"cidr":"0.0.0.0/0"'))).toBe(true);
  });

  it('refuses nonsense sizes with a line naming the fix', () => {
    expect(() => generateFleet({ clusters: -1, subscriptions: 1, seed: 1 })).toThrow(/clusters must be a whole number.*--clusters/);
    expect(() => generateFleet({ clusters: 1, subscriptions: 0, seed: 1 })).toThrow(/subscriptions must be a whole number.*--subscriptions/);
  });

  it('makes 10,000 clusters in 50 subscriptions in a few seconds of CPU', () => {
    // CPU time, not wall time: the build machine is shared, and a loaded machine must not fail the test.
    const cpu0 = process.cpuUsage();
    const big = generateFleet({ clusters: 10000, subscriptions: 50, seed: 1 });
    const cpu = process.cpuUsage(cpu0);
    expect(clustersOf(big)).toHaveLength(10000);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(5000);
  });
});

describe('sampleFleet', () => {
  const sample = sampleFleet();
  const clusters = clustersOf(sample);
  const byName = new Map(clusters.map((c) => [c.name, c]));

  it('is a valid snapshot, the same every call, in two subscriptions', () => {
    parseSnapshot(JSON.parse(JSON.stringify(sample)));
    expect(JSON.stringify(sampleFleet())).toBe(JSON.stringify(sample));
    expect(clusters.length).toBeGreaterThanOrEqual(12);
    expect([...new Set(clusters.map((c) => parseArmId(c.id).subscriptionId))].sort()).toEqual([...SAMPLE_SUBSCRIPTIONS].sort());
  });

  it('holds each situation the demo shows', () => {
    const np = (n: string) => byName.get(n)!.properties!.networkProfile!;
    expect(np('aks-payments-prd').networkPlugin).toBe('kubenet');
    expect(ipamOf(byName.get('aks-web-prd')!)).toBe('nodeSubnet');
    expect(ipamOf(byName.get('aks-data-prd')!)).toBe('dynamicIp');
    expect(np('aks-api-prd')).toMatchObject({ networkPluginMode: 'overlay', networkDataplane: 'azure' });
    expect(np('aks-edge-prd')).toMatchObject({ networkPluginMode: 'overlay', networkDataplane: 'cilium', networkPolicy: 'cilium' });
    expect(byName.get('aks-batch-prd')!.properties!.nodeProvisioningProfile?.mode).toBe('Auto');
    expect(byName.get('aks-erp-prd')!.properties!.agentPoolProfiles!.some((p) => p.osType === 'Windows')).toBe(true);
    expect(byName.get('aks-erp-dev')!.properties!.agentPoolProfiles!.find((p) => p.osType === 'Windows')!.nodeImageVersion).not.toMatch(/containerd/);
    expect(np('aks-shop-prd').networkPolicy).toBe('azure');
    expect(np('aks-ledger-prd').networkPolicy).toBe('calico');
    expect(byName.get('aks-legacy-dev')!.properties!.kubernetesVersion).toBe('1.26.15');
    expect(byName.get('aks-portal-prd')!.properties!.addonProfiles!.ingressApplicationGateway!.enabled).toBe(true);
    expect(kubeItemsFor(sample, byName.get('aks-core-prd')!.id)!.some((i) => i.metadata.name === 'azure-ip-masq-agent-config')).toBe(true);
  });
});
