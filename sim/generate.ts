/**
 * Synthetic fleets in the snapshot format (shared/model/snapshot.ts): what ARM GET and each cluster's
 * Kubernetes API would return for a realistic mix of AKS clusters. Seeds the simulator (`aksnet sim
 * generate`), the bench and the tests. Deterministic for a seed.
 *
 * The mix follows the migration paths of seed 000 (000_c747be24177f73a8.txt § Supported migration
 * paths): kubenet, Azure CNI node subnet, dynamic IP allocation (pools with podSubnetID), Overlay,
 * Cilium on each Azure CNI mode, NAP Auto, Windows pools (containerd, and a few on Docker with builds
 * before 20348.1668), Azure NPM and Calico, ARM64 and DCsv2 pools, App Gateway ingress, custom
 * azure-ip-masq-agent ConfigMaps, hub-and-spoke VNets whose spokes and NSGs several clusters share.
 *
 * Speed matters (10,000 clusters in well under a second or two): IPv4 arithmetic is done on 32-bit
 * integers here rather than through ipaddr.js objects, because the generator formats hundreds of
 * thousands of addresses and a parse/format round trip per address would dominate the run time.
 */
import type {
  AgentPoolProfile,
  ArmResource,
  MaintenanceConfigurationResource,
  ManagedClusterResource,
  NetworkSecurityGroupResource,
  SecurityRule,
  VirtualNetworkResource,
} from '../shared/model/arm';
import type { KubeObject } from '../shared/model/kube';
import type { Snapshot } from '../shared/model/snapshot';
import type { Dataplane, IpamMode, NapMode, PolicyEngine } from '../shared/model/facts';

export interface GenerateOptions {
  clusters: number;
  subscriptions: number;
  seed: number | string;
  /** Include each cluster's Kubernetes objects (default true). */
  kubernetes?: boolean;
}

/**
 * mulberry32: a 32-bit seeded PRNG in five lines. `Math.random` cannot be seeded and no installed
 * package offers a seeded generator (fast-check's is internal), so a tiny well-known one is written
 * here; statistical quality is irrelevant, determinism per seed is what matters.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A string seed becomes a 32-bit number (FNV-1a), so `--seed demo` works as well as `--seed 42` (same as 42). */
export function seedNumber(seed: number | string): number {
  if (typeof seed === 'number' && Number.isFinite(seed)) return seed >>> 0;
  if (typeof seed === 'string' && /^\d+$/.test(seed.trim())) return Number(seed.trim()) >>> 0;
  let h = 0x811c9dc5;
  for (const ch of String(seed)) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

export class Rng {
  private readonly next: () => number;
  constructor(seed: number | string) {
    this.next = mulberry32(seedNumber(seed));
  }
  float(): number {
    return this.next();
  }
  int(min: number, maxInclusive: number): number {
    return min + Math.floor(this.next() * (maxInclusive - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [v, w] of items) {
      r -= w;
      if (r < 0) return v;
    }
    return items[items.length - 1][0];
  }
  /** `n` hex digits, eight per draw. */
  hex(n: number): string {
    let s = '';
    while (s.length < n) s += Math.floor(this.next() * 4294967296).toString(16).padStart(8, '0');
    return s.slice(0, n);
  }
  guid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${this.pick(['8', '9', 'a', 'b'])}${this.hex(3)}-${this.hex(12)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// IPv4 on 32-bit integers (see the header comment for why not ipaddr.js here)

function ip(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
function cidr(base: number, prefix: number): string {
  return `${ip(base)}/${prefix}`;
}
function ipNum(a: number, b: number, c: number, d: number): number {
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

// ---------------------------------------------------------------------------------------------
// Cluster specifications: what a cluster is, before it is written out as ARM and Kubernetes JSON.

export interface PoolSpec {
  name: string;
  mode: 'System' | 'User';
  osType: 'Linux' | 'Windows';
  osSku: string;
  vmSize: string;
  count: number;
  maxPods: number;
  autoscale?: { min: number; max: number };
  type?: 'VirtualMachineScaleSets' | 'AvailabilitySet';
  /** Windows only: OS build (e.g. '20348.1668') and container runtime. */
  windows?: { build: string; runtime: 'docker' | 'containerd' };
  /** Pool on its own BYO subnet (instead of the cluster's node subnet). */
  ownSubnet?: boolean;
  orchestratorVersion?: string;
  labels?: Record<string, string>;
  taints?: string[];
}

export interface ClusterSpec {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  kubernetesVersion: string;
  ipam: IpamMode;
  dataplane: Dataplane;
  /** `undefined` leaves networkPolicy out of the ARM JSON (clusters created before API 2024-05-01 did). */
  networkPolicy?: PolicyEngine;
  nap?: NapMode;
  pools: PoolSpec[];
  appGatewayIngress?: boolean;
  /** A custom azure-ip-masq-agent-config ConfigMap (seed 000 § Update the IPAM mode, Warning). */
  customIpMasq?: boolean;
  identity: 'SystemAssigned' | 'UserAssigned';
  maintenance?: boolean;
  /** Which NetworkPolicies the workload namespace carries. */
  policies?: 'none' | 'default-deny' | 'ipblock-all';
  /** Pod CIDR for kubenet and Overlay. */
  podCidr?: string;
  serviceCidr?: string;
  dnsServiceIp?: string;
  /** Spelling of `resourceGroups` in this cluster's ARM id and in references to it. */
  idCase?: 'resourceGroups' | 'resourcegroups';
  /** Spelling used in the pools' vnetSubnetID references. */
  subnetRefCase?: 'resourceGroups' | 'resourcegroups';
  loadBalancerSku?: 'standard' | 'basic';
  tags?: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Networks: a hub VNet per subscription, spoke VNets (a /18 each) shared by a few clusters, one NSG
// per spoke shared by its node subnets.

const HUB_PREFIX = ipNum(10, 250, 0, 0); // 10.250.0.0/16: clear of spokes (10.1–10.239) and 10.244 (kubenet default)
const SPOKE_FIRST = ipNum(10, 1, 0, 0);
const SPOKES_PER_SUB = 956; // /18s between 10.1.0.0 and 10.239.255.255
const UNIT = 1024; // subnets are allocated in /22 units; a spoke holds 16

interface Spoke {
  vnet: VirtualNetworkResource;
  nsg: NetworkSecurityGroupResource;
  base: number;
  nextUnit: number;
  location: string;
}

interface SubnetSlot {
  id: string;
  base: number;
  prefix: number;
  /** Next free host offset (Azure reserves the first four addresses of every subnet). */
  cursor: number;
}

interface SubscriptionNet {
  subscriptionId: string;
  hub: VirtualNetworkResource;
  spokes: Spoke[];
  /** Spoke that still has room, per location. */
  open: Map<string, Spoke>;
}

const DEFAULT_NSG_RULES: Array<[string, number, 'Inbound' | 'Outbound', 'Allow' | 'Deny', string, string]> = [
  ['AllowVnetInBound', 65000, 'Inbound', 'Allow', 'VirtualNetwork', 'VirtualNetwork'],
  ['AllowAzureLoadBalancerInBound', 65001, 'Inbound', 'Allow', 'AzureLoadBalancer', '*'],
  ['DenyAllInBound', 65500, 'Inbound', 'Deny', '*', '*'],
  ['AllowVnetOutBound', 65000, 'Outbound', 'Allow', 'VirtualNetwork', 'VirtualNetwork'],
  ['AllowInternetOutBound', 65001, 'Outbound', 'Allow', '*', 'Internet'],
  ['DenyAllOutBound', 65500, 'Outbound', 'Deny', '*', '*'],
];

function defaultSecurityRules(nsgId: string): SecurityRule[] {
  return DEFAULT_NSG_RULES.map(([name, priority, direction, access, src, dst]) => ({
    id: `${nsgId}/defaultSecurityRules/${name}`,
    name,
    properties: {
      priority,
      direction,
      access,
      protocol: '*',
      sourceAddressPrefix: src,
      sourcePortRange: '*',
      destinationAddressPrefix: dst,
      destinationPortRange: '*',
      provisioningState: 'Succeeded',
    },
  }));
}

/** Custom NSG rules: some NSGs only allow, some deny traffic an Overlay or Cilium cluster needs (seed 003 § NSG rules). */
function customSecurityRules(rng: Rng, nsgId: string, vnetCidr: string): SecurityRule[] {
  const rules: SecurityRule[] = [
    {
      id: `${nsgId}/securityRules/allow-https-in`,
      name: 'allow-https-in',
      properties: { priority: 100, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: 'Internet', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '443' },
    },
  ];
  const flavour = rng.weighted([
    ['allow-only', 6],
    ['deny-vnet-udp', 1],
    ['deny-internet-out', 1],
    ['deny-icmp', 1],
    ['deny-pod-range', 1],
  ] as const);
  if (flavour === 'deny-vnet-udp') {
    rules.push({
      id: `${nsgId}/securityRules/deny-udp-within-vnet`,
      name: 'deny-udp-within-vnet',
      properties: { priority: 200, direction: 'Inbound', access: 'Deny', protocol: 'Udp', sourceAddressPrefix: vnetCidr, sourcePortRange: '*', destinationAddressPrefix: vnetCidr, destinationPortRange: '*' },
    });
  } else if (flavour === 'deny-internet-out') {
    rules.push({
      id: `${nsgId}/securityRules/deny-internet-out`,
      name: 'deny-internet-out',
      properties: { priority: 4000, direction: 'Outbound', access: 'Deny', protocol: '*', sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: 'Internet', destinationPortRange: '*' },
    });
  } else if (flavour === 'deny-icmp') {
    rules.push({
      id: `${nsgId}/securityRules/deny-icmp`,
      name: 'deny-icmp',
      properties: { priority: 300, direction: 'Inbound', access: 'Deny', protocol: 'Icmp', sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '*' },
    });
  } else if (flavour === 'deny-pod-range') {
    rules.push({
      id: `${nsgId}/securityRules/deny-from-192-168`,
      name: 'deny-from-192-168',
      properties: { priority: 350, direction: 'Inbound', access: 'Deny', protocol: '*', sourceAddressPrefixes: ['192.168.0.0/16', '172.16.0.0/12'], sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '*' },
    });
  }
  return rules;
}

function hubFor(subscriptionId: string, location: string): VirtualNetworkResource {
  const id = `/subscriptions/${subscriptionId}/resourceGroups/rg-connectivity/providers/Microsoft.Network/virtualNetworks/vnet-hub`;
  return {
    id,
    name: 'vnet-hub',
    type: 'Microsoft.Network/virtualNetworks',
    location,
    etag: 'W/"00000000-0000-0000-0000-000000000001"',
    properties: {
      provisioningState: 'Succeeded',
      addressSpace: { addressPrefixes: [cidr(HUB_PREFIX, 16)] },
      subnets: [
        { id: `${id}/subnets/AzureFirewallSubnet`, name: 'AzureFirewallSubnet', properties: { addressPrefix: cidr(HUB_PREFIX, 26) } },
        { id: `${id}/subnets/GatewaySubnet`, name: 'GatewaySubnet', properties: { addressPrefix: cidr(HUB_PREFIX + 256, 27) } },
      ],
      virtualNetworkPeerings: [],
    },
  };
}

function newSpoke(rng: Rng, net: SubscriptionNet, location: string): Spoke {
  const index = net.spokes.length;
  const base = SPOKE_FIRST + (index % SPOKES_PER_SUB) * 16384;
  const rg = `rg-net-${location}-${String(index).padStart(3, '0')}`;
  const name = `vnet-spoke-${String(index).padStart(3, '0')}`;
  const id = `/subscriptions/${net.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${name}`;
  const nsgName = `nsg-aks-${location}-${String(index).padStart(3, '0')}`;
  const nsgId = `/subscriptions/${net.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Network/networkSecurityGroups/${nsgName}`;
  const hubProps = net.hub.properties!;
  const hubId = net.hub.id;
  const vnet: VirtualNetworkResource = {
    id,
    name,
    type: 'Microsoft.Network/virtualNetworks',
    location,
    etag: `W/"${rng.guid()}"`,
    tags: { purpose: 'aks-spoke' },
    properties: {
      provisioningState: 'Succeeded',
      addressSpace: { addressPrefixes: [cidr(base, 18)] },
      subnets: [],
      virtualNetworkPeerings: [
        {
          id: `${id}/virtualNetworkPeerings/to-hub`,
          name: 'to-hub',
          properties: {
            peeringState: 'Connected',
            peeringSyncLevel: 'FullyInSync',
            remoteVirtualNetwork: { id: hubId },
            remoteAddressSpace: { addressPrefixes: [...(hubProps.addressSpace?.addressPrefixes ?? [])] },
            remoteVirtualNetworkAddressSpace: { addressPrefixes: [...(hubProps.addressSpace?.addressPrefixes ?? [])] },
            allowVirtualNetworkAccess: true,
            allowForwardedTraffic: true,
            useRemoteGateways: false,
          },
        },
      ],
    },
  };
  hubProps.virtualNetworkPeerings!.push({
    id: `${hubId}/virtualNetworkPeerings/to-${name}`,
    name: `to-${name}`,
    properties: {
      peeringState: 'Connected',
      remoteVirtualNetwork: { id },
      remoteAddressSpace: { addressPrefixes: [cidr(base, 18)] },
      remoteVirtualNetworkAddressSpace: { addressPrefixes: [cidr(base, 18)] },
      allowVirtualNetworkAccess: true,
      allowForwardedTraffic: true,
    },
  });
  const nsg: NetworkSecurityGroupResource = {
    id: nsgId,
    name: nsgName,
    type: 'Microsoft.Network/networkSecurityGroups',
    location,
    etag: `W/"${rng.guid()}"`,
    properties: {
      provisioningState: 'Succeeded',
      securityRules: customSecurityRules(rng, nsgId, cidr(base, 18)),
      defaultSecurityRules: defaultSecurityRules(nsgId),
      subnets: [],
    },
  };
  const spoke: Spoke = { vnet, nsg, base, nextUnit: 0, location };
  net.spokes.push(spoke);
  return spoke;
}

/** Allocates a subnet of `units` /22s (1 → /22, 2 → /21) in a spoke of this location with room, opening a new spoke if needed. */
function allocateSubnet(rng: Rng, net: SubscriptionNet, location: string, units: 1 | 2, name: string, withNsg: boolean): SubnetSlot {
  let spoke = net.open.get(location);
  const fits = (s: Spoke): boolean => (s.nextUnit % units === 0 ? s.nextUnit : s.nextUnit + 1) + units <= 16;
  if (!spoke || !fits(spoke)) {
    spoke = newSpoke(rng, net, location);
    net.open.set(location, spoke);
  }
  if (spoke.nextUnit % units !== 0) spoke.nextUnit++;
  const base = spoke.base + spoke.nextUnit * UNIT;
  spoke.nextUnit += units;
  const prefix = units === 2 ? 21 : 22;
  const subnetName = spoke.vnet.properties!.subnets!.some((s) => s.name === name) ? `${name}-${spoke.nextUnit}` : name;
  const id = `${spoke.vnet.id}/subnets/${subnetName}`;
  spoke.vnet.properties!.subnets!.push({
    id,
    name: subnetName,
    properties: {
      provisioningState: 'Succeeded',
      addressPrefix: cidr(base, prefix),
      ...(withNsg ? { networkSecurityGroup: { id: spoke.nsg.id } } : {}),
      privateEndpointNetworkPolicies: 'Disabled',
      privateLinkServiceNetworkPolicies: 'Enabled',
    },
  });
  if (withNsg) (spoke.nsg.properties!.subnets as Array<{ id: string }>).push({ id });
  return { id, base, prefix, cursor: 4 };
}

function recase(id: string, spelling: 'resourceGroups' | 'resourcegroups' | undefined): string {
  return spelling ? id.replace(/\/resourcegroups\//i, `/${spelling}/`) : id;
}

// ---------------------------------------------------------------------------------------------
// Writing one cluster out

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

function nodeImage(pool: PoolSpec, rng: Rng): string {
  if (pool.osType === 'Windows') {
    const w = pool.windows ?? { build: '20348.2227', runtime: 'containerd' };
    const year = w.build.startsWith('17763') ? '2019' : '2022';
    return w.runtime === 'docker' ? `AKSWindows-${year}-${w.build}.210714` : `AKSWindows-${year}-containerd-${w.build}.240104`;
  }
  const arm = /^Standard_[A-Z]+\d+[a-z]*p[a-z]*_v\d/.test(pool.vmSize);
  const sku = pool.osSku === 'AzureLinux' ? 'AzureLinux' : 'AKSUbuntu';
  const ver = pool.osSku === 'AzureLinux' ? 'V2' : '2204';
  return `${sku}-${ver}gen2${arm ? 'arm64' : ''}containerd-2025${rng.pick(['01', '03', '06', '09'])}${rng.pick(['07', '14', '21'])}.0`;
}

function isArm64(vmSize: string): boolean {
  return /^Standard_[A-Z]+\d+[a-z]*p[a-z]*_v\d/.test(vmSize);
}

interface NodeRecord {
  name: string;
  pool: PoolSpec;
  ip: number;
  /** Node's pod CIDR base (kubenet / Overlay), else undefined. */
  podBase?: number;
  /** Pod IPs allocated to this node from the node subnet (node subnet mode) or pod subnet (dynamic IP). */
  nextPodIp?: number;
  nap?: boolean;
}

interface ClusterOut {
  cluster: ManagedClusterResource;
  maintenance: MaintenanceConfigurationResource[];
  items: KubeObject[];
}

/** Everything one cluster adds to a snapshot. Exported for the hand-picked sample fleet. */
export function buildCluster(rng: Rng, net: SubscriptionNet, spec: ClusterSpec, withKube: boolean): ClusterOut {
  const idCase = spec.idCase ?? 'resourceGroups';
  const id = `/subscriptions/${spec.subscriptionId}/${idCase}/${spec.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${spec.name}`;
  const nodeRg = `MC_${spec.resourceGroup}_${spec.name}_${spec.location}`;
  const hasNodeSubnetPods = spec.ipam === 'nodeSubnet';
  const serviceCidr = spec.serviceCidr ?? '10.0.0.0/16';
  const dnsServiceIp = spec.dnsServiceIp ?? '10.0.0.10';
  const podCidr = spec.podCidr ?? (spec.ipam === 'kubenet' ? '10.244.0.0/16' : spec.ipam === 'overlay' ? '192.168.0.0/16' : undefined);

  // Subnets: one node subnet for the cluster (a /21 when pods take node-subnet IPs), a pod subnet for
  // dynamic IP, and an extra subnet for pools that ask for their own.
  const nodeSlot = allocateSubnet(rng, net, spec.location, hasNodeSubnetPods ? 2 : 1, `snet-${spec.name}-nodes`, true);
  const podSlot = spec.ipam === 'dynamicIp' ? allocateSubnet(rng, net, spec.location, 1, `snet-${spec.name}-pods`, false) : undefined;
  const refCase = spec.subnetRefCase;

  const nodes: NodeRecord[] = [];
  let podCidrNext = podCidr ? ipNum(...(podCidr.split('/')[0].split('.').map(Number) as [number, number, number, number])) : 0;
  const vmss = rng.int(10000000, 99999999);
  const profiles: AgentPoolProfile[] = spec.pools.map((pool) => {
    const slot = pool.ownSubnet ? allocateSubnet(rng, net, spec.location, hasNodeSubnetPods ? 2 : 1, `snet-${spec.name}-${pool.name}`, true) : nodeSlot;
    const image = nodeImage(pool, rng);
    for (let i = 0; i < pool.count; i++) {
      const nodeIp = slot.base + slot.cursor;
      slot.cursor += hasNodeSubnetPods ? pool.maxPods + 1 : 1;
      const name = pool.osType === 'Windows' ? `${pool.name.slice(0, 6)}${String(i).padStart(6, '0')}` : `aks-${pool.name}-${vmss}-vmss${String(i).padStart(6, '0')}`;
      const rec: NodeRecord = { name, pool, ip: nodeIp };
      if (podCidr) {
        rec.podBase = podCidrNext;
        podCidrNext += 256;
      } else if (hasNodeSubnetPods) rec.nextPodIp = nodeIp + 1;
      else if (podSlot) {
        rec.nextPodIp = podSlot.base + podSlot.cursor;
        podSlot.cursor += Math.min(pool.maxPods, 16);
      }
      nodes.push(rec);
    }
    const profile: AgentPoolProfile = {
      name: pool.name,
      count: pool.count,
      vmSize: pool.vmSize,
      osDiskSizeGB: 128,
      osDiskType: 'Managed',
      kubeletDiskType: 'OS',
      maxPods: pool.maxPods,
      type: pool.type ?? 'VirtualMachineScaleSets',
      enableAutoScaling: !!pool.autoscale,
      ...(pool.autoscale ? { minCount: pool.autoscale.min, maxCount: pool.autoscale.max } : {}),
      provisioningState: 'Succeeded',
      powerState: { code: 'Running' },
      orchestratorVersion: pool.orchestratorVersion ?? spec.kubernetesVersion,
      currentOrchestratorVersion: pool.orchestratorVersion ?? spec.kubernetesVersion,
      enableNodePublicIP: false,
      mode: pool.mode,
      osType: pool.osType,
      osSKU: pool.osSku,
      nodeImageVersion: image,
      upgradeSettings: { maxSurge: '10%' },
      enableFIPS: false,
      vnetSubnetID: recase(slot.id, refCase),
      ...(podSlot ? { podSubnetID: recase(podSlot.id, refCase) } : {}),
      ...(pool.labels ? { nodeLabels: pool.labels } : {}),
      ...(pool.taints ? { nodeTaints: pool.taints } : {}),
    };
    return profile;
  });

  const networkProfile: Record<string, unknown> = {
    networkPlugin: spec.ipam === 'kubenet' ? 'kubenet' : 'azure',
    ...(spec.ipam === 'overlay' ? { networkPluginMode: 'overlay' } : {}),
    ...(spec.networkPolicy !== undefined ? { networkPolicy: spec.networkPolicy } : {}),
    ...(spec.ipam !== 'kubenet' ? { networkDataplane: spec.dataplane } : {}),
    ...(podCidr ? { podCidr, podCidrs: [podCidr] } : {}),
    serviceCidr,
    serviceCidrs: [serviceCidr],
    dnsServiceIP: dnsServiceIp,
    outboundType: 'loadBalancer',
    loadBalancerSku: spec.loadBalancerSku ?? 'standard',
    ...(spec.loadBalancerSku === 'basic'
      ? {}
      : { loadBalancerProfile: { managedOutboundIPs: { count: 1 }, effectiveOutboundIPs: [{ id: `/subscriptions/${spec.subscriptionId}/resourceGroups/${nodeRg}/providers/Microsoft.Network/publicIPAddresses/${rng.guid()}` }], backendPoolType: 'nodeIPConfiguration' } }),
    ipFamilies: ['IPv4'],
  };

  const addonProfiles: Record<string, { enabled: boolean; config?: Record<string, string>; [k: string]: unknown }> = {
    azurepolicy: { enabled: rng.chance(0.4) },
    omsagent: { enabled: rng.chance(0.6), config: { logAnalyticsWorkspaceResourceID: `/subscriptions/${spec.subscriptionId}/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/workspaces/law-fleet` } },
  };
  if (spec.appGatewayIngress) {
    addonProfiles.ingressApplicationGateway = {
      enabled: true,
      config: { applicationGatewayId: `/subscriptions/${spec.subscriptionId}/resourceGroups/${spec.resourceGroup}/providers/Microsoft.Network/applicationGateways/agw-${spec.name}` },
      identity: { clientId: rng.guid(), objectId: rng.guid(), resourceId: `/subscriptions/${spec.subscriptionId}/resourcegroups/${nodeRg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ingressapplicationgateway-${spec.name}` },
    };
  }

  const uami = `/subscriptions/${spec.subscriptionId}/resourceGroups/${spec.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-${spec.name}`;
  const fqdnPrefix = `${spec.name.slice(0, 20)}-${rng.hex(8)}`;
  const cluster: ManagedClusterResource = {
    id,
    location: spec.location,
    name: spec.name,
    tags: { env: spec.name.includes('-prd-') ? 'prod' : spec.name.includes('-stg-') ? 'staging' : 'dev', ...spec.tags },
    type: 'Microsoft.ContainerService/ManagedClusters',
    // AKS spells it `eTag` in the body (and ETag in the header), unlike most ARM resources.
    eTag: rng.guid(),
    properties: {
      provisioningState: 'Succeeded',
      powerState: { code: 'Running' },
      kubernetesVersion: spec.kubernetesVersion,
      currentKubernetesVersion: spec.kubernetesVersion,
      dnsPrefix: fqdnPrefix.split('-').slice(0, -1).join('-') || spec.name,
      fqdn: `${fqdnPrefix}.hcp.${spec.location}.azmk8s.io`,
      azurePortalFQDN: `${fqdnPrefix}.portal.hcp.${spec.location}.azmk8s.io`,
      agentPoolProfiles: profiles,
      servicePrincipalProfile: { clientId: 'msi' },
      addonProfiles,
      nodeResourceGroup: nodeRg,
      enableRBAC: true,
      supportPlan: 'KubernetesOfficial',
      networkProfile,
      ...(spec.nap ? { nodeProvisioningProfile: { mode: spec.nap, defaultNodePools: 'Auto' } } : {}),
      aadProfile: { managed: true, enableAzureRBAC: true, tenantID: TENANT },
      maxAgentPools: 100,
      autoUpgradeProfile: { upgradeChannel: rng.pick(['none', 'patch', 'stable']), nodeOSUpgradeChannel: 'NodeImage' },
      disableLocalAccounts: false,
      securityProfile: {},
      storageProfile: { diskCSIDriver: { enabled: true }, fileCSIDriver: { enabled: true }, snapshotController: { enabled: true } },
      oidcIssuerProfile: { enabled: false },
      workloadAutoScalerProfile: {},
      resourceUID: rng.hex(24),
    },
    identity:
      spec.identity === 'UserAssigned'
        ? { type: 'UserAssigned', userAssignedIdentities: { [uami]: { clientId: rng.guid(), principalId: rng.guid() } } }
        : { type: 'SystemAssigned', principalId: rng.guid(), tenantId: TENANT },
    sku: { name: 'Base', tier: rng.pick(['Free', 'Standard']) },
  };

  const maintenance: MaintenanceConfigurationResource[] = [];
  if (spec.maintenance) {
    const mcBase = `${id}/maintenanceConfigurations`;
    const mcType = 'Microsoft.ContainerService/managedClusters/maintenanceConfigurations';
    const day = rng.pick(['Saturday', 'Sunday', 'Tuesday']);
    maintenance.push({
      id: `${mcBase}/aksManagedAutoUpgradeSchedule`,
      name: 'aksManagedAutoUpgradeSchedule',
      type: mcType,
      properties: {
        maintenanceWindow: {
          schedule: { weekly: { intervalWeeks: 1, dayOfWeek: day } },
          durationHours: rng.pick([4, 6, 8]),
          utcOffset: rng.pick(['+00:00', '+01:00', '-05:00']),
          startDate: '2025-01-01',
          startTime: rng.pick(['00:00', '02:00', '22:00']),
        },
      },
    });
    if (rng.chance(0.5)) {
      maintenance.push({
        id: `${mcBase}/aksManagedNodeOSUpgradeSchedule`,
        name: 'aksManagedNodeOSUpgradeSchedule',
        type: mcType,
        properties: {
          maintenanceWindow: {
            schedule: { daily: { intervalDays: 1 } },
            durationHours: 4,
            utcOffset: '+00:00',
            startDate: '2025-01-01',
            startTime: '01:00',
            notAllowedDates: [{ start: '2026-12-20', end: '2027-01-03' }],
          },
        },
      });
    }
    if (rng.chance(0.3)) {
      maintenance.push({
        id: `${mcBase}/default`,
        name: 'default',
        type: mcType,
        properties: { timeInWeek: [{ day, hourSlots: [1, 2, 3, 4] }], notAllowedTime: [] },
      });
    }
  }

  const items = withKube ? kubeItems(rng, spec, nodes, podCidr, serviceCidr, dnsServiceIp, nodeSlot) : [];
  return { cluster, maintenance, items };
}

// ---------------------------------------------------------------------------------------------
// Kubernetes objects of one cluster

function kubeItems(
  rng: Rng,
  spec: ClusterSpec,
  nodes: NodeRecord[],
  podCidr: string | undefined,
  serviceCidr: string,
  dnsServiceIp: string,
  nodeSlot: SubnetSlot,
): KubeObject[] {
  const items: KubeObject[] = [];
  const cilium = spec.dataplane === 'cilium';
  const azureCni = spec.ipam !== 'kubenet';
  const created = '2025-03-01T10:00:00Z';

  // NAP Auto: Karpenter NodePools and the nodes they made (label karpenter.sh/nodepool).
  if (spec.nap === 'Auto') {
    for (const np of ['default', 'system-surge']) {
      items.push({
        apiVersion: 'karpenter.sh/v1',
        kind: 'NodePool',
        metadata: { name: np, resourceVersion: String(rng.int(1000, 99999)), creationTimestamp: created },
        spec: {
          disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '0s' },
          limits: np === 'default' ? { cpu: rng.pick(['1000', '500']) } : { cpu: '100' },
          template: {
            spec: {
              nodeClassRef: { group: 'karpenter.azure.com', kind: 'AKSNodeClass', name: 'default' },
              requirements: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }],
              ...(np === 'system-surge' ? { taints: [{ key: 'CriticalAddonsOnly', value: 'true', effect: 'NoSchedule' }] } : {}),
            },
          },
        },
      });
    }
    const napNodes = rng.int(1, 4);
    const napPool: PoolSpec = { name: 'default', mode: 'User', osType: 'Linux', osSku: 'Ubuntu', vmSize: rng.pick(['Standard_D4s_v5', 'Standard_D8as_v5']), count: napNodes, maxPods: 250 };
    const last = nodes[nodes.length - 1];
    for (let i = 0; i < napNodes; i++) {
      const rec: NodeRecord = { name: `aks-default-${rng.hex(5)}`, pool: napPool, ip: (last ? last.ip : nodeSlot.base + 4) + 1 + i, nap: true };
      if (podCidr) rec.podBase = (last?.podBase ?? 0) + 256 * (i + 1);
      nodes.push(rec);
    }
  }

  for (const ns of ['default', 'kube-system', 'shop', ...(spec.networkPolicy === 'calico' ? ['calico-system', 'tigera-operator'] : [])]) {
    items.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } }, status: { phase: 'Active' } });
  }

  const linuxNodes = nodes.filter((n) => n.pool.osType === 'Linux');
  const windowsNodes = nodes.filter((n) => n.pool.osType === 'Windows');

  for (const n of nodes) {
    const win = n.pool.osType === 'Windows';
    const arm = isArm64(n.pool.vmSize);
    const runtime = n.pool.windows?.runtime === 'docker' ? 'docker://20.10.9' : win ? 'containerd://1.6.21+azure' : 'containerd://1.7.27-1';
    const labels: Record<string, string> = {
      'kubernetes.io/os': win ? 'windows' : 'linux',
      'kubernetes.io/arch': arm ? 'arm64' : 'amd64',
      'kubernetes.io/hostname': n.name,
      'node.kubernetes.io/instance-type': n.pool.vmSize,
      'topology.kubernetes.io/region': spec.location,
      'kubernetes.azure.com/cluster': `MC_${spec.resourceGroup}_${spec.name}_${spec.location}`,
      ...(n.nap ? { 'karpenter.sh/nodepool': 'default', 'karpenter.sh/registered': 'true' } : { 'kubernetes.azure.com/agentpool': n.pool.name, 'kubernetes.azure.com/mode': n.pool.mode.toLowerCase() }),
      ...(cilium ? { 'kubernetes.azure.com/ebpf-dataplane': 'cilium' } : {}),
      ...(n.pool.labels ?? {}),
    };
    const node: KubeObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: n.name, labels, creationTimestamp: created },
      spec: {
        ...(n.podBase !== undefined ? { podCIDR: cidr(n.podBase, 24), podCIDRs: [cidr(n.podBase, 24)] } : {}),
        providerID: `azure:///subscriptions/${spec.subscriptionId}/resourceGroups/mc_${spec.resourceGroup.toLowerCase()}/providers/Microsoft.Compute/virtualMachineScaleSets/${n.name}`,
        ...(n.pool.taints ? { taints: n.pool.taints.map((t) => ({ key: t.split('=')[0], value: t.split('=')[1]?.split(':')[0], effect: t.split(':')[1] ?? 'NoSchedule' })) } : {}),
      },
      status: {
        addresses: [
          { type: 'InternalIP', address: ip(n.ip) },
          { type: 'Hostname', address: n.name },
        ],
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
        nodeInfo: {
          kernelVersion: win ? `10.0.${n.pool.windows?.build ?? '20348.2227'}` : '5.15.0-1079-azure',
          osImage: win ? `Windows Server ${n.pool.windows?.build.startsWith('17763') ? '2019' : '2022'} Datacenter` : n.pool.osSku === 'AzureLinux' ? 'CBL-Mariner/Linux' : 'Ubuntu 22.04.5 LTS',
          containerRuntimeVersion: runtime,
          kubeletVersion: `v${n.pool.orchestratorVersion ?? spec.kubernetesVersion}`,
          kubeProxyVersion: `v${n.pool.orchestratorVersion ?? spec.kubernetesVersion}`,
          operatingSystem: win ? 'windows' : 'linux',
          architecture: arm ? 'arm64' : 'amd64',
        },
      },
    };
    items.push(node);
  }

  // Pods: per node one workload pod with a pod IP; host-network agents on each Linux node.
  const podIp = (n: NodeRecord, k: number): string => {
    if (n.podBase !== undefined) return ip(n.podBase + 4 + k);
    if (n.nextPodIp !== undefined) return ip(n.nextPodIp + k);
    return ip(n.ip);
  };
  const pod = (name: string, ns: string, n: NodeRecord, k: number, opts: { hostNetwork?: boolean; image: string; hostPort?: number; labels?: Record<string, string> }): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: {
      nodeName: n.name,
      ...(opts.hostNetwork ? { hostNetwork: true } : {}),
      containers: [{ name: name.split('-')[0], image: opts.image, ...(opts.hostPort ? { ports: [{ containerPort: 8080, hostPort: opts.hostPort, protocol: 'TCP' }] } : {}) }],
    },
    status: {
      phase: 'Running',
      hostIP: ip(n.ip),
      podIP: opts.hostNetwork ? ip(n.ip) : podIp(n, k),
      podIPs: [{ ip: opts.hostNetwork ? ip(n.ip) : podIp(n, k) }],
    },
  });

  nodes.forEach((n, i) => {
    const suffix = rng.hex(5);
    if (n.pool.osType === 'Linux') {
      items.push(pod(`${cilium ? 'cilium' : 'kube-proxy'}-${suffix}`, 'kube-system', n, 0, { hostNetwork: true, image: cilium ? 'mcr.microsoft.com/oss/cilium/cilium:1.16.6' : `mcr.microsoft.com/oss/kubernetes/kube-proxy:v${spec.kubernetesVersion}` }));
    }
    items.push(
      pod(`web-7f9c${suffix.slice(0, 4)}d-${suffix}`, 'shop', n, 1, {
        image: n.pool.osType === 'Windows' ? 'mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022' : 'nginx:1.27',
        labels: { app: 'web' },
        ...(i === 0 && rng.chance(0.2) ? { hostPort: 8080 } : {}),
      }),
    );
  });
  const first = linuxNodes[0] ?? nodes[0];
  if (first) {
    items.push(pod(`coredns-${rng.hex(9)}-${rng.hex(5)}`, 'kube-system', first, 2, { image: 'mcr.microsoft.com/oss/kubernetes/coredns:v1.11.3', labels: { 'k8s-app': 'kube-dns' } }));
    items.push(pod(`metrics-server-${rng.hex(9)}-${rng.hex(5)}`, 'kube-system', first, 3, { image: 'mcr.microsoft.com/oss/kubernetes/metrics-server:v0.7.2', labels: { 'k8s-app': 'metrics-server' } }));
  }

  // DaemonSets: the data plane's agents (what verification after a migration looks at).
  const ds = (name: string, ns: string, count: number, image: string): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: ns, labels: { 'k8s-app': name }, generation: 1 },
    spec: { selector: { matchLabels: { 'k8s-app': name } }, template: { spec: { containers: [{ name, image }] } } },
    status: { desiredNumberScheduled: count, currentNumberScheduled: count, numberReady: count, numberAvailable: count, updatedNumberScheduled: count, numberMisscheduled: 0, observedGeneration: 1 },
  });
  if (cilium) items.push(ds('cilium', 'kube-system', linuxNodes.length, 'mcr.microsoft.com/oss/cilium/cilium:1.16.6'));
  else items.push(ds('kube-proxy', 'kube-system', linuxNodes.length, `mcr.microsoft.com/oss/kubernetes/kube-proxy:v${spec.kubernetesVersion}`));
  if (azureCni) items.push(ds('azure-cns', 'kube-system', linuxNodes.length, 'mcr.microsoft.com/containernetworking/azure-cns:v1.6.18'));
  if (azureCni && !cilium) items.push(ds('azure-ip-masq-agent', 'kube-system', linuxNodes.length, 'mcr.microsoft.com/aks/ip-masq-agent-v2:v0.1.15'));
  if (windowsNodes.length) items.push(ds('kube-proxy-windows', 'kube-system', windowsNodes.length, `mcr.microsoft.com/oss/kubernetes/windows-kube-proxy:v${spec.kubernetesVersion}`));
  if (spec.networkPolicy === 'azure') items.push(ds('azure-npm', 'kube-system', linuxNodes.length, 'mcr.microsoft.com/containernetworking/azure-npm:v1.6.13'));
  if (spec.networkPolicy === 'calico') items.push(ds('calico-node', 'calico-system', linuxNodes.length, 'mcr.microsoft.com/oss/calico/node:v3.28.2'));

  // Services
  const svcBase = ipNum(...(serviceCidr.split('/')[0].split('.').map(Number) as [number, number, number, number]));
  const svc = (name: string, ns: string, clusterIp: string, extra: Record<string, unknown>, ports: Array<{ name?: string; port: number; protocol: string; targetPort?: number }>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns },
    spec: { type: 'ClusterIP', clusterIP: clusterIp, clusterIPs: [clusterIp], ipFamilies: ['IPv4'], ports, ...extra },
  });
  items.push(svc('kubernetes', 'default', ip(svcBase + 1), {}, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 443 }]));
  items.push(svc('kube-dns', 'kube-system', dnsServiceIp, { selector: { 'k8s-app': 'kube-dns' } }, [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }]));
  items.push(
    svc('web', 'shop', ip(svcBase + 100 + rng.int(0, 50)), { type: 'LoadBalancer', externalTrafficPolicy: rng.pick(['Cluster', 'Local']), selector: { app: 'web' } }, [
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
    ]),
  );
  if (rng.chance(0.3)) {
    items.push(svc('node-local-cache', 'shop', ip(svcBase + 200 + rng.int(0, 50)), { internalTrafficPolicy: 'Local', selector: { app: 'cache' } }, [{ port: 6379, protocol: 'TCP' }]));
  }

  // ip-masq-agent ConfigMaps (seed 000 § Update the IPAM mode, Warning): the reconciled one always on
  // Azure CNI; a custom one on some clusters.
  if (azureCni) {
    items.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'azure-ip-masq-agent-config-reconciled', namespace: 'kube-system', labels: { 'kubernetes.azure.com/managedby': 'aks' } },
      data: { 'ip-masq-agent-reconciled': `nonMasqueradeCIDRs:\n  - ${podCidr ?? cidr(nodeSlot.base, nodeSlot.prefix)}\nmasqLinkLocal: true\n` },
    });
  }
  if (spec.customIpMasq) {
    items.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'azure-ip-masq-agent-config', namespace: 'kube-system' },
      data: { 'ip-masq-agent': 'nonMasqueradeCIDRs:\n  - 10.0.0.0/8\n  - 172.16.0.0/12\nmasqLinkLocal: false\n' },
    });
  }
  items.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: 'shop' }, data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\n(elided)\n-----END CERTIFICATE-----\n' } });

  // NetworkPolicies, including the ipBlock 0.0.0.0/0 egress pattern (seed 004 § default-deny check).
  if (spec.policies === 'default-deny' || spec.policies === 'ipblock-all') {
    items.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny', namespace: 'shop' },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    items.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-dns', namespace: 'shop' },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }] }],
      },
    });
  }
  if (spec.policies === 'ipblock-all') {
    items.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-egress-anywhere', namespace: 'shop' },
      spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }] }] },
    });
    items.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-from-node-subnet', namespace: 'shop' },
      spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: cidr(nodeSlot.base, nodeSlot.prefix) } }], ports: [{ protocol: 'TCP', port: 8080 }] }] },
    });
  }
  return items;
}

// ---------------------------------------------------------------------------------------------
// The random mix

const LOCATIONS = ['westeurope', 'northeurope', 'eastus2', 'uksouth', 'southeastasia'] as const;
const TEAMS = ['payments', 'search', 'checkout', 'identity', 'data', 'ml', 'web', 'mobile', 'platform', 'ledger', 'media', 'crm'] as const;
const ENVS = ['dev', 'stg', 'prd'] as const;
const VERSIONS: ReadonlyArray<readonly [string, number]> = [
  ['1.26.15', 4],
  ['1.27.16', 5],
  ['1.28.15', 8],
  ['1.29.14', 12],
  ['1.30.12', 18],
  ['1.31.8', 22],
  ['1.32.4', 20],
  ['1.33.1', 11],
];

type Archetype = readonly [IpamMode, Dataplane, PolicyEngine | undefined, NapMode | undefined];
const ARCHETYPES: ReadonlyArray<readonly [Archetype, number]> = [
  [['kubenet', 'azure', undefined, undefined], 12],
  [['kubenet', 'azure', 'none', undefined], 4],
  [['kubenet', 'azure', 'calico', undefined], 4],
  [['nodeSubnet', 'azure', undefined, undefined], 8],
  [['nodeSubnet', 'azure', 'none', undefined], 5],
  [['nodeSubnet', 'azure', 'azure', undefined], 7],
  [['nodeSubnet', 'azure', 'calico', undefined], 3],
  [['nodeSubnet', 'cilium', 'cilium', undefined], 3],
  [['dynamicIp', 'azure', 'none', undefined], 5],
  [['dynamicIp', 'azure', 'azure', undefined], 1],
  [['dynamicIp', 'cilium', 'cilium', undefined], 2],
  [['overlay', 'azure', 'none', undefined], 13],
  [['overlay', 'azure', 'calico', undefined], 2],
  [['overlay', 'cilium', 'cilium', undefined], 18],
  [['overlay', 'cilium', 'cilium', 'Auto'], 6],
  [['overlay', 'azure', 'none', 'Auto'], 2],
  [['overlay', 'cilium', 'cilium', 'Manual'], 1],
];

function randomPools(rng: Rng, ipam: IpamMode, dataplane: Dataplane, k8s: string): PoolSpec[] {
  const system: PoolSpec = {
    name: rng.pick(['system', 'nodepool1', 'agentpool', 'sys']),
    mode: 'System',
    osType: 'Linux',
    osSku: rng.pick(['Ubuntu', 'Ubuntu', 'AzureLinux']),
    vmSize: rng.pick(['Standard_D4s_v5', 'Standard_D4ds_v5', 'Standard_D2s_v3', 'Standard_D4as_v5']),
    count: rng.int(2, 3),
    maxPods: ipam === 'kubenet' ? 110 : ipam === 'overlay' ? 250 : rng.pick([30, 50, 110]),
    ...(rng.chance(0.1) ? { type: 'AvailabilitySet' as const } : {}),
  };
  if (ipam === 'kubenet' && system.type === 'AvailabilitySet') system.count = 2;
  const pools: PoolSpec[] = [system];
  const users = rng.weighted([
    [0, 2],
    [1, 5],
    [2, 2],
    [3, 1],
  ] as const);
  for (let u = 0; u < users; u++) {
    const kind = rng.weighted([
      ['general', 10],
      ['arm64', 2],
      ['dcsv2', 1],
      ['highmem', 2],
    ] as const);
    const vmSize = kind === 'arm64' ? rng.pick(['Standard_D4ps_v5', 'Standard_D8pds_v5', 'Standard_E4ps_v5']) : kind === 'dcsv2' ? rng.pick(['Standard_DC2s_v2', 'Standard_DC4s_v2']) : kind === 'highmem' ? 'Standard_E8s_v5' : 'Standard_D8s_v5';
    const count = rng.int(1, 5);
    pools.push({
      name: `${kind === 'arm64' ? 'arm' : kind === 'dcsv2' ? 'conf' : 'user'}${u + 1}`,
      mode: 'User',
      osType: 'Linux',
      osSku: 'Ubuntu',
      vmSize,
      count,
      maxPods: system.maxPods,
      ...(rng.chance(0.5) ? { autoscale: { min: 1, max: count + rng.int(2, 20) } } : {}),
      ...(rng.chance(0.15) ? { ownSubnet: true } : {}),
      ...(kind === 'dcsv2' ? { labels: { workload: 'confidential' }, taints: ['sgx=true:NoSchedule'] } : {}),
    });
  }
  // Windows pools need Azure CNI (kubenet clusters cannot have them in practice).
  if (ipam !== 'kubenet' && dataplane === 'azure' && rng.chance(0.22)) {
    const docker = rng.chance(0.15);
    const old = docker || rng.chance(0.25);
    const build = docker ? rng.pick(['17763.1935', '17763.2114']) : old ? rng.pick(['20348.1487', '20348.1607']) : rng.pick(['20348.1668', '20348.2227', '20348.2762']);
    pools.push({
      name: rng.pick(['win', 'npwin', 'win22']),
      mode: 'User',
      osType: 'Windows',
      osSku: build.startsWith('17763') ? 'Windows2019' : 'Windows2022',
      vmSize: 'Standard_D4s_v3',
      count: rng.int(1, 3),
      maxPods: 30,
      windows: { build, runtime: docker ? 'docker' : 'containerd' },
      ...(docker ? { orchestratorVersion: k8s } : {}),
    });
  }
  return pools;
}

interface SubscriptionPlan {
  id: string;
  net: SubscriptionNet;
  location: string;
  /** Cluster names used so far, per resource group. */
  used: Set<string>;
}

/** A synthetic fleet: `clusters` managed clusters spread over `subscriptions` subscriptions. */
export function generateFleet(options: GenerateOptions): Snapshot {
  const { clusters, subscriptions } = options;
  if (!Number.isInteger(clusters) || clusters < 0) throw new RangeError(`clusters must be a whole number ≥ 0, got ${clusters}: pass e.g. --clusters 100`);
  if (!Number.isInteger(subscriptions) || subscriptions < 1) throw new RangeError(`subscriptions must be a whole number ≥ 1, got ${subscriptions}: pass e.g. --subscriptions 5`);
  const withKube = options.kubernetes !== false;
  const rng = new Rng(options.seed);
  const subs: SubscriptionPlan[] = [];
  for (let s = 0; s < subscriptions; s++) {
    const id = rng.guid();
    const location = LOCATIONS[s % LOCATIONS.length];
    subs.push({ id, location, used: new Set(), net: { subscriptionId: id, hub: hubFor(id, location), spokes: [], open: new Map() } });
  }

  const resources: ArmResource[] = [];
  const kubernetes: Snapshot['kubernetes'] = {};
  for (let c = 0; c < clusters; c++) {
    const sub = subs[c % subscriptions];
    const [ipam, dataplane, networkPolicy, nap] = rng.weighted(ARCHETYPES);
    const team = rng.pick(TEAMS);
    const env = rng.pick(ENVS);
    const location = rng.chance(0.8) ? sub.location : rng.pick(LOCATIONS);
    const resourceGroup = `rg-${team}-${env}-${location}`;
    let name = `aks-${team}-${env}-${String(Math.floor(c / subscriptions)).padStart(3, '0')}`;
    while (sub.used.has(name)) name = `${name}x`;
    sub.used.add(name);
    let kubernetesVersion = rng.weighted(VERSIONS);
    // NAP needs a recent version (NAP went GA on 1.29+ clusters); keep the mix plausible.
    if (nap && kubernetesVersion < '1.29') kubernetesVersion = '1.31.8';
    const pools = randomPools(rng, ipam, dataplane, kubernetesVersion);
    const spec: ClusterSpec = {
      subscriptionId: sub.id,
      resourceGroup,
      name,
      location,
      kubernetesVersion,
      ipam,
      dataplane,
      networkPolicy,
      nap,
      pools,
      appGatewayIngress: rng.chance(0.06),
      customIpMasq: ipam !== 'overlay' && rng.chance(0.07),
      identity: rng.chance(0.45) ? 'UserAssigned' : 'SystemAssigned',
      maintenance: rng.chance(0.55),
      policies: networkPolicy && networkPolicy !== 'none' ? rng.pick(['default-deny', 'ipblock-all', 'ipblock-all'] as const) : 'none',
      podCidr: ipam === 'kubenet' ? '10.244.0.0/16' : ipam === 'overlay' ? rng.pick(['192.168.0.0/16', '100.64.0.0/16', '10.244.0.0/16']) : undefined,
      serviceCidr: rng.chance(0.7) ? '10.0.0.0/16' : '172.16.0.0/16',
      idCase: rng.chance(0.2) ? 'resourcegroups' : 'resourceGroups',
      subnetRefCase: rng.chance(0.3) ? 'resourcegroups' : undefined,
      loadBalancerSku: ipam === 'kubenet' && rng.chance(0.1) ? 'basic' : 'standard',
      tags: { team, costCenter: `cc-${rng.int(100, 999)}` },
    };
    if (spec.serviceCidr === '172.16.0.0/16') spec.dnsServiceIp = '172.16.0.10';
    const out = buildCluster(rng, sub.net, spec, withKube);
    resources.push(out.cluster, ...out.maintenance);
    // Kubernetes facts are keyed by the cluster id; sometimes in another casing, as a file written by hand would be.
    if (withKube) kubernetes[rng.chance(0.1) ? out.cluster.id.toLowerCase() : out.cluster.id] = { items: out.items };
  }
  for (const sub of subs) {
    if (sub.net.spokes.length) resources.push(sub.net.hub);
    for (const spoke of sub.net.spokes) resources.push(spoke.vnet, spoke.nsg);
  }
  return { resources, kubernetes };
}

/** A fresh network plan for one subscription (for hand-built fleets such as sim/sample-fleet.ts). */
export function subscriptionNetwork(subscriptionId: string, location: string): SubscriptionNet & { resources(): ArmResource[] } {
  const net: SubscriptionNet = { subscriptionId, hub: hubFor(subscriptionId, location), spokes: [], open: new Map() };
  return Object.assign(net, { resources: (): ArmResource[] => [net.hub, ...net.spokes.flatMap((s) => [s.vnet, s.nsg])] });
}

export type { SubscriptionNet };
