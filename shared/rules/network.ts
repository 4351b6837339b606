/**
 * Address planning and NSG rules of the IPAM update to Azure CNI Overlay (step ipam:overlay):
 * seed 003_fe34ccaeba990a60.txt § "IP address planning" and § "Network security groups", seed 000
 * (newest) § "Update the IPAM mode to Azure CNI Overlay" for the pod CIDR, aks-facts.md for AKS-reserved ranges.
 */
import { armIdKey } from '../arm/id';
import type { ClusterFacts, NsgFacts } from '../model/facts';
import type { PodCidrChoice } from '../model/plan';
import { cidrSize, contains, formatAddress, overlaps, tryParseCidr, type Cidr } from '../network/cidr';
import { NsgEvaluator, type FlowClass, type NsgDenial } from '../network/nsg';
import { choosePodCidr } from '../planning/podCidr';
import { type CatalogRule, SEEDS, listOf } from './catalog-rule';
import type { RuleHit } from './types';

const OVERLAY = ['ipam:overlay'] as const;
const IP_PLANNING = 'IP address planning';
const NSG_SECTION = 'Network security groups';

/** Seed 003 § IP address planning: the service CIDR "must be smaller than /12". */
export const MAX_SERVICE_CIDR_PREFIX_V4 = 12;
/** Seed 003 § Dual-stack Networking: "The IPv6 subnet assigned to --service-cidrs can be no larger than a /108." */
export const MIN_SERVICE_CIDR_PREFIX_V6 = 108;

function describeChoice(c: PodCidrChoice): string {
  switch (c.source) {
    case 'kubenet':
      return `kubenet pod CIDR ${c.cidr} (kept by the update)`;
    case 'existing':
      return `pod CIDR ${c.cidr}`;
    case 'user':
      return `requested pod CIDR ${c.cidr}`;
    default:
      return `planned pod CIDR ${c.cidr}`;
  }
}

export const overlayPodCidrRequired: CatalogRule = {
  id: 'overlay.pod-cidr-required',
  severity: 'blocker',
  title: 'A pod CIDR for the Overlay network',
  appliesTo: OVERLAY,
  source: {
    doc: SEEDS.overlay,
    section: IP_PLANNING,
    note: 'Seed 000 § Update the IPAM mode to Azure CNI Overlay: --pod-cidr is required when updating from Azure CNI node subnet (kubenet keeps its own, seed 003 § Kubenet Cluster Upgrade).',
  },
  remediation:
    'Pass a private IPv4 pod CIDR that overlaps neither the VNet, its peerings, the service CIDR nor AKS-reserved ranges and holds a /24 per node at the largest scale (aksnet fleet assess --pod-cidr, or the rollout spec).',
  evaluate({ plan }) {
    const c = plan.podCidr;
    if (c?.cidr) return [];
    return [{ message: `No pod CIDR for the Overlay update: ${c?.problem ?? 'none was planned'}.` }];
  },
};

export const overlayPodCidrOverlap: CatalogRule = {
  id: 'overlay.pod-cidr-overlap',
  severity: 'blocker',
  title: 'Pod CIDR clear of the VNet, peerings, service CIDR and AKS-reserved ranges',
  appliesTo: OVERLAY,
  source: {
    doc: SEEDS.overlay,
    section: IP_PLANNING,
    note: "Seed 000 § Update the IPAM mode to Azure CNI Overlay: the pod CIDR can't overlap the node pools' VNet address or the service CIDR (AKS: NetworkProfileCIDROverlapVNET); aks-facts.md: 172.30.0.0/16 and 172.31.0.0/16 are rejected, 169.254.0.0/16 and 192.0.2.0/24 kept clear.",
  },
  remediation: 'Choose a pod CIDR that overlaps none of the listed ranges.',
  evaluate({ facts, plan }) {
    const c = plan.podCidr;
    if (!c?.cidr || c.collisions.length === 0) return [];
    const list = c.collisions.map((x) => `${x.range} (${x.what})`);
    let remediation: string;
    if (c.source === 'kubenet') {
      remediation =
        'Kubenet keeps its pod CIDR through the update (seed 003 § Kubenet Cluster Upgrade), so the other side must move: re-address or remove the overlapping peering or VNet range, then assess again.';
    } else {
      const alternative = choosePodCidr(facts);
      remediation = alternative.cidr
        ? `Choose a pod CIDR that overlaps none of them, e.g. ${alternative.cidr} (free for this cluster), with --pod-cidr.`
        : `Choose a pod CIDR that overlaps none of them (${alternative.problem ?? 'no free private range was found'}).`;
    }
    return [{ message: `The ${describeChoice(c)} overlaps ${listOf(list, 8)}.`, remediation }];
  },
};

/** The node subnets' prefixes, by subnet; an AKS-managed VNet's subnets when no pool names one. */
function nodeSubnets(facts: ClusterFacts): Array<{ name: string; nsgId?: string; prefixes: string[] }> {
  const wanted = new Set(facts.pools.map((p) => p.vnetSubnetId).filter((x): x is string => !!x).map(armIdKey));
  const out: Array<{ name: string; nsgId?: string; prefixes: string[] }> = [];
  for (const v of facts.vnets) {
    for (const s of v.subnets) {
      if (wanted.size > 0 && !wanted.has(armIdKey(s.id))) continue;
      out.push({ name: s.name, nsgId: s.nsgId, prefixes: s.addressPrefixes });
    }
  }
  return out;
}

interface NsgHitDetail {
  denial: NsgDenial;
  direction: string;
  flow: string;
}

function denialText(d: NsgHitDetail): string {
  const part = d.denial.denied;
  const scope = [part.protocols, part.destinationPorts === 'all ports' ? 'all ports' : `ports ${part.destinationPorts}`].join(', ');
  return `${d.flow} ${d.direction.toLowerCase()} (${listOf(part.sources, 2)} → ${listOf(part.destinations, 2)}, ${scope})`;
}

/**
 * Blocker, not warning: after the update pod traffic is no longer VNet traffic the NSG already lets
 * through but overlay traffic the subnet NSG filters (seed 003 § Network security groups: "Pod to pod
 * traffic with Azure CNI Overlay isn't encapsulated, and subnet network security group rules are
 * applied"), every pool is reimaged at once and the update can't be undone (seed 000 § Update the IPAM
 * mode). A deny here means pod-to-pod, pod-to-service and DNS traffic fail cluster-wide right after an
 * irreversible change. A deny that matches only because it names an application security group (whose
 * members aksnet can't see) is reported as a warning.
 */
export const overlayNsgBlocksClusterTraffic: CatalogRule = {
  id: 'overlay.nsg-blocks-cluster-traffic',
  severity: 'blocker',
  title: 'Node subnet NSGs allow node↔node, node→pod and pod→pod traffic',
  appliesTo: OVERLAY,
  source: {
    doc: SEEDS.overlay,
    section: NSG_SECTION,
    note: "The VirtualNetwork service tag is evaluated as it stands after the update: the VNet's address space, peered address spaces and the pod CIDR (on Overlay the pod CIDR joins the VNet's routing domain, seed 003 § Overview of Overlay networking).",
  },
  remediation:
    'Add Allow rules, at a lower priority number than the deny rule named, on every port and protocol in both directions: node CIDR → node CIDR, node CIDR → pod CIDR, pod CIDR → pod CIDR (seed 003 § Network security groups). Restrict workload traffic with network policies instead.',
  evaluate({ facts, plan }) {
    if (facts.nsgs.length === 0) return [];
    const subnets = nodeSubnets(facts);
    const nodeCidrs = [...new Set(subnets.flatMap((s) => s.prefixes))];
    if (nodeCidrs.length === 0) return [];
    const podCidr = plan.podCidr?.cidr;
    const vnetTag = [
      ...facts.vnets.flatMap((v) => [...v.addressPrefixes, ...v.peerings.flatMap((p) => p.remoteAddressPrefixes)]),
      ...(podCidr ? [podCidr] : []),
    ].filter((p) => tryParseCidr(p, { allowBareAddress: true }));
    const hits: RuleHit[] = [];
    for (const nsg of facts.nsgs) {
      const on = subnets.filter((s) => s.nsgId && armIdKey(s.nsgId) === armIdKey(nsg.id));
      if (on.length === 0) continue;
      hits.push(...nsgHits(nsg, on, nodeCidrs, podCidr, vnetTag));
    }
    return hits;
  },
};

function nsgHits(nsg: NsgFacts, on: Array<{ name: string; prefixes: string[] }>, nodeCidrs: string[], podCidr: string | undefined, vnetTag: string[]): RuleHit[] {
  const here = on.flatMap((s) => s.prefixes);
  const where = `NSG ${nsg.name} on subnet${on.length > 1 ? 's' : ''} ${listOf(on.map((s) => s.name))}`;
  let evaluator: NsgEvaluator;
  try {
    evaluator = new NsgEvaluator(nsg, { virtualNetwork: vnetTag });
  } catch (e) {
    return [{ severity: 'warning', message: `${where} could not be evaluated: ${(e as Error).message}.`, remediation: 'Fix the rule in the NSG, or check by hand that node and pod traffic is allowed (seed 003 § Network security groups).' }];
  }
  const flows: Array<{ flow: string; f: FlowClass }> = [
    { flow: 'node → node', f: { direction: 'Inbound', sourceRanges: nodeCidrs, destinationRanges: here } },
    { flow: 'node → node', f: { direction: 'Outbound', sourceRanges: here, destinationRanges: nodeCidrs } },
  ];
  if (podCidr) {
    flows.push(
      { flow: 'node → pod', f: { direction: 'Inbound', sourceRanges: nodeCidrs, destinationRanges: [podCidr] } },
      { flow: 'node → pod', f: { direction: 'Outbound', sourceRanges: here, destinationRanges: [podCidr] } },
      { flow: 'pod → pod', f: { direction: 'Inbound', sourceRanges: [podCidr], destinationRanges: [podCidr] } },
      { flow: 'pod → pod', f: { direction: 'Outbound', sourceRanges: [podCidr], destinationRanges: [podCidr] } },
    );
  }
  // Group by deny rule: one finding per rule, naming every flow it breaks.
  const byRule = new Map<string, NsgHitDetail[]>();
  for (const { flow, f } of flows) {
    for (const denial of evaluator.evaluate(f).denials) {
      const key = `${f.direction}:${denial.rule}`;
      const list = byRule.get(key) ?? [];
      list.push({ denial, direction: f.direction, flow });
      byRule.set(key, list);
    }
  }
  const hits: RuleHit[] = [];
  for (const details of byRule.values()) {
    const d = details[0].denial;
    const kind = d.isDefault ? 'default rule' : 'rule';
    const uncertain = d.uncertain ? ' (it names an application security group; aksnet assumed the group includes these addresses)' : '';
    hits.push({
      severity: d.uncertain ? 'warning' : 'blocker',
      message: `${where}: ${kind} ${d.rule} (priority ${d.priority}, ${details[0].direction}) would deny ${listOf(details.map(denialText), 6)} after the update${uncertain}.`,
      remediation: `In ${nsg.name}, add ${details[0].direction.toLowerCase()} Allow rules with a priority number below ${d.priority} for ${listOf(
        [...new Set(details.map((x) => x.flow))].map((f) => (f === 'node → node' ? `${listOf(nodeCidrs, 3)} → ${listOf(nodeCidrs, 3)}` : f === 'node → pod' ? `${listOf(nodeCidrs, 3)} → ${podCidr}` : `${podCidr} → ${podCidr}`)),
      )} on all ports and protocols (seed 003 § Network security groups); restrict workloads with network policies instead.`,
    });
  }
  return hits;
}

function prefixLimit(c: Cidr): number {
  return c.family === 4 ? MAX_SERVICE_CIDR_PREFIX_V4 : MIN_SERVICE_CIDR_PREFIX_V6;
}

export const overlayServiceCidrSize: CatalogRule = {
  id: 'overlay.service-cidr-size',
  severity: 'blocker',
  title: 'Service CIDR smaller than /12',
  appliesTo: OVERLAY,
  source: {
    doc: SEEDS.overlay,
    section: IP_PLANNING,
    note: "The IPv6 limit (no larger than /108) is from seed 003 § Dual-stack Networking. `az aks update` PUTs the whole network profile back (aks-facts.md), so AKS validates the service CIDR again.",
  },
  remediation: 'The service CIDR must be smaller than /12 (IPv4; IPv6 no larger than /108). It is fixed at cluster creation: move the workloads to a cluster created with a smaller service CIDR.',
  evaluate({ facts }) {
    const hits: RuleHit[] = [];
    for (const s of facts.serviceCidrs) {
      const c = tryParseCidr(s);
      if (!c) {
        hits.push({ message: `The service CIDR '${s}' is not a valid CIDR.` });
        continue;
      }
      const limit = prefixLimit(c);
      if (c.family === 4 ? c.prefix <= limit : c.prefix < limit) {
        hits.push({ message: `The service CIDR ${s} (/${c.prefix}, ${cidrSize(c)} addresses) is not smaller than /${c.family === 4 ? 12 : 108}${c.family === 4 ? '' : ' for IPv6'}.` });
      }
    }
    return hits;
  },
};

export const overlayServiceCidrOverlap: CatalogRule = {
  id: 'overlay.service-cidr-overlap',
  severity: 'warning',
  title: 'Service CIDR clear of the node subnets and peered networks',
  appliesTo: OVERLAY,
  source: { doc: SEEDS.overlay, section: IP_PLANNING, note: "Seed 003 says the service range \"shouldn't\" overlap the cluster subnet range or peered VNets' ranges: a warning (the pod CIDR overlap is overlay.pod-cidr-overlap)." },
  remediation: 'Clients in the overlapping ranges cannot reach services and pods correctly; re-address the peering, or plan a move to a cluster with a non-overlapping service CIDR.',
  evaluate({ facts }) {
    const services = facts.serviceCidrs.map((s) => tryParseCidr(s)).filter((c): c is Cidr => !!c);
    const found: string[] = [];
    const subnetNames = new Set(nodeSubnets(facts).map((s) => s.name));
    for (const v of facts.vnets) {
      for (const s of v.subnets) if (subnetNames.has(s.name)) for (const p of s.addressPrefixes) if (services.some((c) => overlapsText(c, p))) found.push(`${p} (subnet ${s.name})`);
      for (const peer of v.peerings) for (const p of peer.remoteAddressPrefixes) if (services.some((c) => overlapsText(c, p))) found.push(`${p} (peered VNet ${peer.remoteVnetId?.split('/').pop() ?? peer.name})`);
    }
    return found.length ? [{ message: `The service CIDR ${listOf(facts.serviceCidrs)} overlaps ${listOf(found, 8)}.` }] : [];
  },
};

function overlapsText(c: Cidr, other: string): boolean {
  const o = tryParseCidr(other, { allowBareAddress: true });
  return !!o && overlaps(c, o);
}

export const overlayDnsServiceIp: CatalogRule = {
  id: 'overlay.dns-service-ip',
  severity: 'blocker',
  title: 'DNS service IP inside the service CIDR, not its first address',
  appliesTo: OVERLAY,
  source: { doc: SEEDS.overlay, section: IP_PLANNING },
  remediation:
    'The DNS service IP must lie inside the service CIDR and must not be its first address (used by kubernetes.default.svc.cluster.local). It is fixed at cluster creation: move the workloads to a cluster with a valid pair (e.g. 10.0.0.0/16 and 10.0.0.10).',
  evaluate({ facts }) {
    const ip = facts.dnsServiceIp;
    if (!ip) return [];
    const addr = tryParseCidr(ip, { allowBareAddress: true });
    if (!addr || (addr.family === 4 ? addr.prefix !== 32 : addr.prefix !== 128)) return [{ message: `The DNS service IP '${ip}' is not an IP address.` }];
    const services = facts.serviceCidrs.map((s) => tryParseCidr(s)).filter((c): c is Cidr => !!c);
    const inside = services.find((c) => contains(c, addr));
    if (!inside) return [{ message: `The DNS service IP ${ip} is outside the service CIDR ${listOf(facts.serviceCidrs) || '(none set)'}.` }];
    // The network address is not assignable and the next one is kubernetes.default (seed 003 § IP address planning).
    if (addr.network === inside.network || addr.network === inside.network + 1n) {
      return [{ message: `The DNS service IP ${ip} is the ${addr.network === inside.network ? 'network address' : 'first address'} of the service CIDR ${formatAddress(inside.family, inside.network)}/${inside.prefix}.` }];
    }
    return [];
  },
};

export const networkRules: CatalogRule[] = [
  overlayPodCidrRequired,
  overlayPodCidrOverlap,
  overlayNsgBlocksClusterTraffic,
  overlayServiceCidrSize,
  overlayServiceCidrOverlap,
  overlayDnsServiceIp,
];
