/**
 * ClusterFacts: one cluster, with its VNet, subnets, NSGs and Kubernetes objects, normalized into the
 * typed facts the rule catalog and planner read. Built by normalize.ts from a snapshot or a live read.
 */
import type { MaintenanceConfigurationResource, SecurityRule } from './arm';
import type { ConfigMap, CiliumNetworkPolicy, DaemonSet, KarpenterNodePool, NetworkPolicy, Node, Pod, Service } from './kube';

/** How pod IPs are assigned. `dynamicIp` = Azure CNI with dynamic IP allocation (pools with podSubnetID). */
export type IpamMode = 'kubenet' | 'nodeSubnet' | 'dynamicIp' | 'overlay';
export type Dataplane = 'azure' | 'cilium';
export type PolicyEngine = 'none' | 'azure' | 'calico' | 'cilium';
/** Node auto-provisioning mode; `Manual` when the cluster has no nodeProvisioningProfile. */
export type NapMode = 'Auto' | 'Manual';
export type IpFamily = 'IPv4' | 'IPv6';

export const IPAM_MODES: readonly IpamMode[] = ['kubenet', 'nodeSubnet', 'dynamicIp', 'overlay'];
export const DATAPLANES: readonly Dataplane[] = ['azure', 'cilium'];
export const POLICY_ENGINES: readonly PolicyEngine[] = ['none', 'azure', 'calico', 'cilium'];
export const NAP_MODES: readonly NapMode[] = ['Auto', 'Manual'];

export interface PoolFacts {
  name: string;
  mode: string; // System | User
  osType: 'Linux' | 'Windows';
  osSku?: string;
  vmSize: string;
  /** ARM64 VM size (a 'p' in the size's feature letters, e.g. Standard_D4ps_v5) or nodes labelled arm64. */
  isArm64: boolean;
  /** DCsv2-series confidential VM (Standard_DC{n}s_v2). */
  isDCsv2: boolean;
  /** VirtualMachineScaleSets | AvailabilitySet | VirtualMachines */
  type: string;
  nodeImageVersion?: string;
  /** Windows OS build in the node image, e.g. '20348.1668'; undefined for Linux or when unknown. */
  windowsBuild?: string;
  /** `docker` or `containerd` (Windows pools on Docker block Overlay); undefined when unknown. */
  containerRuntime?: 'docker' | 'containerd';
  maxPods: number;
  count: number;
  enableAutoScaling: boolean;
  minCount?: number;
  maxCount?: number;
  /** The largest node count this pool can reach: maxCount when autoscaling, else count. */
  maxReachableNodes: number;
  vnetSubnetId?: string;
  podSubnetId?: string;
  orchestratorVersion?: string;
  provisioningState?: string;
}

export interface SubnetFacts {
  id: string;
  name: string;
  addressPrefixes: string[];
  nsgId?: string;
}

export interface PeeringFacts {
  name: string;
  state?: string;
  remoteVnetId?: string;
  remoteAddressPrefixes: string[];
}

export interface VnetFacts {
  id: string;
  name: string;
  resourceGroup: string;
  addressPrefixes: string[];
  subnets: SubnetFacts[];
  peerings: PeeringFacts[];
}

export interface NsgFacts {
  id: string;
  name: string;
  /** Custom rules as ARM returns them. */
  securityRules: SecurityRule[];
  /** Default rules as ARM returns them; empty when the source omitted them (the evaluator supplies ARM's defaults). */
  defaultSecurityRules: SecurityRule[];
}

/** A BYO (bring-your-own) node or pod subnet: names are used as node labels (63-character limit, seed 003 Limitations). */
export interface ByoSubnetFacts {
  subnetId: string;
  subnetName: string;
  vnetName: string;
  vnetResourceGroup: string;
  usedBy: string[]; // pool names
}

export interface KubeFacts {
  configMaps: ConfigMap[];
  networkPolicies: NetworkPolicy[];
  ciliumNetworkPolicies: CiliumNetworkPolicy[];
  services: Service[];
  pods: Pod[];
  nodes: Node[];
  daemonSets: DaemonSet[];
  napNodePools: KarpenterNodePool[];
}

export interface ClusterFacts {
  id: string;
  name: string;
  resourceGroup: string;
  subscriptionId: string;
  location: string;
  tags: Record<string, string>;
  provisioningState?: string;
  /** properties.powerState.code: Running | Stopped. */
  powerState?: string;
  kubernetesVersion?: string;
  /** The lowest of the control plane's and every pool's version: what the version rules compare. */
  lowestKubernetesVersion?: string;

  ipam: IpamMode;
  dataplane: Dataplane;
  networkPolicy: PolicyEngine;
  napMode: NapMode;

  networkPlugin: string; // azure | kubenet | none
  networkPluginMode?: string;
  podCidrs: string[];
  serviceCidrs: string[];
  dnsServiceIp?: string;
  ipFamilies: IpFamily[];
  outboundType?: string;

  pools: PoolFacts[];
  addons: { appGatewayIngress: boolean };
  identity: { type: string; userAssigned: boolean };

  /** BYO subnets used by the pools (none when AKS created the VNet). */
  byoSubnets: ByoSubnetFacts[];
  /** VNets that hold the cluster's node (and pod) subnets, when known. */
  vnets: VnetFacts[];
  /** NSGs attached to the cluster's node subnets, when known. */
  nsgs: NsgFacts[];
  maintenanceConfigurations: MaintenanceConfigurationResource[];
  /** Undefined when no Kubernetes objects were collected for the cluster (rules that need them report that). */
  kubernetes?: KubeFacts;
  /** Facts that could not be gathered (e.g. 'VNet ... not in snapshot'); reported as info findings. */
  gaps: string[];
}
