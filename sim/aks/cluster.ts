/**
 * One simulated managed cluster: its ARM resource, its Kubernetes objects (made lazily: a 10,000-cluster
 * fleet must not build 10,000 object sets it never reads) and the address allocators that give nodes and
 * pods plausible IPs for the cluster's IPAM mode.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AgentPoolProfile, ManagedClusterResource } from '../../shared/model/arm';
import type { DaemonSet, KubeObject, Node, Pod } from '../../shared/model/kube';
import { AGENT_POOL_LABEL, NAP_NODE_LABEL } from '../../shared/model/kube';
import { addressAt, slash24At } from '../ipv4';
import { KubeStore } from '../kube/store';
import { dataplaneOf, ipamOf, isWindows, napOf, podCidrOf, policyOf } from './modes';

/** What a cluster needs from the rest of the simulated world. */
export interface ClusterEnv {
  /** The first address prefix of a subnet (by ARM id), when the subnet's VNet is known. */
  subnetPrefix(subnetId: string): string | undefined;
  nowIso(): string;
  simNow(): number;
}

export interface ClusterRecord {
  key: string;
  resource: ManagedClusterResource;
  eTag: string;
  poolETags: Record<string, string>;
  /** Bumped by every reimage: new node names and node image versions. */
  generation: number;
  ipCursor: Record<string, number>;
  nodeCursor: number;
  kube?: KubeStore;
  seedItems?: KubeObject[];
  /** Path segment of this cluster's Kubernetes API URL. */
  kubeToken: string;
  activeOperationId?: string;
  /** A reimage that a Failed operation left undone: the next successful operation does it. */
  pendingReimage?: boolean;
}

/** AKS's default node subnet when it creates the VNet itself. */
const DEFAULT_NODE_SUBNET = '10.224.0.0/16';
const DEFAULT_KUBENET_POD_CIDR = '10.244.0.0/16';

export function newETag(): string {
  return randomUUID();
}

export function kubeTokenOf(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

export function props(rec: ClusterRecord) {
  rec.resource.properties ??= {};
  return rec.resource.properties;
}

export function pools(rec: ClusterRecord): AgentPoolProfile[] {
  return props(rec).agentPoolProfiles ?? [];
}

function nextIndex(rec: ClusterRecord, key: string, start: number): number {
  const i = rec.ipCursor[key] ?? start;
  rec.ipCursor[key] = i + 1;
  return i;
}

function nodeSubnetOf(rec: ClusterRecord, pool: AgentPoolProfile | undefined, env: ClusterEnv): string {
  const id = pool?.vnetSubnetID ?? pools(rec).find((p) => p.vnetSubnetID)?.vnetSubnetID;
  return (id && env.subnetPrefix(id)) || DEFAULT_NODE_SUBNET;
}

function clusterPodCidr(rec: ClusterRecord): string {
  return podCidrOf(props(rec)) ?? DEFAULT_KUBENET_POD_CIDR;
}

function vmssId(rec: ClusterRecord, pool: string): string {
  const h = createHash('sha256').update(`${rec.key}/${pool}/${rec.generation}`).digest();
  return String(h.readUInt32BE(0) % 100_000_000).padStart(8, '0');
}

export function poolOfNode(rec: ClusterRecord, node: KubeObject): string | undefined {
  const labels = node.metadata.labels ?? {};
  const label = labels[AGENT_POOL_LABEL] ?? labels['agentpool'];
  if (label) return label;
  if (labels[NAP_NODE_LABEL]) return undefined;
  const m = /^aks-([a-z0-9]+)-\d+-vmss/i.exec(node.metadata.name);
  if (m) return pools(rec).find((p) => p.name.toLowerCase() === m[1].toLowerCase())?.name;
  return pools(rec).find((p) => node.metadata.name.toLowerCase().startsWith(`aks${p.name.toLowerCase()}`))?.name;
}

function isArm64(vmSize: string | undefined): boolean {
  return /^Standard_[A-Z]+\d+[a-z]*p[a-z]*_v\d+$/i.test(vmSize ?? '');
}

/** Default node image per OS, and the next one after a reimage (always different, so a verifier can tell). */
export function nextNodeImageVersion(current: string | undefined, windows: boolean, generation: number, simNow: number): string {
  const d = new Date(simNow);
  const yyyymm = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  const dd = String(d.getUTCDate()).padStart(2, '0');
  if (windows) {
    const base = current && /^AKSWindows-/.test(current) ? current.replace(/\.\d+$/, '') : 'AKSWindows-2022-containerd-20348.2762';
    return `${base}.${yyyymm.slice(2)}${dd}${generation}`;
  }
  const prefix = current && /^AKS[A-Za-z]+-/.test(current) ? current.replace(/-\d{6}\.\d+\.\d+$/, '') : 'AKSUbuntu-2204gen2containerd';
  return `${prefix}-${yyyymm}.${dd}.${generation}`;
}

export function makeNode(rec: ClusterRecord, env: ClusterEnv, pool: AgentPoolProfile | undefined, napPool?: string): Node {
  const windows = pool ? isWindows(pool) : false;
  const idx = rec.nodeCursor++;
  const suffix = idx.toString(36).padStart(6, '0');
  const name = napPool
    ? `aks-${napPool}-${createHash('sha256').update(`${rec.key}/${idx}`).digest('hex').slice(0, 5)}`
    : windows
      ? `aks${pool!.name}${suffix}`
      : `aks-${pool!.name}-${vmssId(rec, pool!.name)}-vmss${suffix}`;
  const subnet = nodeSubnetOf(rec, pool, env);
  const ip = addressAt(subnet, nextIndex(rec, subnet, 4));
  const ipam = ipamOf(props(rec));
  const version = pool?.orchestratorVersion ?? props(rec).kubernetesVersion ?? '1.30.0';
  const arch = isArm64(pool?.vmSize) ? 'arm64' : 'amd64';
  const labels: Record<string, string> = {
    'kubernetes.io/os': windows ? 'windows' : 'linux',
    'kubernetes.io/arch': arch,
    'kubernetes.io/hostname': name,
    'node.kubernetes.io/instance-type': pool?.vmSize ?? 'Standard_D4s_v5',
    'topology.kubernetes.io/region': rec.resource.location ?? 'eastus',
  };
  if (pool) {
    labels[AGENT_POOL_LABEL] = pool.name;
    labels['agentpool'] = pool.name;
    labels['kubernetes.azure.com/mode'] = (pool.mode ?? 'User').toLowerCase();
    if (pool.nodeImageVersion) labels['kubernetes.azure.com/node-image-version'] = pool.nodeImageVersion;
  }
  if (napPool) labels[NAP_NODE_LABEL] = napPool;
  if (dataplaneOf(props(rec)) === 'cilium') labels['kubernetes.azure.com/ebpf-dataplane'] = 'cilium';
  const spec: NonNullable<Node['spec']> = {};
  if (ipam === 'kubenet' || ipam === 'overlay') {
    const podCidr = slash24At(clusterPodCidr(rec), nextIndex(rec, `pod:${clusterPodCidr(rec)}`, 0));
    spec.podCIDR = podCidr;
    spec.podCIDRs = [podCidr];
  }
  const winBuild = /20348\.\d+/.exec(pool?.nodeImageVersion ?? '')?.[0] ?? '20348.2762';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels, creationTimestamp: env.nowIso() },
    spec,
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        kubeletVersion: `v${version}`,
        containerRuntimeVersion: windows ? 'containerd://1.7.20+azure' : 'containerd://1.7.27-1',
        osImage: windows ? 'Windows Server 2022 Datacenter' : 'Ubuntu 22.04.5 LTS',
        kernelVersion: windows ? `10.0.${winBuild}` : '5.15.0-1089-azure',
        operatingSystem: windows ? 'windows' : 'linux',
        architecture: arch,
      },
    },
  };
}

function nodeIp(node: Node): string {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '10.224.0.4';
}

/** A pod IP as the cluster's IPAM mode hands it out: from the node's pod CIDR, the node subnet or the pod subnet. */
function podIpFor(rec: ClusterRecord, env: ClusterEnv, node: Node, hostNetwork: boolean): string {
  if (hostNetwork) return nodeIp(node);
  const ipam = ipamOf(props(rec));
  if ((ipam === 'overlay' || ipam === 'kubenet') && node.spec?.podCIDR) {
    return addressAt(node.spec.podCIDR, nextIndex(rec, `node:${node.metadata.name}`, 2));
  }
  const poolName = poolOfNode(rec, node);
  const pool = pools(rec).find((p) => p.name === poolName);
  if (ipam === 'dynamicIp' && pool?.podSubnetID) {
    const cidr = env.subnetPrefix(pool.podSubnetID) ?? '10.225.0.0/16';
    return addressAt(cidr, nextIndex(rec, cidr, 4));
  }
  const subnet = nodeSubnetOf(rec, pool, env);
  return addressAt(subnet, nextIndex(rec, subnet, 4));
}

export function makePod(
  rec: ClusterRecord,
  env: ClusterEnv,
  name: string,
  namespace: string,
  node: Node,
  opts: { hostNetwork?: boolean; owner?: { kind: string; name: string }; labels?: Record<string, string>; ports?: Array<{ containerPort: number; hostPort?: number; protocol?: string }> } = {},
): Pod {
  const ip = podIpFor(rec, env, node, !!opts.hostNetwork);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: opts.labels ?? {},
      ...(opts.owner ? { ownerReferences: [{ apiVersion: opts.owner.kind === 'DaemonSet' ? 'apps/v1' : 'apps/v1', kind: opts.owner.kind, name: opts.owner.name }] } : {}),
    },
    spec: {
      nodeName: node.metadata.name,
      ...(opts.hostNetwork ? { hostNetwork: true } : {}),
      containers: [{ name: name.replace(/-[a-z0-9]{5}$/, ''), image: 'mcr.microsoft.com/oss/kubernetes/pause:3.6', ...(opts.ports ? { ports: opts.ports } : {}) }],
    },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], hostIP: nodeIp(node) },
  };
}

function suffix5(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 5);
}

interface DaemonSetSpec {
  name: string;
  namespace: string;
  os: 'linux' | 'windows';
}

/** The system DaemonSets AKS runs for a network configuration. */
export function systemDaemonSets(rec: ClusterRecord): DaemonSetSpec[] {
  const p = props(rec);
  const out: DaemonSetSpec[] = [{ name: 'cloud-node-manager', namespace: 'kube-system', os: 'linux' }];
  const cilium = dataplaneOf(p) === 'cilium';
  // After a Cilium data plane update kube-proxy is gone: Cilium replaces it (seed 002, "Azure CNI Powered by Cilium").
  if (cilium) out.push({ name: 'cilium', namespace: 'kube-system', os: 'linux' });
  else out.push({ name: 'kube-proxy', namespace: 'kube-system', os: 'linux' });
  if ((p.networkProfile?.networkPlugin ?? 'kubenet').toLowerCase() === 'azure') out.push({ name: 'azure-cns', namespace: 'kube-system', os: 'linux' });
  out.push({ name: 'azure-ip-masq-agent', namespace: 'kube-system', os: 'linux' });
  const policy = policyOf(p);
  if (policy === 'azure' && !cilium) out.push({ name: 'azure-npm', namespace: 'kube-system', os: 'linux' });
  if (policy === 'calico' && !cilium) out.push({ name: 'calico-node', namespace: 'calico-system', os: 'linux' });
  if (pools(rec).some(isWindows)) out.push({ name: 'kube-proxy-windows', namespace: 'kube-system', os: 'windows' });
  return out;
}

function nodeOs(node: KubeObject): string {
  return node.metadata.labels?.['kubernetes.io/os'] ?? (node as Node).status?.nodeInfo?.operatingSystem ?? 'linux';
}

function makeDaemonSet(spec: DaemonSetSpec, nodes: Node[]): DaemonSet {
  const n = nodes.filter((x) => nodeOs(x) === spec.os).length;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: spec.name, namespace: spec.namespace, labels: { 'k8s-app': spec.name } },
    spec: { selector: { matchLabels: { 'k8s-app': spec.name } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': spec.os } } } },
    status: { desiredNumberScheduled: n, currentNumberScheduled: n, numberReady: n, numberAvailable: n, updatedNumberScheduled: n },
  } as DaemonSet;
}

function dsPodsFor(rec: ClusterRecord, env: ClusterEnv, spec: DaemonSetSpec, nodes: Node[]): Pod[] {
  return nodes
    .filter((n) => nodeOs(n) === spec.os)
    .map((n) =>
      makePod(rec, env, `${spec.name}-${suffix5(`${n.metadata.name}/${spec.name}`)}`, spec.namespace, n, {
        hostNetwork: true,
        owner: { kind: 'DaemonSet', name: spec.name },
        labels: { 'k8s-app': spec.name },
      }),
    );
}

/** A plausible default object set for a cluster seeded without Kubernetes items. */
export function defaultKubeObjects(rec: ClusterRecord, env: ClusterEnv): KubeObject[] {
  const p = props(rec);
  const out: KubeObject[] = [];
  const namespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'web'];
  if (policyOf(p) === 'calico') namespaces.push('calico-system');
  for (const ns of namespaces) out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns }, status: { phase: 'Active' } } as KubeObject);

  const nodes: Node[] = [];
  for (const pool of pools(rec)) for (let i = 0; i < (pool.count ?? 1); i++) nodes.push(makeNode(rec, env, pool));
  const nap = napOf(p) === 'Auto';
  if (nap) {
    out.push({
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodePool',
      metadata: { name: 'default' },
      spec: { limits: { cpu: '1000' }, template: { spec: { nodeClassRef: { group: 'karpenter.azure.com', kind: 'AKSNodeClass', name: 'default' } } } },
    } as KubeObject);
    for (let i = 0; i < 2; i++) nodes.push(makeNode(rec, env, undefined, 'default'));
  }
  out.push(...nodes);

  for (const spec of systemDaemonSets(rec)) {
    out.push(makeDaemonSet(spec, nodes));
    out.push(...dsPodsFor(rec, env, spec, nodes));
  }

  const linux = nodes.filter((n) => nodeOs(n) === 'linux');
  const system = linux.filter((n) => n.metadata.labels?.['kubernetes.azure.com/mode'] === 'system');
  const systemNodes = system.length ? system : linux;
  const userNodes = linux.filter((n) => !systemNodes.includes(n));
  const workNodes = userNodes.length ? userNodes : systemNodes;
  const at = (list: Node[], i: number): Node | undefined => (list.length ? list[i % list.length] : undefined);
  const deployments: Array<{ name: string; ns: string; nodes: Node[]; replicas: number; port: number }> = [
    { name: 'coredns', ns: 'kube-system', nodes: systemNodes, replicas: 2, port: 53 },
    { name: 'metrics-server', ns: 'kube-system', nodes: systemNodes, replicas: 1, port: 4443 },
    { name: 'web', ns: 'web', nodes: workNodes, replicas: Math.max(2, workNodes.length), port: 8080 },
  ];
  for (const d of deployments) {
    for (let i = 0; i < d.replicas; i++) {
      const node = at(d.nodes, i);
      if (!node) continue;
      out.push(makePod(rec, env, `${d.name}-${suffix5(`${rec.key}/${d.name}/${i}`)}`, d.ns, node, { owner: { kind: 'ReplicaSet', name: d.name }, labels: { app: d.name }, ports: [{ containerPort: d.port }] }));
    }
  }

  const serviceCidr = p.networkProfile?.serviceCidr ?? p.networkProfile?.serviceCidrs?.[0] ?? '10.0.0.0/16';
  const dnsIp = p.networkProfile?.dnsServiceIP ?? addressAt(serviceCidr, 10);
  const svc = (name: string, ns: string, clusterIP: string, port: number, selector?: Record<string, string>): KubeObject =>
    ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { type: 'ClusterIP', clusterIP, clusterIPs: [clusterIP], ports: [{ port, protocol: 'TCP' }], ...(selector ? { selector } : {}) } }) as KubeObject;
  out.push(svc('kubernetes', 'default', addressAt(serviceCidr, 1), 443));
  out.push(svc('kube-dns', 'kube-system', dnsIp, 53, { 'k8s-app': 'kube-dns' }));
  out.push(svc('web', 'web', addressAt(serviceCidr, 100), 80, { app: 'web' }));

  out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns', namespace: 'kube-system' }, data: { Corefile: '.:53 { forward . /etc/resolv.conf }' } } as KubeObject);
  out.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'azure-ip-masq-agent-config-reconciled', namespace: 'kube-system' },
    data: { 'ip-masq-agent-reconciled': 'nonMasqueradeCIDRs:\n  - 10.0.0.0/8\nmasqLinkLocal: true\n' },
  } as KubeObject);
  return out;
}

/** The Kubernetes store of a cluster, built on first use. */
export function kubeOf(rec: ClusterRecord, env: ClusterEnv): KubeStore {
  if (!rec.kube) {
    const items = rec.seedItems ?? defaultKubeObjects(rec, env);
    rec.seedItems = undefined;
    rec.kube = new KubeStore(items, () => env.nowIso());
  }
  return rec.kube;
}

function isDaemonPod(pod: Pod): boolean {
  const refs = (pod.metadata as { ownerReferences?: Array<{ kind?: string }> }).ownerReferences;
  return !!refs?.some((r) => r.kind === 'DaemonSet');
}

/** Recomputes every DaemonSet's status from the nodes: after a reimage all system pods are up and ready. */
function refreshDaemonSets(store: KubeStore): void {
  const nodes = store.nodes();
  for (const ds of store.list('apps', 'DaemonSet') as DaemonSet[]) {
    const sel = ((ds as { spec?: { template?: { spec?: { nodeSelector?: Record<string, string> } } } }).spec?.template?.spec?.nodeSelector ?? {})['kubernetes.io/os'];
    const n = nodes.filter((x) => nodeOs(x) === (sel ?? 'linux')).length;
    ds.status = { ...(ds.status ?? {}), desiredNumberScheduled: n, numberReady: n, numberAvailable: n, updatedNumberScheduled: n };
    (ds.status as Record<string, unknown>).currentNumberScheduled = n;
    store.touch(ds);
  }
}

/** Moves a pod to another node, re-addressed the way the cluster's IPAM mode addresses pods now. */
function rehome(rec: ClusterRecord, env: ClusterEnv, store: KubeStore, pod: Pod, node: Node): void {
  const hostNetwork = !!pod.spec?.hostNetwork;
  const ip = podIpFor(rec, env, node, hostNetwork);
  pod.spec = { ...(pod.spec ?? {}), nodeName: node.metadata.name };
  pod.status = { ...(pod.status ?? {}), phase: 'Running', podIP: ip, podIPs: [{ ip }], hostIP: nodeIp(node) };
  store.touch(pod);
}

/** Brings the system DaemonSets in line with the network configuration (Cilium in, kube-proxy and NPM/Calico out). */
function reconcileDaemonSets(rec: ClusterRecord, env: ClusterEnv, store: KubeStore): void {
  const wanted = systemDaemonSets(rec);
  const managed = new Set(['kube-proxy', 'cilium', 'azure-cns', 'azure-npm', 'calico-node', 'azure-ip-masq-agent', 'cloud-node-manager', 'kube-proxy-windows']);
  for (const ds of store.list('apps', 'DaemonSet')) {
    if (managed.has(ds.metadata.name) && !wanted.some((w) => w.name === ds.metadata.name)) {
      store.remove(ds);
      for (const pod of store.pods().filter((p) => p.metadata.name.startsWith(`${ds.metadata.name}-`) || p.metadata.labels?.['k8s-app'] === ds.metadata.name)) store.remove(pod);
    }
  }
  const nodes = store.nodes();
  for (const w of wanted) {
    if (!store.get('apps', 'DaemonSet', w.namespace, w.name)) store.add(makeDaemonSet(w, nodes));
  }
  // One pod per node for every system DaemonSet.
  for (const w of wanted) {
    const have = new Set(store.pods().filter((p) => p.metadata.labels?.['k8s-app'] === w.name || p.metadata.name.startsWith(`${w.name}-`)).map((p) => p.spec?.nodeName));
    for (const pod of dsPodsFor(rec, env, w, nodes.filter((n) => !have.has(n.metadata.name)))) store.add(pod);
  }
  refreshDaemonSets(store);
}

/**
 * Reimages every pool at once, as an IPAM or data plane update does (seed 000: "The update process
 * triggers node pools to be reimaged simultaneously"): new nodes with new names and a new node image,
 * workload pods moved to them and re-addressed (pod CIDR addresses after Overlay), system DaemonSets
 * reconciled (Cilium ready and kube-proxy gone after a Cilium update). NAP nodes are replaced too: NAP
 * (Auto) keeps capacity for the workload it placed.
 */
export function reimageAll(rec: ClusterRecord, env: ClusterEnv): void {
  const store = kubeOf(rec, env);
  rec.generation++;
  for (const pool of pools(rec)) {
    pool.nodeImageVersion = nextNodeImageVersion(pool.nodeImageVersion, isWindows(pool), rec.generation, env.simNow());
    pool.provisioningState = 'Succeeded';
  }
  const oldNodes = store.nodes().slice();
  const replacement = new Map<string, Node>();
  for (const pool of pools(rec)) {
    const olds = oldNodes.filter((n) => poolOfNode(rec, n) === pool.name);
    const count = Math.max(pool.count ?? olds.length, 0);
    const fresh: Node[] = [];
    for (let i = 0; i < count; i++) fresh.push(store.add(makeNode(rec, env, pool)) as Node);
    olds.forEach((o, i) => fresh.length && replacement.set(o.metadata.name, fresh[i % fresh.length]));
  }
  for (const old of oldNodes.filter((n) => n.metadata.labels?.[NAP_NODE_LABEL])) {
    const napPool = old.metadata.labels![NAP_NODE_LABEL];
    replacement.set(old.metadata.name, store.add(makeNode(rec, env, undefined, napPool)) as Node);
  }
  for (const old of oldNodes) if (replacement.has(old.metadata.name)) store.remove(old);
  const anyNode = store.nodes()[0];
  for (const pod of store.pods().slice()) {
    if (isDaemonPod(pod)) {
      store.remove(pod);
      continue;
    }
    const from = pod.spec?.nodeName;
    const to = (from && replacement.get(from)) ?? (from && store.nodes().find((n) => n.metadata.name === from)) ?? anyNode;
    if (to) rehome(rec, env, store, pod, to as Node);
  }
  reconcileDaemonSets(rec, env, store);
}

/** Scales one pool to `count` nodes: new nodes join, or the newest leave with their pods moved. */
export function scalePool(rec: ClusterRecord, env: ClusterEnv, poolName: string, count: number): void {
  if (!rec.kube && rec.seedItems === undefined) return; // objects not built yet: they will be built at the new count
  const store = kubeOf(rec, env);
  const pool = pools(rec).find((p) => p.name === poolName);
  if (!pool) return;
  const current = store.nodes().filter((n) => poolOfNode(rec, n) === poolName);
  for (let i = current.length; i < count; i++) store.add(makeNode(rec, env, pool));
  for (const gone of current.slice(count)) removeNode(rec, env, gone);
  reconcileDaemonSets(rec, env, store);
}

/** Deletes a node: its workload pods drain to the other nodes, its DaemonSet pods go with it. */
export function removeNode(rec: ClusterRecord, env: ClusterEnv, node: Node): void {
  const store = kubeOf(rec, env);
  store.remove(node);
  const targets = store.nodes().filter((n) => !n.spec?.unschedulable && nodeOs(n) === nodeOs(node));
  let i = 0;
  for (const pod of store.pods().filter((p) => p.spec?.nodeName === node.metadata.name)) {
    if (isDaemonPod(pod) || targets.length === 0) store.remove(pod);
    else rehome(rec, env, store, pod, targets[i++ % targets.length]);
  }
  refreshDaemonSets(store);
}

/** Karpenter (NAP Auto) replaces a deleted node while its NodePool may still provision (limits.cpu ≠ 0, no disable taint). */
export function napReplacesNode(rec: ClusterRecord, env: ClusterEnv, napPool: string): Node | undefined {
  if (napOf(props(rec)) !== 'Auto') return undefined;
  const store = kubeOf(rec, env);
  const np = store.get('karpenter.sh', 'NodePool', undefined, napPool) as
    | { spec?: { limits?: { cpu?: unknown }; template?: { spec?: { taints?: Array<{ key: string }> } } } }
    | undefined;
  if (!np) return undefined;
  if (String(np.spec?.limits?.cpu ?? '') === '0') return undefined;
  if (np.spec?.template?.spec?.taints?.some((t) => t.key === 'karpenter.azure.com/disable')) return undefined;
  const node = makeNode(rec, env, undefined, napPool);
  store.add(node);
  refreshDaemonSets(store);
  return node;
}

export function reconcileAfterNetworkChange(rec: ClusterRecord, env: ClusterEnv): void {
  if (!rec.kube && rec.seedItems === undefined) return;
  reconcileDaemonSets(rec, env, kubeOf(rec, env));
}
