/**
 * Test builders: ARM-shaped JSON exactly as ARM GET returns it (REST shape, camelCase `properties`,
 * `resourcegroups` in lower case as ARM often writes it), Kubernetes objects as the API server returns
 * them, and the snapshot document that carries both. Deterministic: no clocks, no randomness.
 *
 * Every builder takes overrides; nested objects that tests commonly tweak (networkProfile, properties)
 * are merged one level deep, arrays are replaced.
 */
import type {
  AgentPoolProfile,
  ArmResource,
  MaintenanceConfigurationResource,
  ManagedClusterProperties,
  ManagedClusterResource,
  NetworkProfile,
  NetworkSecurityGroupResource,
  SecurityRule,
  SecurityRuleProperties,
  SubnetProperties,
  VirtualNetworkResource,
} from '../../shared/model/arm';
import type {
  ConfigMap,
  ContainerPort,
  DaemonSet,
  KarpenterNodePool,
  KubeObject,
  NetworkPolicy,
  Node,
  Pod,
  Service,
  CiliumNetworkPolicy,
} from '../../shared/model/kube';
import type { Snapshot } from '../../shared/model/snapshot';

export const SUBSCRIPTION = '00000000-0000-0000-0000-000000000001';
export const RESOURCE_GROUP = 'rg-aks';
export const LOCATION = 'eastus';
export const KUBERNETES_VERSION = '1.29.7';
export const SERVICE_CIDR = '10.0.0.0/16';
export const DNS_SERVICE_IP = '10.0.0.10';
export const POD_CIDR = '10.244.0.0/16';
export const VNET_NAME = 'vnet-aks';
export const VNET_PREFIX = '10.10.0.0/16';
export const NODE_SUBNET = 'aks-nodes';
export const NODE_SUBNET_PREFIX = '10.10.0.0/20';
export const POD_SUBNET = 'aks-pods';
export const POD_SUBNET_PREFIX = '10.10.64.0/18';
export const NSG_NAME = 'nsg-aks';
export const LINUX_IMAGE = 'AKSUbuntu-2204gen2containerd-202410.15.0';
export const WINDOWS_2022_IMAGE = 'AKSWindows-2022-containerd-20348.2700.240911';

// ---------------------------------------------------------------------------------------------- ids

/** ARM writes `resourcegroups` in lower case in many GET responses; the builders do too so tests exercise case-insensitive lookups. */
export function resourceGroupId(resourceGroup = RESOURCE_GROUP, subscriptionId = SUBSCRIPTION): string {
  return `/subscriptions/${subscriptionId}/resourcegroups/${resourceGroup}`;
}

export function clusterId(name: string, resourceGroup = RESOURCE_GROUP, subscriptionId = SUBSCRIPTION): string {
  return `${resourceGroupId(resourceGroup, subscriptionId)}/providers/Microsoft.ContainerService/managedClusters/${name}`;
}

export function vnetId(name = VNET_NAME, resourceGroup = RESOURCE_GROUP, subscriptionId = SUBSCRIPTION): string {
  return `${resourceGroupId(resourceGroup, subscriptionId)}/providers/Microsoft.Network/virtualNetworks/${name}`;
}

export function subnetId(subnet = NODE_SUBNET, vnet = VNET_NAME, resourceGroup = RESOURCE_GROUP, subscriptionId = SUBSCRIPTION): string {
  return `${vnetId(vnet, resourceGroup, subscriptionId)}/subnets/${subnet}`;
}

export function nsgId(name = NSG_NAME, resourceGroup = RESOURCE_GROUP, subscriptionId = SUBSCRIPTION): string {
  return `${resourceGroupId(resourceGroup, subscriptionId)}/providers/Microsoft.Network/networkSecurityGroups/${name}`;
}

// --------------------------------------------------------------------------------- managed cluster

/** An agent pool profile as it appears inline in `properties.agentPoolProfiles` (flattened, `name` at the top). */
export function agentPool(overrides: Partial<AgentPoolProfile> = {}): AgentPoolProfile {
  const version = overrides.orchestratorVersion ?? KUBERNETES_VERSION;
  const windows = overrides.osType === 'Windows';
  return {
    name: 'nodepool1',
    count: 3,
    vmSize: 'Standard_D4s_v5',
    osDiskSizeGB: 128,
    osDiskType: 'Managed',
    kubeletDiskType: 'OS',
    maxPods: 30,
    type: 'VirtualMachineScaleSets',
    enableAutoScaling: false,
    provisioningState: 'Succeeded',
    powerState: { code: 'Running' },
    orchestratorVersion: version,
    currentOrchestratorVersion: version,
    enableNodePublicIP: false,
    mode: 'System',
    osType: windows ? 'Windows' : 'Linux',
    osSKU: windows ? 'Windows2022' : 'Ubuntu',
    nodeImageVersion: windows ? WINDOWS_2022_IMAGE : LINUX_IMAGE,
    enableFIPS: false,
    ...overrides,
  };
}

/** A Windows user pool (Windows pool names are at most 6 characters). */
export function windowsPool(overrides: Partial<AgentPoolProfile> = {}): AgentPoolProfile {
  return agentPool({ name: 'win22', mode: 'User', osType: 'Windows', osSKU: 'Windows2022', nodeImageVersion: WINDOWS_2022_IMAGE, ...overrides });
}

/** The agent pool as its own ARM child resource (`managedClusters/agentPools`), for tests that GET one pool. */
export function agentPoolResource(cluster: string, profile: AgentPoolProfile): ArmResource<Record<string, unknown>> {
  const { name, ...properties } = profile;
  return { id: `${cluster}/agentPools/${name}`, name, type: 'Microsoft.ContainerService/managedClusters/agentPools', properties };
}

export interface ManagedClusterOverrides {
  name?: string;
  resourceGroup?: string;
  subscriptionId?: string;
  /** Used verbatim when given (e.g. to test `resourceGroups` vs `resourcegroups`). */
  id?: string;
  location?: string;
  tags?: Record<string, string>;
  kubernetesVersion?: string;
  provisioningState?: string;
  agentPoolProfiles?: AgentPoolProfile[];
  /** Merged over the preset's network profile; set a key to undefined to drop it. */
  networkProfile?: Partial<NetworkProfile>;
  nodeProvisioningProfile?: ManagedClusterProperties['nodeProvisioningProfile'];
  addonProfiles?: ManagedClusterProperties['addonProfiles'];
  identity?: ManagedClusterResource['identity'];
  /** Any other properties, merged last. */
  properties?: Partial<ManagedClusterProperties>;
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** A managed cluster as ARM GET returns it. Defaults: Azure CNI node subnet, one system pool in the default BYO subnet. */
export function managedCluster(overrides: ManagedClusterOverrides = {}): ManagedClusterResource {
  const name = overrides.name ?? 'aks-1';
  const rg = overrides.resourceGroup ?? RESOURCE_GROUP;
  const sub = overrides.subscriptionId ?? SUBSCRIPTION;
  const version = overrides.kubernetesVersion ?? KUBERNETES_VERSION;
  const networkProfile: NetworkProfile = dropUndefined({
    networkPlugin: 'azure',
    networkPolicy: 'none',
    networkDataplane: 'azure',
    serviceCidr: SERVICE_CIDR,
    serviceCidrs: [SERVICE_CIDR],
    dnsServiceIP: DNS_SERVICE_IP,
    outboundType: 'loadBalancer',
    loadBalancerSku: 'standard',
    ipFamilies: ['IPv4'],
    ...overrides.networkProfile,
  });
  const properties: ManagedClusterProperties = {
    provisioningState: overrides.provisioningState ?? 'Succeeded',
    powerState: { code: 'Running' },
    kubernetesVersion: version,
    currentKubernetesVersion: version,
    dnsPrefix: `${name}-dns`,
    fqdn: `${name}-dns-abcd1234.hcp.${overrides.location ?? LOCATION}.azmk8s.io`,
    agentPoolProfiles: overrides.agentPoolProfiles ?? [agentPool({ vnetSubnetID: subnetId(), orchestratorVersion: version })],
    nodeResourceGroup: `MC_${rg}_${name}_${overrides.location ?? LOCATION}`,
    enableRBAC: true,
    networkProfile,
    ...(overrides.nodeProvisioningProfile ? { nodeProvisioningProfile: overrides.nodeProvisioningProfile } : {}),
    ...(overrides.addonProfiles ? { addonProfiles: overrides.addonProfiles } : {}),
    ...overrides.properties,
  };
  return {
    id: overrides.id ?? clusterId(name, rg, sub),
    location: overrides.location ?? LOCATION,
    name,
    type: 'Microsoft.ContainerService/ManagedClusters',
    ...(overrides.tags ? { tags: overrides.tags } : {}),
    sku: { name: 'Base', tier: 'Free' },
    identity: overrides.identity ?? {
      type: 'SystemAssigned',
      principalId: '11111111-1111-1111-1111-111111111111',
      tenantId: '22222222-2222-2222-2222-222222222222',
    },
    properties,
  };
}

/** A user-assigned managed identity block, as ARM returns it (needed by kubenet → Overlay, aks-facts.md). */
export function userAssignedIdentity(name = 'id-aks', resourceGroup = RESOURCE_GROUP): NonNullable<ManagedClusterResource['identity']> {
  return {
    type: 'UserAssigned',
    userAssignedIdentities: {
      [`${resourceGroupId(resourceGroup)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`]: {
        principalId: '33333333-3333-3333-3333-333333333333',
        clientId: '44444444-4444-4444-4444-444444444444',
      },
    },
  };
}

// ------------------------------------------------------------------------------------------ presets

/** kubenet: AKS-managed VNet (no vnetSubnetID), pod CIDR 10.244.0.0/16, max pods 110. */
export function kubenetCluster(overrides: ManagedClusterOverrides = {}): ManagedClusterResource {
  return managedCluster({
    ...overrides,
    agentPoolProfiles: overrides.agentPoolProfiles ?? [agentPool({ maxPods: 110, orchestratorVersion: overrides.kubernetesVersion })],
    networkProfile: { networkPlugin: 'kubenet', networkDataplane: undefined, podCidr: POD_CIDR, podCidrs: [POD_CIDR], ...overrides.networkProfile },
  });
}

/** Azure CNI node subnet: pools in a BYO subnet, no podSubnetID, max pods 30. */
export function nodeSubnetCluster(overrides: ManagedClusterOverrides = {}): ManagedClusterResource {
  return managedCluster({
    ...overrides,
    agentPoolProfiles: overrides.agentPoolProfiles ?? [agentPool({ vnetSubnetID: subnetId(), orchestratorVersion: overrides.kubernetesVersion })],
    networkProfile: { networkPlugin: 'azure', ...overrides.networkProfile },
  });
}

/** Azure CNI with dynamic IP allocation: pools with a podSubnetID. */
export function dynamicIpCluster(overrides: ManagedClusterOverrides = {}): ManagedClusterResource {
  return managedCluster({
    ...overrides,
    agentPoolProfiles: overrides.agentPoolProfiles ?? [
      agentPool({ vnetSubnetID: subnetId(), podSubnetID: subnetId(POD_SUBNET), maxPods: 250, orchestratorVersion: overrides.kubernetesVersion }),
    ],
    networkProfile: { networkPlugin: 'azure', ...overrides.networkProfile },
  });
}

/** Azure CNI Overlay: networkPluginMode overlay with a pod CIDR, max pods 250. */
export function overlayCluster(overrides: ManagedClusterOverrides = {}): ManagedClusterResource {
  return managedCluster({
    ...overrides,
    agentPoolProfiles: overrides.agentPoolProfiles ?? [agentPool({ vnetSubnetID: subnetId(), maxPods: 250, orchestratorVersion: overrides.kubernetesVersion })],
    networkProfile: { networkPlugin: 'azure', networkPluginMode: 'overlay', podCidr: POD_CIDR, podCidrs: [POD_CIDR], ...overrides.networkProfile },
  });
}

/** Azure CNI Overlay powered by Cilium: dataplane cilium + policy cilium (aks-facts: the PUT needs both). */
export function ciliumCluster(overrides: ManagedClusterOverrides = {}): ManagedClusterResource {
  return overlayCluster({ ...overrides, networkProfile: { networkDataplane: 'cilium', networkPolicy: 'cilium', ...overrides.networkProfile } });
}

export const presets = {
  kubenet: kubenetCluster,
  nodeSubnet: nodeSubnetCluster,
  dynamicIp: dynamicIpCluster,
  overlay: overlayCluster,
  cilium: ciliumCluster,
} as const;
export type PresetName = keyof typeof presets;

// ---------------------------------------------------------------------------------------- network

export interface SubnetSpec {
  name: string;
  addressPrefix?: string;
  addressPrefixes?: string[];
  /** NSG id or name (a name is resolved in the VNet's resource group). */
  nsg?: string;
  routeTable?: string;
  properties?: Partial<SubnetProperties>;
}

export interface PeeringSpec {
  name: string;
  remoteVnetId: string;
  remoteAddressPrefixes: string[];
  peeringState?: string;
}

export interface VnetOverrides {
  name?: string;
  resourceGroup?: string;
  subscriptionId?: string;
  location?: string;
  addressPrefixes?: string[];
  subnets?: SubnetSpec[];
  peerings?: PeeringSpec[];
}

/** A virtual network with subnets and peerings inline, as ARM GET returns it. Default: the preset's node and pod subnets, node subnet behind nsg-aks. */
export function vnet(overrides: VnetOverrides = {}): VirtualNetworkResource {
  const name = overrides.name ?? VNET_NAME;
  const rg = overrides.resourceGroup ?? RESOURCE_GROUP;
  const sub = overrides.subscriptionId ?? SUBSCRIPTION;
  const id = vnetId(name, rg, sub);
  const subnets = overrides.subnets ?? [
    { name: NODE_SUBNET, addressPrefix: NODE_SUBNET_PREFIX, nsg: NSG_NAME },
    { name: POD_SUBNET, addressPrefix: POD_SUBNET_PREFIX },
  ];
  return {
    id,
    name,
    type: 'Microsoft.Network/virtualNetworks',
    location: overrides.location ?? LOCATION,
    etag: 'W/"00000000-0000-0000-0000-0000000000a1"',
    properties: {
      provisioningState: 'Succeeded',
      resourceGuid: '55555555-5555-5555-5555-555555555555',
      addressSpace: { addressPrefixes: overrides.addressPrefixes ?? [VNET_PREFIX] },
      subnets: subnets.map((s) => ({
        name: s.name,
        id: `${id}/subnets/${s.name}`,
        etag: 'W/"00000000-0000-0000-0000-0000000000a1"',
        type: 'Microsoft.Network/virtualNetworks/subnets',
        properties: {
          provisioningState: 'Succeeded',
          ...(s.addressPrefix ? { addressPrefix: s.addressPrefix } : {}),
          ...(s.addressPrefixes ? { addressPrefixes: s.addressPrefixes } : {}),
          ...(s.nsg ? { networkSecurityGroup: { id: s.nsg.startsWith('/') ? s.nsg : nsgId(s.nsg, rg, sub) } } : {}),
          ...(s.routeTable ? { routeTable: { id: s.routeTable } } : {}),
          delegations: [],
          privateEndpointNetworkPolicies: 'Disabled',
          privateLinkServiceNetworkPolicies: 'Enabled',
          ...s.properties,
        },
      })),
      virtualNetworkPeerings: (overrides.peerings ?? []).map((p) => ({
        name: p.name,
        id: `${id}/virtualNetworkPeerings/${p.name}`,
        etag: 'W/"00000000-0000-0000-0000-0000000000a1"',
        type: 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings',
        properties: {
          provisioningState: 'Succeeded',
          peeringState: p.peeringState ?? 'Connected',
          peeringSyncLevel: 'FullyInSync',
          remoteVirtualNetwork: { id: p.remoteVnetId },
          allowVirtualNetworkAccess: true,
          allowForwardedTraffic: false,
          allowGatewayTransit: false,
          useRemoteGateways: false,
          remoteAddressSpace: { addressPrefixes: p.remoteAddressPrefixes },
          remoteVirtualNetworkAddressSpace: { addressPrefixes: p.remoteAddressPrefixes },
        },
      })),
      enableDdosProtection: false,
    },
  };
}

/** A custom security rule; `priority`, `direction`, `access`, `protocol` default to an inbound allow-all at priority 100. */
export function securityRule(name: string, properties: Partial<SecurityRuleProperties> = {}): SecurityRule {
  return {
    name,
    properties: {
      priority: 100,
      direction: 'Inbound',
      access: 'Allow',
      protocol: '*',
      sourceAddressPrefix: '*',
      sourcePortRange: '*',
      destinationAddressPrefix: '*',
      destinationPortRange: '*',
      ...properties,
    },
  };
}

/** The default rules ARM adds to every NSG (returned by GET in `defaultSecurityRules`). */
export function armDefaultSecurityRules(id: string): SecurityRule[] {
  const rule = (name: string, priority: number, direction: 'Inbound' | 'Outbound', access: 'Allow' | 'Deny', src: string, dst: string): SecurityRule => ({
    id: `${id}/defaultSecurityRules/${name}`,
    name,
    properties: {
      description: '',
      protocol: '*',
      sourcePortRange: '*',
      destinationPortRange: '*',
      sourceAddressPrefix: src,
      destinationAddressPrefix: dst,
      access,
      priority,
      direction,
    },
  });
  return [
    rule('AllowVnetInBound', 65000, 'Inbound', 'Allow', 'VirtualNetwork', 'VirtualNetwork'),
    rule('AllowAzureLoadBalancerInBound', 65001, 'Inbound', 'Allow', 'AzureLoadBalancer', '*'),
    rule('DenyAllInBound', 65500, 'Inbound', 'Deny', '*', '*'),
    rule('AllowVnetOutBound', 65000, 'Outbound', 'Allow', 'VirtualNetwork', 'VirtualNetwork'),
    rule('AllowInternetOutBound', 65001, 'Outbound', 'Allow', '*', 'Internet'),
    rule('DenyAllOutBound', 65500, 'Outbound', 'Deny', '*', '*'),
  ];
}

export interface NsgOverrides {
  name?: string;
  resourceGroup?: string;
  subscriptionId?: string;
  location?: string;
  securityRules?: SecurityRule[];
  /** false = omit defaultSecurityRules (some exports do). */
  withDefaultRules?: boolean;
}

/** A network security group with securityRules (and ARM's defaultSecurityRules) inline. */
export function nsg(overrides: NsgOverrides = {}): NetworkSecurityGroupResource {
  const name = overrides.name ?? NSG_NAME;
  const id = nsgId(name, overrides.resourceGroup ?? RESOURCE_GROUP, overrides.subscriptionId ?? SUBSCRIPTION);
  return {
    id,
    name,
    type: 'Microsoft.Network/networkSecurityGroups',
    location: overrides.location ?? LOCATION,
    etag: 'W/"00000000-0000-0000-0000-0000000000b1"',
    properties: {
      provisioningState: 'Succeeded',
      resourceGuid: '66666666-6666-6666-6666-666666666666',
      securityRules: (overrides.securityRules ?? []).map((r) => ({ id: `${id}/securityRules/${r.name}`, ...r })),
      ...(overrides.withDefaultRules === false ? {} : { defaultSecurityRules: armDefaultSecurityRules(id) }),
    },
  };
}

/** A maintenance configuration (child of the cluster), e.g. `aksManagedAutoUpgradeSchedule`. Default: weekly Saturday 00:00 UTC for 8 hours. */
export function maintenanceConfiguration(
  cluster: string,
  name = 'aksManagedAutoUpgradeSchedule',
  properties: MaintenanceConfigurationResource['properties'] = {
    maintenanceWindow: {
      schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Saturday' } },
      durationHours: 8,
      utcOffset: '+00:00',
      startDate: '2026-01-03',
      startTime: '00:00',
    },
  },
): MaintenanceConfigurationResource {
  return { id: `${cluster}/maintenanceConfigurations/${name}`, name, type: 'Microsoft.ContainerService/managedClusters/maintenanceConfigurations', properties };
}

// --------------------------------------------------------------------------------------- kubernetes

function meta(name: string, namespace?: string, labels?: Record<string, string>): KubeObject['metadata'] {
  return {
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(labels ? { labels } : {}),
    uid: `uid-${namespace ?? '_'}-${name}`,
    resourceVersion: '1',
    creationTimestamp: '2026-01-01T00:00:00Z',
  };
}

export function configMap(namespace: string, name: string, data: Record<string, string> = {}): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(name, namespace), data };
}

/** The ip-masq-agent ConfigMap AKS manages itself (fine to keep, seed 000 Warning). */
export function reconciledIpMasqConfigMap(): ConfigMap {
  return configMap('kube-system', 'azure-ip-masq-agent-config-reconciled', {
    'ip-masq-agent-reconciled': 'nonMasqueradeCIDRs:\n  - 10.244.0.0/16\nmasqLinkLocal: true\n',
  });
}

/** A custom or leftover ip-masq-agent ConfigMap (blocks Overlay, seed 000 Warning; aks-facts 2025-01). */
export function customIpMasqConfigMap(nonMasqueradeCidrs: string[] = ['10.0.0.0/8', '192.168.0.0/16']): ConfigMap {
  return configMap('kube-system', 'azure-ip-masq-agent-config', {
    'ip-masq-agent': `nonMasqueradeCIDRs:\n${nonMasqueradeCidrs.map((c) => `  - ${c}`).join('\n')}\nmasqLinkLocal: true\n`,
  });
}

export function networkPolicy(namespace: string, name: string, spec: NetworkPolicy['spec'] = { podSelector: {}, policyTypes: ['Ingress'] }): NetworkPolicy {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(name, namespace), spec };
}

/** An egress policy allowing one CIDR via ipBlock, the shape seed 001/002 FAQ warns about. */
export function ipBlockEgressPolicy(namespace: string, name: string, cidr: string, except?: string[]): NetworkPolicy {
  return networkPolicy(namespace, name, {
    podSelector: {},
    policyTypes: ['Egress'],
    egress: [{ to: [{ ipBlock: { cidr, ...(except ? { except } : {}) } }] }],
  });
}

export function ciliumNetworkPolicy(namespace: string, name: string, spec: Record<string, unknown> = { endpointSelector: {} }): CiliumNetworkPolicy {
  return { apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: meta(name, namespace), spec };
}

export function service(namespace: string, name: string, spec: Partial<NonNullable<Service['spec']>> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name, namespace),
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.0.12.34',
      clusterIPs: ['10.0.12.34'],
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
      selector: { app: name },
      ...spec,
    },
  };
}

export interface PodOptions {
  nodeName?: string;
  hostNetwork?: boolean;
  podIP?: string;
  hostIP?: string;
  ports?: ContainerPort[];
  labels?: Record<string, string>;
}

export function pod(namespace: string, name: string, o: PodOptions = {}): Pod {
  const hostIP = o.hostIP ?? '10.10.0.4';
  const podIP = o.podIP ?? (o.hostNetwork ? hostIP : '10.10.0.20');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(name, namespace, o.labels ?? { app: name }),
    spec: {
      nodeName: o.nodeName ?? 'aks-nodepool1-12345678-vmss000000',
      ...(o.hostNetwork ? { hostNetwork: true } : {}),
      containers: [{ name, image: `mcr.microsoft.com/${name}:1.0`, ...(o.ports ? { ports: o.ports } : {}) }],
    },
    status: { phase: 'Running', podIP, podIPs: [{ ip: podIP }], hostIP },
  };
}

export interface NodeOptions {
  pool?: string;
  os?: 'linux' | 'windows';
  arch?: 'amd64' | 'arm64';
  internalIP?: string;
  podCIDR?: string;
  kernelVersion?: string;
  osImage?: string;
  containerRuntimeVersion?: string;
  kubeletVersion?: string;
  /** Extra labels (e.g. karpenter.sh/nodepool for NAP nodes). */
  labels?: Record<string, string>;
}

export function node(name: string, o: NodeOptions = {}): Node {
  const os = o.os ?? 'linux';
  const arch = o.arch ?? 'amd64';
  const windows = os === 'windows';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: meta(name, undefined, {
      'kubernetes.io/os': os,
      'kubernetes.io/arch': arch,
      'kubernetes.io/hostname': name,
      ...(o.pool ? { 'kubernetes.azure.com/agentpool': o.pool, agentpool: o.pool } : {}),
      ...o.labels,
    }),
    spec: o.podCIDR ? { podCIDR: o.podCIDR, podCIDRs: [o.podCIDR] } : {},
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [
        { type: 'InternalIP', address: o.internalIP ?? '10.10.0.4' },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        kernelVersion: o.kernelVersion ?? (windows ? '10.0.20348.2700' : '5.15.0-1073-azure'),
        osImage: o.osImage ?? (windows ? 'Windows Server 2022 Datacenter' : 'Ubuntu 22.04.5 LTS'),
        containerRuntimeVersion: o.containerRuntimeVersion ?? 'containerd://1.7.22-1',
        kubeletVersion: o.kubeletVersion ?? `v${KUBERNETES_VERSION}`,
        operatingSystem: os,
        architecture: arch,
      },
    },
  };
}

export function daemonSet(namespace: string, name: string, desired = 3, ready = desired): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta(name, namespace),
    status: { desiredNumberScheduled: desired, numberReady: ready, numberAvailable: ready, updatedNumberScheduled: desired },
  };
}

/** A karpenter.sh/v1 NodePool (node auto-provisioning). */
export function karpenterNodePool(name = 'default', spec: KarpenterNodePool['spec'] = {}): KarpenterNodePool {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: meta(name),
    spec: {
      limits: { cpu: '1000' },
      template: { spec: { nodeClassRef: { group: 'karpenter.azure.com', kind: 'AKSNodeClass', name: 'default' }, requirements: [] } },
      disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '0s' },
      ...spec,
    },
  };
}

// ----------------------------------------------------------------------------------------- snapshot

/**
 * The snapshot document: `{resources, kubernetes: {<clusterId>: {items}}}` (shared/model/snapshot.ts).
 * `kubernetes` is keyed by cluster id (as given: pass a differently-cased id to test lookups).
 */
export function snapshotOf(resources: ArmResource[], kubernetes: Record<string, KubeObject[]> = {}): Snapshot {
  return {
    resources,
    kubernetes: Object.fromEntries(Object.entries(kubernetes).map(([id, items]) => [id, { items }])),
  };
}

export interface PresetFixture {
  cluster: ManagedClusterResource;
  vnet?: VirtualNetworkResource;
  nsg?: NetworkSecurityGroupResource;
  snapshot: Snapshot;
}

/**
 * One cluster of the given preset with what it references (VNet + NSG for BYO-subnet presets) and,
 * unless `kube` is false, a minimal set of Kubernetes items (one node per pool, the reconciled
 * ip-masq ConfigMap). Handy for end-to-end style tests of the normalizer and rules.
 */
export function presetFixture(preset: PresetName, overrides: ManagedClusterOverrides = {}, kube: KubeObject[] | false = []): PresetFixture {
  const cluster = presets[preset](overrides);
  const byo = (cluster.properties?.agentPoolProfiles ?? []).some((p) => p.vnetSubnetID);
  const v = byo ? vnet() : undefined;
  const n = byo ? nsg() : undefined;
  const resources: ArmResource[] = [cluster, ...(v ? [v] : []), ...(n ? [n] : [])];
  const pools = cluster.properties?.agentPoolProfiles ?? [];
  const items: KubeObject[] =
    kube === false
      ? []
      : [
          ...pools.map((p, i) =>
            node(`aks-${p.name}-12345678-vmss00000${i}`, {
              pool: p.name,
              os: p.osType === 'Windows' ? 'windows' : 'linux',
              internalIP: `10.10.0.${4 + i}`,
            }),
          ),
          reconciledIpMasqConfigMap(),
          ...kube,
        ];
  return { cluster, vnet: v, nsg: n, snapshot: snapshotOf(resources, kube === false ? {} : { [cluster.id]: items }) };
}
