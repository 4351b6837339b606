/**
 * The subset of ARM resource JSON that aksnet reads, exactly as ARM GET returns it (REST shape,
 * camelCase `properties`). Unknown fields are kept: a snapshot round-trips what ARM said.
 */
export interface ArmResource<P = Record<string, unknown>> {
  id: string;
  name: string;
  type: string;
  location?: string;
  tags?: Record<string, string>;
  etag?: string;
  properties?: P;
  [extra: string]: unknown;
}

export interface AgentPoolProfile {
  name: string;
  count?: number;
  vmSize?: string;
  osType?: 'Linux' | 'Windows' | string;
  osSKU?: string;
  mode?: 'System' | 'User' | string;
  type?: 'VirtualMachineScaleSets' | 'AvailabilitySet' | 'VirtualMachines' | string;
  maxPods?: number;
  enableAutoScaling?: boolean;
  minCount?: number;
  maxCount?: number;
  vnetSubnetID?: string;
  podSubnetID?: string;
  orchestratorVersion?: string;
  currentOrchestratorVersion?: string;
  nodeImageVersion?: string;
  provisioningState?: string;
  powerState?: { code?: string };
  nodeLabels?: Record<string, string>;
  nodeTaints?: string[];
  [extra: string]: unknown;
}

export interface NetworkProfile {
  networkPlugin?: 'azure' | 'kubenet' | 'none' | string;
  networkPluginMode?: 'overlay' | string;
  networkPolicy?: 'none' | 'azure' | 'calico' | 'cilium' | string;
  networkDataplane?: 'azure' | 'cilium' | string;
  /** API versions 2022-09-02-preview..2023-01-02-preview used this field (seed 001, note under Prerequisites). */
  ebpfDataplane?: string;
  podCidr?: string;
  podCidrs?: string[];
  serviceCidr?: string;
  serviceCidrs?: string[];
  dnsServiceIP?: string;
  ipFamilies?: string[];
  outboundType?: string;
  loadBalancerSku?: string;
  [extra: string]: unknown;
}

export interface ManagedClusterProperties {
  provisioningState?: string;
  powerState?: { code?: string };
  kubernetesVersion?: string;
  currentKubernetesVersion?: string;
  dnsPrefix?: string;
  fqdn?: string;
  nodeResourceGroup?: string;
  agentPoolProfiles?: AgentPoolProfile[];
  networkProfile?: NetworkProfile;
  nodeProvisioningProfile?: { mode?: 'Auto' | 'Manual' | string; [extra: string]: unknown };
  addonProfiles?: Record<string, { enabled?: boolean; config?: Record<string, string>; [extra: string]: unknown }>;
  [extra: string]: unknown;
}

export interface ManagedClusterResource extends ArmResource<ManagedClusterProperties> {
  identity?: { type?: string; userAssignedIdentities?: Record<string, unknown>; [extra: string]: unknown };
  sku?: { name?: string; tier?: string };
}

export interface SubnetProperties {
  addressPrefix?: string;
  addressPrefixes?: string[];
  networkSecurityGroup?: { id: string };
  routeTable?: { id: string };
  [extra: string]: unknown;
}

export type VirtualNetworkResource = ArmResource<{
    addressSpace?: { addressPrefixes?: string[] };
    subnets?: Array<{ id: string; name: string; properties?: SubnetProperties; [extra: string]: unknown }>;
    virtualNetworkPeerings?: Array<{
      id?: string;
      name: string;
      properties?: {
        peeringState?: string;
        remoteAddressSpace?: { addressPrefixes?: string[] };
        remoteVirtualNetworkAddressSpace?: { addressPrefixes?: string[] };
        remoteVirtualNetwork?: { id: string };
        [extra: string]: unknown;
      };
      [extra: string]: unknown;
    }>;
    [extra: string]: unknown;
  }>;

export interface SecurityRuleProperties {
  priority: number;
  direction: 'Inbound' | 'Outbound';
  access: 'Allow' | 'Deny';
  protocol: string; // Tcp | Udp | Icmp | Esp | Ah | *
  sourceAddressPrefix?: string;
  sourceAddressPrefixes?: string[];
  destinationAddressPrefix?: string;
  destinationAddressPrefixes?: string[];
  sourcePortRange?: string;
  sourcePortRanges?: string[];
  destinationPortRange?: string;
  destinationPortRanges?: string[];
  [extra: string]: unknown;
}

export interface SecurityRule {
  id?: string;
  name: string;
  properties: SecurityRuleProperties;
}

export type NetworkSecurityGroupResource = ArmResource<{ securityRules?: SecurityRule[]; defaultSecurityRules?: SecurityRule[]; [extra: string]: unknown }>;

export interface MaintenanceWindow {
  schedule?: {
    daily?: { intervalDays: number };
    weekly?: { intervalWeeks: number; dayOfWeek: string };
    absoluteMonthly?: { intervalMonths: number; dayOfMonth: number };
    relativeMonthly?: { intervalMonths: number; weekIndex: string; dayOfWeek: string };
  };
  durationHours?: number;
  utcOffset?: string;
  startDate?: string;
  startTime?: string;
  notAllowedDates?: Array<{ start: string; end: string }>;
}

export type MaintenanceConfigurationResource = ArmResource<{
    maintenanceWindow?: MaintenanceWindow;
    timeInWeek?: Array<{ day: string; hourSlots: number[] }>;
    notAllowedTime?: Array<{ start: string; end: string }>;
    [extra: string]: unknown;
  }>;

export const RESOURCE_TYPES = {
  managedCluster: 'microsoft.containerservice/managedclusters',
  maintenanceConfiguration: 'microsoft.containerservice/managedclusters/maintenanceconfigurations',
  virtualNetwork: 'microsoft.network/virtualnetworks',
  networkSecurityGroup: 'microsoft.network/networksecuritygroups',
} as const;
