/**
 * Snapshot → ClusterFacts. Reads ARM JSON (as ARM GET returns it) and Kubernetes objects and turns one
 * managed cluster, with the VNets, NSGs and maintenance configurations it references, into the typed
 * facts the rule catalog and the planner read. Never throws on odd input: what cannot be read becomes
 * a gap (ClusterFacts.gaps) that the catalog reports.
 */
import { armIdKey, parseArmId, vnetIdOfSubnet } from '../arm/id';
import type {
  AgentPoolProfile,
  ArmResource,
  MaintenanceConfigurationResource,
  ManagedClusterResource,
  NetworkSecurityGroupResource,
  VirtualNetworkResource,
} from './arm';
import { RESOURCE_TYPES } from './arm';
import type {
  ByoSubnetFacts,
  ClusterFacts,
  Dataplane,
  IpamMode,
  IpFamily,
  KubeFacts,
  NapMode,
  NsgFacts,
  PolicyEngine,
  PoolFacts,
  VnetFacts,
} from './facts';
import type { CiliumNetworkPolicy, ConfigMap, DaemonSet, KarpenterNodePool, KubeObject, NetworkPolicy, Node, Pod, Service } from './kube';
import { AGENT_POOL_LABEL } from './kube';
import { tryParseCidr } from '../network/cidr';
import type { Snapshot } from './snapshot';

/** What normalizeCluster needs to resolve references; a snapshot or a live read can provide it. */
export interface ResourceIndex {
  /** The resource with this ARM id (compared case-insensitively), if known. */
  get(id: string): ArmResource | undefined;
  /** All resources of a type (type compared case-insensitively). */
  ofType(type: string): ArmResource[];
  /** Kubernetes objects recorded for the cluster; undefined when none were collected. */
  kubeItems(clusterId: string): KubeObject[] | undefined;
  /**
   * Optional fast path: the maintenance configurations whose lower-cased id starts with
   * `{armIdKey(clusterId)}/maintenanceconfigurations/`, in ofType order. Without it normalizeCluster
   * filters ofType(maintenanceConfiguration), which is quadratic over a fleet.
   */
  maintenanceConfigurationsOf?(clusterId: string): ArmResource[];
  /**
   * Optional fast path: the VNets whose lower-cased id contains `/resourcegroups/{rg}/` (rg lower case,
   * no '/'), in ofType order. Without it normalizeCluster filters ofType(virtualNetwork).
   */
  virtualNetworksInResourceGroup?(resourceGroupLowerCase: string): ArmResource[];
}

const MAINTENANCE_CHILD = '/maintenanceconfigurations/';
const RESOURCE_GROUP_SEGMENT = '/resourcegroups/';

function pushOnce(map: Map<string, ArmResource[]>, key: string, r: ArmResource): void {
  const list = map.get(key);
  if (!list) map.set(key, [r]);
  else if (list[list.length - 1] !== r) list.push(r);
}

/**
 * Indexes a snapshot by lower-cased ARM id (armIdKey) and type, once: every lookup normalizeCluster makes
 * per cluster is then a Map hit, so a 10,000-cluster fleet normalizes in linear time (scanning the whole
 * snapshot per cluster took minutes).
 */
export function indexSnapshot(snapshot: Snapshot): ResourceIndex {
  const byId = new Map<string, ArmResource>();
  const byType = new Map<string, ArmResource[]>();
  const maintenanceByCluster = new Map<string, ArmResource[]>();
  const vnetsByGroup = new Map<string, ArmResource[]>();
  for (const r of snapshot.resources) {
    const key = armIdKey(r.id);
    byId.set(key, r);
    const t = r.type.toLowerCase();
    const list = byType.get(t);
    if (list) list.push(r);
    else byType.set(t, [r]);
    if (t === RESOURCE_TYPES.maintenanceConfiguration) {
      // Every prefix that ends right before '/maintenanceconfigurations/' is a cluster key the
      // startsWith test in normalizeCluster would accept.
      for (let i = key.indexOf(MAINTENANCE_CHILD); i >= 0; i = key.indexOf(MAINTENANCE_CHILD, i + 1)) pushOnce(maintenanceByCluster, key.slice(0, i), r);
    } else if (t === RESOURCE_TYPES.virtualNetwork) {
      // Each '/resourcegroups/{rg}/' the id contains, as the includes() test in normalizeCluster reads it.
      for (let i = key.indexOf(RESOURCE_GROUP_SEGMENT); i >= 0; i = key.indexOf(RESOURCE_GROUP_SEGMENT, i + 1)) {
        const start = i + RESOURCE_GROUP_SEGMENT.length;
        const end = key.indexOf('/', start);
        if (end >= 0) pushOnce(vnetsByGroup, key.slice(start, end), r);
      }
    }
  }
  // First entry wins for ids equal but for case, as kubeItemsFor reads them.
  const kube = new Map<string, KubeObject[]>();
  for (const id of Object.keys(snapshot.kubernetes)) {
    const key = armIdKey(id);
    if (!kube.has(key)) kube.set(key, snapshot.kubernetes[id].items);
  }
  return {
    get: (id) => byId.get(armIdKey(id)),
    ofType: (type) => byType.get(type.toLowerCase()) ?? [],
    kubeItems: (clusterId) => kube.get(armIdKey(clusterId)),
    maintenanceConfigurationsOf: (clusterId) => maintenanceByCluster.get(armIdKey(clusterId)) ?? [],
    virtualNetworksInResourceGroup: (rg) => vnetsByGroup.get(rg) ?? [],
  };
}

/** Every managed cluster in the snapshot, normalized, in the snapshot's order. */
export function normalizeFleet(snapshot: Snapshot): ClusterFacts[] {
  const index = indexSnapshot(snapshot);
  return index.ofType(RESOURCE_TYPES.managedCluster).map((c) => normalizeCluster(c as ManagedClusterResource, index));
}

/** The gap recorded when no Kubernetes objects were collected (the catalog reports it with the rules it skipped). */
export const KUBERNETES_GAP = 'Kubernetes objects: none in the snapshot for this cluster';

// ------------------------------------------------------------------------------------ small parsers

/**
 * Kubernetes versions as AKS writes them ('1.29', '1.29.7'). Hand-written: a three-number compare does
 * not warrant a dependency (semver is not a direct dependency of this package).
 */
export function parseKubernetesVersion(v: string | undefined): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec((v ?? '').trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

export function compareKubernetesVersions(a: string, b: string): number {
  const pa = parseKubernetesVersion(a);
  const pb = parseKubernetesVersion(b);
  if (!pa || !pb) return 0;
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

/** Splits an Azure VM size name: 'Standard_D4ps_v5' → family 'D', vCPUs 4, features 'ps', version 'v5'. */
export function parseVmSize(vmSize: string): { family: string; features: string; version?: string } | undefined {
  // Family letters (lazy, so 'DS2' keeps 'DS'), vCPU count, optional constrained-core suffix ('-2'),
  // lower-case feature letters, then '_v5' / '_A100_v4' etc. Lower-case input ('standard_d4ps_v5') still splits.
  const m = /^standard_([a-z]+?)(\d+)(?:-\d+)?([a-z]*)(?:_(.*))?$/i.exec(vmSize.trim());
  if (!m) return undefined;
  const version = /(?:^|_)(v\d+)$/i.exec(m[4] ?? '')?.[1]?.toLowerCase();
  return { family: m[1], features: m[3], version };
}

/** ARM64 (Ampere) sizes carry the feature letter 'p': Standard_D4ps_v5, Standard_E2pds_v5, Standard_D2plds_v5. */
export function isArm64VmSize(vmSize: string): boolean {
  const s = parseVmSize(vmSize);
  return !!s && s.features.toLowerCase().includes('p');
}

/** DCsv2-series confidential VMs: Standard_DC1s_v2 … Standard_DC8_v2 (seed 003, Limitations with Azure CNI Overlay). */
export function isDCsv2VmSize(vmSize: string): boolean {
  return /^standard_dc\d+s?_v2$/i.test(vmSize.trim());
}

/** Windows build from a node image version: 'AKSWindows-2022-containerd-20348.1668.230915' → '20348.1668'. */
export function windowsBuildFromImage(nodeImageVersion: string | undefined): string | undefined {
  const m = /akswindows.*?-(\d{5})\.(\d+)/i.exec(nodeImageVersion ?? '');
  return m ? `${m[1]}.${m[2]}` : undefined;
}

/** Windows build from a node's kernelVersion: '10.0.20348.1668' → '20348.1668'. */
export function windowsBuildFromKernel(kernelVersion: string | undefined): string | undefined {
  const m = /^10\.0\.(\d{5})\.(\d+)/.exec((kernelVersion ?? '').trim());
  return m ? `${m[1]}.${m[2]}` : undefined;
}

export function compareWindowsBuilds(a: string, b: string): number {
  const [a1, a2] = a.split('.').map(Number);
  const [b1, b2] = b.split('.').map(Number);
  return a1 !== b1 ? a1 - b1 : (a2 ?? 0) - (b2 ?? 0);
}

/** The value when it is a non-empty string (snapshots are hand-edited: a number or object where ARM has a string is ignored). */
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** The strings of an array (anything else: none). */
function strs(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function dedupe(values: unknown[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of values) {
    const t = typeof v === 'string' ? v.trim() : undefined;
    if (t && !seen.has(t.toLowerCase())) {
      seen.add(t.toLowerCase());
      out.push(t);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------- kube

/** 'networking.k8s.io/v1' → 'networking.k8s.io'; 'v1' (the core group) → ''. */
function apiGroupOf(apiVersion: string): string {
  if (typeof apiVersion !== 'string') return (apiVersion as string).split('/').length > 1 ? (apiVersion as string).split('/')[0] : ''; // as before for odd input
  const slash = apiVersion.indexOf('/');
  return slash >= 0 ? apiVersion.slice(0, slash) : '';
}

function kubeFacts(items: KubeObject[]): KubeFacts {
  const k: KubeFacts = { configMaps: [], networkPolicies: [], ciliumNetworkPolicies: [], services: [], pods: [], nodes: [], daemonSets: [], napNodePools: [] };
  for (const o of items) {
    if (!o || typeof o !== 'object' || !o.metadata) continue;
    const group = apiGroupOf(o.apiVersion ?? '');
    switch (o.kind) {
      case 'ConfigMap':
        k.configMaps.push(o as ConfigMap);
        break;
      case 'NetworkPolicy':
        // networking.k8s.io only: Calico (crd.projectcalico.org) has its own NetworkPolicy kind.
        if (group === 'networking.k8s.io') k.networkPolicies.push(o as NetworkPolicy);
        break;
      case 'CiliumNetworkPolicy':
      case 'CiliumClusterwideNetworkPolicy':
        k.ciliumNetworkPolicies.push(o as CiliumNetworkPolicy);
        break;
      case 'Service':
        k.services.push(o as Service);
        break;
      case 'Pod':
        k.pods.push(o as Pod);
        break;
      case 'Node':
        k.nodes.push(o as Node);
        break;
      case 'DaemonSet':
        k.daemonSets.push(o as DaemonSet);
        break;
      case 'NodePool':
        if (group === 'karpenter.sh') k.napNodePools.push(o as KarpenterNodePool);
        break;
      default:
        break;
    }
  }
  return k;
}

function nodesOfPool(nodes: Node[], pool: string): Node[] {
  return nodes.filter((n) => {
    const l = n.metadata.labels && typeof n.metadata.labels === 'object' ? n.metadata.labels : {};
    return l[AGENT_POOL_LABEL] === pool || l.agentpool === pool;
  });
}

// ------------------------------------------------------------------------------------------ pools

/**
 * maxPods when ARM omits it. ARM GET returns it for every pool; older exports may not.
 * Overlay 250: seed 003 § Maximum pods per node ("The default for Azure CNI Overlay is 250").
 * Azure CNI node subnet 30: seed 004 ("three nodes with a max pod count of 30 per node").
 * Dynamic IP 30 and kubenet 110: learn.microsoft.com/azure/aks/concepts-network-ip-address-planning (max pods table).
 */
export function defaultMaxPods(ipam: IpamMode): number {
  switch (ipam) {
    case 'overlay':
      return 250;
    case 'kubenet':
      return 110;
    default:
      return 30;
  }
}

function poolFacts(p: AgentPoolProfile, ipam: IpamMode, nodes: Node[] | undefined, gaps: string[]): PoolFacts {
  const name = str(p.name) ?? '(unnamed)';
  const osType: 'Linux' | 'Windows' = String(p.osType ?? '').toLowerCase() === 'windows' ? 'Windows' : 'Linux';
  const vmSize = str(p.vmSize) ?? '';
  if (!vmSize) gaps.push(`pool ${name}: vmSize missing`);
  const poolNodes = nodes ? nodesOfPool(nodes, name) : [];
  const armNode = poolNodes.some((n) => n.metadata.labels?.['kubernetes.io/arch'] === 'arm64' || n.status?.nodeInfo?.architecture === 'arm64');

  let windowsBuild: string | undefined;
  let containerRuntime: 'docker' | 'containerd' | undefined;
  const runtimes = poolNodes.map((n) => str(n.status?.nodeInfo?.containerRuntimeVersion)).filter((r): r is string => !!r);
  if (runtimes.some((r) => r.startsWith('docker://'))) containerRuntime = 'docker';
  else if (runtimes.some((r) => r.startsWith('containerd://'))) containerRuntime = 'containerd';
  const image = str(p.nodeImageVersion);
  if (osType === 'Windows') {
    // Running nodes are the truth (the lowest build counts); the pool's image is the fallback.
    const builds = poolNodes.map((n) => windowsBuildFromKernel(str(n.status?.nodeInfo?.kernelVersion))).filter((b): b is string => !!b);
    windowsBuild = builds.sort(compareWindowsBuilds)[0] ?? windowsBuildFromImage(image);
    if (!containerRuntime && image) {
      // Windows Server 2019 images without 'containerd' in the name run Docker; 2022 is containerd-only.
      if (/containerd/i.test(image)) containerRuntime = 'containerd';
      else if (/akswindows-2019/i.test(image)) containerRuntime = 'docker';
      else if (/akswindows-2022|akswindows-23h2|akswindows-2025/i.test(image)) containerRuntime = 'containerd';
    }
    if (!containerRuntime && /windows2022|windowsannual|windows2025/i.test(String(p.osSKU ?? ''))) containerRuntime = 'containerd';
    if (!windowsBuild) gaps.push(`pool ${name}: Windows OS build unknown (no nodeImageVersion or node kernelVersion)`);
    if (!containerRuntime) gaps.push(`pool ${name}: container runtime unknown (no node containerRuntimeVersion, image name gives no hint)`);
  } else if (!containerRuntime && image && /containerd/i.test(image)) {
    containerRuntime = 'containerd';
  }

  const count = num(p.count) ?? poolNodes.length;
  const enableAutoScaling = p.enableAutoScaling === true;
  const maxReachableNodes = enableAutoScaling ? Math.max(count, num(p.maxCount) ?? count) : count;
  return {
    name,
    mode: str(p.mode) ?? 'User',
    osType,
    osSku: str(p.osSKU),
    vmSize,
    isArm64: isArm64VmSize(vmSize) || armNode,
    isDCsv2: isDCsv2VmSize(vmSize),
    type: str(p.type) ?? 'VirtualMachineScaleSets',
    nodeImageVersion: image,
    windowsBuild,
    containerRuntime,
    maxPods: num(p.maxPods) ?? defaultMaxPods(ipam),
    count,
    enableAutoScaling,
    minCount: num(p.minCount),
    maxCount: num(p.maxCount),
    maxReachableNodes,
    vnetSubnetId: str(p.vnetSubnetID),
    podSubnetId: str(p.podSubnetID),
    orchestratorVersion: str(p.currentOrchestratorVersion) ?? str(p.orchestratorVersion),
    provisioningState: str(p.provisioningState),
  };
}

// ----------------------------------------------------------------------------------------- network

function byoSubnets(pools: PoolFacts[], gaps: string[]): ByoSubnetFacts[] {
  const out = new Map<string, ByoSubnetFacts>();
  for (const p of pools) {
    for (const id of [p.vnetSubnetId, p.podSubnetId]) {
      if (!id) continue;
      const key = armIdKey(id);
      const existing = out.get(key);
      if (existing) {
        if (!existing.usedBy.includes(p.name)) existing.usedBy.push(p.name);
        continue;
      }
      try {
        const parsed = parseArmId(id);
        if (parsed.names.length !== 2 || !/^microsoft\.network\/virtualnetworks\/subnets$/i.test(parsed.type ?? '')) throw new Error('not a subnet id');
        out.set(key, { subnetId: id, subnetName: parsed.names[1], vnetName: parsed.names[0], vnetResourceGroup: parsed.resourceGroup ?? '', usedBy: [p.name] });
      } catch {
        gaps.push(`pool ${p.name}: '${id}' is not a subnet id (…/virtualNetworks/{vnet}/subnets/{subnet})`);
      }
    }
  }
  return [...out.values()];
}

/** Address prefixes the pod CIDR planner and NSG rules compare against: an unreadable one is a gap (it cannot be checked). */
function checkPrefixes(where: string, prefixes: string[], gaps: string[]): void {
  for (const p of prefixes) if (!tryParseCidr(p, { allowBareAddress: true })) gaps.push(`${where}: address prefix '${p}' is not a valid CIDR`);
}

function vnetFacts(v: VirtualNetworkResource, gaps: string[]): VnetFacts {
  const props = v.properties ?? {};
  let resourceGroup = '';
  try {
    resourceGroup = parseArmId(v.id).resourceGroup ?? '';
  } catch {
    /* the snapshot schema already checked the id's prefix; an odd id leaves the group empty */
  }
  const facts: VnetFacts = {
    id: v.id,
    name: v.name,
    resourceGroup,
    addressPrefixes: dedupe(strs(props.addressSpace?.addressPrefixes)),
    subnets: (Array.isArray(props.subnets) ? props.subnets : [])
      .filter((s) => !!s && typeof s === 'object')
      .map((s) => ({
        id: str(s.id) ?? `${v.id}/subnets/${String(s.name)}`,
        name: str(s.name) ?? '(unnamed)',
        addressPrefixes: dedupe([s.properties?.addressPrefix, ...strs(s.properties?.addressPrefixes)]),
        nsgId: str(s.properties?.networkSecurityGroup?.id),
      })),
    peerings: (Array.isArray(props.virtualNetworkPeerings) ? props.virtualNetworkPeerings : [])
      .filter((p) => !!p && typeof p === 'object')
      .map((p) => ({
        name: str(p.name) ?? '(unnamed)',
        state: str(p.properties?.peeringState),
        remoteVnetId: str(p.properties?.remoteVirtualNetwork?.id),
        remoteAddressPrefixes: dedupe([...strs(p.properties?.remoteVirtualNetworkAddressSpace?.addressPrefixes), ...strs(p.properties?.remoteAddressSpace?.addressPrefixes)]),
      })),
  };
  checkPrefixes(`VNet ${v.name}`, facts.addressPrefixes, gaps);
  for (const s of facts.subnets) checkPrefixes(`subnet ${s.name} of VNet ${v.name}`, s.addressPrefixes, gaps);
  for (const p of facts.peerings) checkPrefixes(`peering ${p.name} of VNet ${v.name}`, p.remoteAddressPrefixes, gaps);
  return facts;
}

function nsgFacts(n: NetworkSecurityGroupResource): NsgFacts {
  return {
    id: n.id,
    name: n.name,
    securityRules: Array.isArray(n.properties?.securityRules) ? n.properties.securityRules : [],
    defaultSecurityRules: Array.isArray(n.properties?.defaultSecurityRules) ? n.properties.defaultSecurityRules : [],
  };
}

// ------------------------------------------------------------------------------------------ cluster

function ipamOf(plugin: string, mode: string | undefined, pools: AgentPoolProfile[]): IpamMode {
  if (plugin === 'kubenet') return 'kubenet';
  if ((mode ?? '').toLowerCase() === 'overlay') return 'overlay';
  if (pools.some((p) => !!str(p.podSubnetID))) return 'dynamicIp';
  return 'nodeSubnet';
}

function policyOf(value: string | undefined, gaps: string[]): PolicyEngine {
  const v = (value ?? 'none').toLowerCase();
  if (v === 'azure' || v === 'calico' || v === 'cilium') return v;
  if (v !== 'none' && v !== '') gaps.push(`networkProfile.networkPolicy '${value}' is not one of none, azure, calico, cilium; treated as none`);
  return 'none';
}

/**
 * One managed cluster with what it references. `index` resolves VNets (from the pools' subnet ids), NSGs
 * (subnet.properties.networkSecurityGroup.id), maintenance configurations (children of the cluster id)
 * and Kubernetes items, all by ARM id compared case-insensitively.
 */
export function normalizeCluster(cluster: ManagedClusterResource, index: ResourceIndex): ClusterFacts {
  const gaps: string[] = [];
  const props = cluster.properties ?? {};
  if (!cluster.properties) gaps.push('properties missing: the resource has no managed cluster properties');
  let subscriptionId = '';
  let resourceGroup = '';
  try {
    const parsed = parseArmId(cluster.id);
    subscriptionId = parsed.subscriptionId;
    resourceGroup = parsed.resourceGroup ?? '';
  } catch (e) {
    gaps.push((e as Error).message);
  }

  const np = props.networkProfile && typeof props.networkProfile === 'object' ? props.networkProfile : {};
  if (!props.networkProfile) gaps.push('networkProfile missing: network plugin assumed kubenet (the AKS default when none is set)');
  const networkPlugin = (str(np.networkPlugin) ?? 'kubenet').toLowerCase();
  const rawPools = (Array.isArray(props.agentPoolProfiles) ? props.agentPoolProfiles : []).filter((p): p is AgentPoolProfile => !!p && typeof p === 'object');
  if (rawPools.length === 0) gaps.push('agentPoolProfiles missing or empty: no node pools to check');
  const ipam = ipamOf(networkPlugin, str(np.networkPluginMode), rawPools);
  const dataplane: Dataplane =
    String(np.networkDataplane ?? '').toLowerCase() === 'cilium' || String(np.ebpfDataplane ?? '').toLowerCase() === 'cilium' // legacy field, seed 001 § Prerequisites note
      ? 'cilium'
      : 'azure';
  const networkPolicy = policyOf(str(np.networkPolicy), gaps);
  const napMode: NapMode = String(props.nodeProvisioningProfile?.mode ?? '').toLowerCase() === 'auto' ? 'Auto' : 'Manual';

  const items = index.kubeItems(cluster.id);
  const kubernetes = items && items.length > 0 ? kubeFacts(items) : undefined;
  if (!kubernetes) gaps.push(KUBERNETES_GAP);

  const pools = rawPools.map((p) => poolFacts(p, ipam, kubernetes?.nodes, gaps));

  const controlPlane = str(props.currentKubernetesVersion) ?? str(props.kubernetesVersion);
  const versions = [controlPlane, ...pools.map((p) => p.orchestratorVersion)].filter((v): v is string => !!v && !!parseKubernetesVersion(v));
  const lowestKubernetesVersion = versions.sort(compareKubernetesVersions)[0];
  if (!controlPlane) gaps.push('kubernetesVersion missing');

  const byo = byoSubnets(pools, gaps);
  const vnets: VnetFacts[] = [];
  const nsgs: NsgFacts[] = [];
  const vnetIds = new Map<string, { id: string; pools: string[] }>();
  for (const s of byo) {
    const id = vnetIdOfSubnet(s.subnetId);
    if (!id) continue;
    const e = vnetIds.get(armIdKey(id)) ?? { id, pools: [] };
    for (const p of s.usedBy) if (!e.pools.includes(p)) e.pools.push(p);
    vnetIds.set(armIdKey(id), e);
  }
  for (const { id, pools: users } of vnetIds.values()) {
    const v = index.get(id);
    if (v && v.type.toLowerCase() === RESOURCE_TYPES.virtualNetwork) vnets.push(vnetFacts(v as VirtualNetworkResource, gaps));
    else gaps.push(`VNet ${id} (used by pool${users.length > 1 ? 's' : ''} ${users.join(', ')}) is not in the snapshot`);
  }
  if (byo.length === 0 && str(props.nodeResourceGroup)) {
    // AKS-managed VNet: it lives in the node resource group.
    const group = String(props.nodeResourceGroup).toLowerCase();
    const managed =
      index.virtualNetworksInResourceGroup && !group.includes('/')
        ? index.virtualNetworksInResourceGroup(group)
        : index.ofType(RESOURCE_TYPES.virtualNetwork).filter((v) => armIdKey(v.id).includes(`${RESOURCE_GROUP_SEGMENT}${group}/`));
    vnets.push(...managed.map((v) => vnetFacts(v as VirtualNetworkResource, gaps)));
    if (managed.length === 0 && rawPools.length > 0) gaps.push(`AKS-managed VNet in node resource group ${props.nodeResourceGroup} is not in the snapshot`);
  }

  // NSGs attached to the node subnets (the subnets that carry node and, with Overlay, pod traffic; seed 003 § Network security groups).
  const nodeSubnetKeys = new Set(pools.map((p) => p.vnetSubnetId).filter((x): x is string => !!x).map(armIdKey));
  const seenNsg = new Set<string>();
  for (const v of vnets) {
    for (const s of v.subnets) {
      const used = byo.length === 0 || nodeSubnetKeys.has(armIdKey(s.id));
      if (!used || !s.nsgId || seenNsg.has(armIdKey(s.nsgId))) continue;
      seenNsg.add(armIdKey(s.nsgId));
      const n = index.get(s.nsgId);
      if (n && n.type.toLowerCase() === RESOURCE_TYPES.networkSecurityGroup) nsgs.push(nsgFacts(n as NetworkSecurityGroupResource));
      else gaps.push(`NSG ${s.nsgId} (on subnet ${s.name}) is not in the snapshot`);
    }
  }
  for (const s of byo) {
    if (!nodeSubnetKeys.has(armIdKey(s.subnetId))) continue;
    const v = vnets.find((x) => armIdKey(x.id) === armIdKey(vnetIdOfSubnet(s.subnetId) ?? ''));
    if (v && !v.subnets.some((x) => armIdKey(x.id) === armIdKey(s.subnetId))) gaps.push(`subnet ${s.subnetName} is not in VNet ${v.name} as recorded in the snapshot`);
  }

  const clusterKey = armIdKey(cluster.id);
  const maintenanceConfigurations = (
    index.maintenanceConfigurationsOf
      ? [...index.maintenanceConfigurationsOf(cluster.id)]
      : index.ofType(RESOURCE_TYPES.maintenanceConfiguration).filter((m) => armIdKey(m.id).startsWith(`${clusterKey}${MAINTENANCE_CHILD}`))
  ) as MaintenanceConfigurationResource[];

  const families = dedupe(strs(np.ipFamilies)).map((f) => (f.toLowerCase() === 'ipv6' ? 'IPv6' : f.toLowerCase() === 'ipv4' ? 'IPv4' : undefined));
  const ipFamilies = families.filter((f): f is IpFamily => !!f);

  const addons = props.addonProfiles && typeof props.addonProfiles === 'object' ? props.addonProfiles : {};
  const agic = Object.entries(addons).find(([k]) => k.toLowerCase() === 'ingressapplicationgateway')?.[1] as { enabled?: unknown } | undefined;
  const identityType = str(cluster.identity?.type) ?? 'None';

  return {
    id: cluster.id,
    name: cluster.name,
    resourceGroup,
    subscriptionId,
    location: (str(cluster.location) ?? '').toLowerCase().replace(/\s+/g, ''),
    tags: cluster.tags && typeof cluster.tags === 'object' ? cluster.tags : {},
    provisioningState: str(props.provisioningState),
    powerState: str((props.powerState as { code?: unknown } | undefined)?.code),
    kubernetesVersion: controlPlane,
    lowestKubernetesVersion,
    ipam,
    dataplane,
    networkPolicy,
    napMode,
    networkPlugin,
    networkPluginMode: str(np.networkPluginMode),
    podCidrs: dedupe([np.podCidr, ...strs(np.podCidrs)]),
    serviceCidrs: dedupe([np.serviceCidr, ...strs(np.serviceCidrs)]),
    dnsServiceIp: str(np.dnsServiceIP),
    ipFamilies: ipFamilies.length ? ipFamilies : ['IPv4'],
    outboundType: str(np.outboundType),
    pools,
    addons: { appGatewayIngress: agic?.enabled === true },
    identity: { type: identityType, userAssigned: /userassigned/i.test(identityType) },
    byoSubnets: byo,
    vnets,
    nsgs,
    maintenanceConfigurations,
    kubernetes,
    gaps,
  };
}
