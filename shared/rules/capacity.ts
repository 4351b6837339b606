/**
 * Node subnet room for the reimage. Both updates reimage every pool at once, like a node image upgrade,
 * which surges at least one extra node per pool. On Azure CNI node subnet every node takes 1 + maxPods
 * addresses from its subnet (seed 004: "a max pod count of 30 per node"; plan subnet usage with the VNet
 * List Usage API), so a nearly full subnet cannot hold the surge nodes.
 */
import { armIdKey } from '../arm/id';
import { cidrSize, tryParseCidr } from '../network/cidr';
import { type CatalogRule, SEEDS, count, listOf, runsBefore } from './catalog-rule';

/** Azure reserves five addresses in every subnet (network, gateway, two DNS, broadcast). */
export const AZURE_RESERVED_PER_SUBNET = 5;

export const ciliumNodeSubnetSurge: CatalogRule = {
  id: 'cilium.node-subnet-surge-capacity',
  severity: 'warning',
  title: 'Node subnet room for surge nodes (Azure CNI node subnet)',
  appliesTo: ['dataplane:cilium'],
  source: {
    doc: SEEDS.nodeSubnetBlog,
    section: 'Azure CNI now supports Node Subnet IPAM mode with Cilium Dataplane',
    note: 'The surge is inferred from seed 000 ("disruptions ... similar to a node image update", which surges at least one node per pool); hence a warning, not a blocker.',
  },
  remediation:
    'Free addresses in the node subnet (remove unused NICs, scale pools down) or add address space before the update; check usage with the VNet List Usage API as seed 004 shows.',
  evaluate({ facts, plan }) {
    // Only node subnet mode takes pod IPs from the node subnet; after Overlay each node takes one address.
    if (facts.ipam !== 'nodeSubnet' || runsBefore(plan, 'ipam:overlay', 'dataplane:cilium')) return [];
    const hits = [];
    const bySubnet = new Map<string, typeof facts.pools>();
    for (const p of facts.pools) {
      if (!p.vnetSubnetId) continue;
      const k = armIdKey(p.vnetSubnetId);
      bySubnet.set(k, [...(bySubnet.get(k) ?? []), p]);
    }
    for (const [key, pools] of bySubnet) {
      const subnet = facts.vnets.flatMap((v) => v.subnets).find((s) => armIdKey(s.id) === key);
      if (!subnet) continue; // a gap already says the VNet is missing
      const size = subnet.addressPrefixes.map((p) => tryParseCidr(p)).reduce((n, c) => n + (c && c.family === 4 ? Number(cidrSize(c)) - AZURE_RESERVED_PER_SUBNET : 0), 0);
      const used = pools.reduce((n, p) => n + p.count * (1 + p.maxPods), 0);
      const surge = pools.reduce((n, p) => n + 1 + p.maxPods, 0);
      if (size - used >= surge) continue;
      hits.push({
        message: `Subnet ${subnet.name} (${listOf(subnet.addressPrefixes)}, ${size} usable addresses) holds ${count(pools.reduce((n, p) => n + p.count, 0), 'node')} of pools ${listOf(pools.map((p) => p.name))} using about ${used}; one surge node per pool needs ${surge} more, leaving ${Math.max(size - used, 0)}.`,
      });
    }
    return hits;
  },
};

export const capacityRules: CatalogRule[] = [ciliumNodeSubnetSurge];
