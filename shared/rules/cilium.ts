/**
 * Preconditions, limitations and warnings of the data plane update to Azure CNI Powered by Cilium
 * (step dataplane:cilium). Seed 000 (newest, authoritative) § "Update the data plane to Azure CNI
 * Powered by Cilium"; seeds 001/002 for Cilium's limitations and FAQ (002 is the newer revision).
 */
import type { ClusterFacts, KubeFacts } from '../model/facts';
import type { NetworkPolicy, NetworkPolicyPeer } from '../model/kube';
import { NAP_NODE_LABEL } from '../model/kube';
import type { PlanContext } from '../model/plan';
import { contains, overlaps, tryParseCidr } from '../network/cidr';
import { type CatalogRule, SEEDS, count, hasStep, kubeRule, listOf, objectName, runsBefore } from './catalog-rule';

const CILIUM = ['dataplane:cilium'] as const;
const CONSIDERATIONS = 'Update the data plane to Azure CNI Powered by Cilium › Update considerations';

export const ciliumSourceIpam: CatalogRule = {
  id: 'cilium.source-ipam',
  severity: 'blocker',
  title: 'Source IPAM must be Azure CNI (kubenet goes through Overlay first)',
  appliesTo: CILIUM,
  source: {
    doc: SEEDS.update,
    section: 'Supported migration paths › Data plane migration to Azure CNI Powered by Cilium',
    note: '001 (2024-02) says Azure CNI node subnet is not supported; 000, 002 and 004 (newer) support any Azure CNI IPAM mode including node subnet → supported.',
  },
  remediation: 'Update the IPAM mode to Azure CNI Overlay first (target overlay+cilium does both, as two operations), then the data plane.',
  evaluate({ facts, plan }) {
    if (facts.ipam !== 'kubenet') return [];
    if (runsBefore(plan, 'ipam:overlay', 'dataplane:cilium')) {
      return [{ severity: 'info', message: 'Kubenet cannot move to Cilium directly: the plan updates the IPAM mode to Overlay first, then the data plane, as two operations.' }];
    }
    return [{ message: 'Kubenet cluster: the Cilium data plane needs Azure CNI, and the plan does not update the IPAM mode to Overlay first.' }];
  },
};

export const ciliumWindowsPools: CatalogRule = {
  id: 'cilium.windows-pools',
  severity: 'blocker',
  title: 'No Windows node pools',
  appliesTo: CILIUM,
  source: { doc: SEEDS.update, section: CONSIDERATIONS },
  remediation: 'Cilium runs on Linux only: move the Windows workloads to another cluster and delete the Windows pools, then assess again.',
  evaluate({ facts }) {
    const pools = facts.pools.filter((p) => p.osType === 'Windows');
    return pools.length ? [{ message: `${count(pools.length, 'Windows pool')}: ${listOf(pools.map((p) => p.name))}.` }] : [];
  },
};

export const ciliumNodeAutoProvisioning: CatalogRule = {
  id: 'cilium.node-auto-provisioning',
  severity: 'info',
  title: 'Node auto-provisioning is disabled around the update',
  appliesTo: CILIUM,
  source: { doc: SEEDS.update, section: CONSIDERATIONS },
  remediation: 'Nothing to do: aksnet disables NAP before the data plane update and re-enables it after (the workaround seed 000 gives). NAP nodes are drained to fixed pools meanwhile.',
  evaluate({ facts, plan }) {
    if (facts.napMode !== 'Auto') return [];
    const k = facts.kubernetes;
    const detail = k
      ? ` (${count(k.napNodePools.length, 'NodePool')}${k.napNodePools.length ? ` ${listOf(k.napNodePools.map((n) => n.metadata.name))}` : ''}, ${count(k.nodes.filter((n) => n.metadata.labels?.[NAP_NODE_LABEL]).length, 'NAP node')})`
      : '';
    if (!runsBefore(plan, 'nap:disable', 'dataplane:cilium')) {
      return [{ severity: 'blocker', message: `Node auto-provisioning is Auto${detail} and the plan does not disable it before the data plane update.`, remediation: 'Disable NAP first (nodeProvisioningProfile.mode Manual, as aks-facts.md describes) and re-enable it after.' }];
    }
    return [{ message: `Node auto-provisioning is Auto${detail}: aksnet disables it before the update and re-enables it after.` }];
  },
};

export const ciliumPolicyEngineReplaced: CatalogRule = {
  id: 'cilium.policy-engine-replaced',
  severity: 'warning',
  title: 'Azure NPM or Calico is uninstalled and replaced by Cilium',
  appliesTo: CILIUM,
  source: { doc: SEEDS.update, section: CONSIDERATIONS },
  remediation: "Review the NetworkPolicies against Cilium's semantics (learn.microsoft.com: Migrate from Network Policy Manager (NPM) to Cilium Network Policy) and test them on a Cilium cluster before the update.",
  evaluate({ facts }) {
    if (facts.networkPolicy !== 'azure' && facts.networkPolicy !== 'calico') return [];
    const engine = facts.networkPolicy === 'azure' ? 'Azure Network Policy Manager' : 'Calico';
    const n = facts.kubernetes ? `; ${count(facts.kubernetes.networkPolicies.length, 'NetworkPolicy', 'NetworkPolicies')} will be enforced by Cilium instead` : '';
    return [{ message: `${engine} is uninstalled and replaced by Cilium${n}; policy behaviour may change.` }];
  },
};

export const ciliumIrreversible: CatalogRule = {
  id: 'cilium.irreversible',
  severity: 'warning',
  title: 'Cilium cannot be disabled (acknowledge)',
  appliesTo: CILIUM,
  source: { doc: SEEDS.cilium2025, section: 'Update an existing cluster to Azure CNI Powered by Cilium' },
  remediation: 'Acknowledge that going back to another data plane means a new cluster; test the workloads on a Cilium cluster first.',
  evaluate({ facts }) {
    return [{ message: `After the update the data plane of ${facts.name} stays Cilium: it cannot be disabled, another data plane needs a new cluster.` }];
  },
};

export const ciliumReimage: CatalogRule = {
  id: 'cilium.reimage-all-pools',
  severity: 'warning',
  title: 'Every node pool is reimaged at once (acknowledge)',
  appliesTo: CILIUM,
  source: { doc: SEEDS.update, section: 'Update the data plane to Azure CNI Powered by Cilium › Warning' },
  remediation: 'Acknowledge the disruption: schedule the update in a maintenance window, check PodDisruptionBudgets allow draining, expect disruption similar to a node image upgrade.',
  evaluate({ facts }) {
    const nodes = facts.pools.reduce((n, p) => n + p.count, 0);
    return [{ message: `Every node pool is reimaged at the same time: ${count(facts.pools.length, 'pool')} (${listOf(facts.pools.map((p) => p.name))}), ${count(nodes, 'node')}; pools cannot be updated one at a time.` }];
  },
};

export const ciliumPolicyEnforcementDelay: CatalogRule = {
  id: 'cilium.policy-enforcement-delay',
  severity: 'info',
  title: 'Cilium enforces policies only after every node is reimaged',
  appliesTo: CILIUM,
  source: { doc: SEEDS.update, section: 'Update the data plane to Azure CNI Powered by Cilium › Warning' },
  remediation: 'Expect NetworkPolicies to be unenforced on Cilium nodes until the last node is reimaged; plan the window accordingly.',
  evaluate({ facts }) {
    const n = facts.kubernetes?.networkPolicies.length;
    if (n === 0 || (n === undefined && facts.networkPolicy === 'none')) return [];
    const what = n !== undefined ? count(n, 'NetworkPolicy', 'NetworkPolicies') : `the ${facts.networkPolicy} policies`;
    return [{ message: `Cilium begins enforcing ${what} only after all ${count(facts.pools.reduce((s, p) => s + p.count, 0), 'node')} are reimaged.` }];
  },
};

// ------------------------------------------------------------------------------- ipBlock and pod/node IPs

/**
 * A range and what it is. The description is assembled only for the few ranges an ipBlock covers
 * (whatOf): building it for every subnet and node of every cluster was a large part of a fleet run.
 */
interface LabeledRange {
  cidr: string;
  /** 'pod CIDR', 'node subnet', 'node', ... */
  label: string;
  /** The subnet or node name, when the range belongs to one. */
  owner?: string;
  kind: 'pod' | 'node';
}

/** 'pod CIDR 10.244.0.0/16', 'node subnet snet-a (10.1.0.0/24)', 'node aks-1 (10.1.0.4)'. */
function whatOf(r: LabeledRange): string {
  return r.owner === undefined ? `${r.label} ${r.cidr}` : `${r.label} ${r.owner} (${r.cidr})`;
}

/** Ranges that hold pod and node IPs during and after the update (pod CIDRs, node/pod subnets, node IPs). */
function clusterRanges(facts: ClusterFacts, plan: PlanContext, kube: KubeFacts): LabeledRange[] {
  const out: LabeledRange[] = [];
  for (const c of facts.podCidrs) out.push({ cidr: c, label: 'pod CIDR', kind: 'pod' });
  if (hasStep(plan, 'ipam:overlay') && plan.podCidr?.cidr) out.push({ cidr: plan.podCidr.cidr, label: 'planned pod CIDR', kind: 'pod' });
  const nodeSubnets = new Set(facts.pools.map((p) => p.vnetSubnetId?.toLowerCase()).filter(Boolean));
  const podSubnets = new Set(facts.pools.map((p) => p.podSubnetId?.toLowerCase()).filter(Boolean));
  const managed = facts.byoSubnets.length === 0;
  for (const v of facts.vnets) {
    for (const s of v.subnets) {
      const id = s.id.toLowerCase();
      const isNode = managed || nodeSubnets.has(id);
      const isPod = podSubnets.has(id);
      for (const p of s.addressPrefixes) {
        if (isNode) out.push({ cidr: p, label: 'node subnet', owner: s.name, kind: 'node' });
        // Node subnet mode: pods take IPs from the node subnet too.
        if (isNode && facts.ipam === 'nodeSubnet') out.push({ cidr: p, label: 'pod IPs in node subnet', owner: s.name, kind: 'pod' });
        if (isPod) out.push({ cidr: p, label: 'pod subnet', owner: s.name, kind: 'pod' });
      }
    }
  }
  for (const n of kube.nodes) {
    for (const a of n.status?.addresses ?? []) if (a.type === 'InternalIP') out.push({ cidr: a.address, label: 'node', owner: n.metadata.name, kind: 'node' });
  }
  return out;
}

function rangeHit(block: { cidr: string; except?: string[] }, r: LabeledRange): boolean {
  const b = tryParseCidr(block.cidr);
  const c = tryParseCidr(r.cidr, { allowBareAddress: true });
  if (!b || !c || !overlaps(b, c)) return false;
  // An `except` that covers the whole range removes it from the block.
  return !(block.except ?? []).some((e) => {
    const x = tryParseCidr(e);
    return !!x && contains(x, c);
  });
}

/** A peer that selects every pod in every namespace (the seed 001/002 FAQ workaround). */
function selectsAllPods(peers: NetworkPolicyPeer[]): boolean {
  const empty = (s: Record<string, unknown> | undefined): boolean =>
    !!s && Object.values(s).every((v) => v === undefined || (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && v !== null && Object.keys(v).length === 0));
  return peers.some((p) => !p.ipBlock && empty(p.namespaceSelector) && (p.podSelector === undefined || empty(p.podSelector)));
}

function ipBlockFindings(policy: NetworkPolicy, ranges: LabeledRange[]): { pods: string[]; nodes: string[] } {
  const pods = new Set<string>();
  const nodes = new Set<string>();
  const rules = [...(policy.spec?.ingress ?? []).map((r) => r.from ?? []), ...(policy.spec?.egress ?? []).map((r) => r.to ?? [])];
  for (const peers of rules) {
    const coveredPods = selectsAllPods(peers);
    for (const peer of peers) {
      if (!peer.ipBlock?.cidr) continue;
      for (const r of ranges) {
        if (!rangeHit(peer.ipBlock, r)) continue;
        if (r.kind === 'node') nodes.add(`${peer.ipBlock.cidr} covers ${whatOf(r)}`);
        else if (!coveredPods) pods.add(`${peer.ipBlock.cidr} covers ${whatOf(r)}`);
      }
    }
  }
  return { pods: [...pods], nodes: [...nodes] };
}

export const ciliumIpBlockClusterIps: CatalogRule = kubeRule({
  id: 'cilium.ipblock-cluster-ips',
  severity: 'warning',
  title: 'NetworkPolicy ipBlocks cannot select pod or node IPs',
  appliesTo: CILIUM,
  source: {
    doc: SEEDS.cilium2025,
    section: 'Frequently asked questions › Why is traffic being blocked when the NetworkPolicy has an ipBlock that allows the IP address?',
    note: 'Also in 001 (Limitations and FAQ); unchanged in 002.',
  },
  remediation:
    'Add peers `- namespaceSelector: {}` and `- podSelector: {}` next to the ipBlock to allow pods (seed 001/002 FAQ). Node IPs cannot be allowed through an ipBlock with Cilium: allow host-network workloads another way.',
  evaluate({ facts, plan }, kube) {
    const ranges = clusterRanges(facts, plan, kube);
    const hits = [];
    for (const p of kube.networkPolicies) {
      const { pods, nodes } = ipBlockFindings(p, ranges);
      if (pods.length === 0 && nodes.length === 0) continue;
      const parts = [
        ...(pods.length ? [`pod IPs (${listOf(pods, 3)})`] : []),
        ...(nodes.length ? [`node IPs (${listOf(nodes, 3)})`] : []),
      ];
      hits.push({ message: `NetworkPolicy ${objectName(p)} has an ipBlock over ${parts.join(' and ')}: Cilium will block that traffic.` });
    }
    return hits;
  },
});

export const ciliumInternalTrafficPolicyLocal: CatalogRule = kubeRule({
  id: 'cilium.internal-traffic-policy-local',
  severity: 'warning',
  title: 'Services with internalTrafficPolicy=Local',
  appliesTo: CILIUM,
  source: {
    doc: SEEDS.cilium2024,
    section: 'Limitations',
    note: 'Only 001 (2024-02) lists it (Cilium issue #17796); 002 (newer) no longer does → a warning, not a blocker.',
  },
  remediation: 'Test these services on a Cilium cluster, or set internalTrafficPolicy: Cluster before the update.',
  evaluate(_ctx, kube) {
    const svcs = kube.services.filter((s) => s.spec?.internalTrafficPolicy === 'Local');
    return svcs.length ? [{ message: `${count(svcs.length, 'Service')} with internalTrafficPolicy=Local: ${listOf(svcs.map(objectName))}.` }] : [];
  },
});

export const ciliumHostPortProtocols: CatalogRule = kubeRule({
  id: 'cilium.host-port-protocols',
  severity: 'warning',
  title: 'One host port used with different protocols',
  appliesTo: CILIUM,
  source: { doc: SEEDS.cilium2025, section: 'Limitations', note: 'Same in 001 (Cilium issue #14287).' },
  remediation: 'Give each protocol its own host port or node port (or move one workload off host ports) before the update.',
  evaluate(_ctx, kube) {
    const ports = new Map<number, Map<string, Set<string>>>();
    const add = (port: number, protocol: string | undefined, owner: string): void => {
      const byProto = ports.get(port) ?? new Map<string, Set<string>>();
      const proto = (protocol ?? 'TCP').toUpperCase();
      const owners = byProto.get(proto) ?? new Set<string>();
      owners.add(owner);
      byProto.set(proto, owners);
      ports.set(port, byProto);
    };
    for (const p of kube.pods) for (const c of p.spec?.containers ?? []) for (const cp of c.ports ?? []) if (cp.hostPort) add(cp.hostPort, cp.protocol, `pod ${objectName(p)}`);
    for (const s of kube.services) for (const sp of s.spec?.ports ?? []) if (sp.nodePort) add(sp.nodePort, sp.protocol, `service ${objectName(s)}`);
    const hits = [];
    for (const [port, byProto] of [...ports.entries()].sort((a, b) => a[0] - b[0])) {
      if (byProto.size < 2) continue;
      const uses = [...byProto.entries()].map(([proto, owners]) => `${proto} by ${listOf([...owners], 3)}`);
      hits.push({ message: `Host port ${port} is used with ${listOf([...byProto.keys()])}: ${uses.join('; ')}.` });
    }
    return hits;
  },
});

export const ciliumHostNetworkPods: CatalogRule = kubeRule({
  id: 'cilium.host-network-pods',
  severity: 'warning',
  title: 'Host-network pods are not covered by network policies',
  appliesTo: CILIUM,
  source: { doc: SEEDS.cilium2025, section: 'Limitations' },
  remediation: 'Policies no longer apply to pods with spec.hostNetwork: true under Cilium: protect them another way (NSG, node firewall) or drop hostNetwork.',
  evaluate(_ctx, kube) {
    const governed = new Set(kube.networkPolicies.map((p) => p.metadata.namespace ?? ''));
    // kube-system's host-network pods are AKS's own agents; only workloads in namespaces with policies matter.
    const pods = kube.pods.filter((p) => p.spec?.hostNetwork === true && p.metadata.namespace !== 'kube-system' && governed.has(p.metadata.namespace ?? ''));
    return pods.length ? [{ message: `${count(pods.length, 'host-network pod')} in namespaces with NetworkPolicies will not be covered by them: ${listOf(pods.map(objectName))}.` }] : [];
  },
});

export const ciliumNetworkPolicyCrds: CatalogRule = kubeRule({
  id: 'cilium.cilium-network-policies',
  severity: 'info',
  title: 'CiliumNetworkPolicy is only partly supported',
  appliesTo: CILIUM,
  source: {
    doc: SEEDS.cilium2025,
    section: 'Frequently asked questions › Can I use CiliumNetworkPolicy custom resources instead of Kubernetes NetworkPolicy resources?',
    note: '001 (2024-02) says CiliumNetworkPolicy is not officially supported; 002 (newer) says partly supported (FQDN filtering with Advanced Container Networking Services) → info.',
  },
  remediation: 'Prefer Kubernetes NetworkPolicy; keep CiliumNetworkPolicy for what AKS supports (FQDN filtering with Advanced Container Networking Services).',
  evaluate(_ctx, kube) {
    const cnps = kube.ciliumNetworkPolicies;
    return cnps.length ? [{ message: `${count(cnps.length, 'CiliumNetworkPolicy', 'CiliumNetworkPolicies')}: ${listOf(cnps.map(objectName))}; AKS supports them only partly.` }] : [];
  },
});

function hasL7Rules(spec: unknown): boolean {
  // Cilium L7 rules live under ingress/egress[].toPorts[].rules (http, kafka, dns, l7).
  const sections = ['ingress', 'egress', 'ingressDeny', 'egressDeny'];
  const s = spec as Record<string, unknown> | undefined;
  return sections.some((k) => {
    const list = s?.[k];
    return Array.isArray(list) && list.some((r) => Array.isArray((r as { toPorts?: unknown }).toPorts) && ((r as { toPorts: Array<{ rules?: unknown }> }).toPorts).some((tp) => !!tp?.rules));
  });
}

export const ciliumL7Policy: CatalogRule = kubeRule({
  id: 'cilium.l7-policy',
  severity: 'info',
  title: 'Cilium L7 policy enforcement is disabled',
  appliesTo: CILIUM,
  source: { doc: SEEDS.cilium2025, section: 'Limitations', note: 'Same in 001.' },
  remediation: 'L7 rules (http, kafka, dns under toPorts.rules) are not enforced by AKS-managed Cilium: enforce them elsewhere (a service mesh or an ingress), or expect them to be inert.',
  evaluate(_ctx, kube) {
    const l7 = kube.ciliumNetworkPolicies.filter((p) => hasL7Rules(p.spec));
    return l7.length ? [{ message: `${count(l7.length, 'CiliumNetworkPolicy', 'CiliumNetworkPolicies')} with L7 rules that will not be enforced: ${listOf(l7.map(objectName))}.` }] : [];
  },
});

export const ciliumSelfConnectReply: CatalogRule = kubeRule({
  id: 'cilium.self-connect-reply',
  severity: 'info',
  title: 'Policies may apply to reply packets of a pod reaching itself through its service',
  appliesTo: CILIUM,
  source: { doc: SEEDS.cilium2025, section: 'Limitations', note: 'Same in 001 (Cilium issue #19406).' },
  remediation: 'If a pod calls its own service cluster IP, allow that traffic explicitly in its ingress policy and test it on a Cilium cluster.',
  evaluate(_ctx, kube) {
    const ingress = kube.networkPolicies.filter((p) => (p.spec?.policyTypes ?? []).includes('Ingress') || (p.spec?.ingress?.length ?? 0) > 0);
    return ingress.length
      ? [{ message: `${count(ingress.length, 'ingress NetworkPolicy', 'ingress NetworkPolicies')} (${listOf(ingress.map(objectName), 3)}) may also drop reply packets when a selected pod connects to itself through a service cluster IP.` }]
      : [];
  },
});

export const ciliumKubeProxyRemoved: CatalogRule = kubeRule({
  id: 'cilium.kube-proxy-removed',
  severity: 'info',
  title: 'kube-proxy is removed: Cilium replaces it',
  appliesTo: CILIUM,
  source: { doc: SEEDS.cilium2025, section: 'Frequently asked questions › Does Azure CNI powered by Cilium use Kube-Proxy?' },
  remediation: 'Check that nothing depends on kube-proxy (its iptables rules, metrics or configuration); aksnet verifies it is gone after the update.',
  evaluate(_ctx, kube) {
    const ds = kube.daemonSets.find((d) => d.metadata.namespace === 'kube-system' && d.metadata.name === 'kube-proxy');
    if (!ds) return [];
    return [{ message: `DaemonSet kube-system/kube-proxy (${count(ds.status?.desiredNumberScheduled ?? 0, 'pod')}) is removed by the update; Cilium handles service routing instead.` }];
  },
});

export const ciliumRules: CatalogRule[] = [
  ciliumSourceIpam,
  ciliumWindowsPools,
  ciliumNodeAutoProvisioning,
  ciliumPolicyEngineReplaced,
  ciliumIpBlockClusterIps,
  ciliumInternalTrafficPolicyLocal,
  ciliumHostPortProtocols,
  ciliumHostNetworkPods,
  ciliumIrreversible,
  ciliumReimage,
  ciliumNetworkPolicyCrds,
  ciliumL7Policy,
  ciliumPolicyEnforcementDelay,
  ciliumSelfConnectReply,
  ciliumKubeProxyRemoved,
];
