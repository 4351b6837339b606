/**
 * Microsoft.Network reads the product makes: virtualNetworks get/list (subnets and peerings inline),
 * subnets get, networkSecurityGroups get/list, and virtualNetworks usages ("List Usage", seed 004).
 */
import type { VirtualNetworkResource } from '../../shared/model/arm';
import { armIdKey } from '../../shared/arm/id';
import { ipamOf } from '../aks/modes';
import { parseCidr4, size } from '../ipv4';
import type { SimWorld } from '../world';
import { notFound } from './errors';
import type { SimRequest, SimResponse } from './http';
import { ok, page, requireApiVersion } from './http';

const RX = {
  list: /^\/subscriptions\/([^/]+)(?:\/resourcegroups\/([^/]+))?\/providers\/microsoft\.network\/(virtualnetworks|networksecuritygroups)$/i,
  one: /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.network\/(virtualnetworks|networksecuritygroups)\/([^/]+)$/i,
  subnet: /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.network\/virtualnetworks\/([^/]+)\/subnets\/([^/]+)$/i,
  usages: /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.network\/virtualnetworks\/([^/]+)\/usages$/i,
};

const TYPE_NAMES: Record<string, string> = {
  virtualnetworks: 'Microsoft.Network/virtualNetworks',
  networksecuritygroups: 'Microsoft.Network/networkSecurityGroups',
};

export function handleNetwork(req: SimRequest, world: SimWorld, armEndpoint: string): SimResponse | undefined {
  if (req.method !== 'GET') return undefined;
  let m: RegExpExecArray | null;
  if ((m = RX.list.exec(req.path))) {
    requireApiVersion(req);
    const prefix = (m[2] ? `/subscriptions/${m[1]}/resourcegroups/${m[2]}/` : `/subscriptions/${m[1]}/`).toLowerCase();
    const type = TYPE_NAMES[m[3].toLowerCase()].toLowerCase();
    const items = [...world.resources.values()].filter((r) => r.type.toLowerCase() === type && armIdKey(r.id).startsWith(prefix));
    return ok(page(items, req, armEndpoint, 100));
  }
  if ((m = RX.one.exec(req.path))) {
    requireApiVersion(req);
    const r = world.resource(req.path);
    if (!r) throw notFound(TYPE_NAMES[m[3].toLowerCase()], m[4], m[2]);
    return ok(r);
  }
  if ((m = RX.subnet.exec(req.path))) {
    requireApiVersion(req);
    const vnet = world.resource(req.path.replace(/\/subnets\/[^/]+$/i, '')) as VirtualNetworkResource | undefined;
    const subnet = vnet?.properties?.subnets?.find((s) => s.name.toLowerCase() === m![4].toLowerCase());
    if (!vnet || !subnet) throw notFound('Microsoft.Network/virtualNetworks/subnets', `${m[3]}/${m[4]}`, m[2]);
    return ok({ type: 'Microsoft.Network/virtualNetworks/subnets', ...subnet, id: subnet.id ?? `${vnet.id}/subnets/${subnet.name}` });
  }
  if ((m = RX.usages.exec(req.path))) {
    requireApiVersion(req);
    const vnet = world.resource(req.path.replace(/\/usages$/i, '')) as VirtualNetworkResource | undefined;
    if (!vnet) throw notFound('Microsoft.Network/virtualNetworks', m[3], m[2]);
    return ok({ value: (vnet.properties?.subnets ?? []).map((s) => usageOf(world, vnet, s)) });
  }
  return undefined;
}

/**
 * Subnet usage as List Usage reports it (seed 004, "Subnet usage planning": limit = size − 5 Azure-reserved
 * addresses, e.g. 65531 for a /16). With Azure CNI node subnet each node holds its pods' addresses up
 * front; the blog's three nodes with maxPods 30 show 87 used, i.e. maxPods − 1 per node.
 */
function usageOf(world: SimWorld, vnet: VirtualNetworkResource, s: { id?: string; name: string; properties?: { addressPrefix?: string; addressPrefixes?: string[] } }) {
  const id = s.id ?? `${vnet.id}/subnets/${s.name}`;
  const key = armIdKey(id);
  const prefix = s.properties?.addressPrefix ?? s.properties?.addressPrefixes?.[0];
  const c = prefix ? parseCidr4(prefix) : undefined;
  let used = 0;
  for (const rec of world.clusters.values()) {
    const p = rec.resource.properties ?? {};
    const ipam = ipamOf(p);
    for (const pool of p.agentPoolProfiles ?? []) {
      const count = pool.count ?? 0;
      const maxPods = pool.maxPods ?? 30;
      if (pool.vnetSubnetID && armIdKey(pool.vnetSubnetID) === key) used += ipam === 'nodeSubnet' ? count * (maxPods - 1) : count;
      if (pool.podSubnetID && armIdKey(pool.podSubnetID) === key) used += count * maxPods;
    }
  }
  return {
    currentValue: used,
    id,
    isAdjustable: false,
    limit: c ? size(c) - 5 : 0,
    name: { localizedValue: 'Subnet size and usage', value: 'SubnetSpace' },
    unit: 'Count',
  };
}
