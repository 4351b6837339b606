/**
 * A small hand-picked fleet for `npm start` and the docs: one cluster per situation a platform team
 * meets, in two subscriptions. Each comment says what the assessment should conclude and why, citing
 * the seed document the rule comes from.
 */
import type { ArmResource } from '../shared/model/arm';
import type { Snapshot } from '../shared/model/snapshot';
import { buildCluster, Rng, subscriptionNetwork, type ClusterSpec, type PoolSpec } from './generate';

export const SAMPLE_SUBSCRIPTIONS = ['3f2c9a41-7b1e-4c55-9d0a-8e6f1b2c3d4e', '8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d'] as const;

const linux = (name: string, mode: 'System' | 'User', count: number, maxPods: number, extra: Partial<PoolSpec> = {}): PoolSpec => ({
  name,
  mode,
  osType: 'Linux',
  osSku: 'Ubuntu',
  vmSize: 'Standard_D4s_v5',
  count,
  maxPods,
  ...extra,
});

const windows = (name: string, build: string, runtime: 'docker' | 'containerd'): PoolSpec => ({
  name,
  mode: 'User',
  osType: 'Windows',
  osSku: build.startsWith('17763') ? 'Windows2019' : 'Windows2022',
  vmSize: 'Standard_D4s_v3',
  count: 2,
  maxPods: 30,
  windows: { build, runtime },
});

type Sample = Omit<ClusterSpec, 'subscriptionId' | 'location' | 'identity'> & Partial<Pick<ClusterSpec, 'identity'>>;

const PLATFORM: Sample[] = [
  // kubenet → Overlay, then Cilium: two operations (seed 000 § Supported migration paths; kubenet
  // retires 2028-03-31). User-assigned identity, as Kubenet → Overlay needs (aks-facts.md).
  { resourceGroup: 'rg-payments-prd', name: 'aks-payments-prd', kubernetesVersion: '1.31.8', ipam: 'kubenet', dataplane: 'azure', pools: [linux('system', 'System', 3, 110), linux('user1', 'User', 4, 110, { autoscale: { min: 2, max: 10 } })], identity: 'UserAssigned', maintenance: true },
  // Azure CNI node subnet, no policy engine: Overlay and Cilium both possible.
  { resourceGroup: 'rg-web-prd', name: 'aks-web-prd', kubernetesVersion: '1.32.4', ipam: 'nodeSubnet', dataplane: 'azure', networkPolicy: 'none', pools: [linux('system', 'System', 3, 30), linux('user1', 'User', 3, 30)], maintenance: true },
  // Dynamic IP allocation: Overlay is not possible (seed 000 § Update the IPAM mode), Cilium is.
  { resourceGroup: 'rg-data-prd', name: 'aks-data-prd', kubernetesVersion: '1.31.8', ipam: 'dynamicIp', dataplane: 'azure', networkPolicy: 'none', pools: [linux('system', 'System', 2, 50), linux('arm1', 'User', 2, 50, { vmSize: 'Standard_D4ps_v5' })] },
  // Overlay on the Azure data plane: only Cilium left to do.
  { resourceGroup: 'rg-api-prd', name: 'aks-api-prd', kubernetesVersion: '1.32.4', ipam: 'overlay', dataplane: 'azure', networkPolicy: 'none', podCidr: '192.168.0.0/16', pools: [linux('system', 'System', 3, 250)], idCase: 'resourcegroups' },
  // Overlay + Cilium: already where the fleet is going (compliant).
  { resourceGroup: 'rg-edge-prd', name: 'aks-edge-prd', kubernetesVersion: '1.33.1', ipam: 'overlay', dataplane: 'cilium', networkPolicy: 'cilium', podCidr: '192.168.0.0/16', pools: [linux('system', 'System', 3, 250)], policies: 'ipblock-all' },
  // NAP Auto on Overlay: the Cilium update needs NAP disabled first, re-enabled after (seed 000 § Update the data plane).
  { resourceGroup: 'rg-batch-prd', name: 'aks-batch-prd', kubernetesVersion: '1.32.4', ipam: 'overlay', dataplane: 'azure', networkPolicy: 'none', nap: 'Auto', podCidr: '10.244.0.0/16', pools: [linux('system', 'System', 2, 250)] },
];

const LEGACY: Sample[] = [
  // Windows pool on containerd, build ≥ 20348.1668: Overlay fine (seed 000), Cilium blocked (Windows not supported, seed 000 § Update considerations).
  { resourceGroup: 'rg-erp-prd', name: 'aks-erp-prd', kubernetesVersion: '1.30.12', ipam: 'nodeSubnet', dataplane: 'azure', networkPolicy: 'none', pools: [linux('system', 'System', 2, 30), windows('win22', '20348.2227', 'containerd')] },
  // Windows pool on Docker: Overlay blocked (seed 000 § Update the IPAM mode).
  { resourceGroup: 'rg-erp-dev', name: 'aks-erp-dev', kubernetesVersion: '1.27.16', ipam: 'nodeSubnet', dataplane: 'azure', networkPolicy: 'none', pools: [linux('system', 'System', 1, 30), windows('win19', '17763.1935', 'docker')] },
  // Azure NPM on node subnet: Overlay refuses a policy engine, but the Cilium update replaces NPM first (seed 000:
  // either order), so the plan is Cilium then Overlay (NPM on Linux retires 2028-09-30).
  { resourceGroup: 'rg-shop-prd', name: 'aks-shop-prd', kubernetesVersion: '1.31.8', ipam: 'nodeSubnet', dataplane: 'azure', networkPolicy: 'azure', pools: [linux('system', 'System', 3, 30)], policies: 'ipblock-all', maintenance: true },
  // kubenet with Calico: Overlay requires uninstalling Calico first (seed 000 § Update the IPAM mode).
  { resourceGroup: 'rg-ledger-prd', name: 'aks-ledger-prd', kubernetesVersion: '1.30.12', ipam: 'kubenet', dataplane: 'azure', networkPolicy: 'calico', pools: [linux('system', 'System', 3, 110)], policies: 'default-deny', identity: 'UserAssigned' },
  // Kubernetes 1.26: below the 1.27 Overlay needs (seed 000 § Update the IPAM mode).
  { resourceGroup: 'rg-legacy-dev', name: 'aks-legacy-dev', kubernetesVersion: '1.26.15', ipam: 'kubenet', dataplane: 'azure', pools: [linux('nodepool1', 'System', 2, 110)], idCase: 'resourcegroups', subnetRefCase: 'resourcegroups' },
  // Application Gateway ingress add-on on node subnet (the gateway's backend pool addresses change with Overlay).
  { resourceGroup: 'rg-portal-prd', name: 'aks-portal-prd', kubernetesVersion: '1.31.8', ipam: 'nodeSubnet', dataplane: 'azure', networkPolicy: 'none', pools: [linux('system', 'System', 2, 30), linux('conf1', 'User', 1, 30, { vmSize: 'Standard_DC4s_v2' })], appGatewayIngress: true },
  // A custom azure-ip-masq-agent-config: Overlay can break reachability of its ranges (seed 000, Warning).
  { resourceGroup: 'rg-core-prd', name: 'aks-core-prd', kubernetesVersion: '1.32.4', ipam: 'nodeSubnet', dataplane: 'azure', networkPolicy: 'none', pools: [linux('system', 'System', 3, 30)], customIpMasq: true },
];

/** The sample fleet (13 clusters, 2 subscriptions); the same every call. */
export function sampleFleet(): Snapshot {
  const rng = new Rng('aksnet-sample');
  const resources: ArmResource[] = [];
  const kubernetes: Snapshot['kubernetes'] = {};
  const groups: Array<[string, string, Sample[]]> = [
    [SAMPLE_SUBSCRIPTIONS[0], 'westeurope', PLATFORM],
    [SAMPLE_SUBSCRIPTIONS[1], 'northeurope', LEGACY],
  ];
  for (const [subscriptionId, location, samples] of groups) {
    const net = subscriptionNetwork(subscriptionId, location);
    for (const s of samples) {
      const out = buildCluster(rng, net, { identity: 'SystemAssigned', ...s, subscriptionId, location, tags: { team: s.name.split('-')[1] } }, true);
      resources.push(out.cluster, ...out.maintenance);
      kubernetes[out.cluster.id] = { items: out.items };
    }
    resources.push(...net.resources());
  }
  return { resources, kubernetes };
}
