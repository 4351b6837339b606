/**
 * The pod CIDR planner: which private range an Overlay cluster's pods will use, and what it would
 * collide with. Rules (seed 003_fe34ccaeba990a60.txt § IP address planning, seed 000_c747be24177f73a8.txt
 * § Update the IPAM mode to Azure CNI Overlay, aks-facts.md § Other AKS rules):
 * - each node gets a fixed /24 of the pod CIDR, so the range must hold one /24 per node the cluster can reach;
 * - it must not overlap the cluster's VNet address space or subnets, peered (directly connected) networks,
 *   the service CIDR or the DNS service IP;
 * - AKS rejects pod CIDRs in 172.30.0.0/16 and 172.31.0.0/16 and keeps clear of 169.254.0.0/16 and 192.0.2.0/24.
 */
import type { ClusterFacts } from '../model/facts';
import { NAP_NODE_LABEL } from '../model/kube';
import type { PodCidrChoice, PodCidrCollision } from '../model/plan';
import { type Cidr, addressSet, cidrSize, CidrError, firstFreeBlock, formatCidr, overlaps, parseCidr, tryParseCidr } from '../network/cidr';

/** Ranges AKS reserves (aks-facts.md § Other AKS rules from the AKS release notes). */
export const AKS_RESERVED_RANGES: readonly string[] = ['169.254.0.0/16', '172.30.0.0/16', '172.31.0.0/16', '192.0.2.0/24'];

/**
 * The address space AKS gives the VNet it creates when the cluster brings none (learn.microsoft.com:
 * AKS-managed VNet 10.224.0.0/12). Used only when no pool names a subnet and no VNet is known.
 */
export const AKS_MANAGED_VNET_SPACE = '10.224.0.0/12';

/**
 * Headroom: the range holds twice the pools' largest reachable node count, rounded up to a power of
 * two, and never less than 256 nodes (/16, the size of AKS's default 10.244.0.0/16, seed 003 § Set up
 * Overlay clusters). Doubling leaves room for new pools and surge nodes during upgrades.
 */
export const POD_CIDR_HEADROOM_FACTOR = 2;
export const POD_CIDR_MIN_NODES = 256;

/** Preference order (seed 003 uses 10.244.0.0/16 as AKS's default and 192.168.0.0/16 in its examples). */
const CANDIDATE_REGIONS: readonly string[] = [
  '10.244.0.0/14', // 10.244-10.247: AKS's default and its neighbours
  '10.248.0.0/13', // 10.248-10.255
  '192.168.0.0/16',
  '172.16.0.0/12', // minus 172.30/16 and 172.31/16 (reserved, in the used set)
  '10.0.0.0/8', // the rest of 10/8
];

/**
 * Nodes the cluster can reach: the sum of each pool's maxReachableNodes, plus the node auto-provisioning
 * (NAP) nodes running now, which belong to no agent pool (their ceiling is a CPU limit, not a count, so
 * the current number is the best known lower bound; the headroom factor covers growth).
 */
export function reachableNodes(facts: ClusterFacts): number {
  const pools = facts.pools.reduce((n, p) => n + Math.max(0, p.maxReachableNodes || 0), 0);
  const napNodes = facts.napMode === 'Auto' ? (facts.kubernetes?.nodes ?? []).filter((node) => node.metadata.labels?.[NAP_NODE_LABEL] !== undefined).length : 0;
  return pools + napNodes;
}

/** Reachable nodes × headroom, rounded up to a power of two, at least {@link POD_CIDR_MIN_NODES}. */
export function requiredPodCidrNodes(facts: ClusterFacts): number {
  const want = Math.max(POD_CIDR_MIN_NODES, reachableNodes(facts) * POD_CIDR_HEADROOM_FACTOR);
  return 2 ** Math.ceil(Math.log2(want));
}

/** The prefix length holding `nodes` /24s (nodes a power of two). */
export function prefixForNodes(nodes: number): number {
  return 24 - Math.ceil(Math.log2(Math.max(1, nodes)));
}

/** Everything the pod CIDR must stay clear of, each with what it is. */
export function podCidrExclusions(facts: ClusterFacts): PodCidrCollision[] {
  const out: PodCidrCollision[] = [];
  for (const v of facts.vnets) {
    for (const p of v.addressPrefixes) out.push({ range: p, what: `VNet ${v.name} address space` });
    for (const s of v.subnets) for (const p of s.addressPrefixes) out.push({ range: p, what: `subnet ${s.name}` });
    for (const peer of v.peerings) {
      const remote = peer.remoteVnetId ? peer.remoteVnetId.split('/').pop() : peer.name;
      for (const p of peer.remoteAddressPrefixes) out.push({ range: p, what: `peered VNet ${remote} (peering ${peer.name})` });
    }
  }
  if (facts.vnets.length === 0 && !facts.pools.some((p) => p.vnetSubnetId)) out.push({ range: AKS_MANAGED_VNET_SPACE, what: 'AKS-managed VNet address space' });
  for (const c of facts.serviceCidrs) out.push({ range: c, what: 'service CIDR' });
  if (facts.dnsServiceIp) out.push({ range: facts.dnsServiceIp, what: 'DNS service IP' });
  for (const r of AKS_RESERVED_RANGES) out.push({ range: r, what: 'AKS-reserved range' });
  return out;
}

/** The exclusions `cidr` overlaps (unparseable exclusions are skipped: normalize reports them as gaps). */
export function podCidrCollisions(cidr: Cidr | string, exclusions: readonly PodCidrCollision[]): PodCidrCollision[] {
  const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  return exclusions.filter((e) => {
    const r = tryParseCidr(e.range, { allowBareAddress: true });
    return r !== undefined && overlaps(c, r);
  });
}

function ipv4Of(list: readonly string[]): string | undefined {
  return list.find((c) => tryParseCidr(c)?.family === 4);
}

/**
 * Chooses the pod CIDR for ipam:overlay. Kubenet keeps its own (seed 003 § Kubenet Cluster Upgrade: no
 * --pod-cidr, the pod CIDR remains the same), an Overlay cluster keeps its own, a requested range is
 * checked, otherwise the lowest free range in preference order is planned. Deterministic.
 */
export function choosePodCidr(facts: ClusterFacts, requested?: string): PodCidrChoice {
  const requiredNodes = requiredPodCidrNodes(facts);
  const exclusions = podCidrExclusions(facts);
  const keep = (source: 'kubenet' | 'existing'): PodCidrChoice => {
    const own = ipv4Of(facts.podCidrs);
    if (!own) {
      return { source, requiredNodes, collisions: [], problem: `the ${source === 'kubenet' ? 'kubenet' : 'Overlay'} cluster reports no IPv4 pod CIDR in networkProfile.podCidr(s); re-read the cluster from ARM` };
    }
    const cidr = formatCidr(parseCidr(own));
    return { cidr, source, requiredNodes, collisions: podCidrCollisions(cidr, exclusions) };
  };
  if (facts.ipam === 'kubenet') return keep('kubenet');
  if (facts.ipam === 'overlay') return keep('existing');

  if (requested !== undefined) {
    let c: Cidr;
    try {
      c = parseCidr(requested, { strict: true });
    } catch (e) {
      return { source: 'user', requiredNodes, collisions: [], problem: e instanceof CidrError ? e.message : String(e) };
    }
    if (c.family !== 4) return { source: 'user', requiredNodes, collisions: [], problem: `pod CIDR '${requested}' is IPv6: the Overlay migration takes one IPv4 range (e.g. 10.244.0.0/16)` };
    const cidr = formatCidr(c);
    const reachable = reachableNodes(facts);
    // Judged against the nodes the pools can actually reach (no headroom): the user's choice, the user's margin.
    const holds = c.prefix > 24 ? 0n : cidrSize(c) / 256n;
    if (holds < BigInt(reachable)) {
      return {
        source: 'user',
        requiredNodes,
        collisions: podCidrCollisions(cidr, exclusions),
        problem: `pod CIDR ${cidr} holds ${holds} node /24s but the pools can reach ${reachable} nodes (each node takes a /24, seed 003 § IP address planning); use /${prefixForNodes(requiredNodes)} or larger`,
      };
    }
    return { cidr, source: 'user', requiredNodes, collisions: podCidrCollisions(cidr, exclusions) };
  }

  const prefix = prefixForNodes(requiredNodes);
  const used = addressSet(exclusions.map((e) => tryParseCidr(e.range, { allowBareAddress: true })).filter((c): c is Cidr => c !== undefined));
  for (const region of CANDIDATE_REGIONS) {
    const block = firstFreeBlock(region, prefix, used);
    if (block) return { cidr: formatCidr(block), source: 'planned', requiredNodes, collisions: [] };
  }
  return {
    source: 'planned',
    requiredNodes,
    collisions: [],
    problem: `no free /${prefix} (${requiredNodes} node /24s) in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 clear of the VNet, its peerings, the service CIDR and AKS-reserved ranges; pass a pod CIDR explicitly`,
  };
}
