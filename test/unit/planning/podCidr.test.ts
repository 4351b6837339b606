import fc from 'fast-check';
import { normalizeFleet } from '../../../shared/model/normalize';
import type { ClusterFacts, VnetFacts } from '../../../shared/model/facts';
import { choosePodCidr, podCidrExclusions, requiredPodCidrNodes } from '../../../shared/planning/podCidr';
import { cidrSize, formatCidr, overlaps, parseCidr } from '../../../shared/network/cidr';
import {
  agentPool,
  clusterId,
  dynamicIpCluster,
  kubenetCluster,
  node,
  nodeSubnetCluster,
  overlayCluster,
  snapshotOf,
  subnetId,
  vnet,
  vnetId,
} from '../../support/arm';
import type { ArmResource } from '../../../shared/model/arm';

function facts(resources: ArmResource[]): ClusterFacts {
  const all = normalizeFleet(snapshotOf(resources));
  expect(all).toHaveLength(1);
  return all[0];
}

describe('choosePodCidr', () => {
  it("plans AKS's default 10.244.0.0/16 for a small node-subnet cluster in 10.10.0.0/16", () => {
    const f = facts([nodeSubnetCluster(), vnet()]);
    expect(choosePodCidr(f)).toEqual({ cidr: '10.244.0.0/16', source: 'planned', requiredNodes: 256, collisions: [] });
  });

  it('moves to 192.168.0.0/16 when the VNet is 10.0.0.0/8 (the seed 000 example)', () => {
    const f = facts([nodeSubnetCluster({ networkProfile: { serviceCidr: '172.16.0.0/16', serviceCidrs: ['172.16.0.0/16'], dnsServiceIP: '172.16.0.10' } }), vnet({ addressPrefixes: ['10.0.0.0/8'], subnets: [{ name: 'aks-nodes', addressPrefix: '10.240.0.0/16' }] })]);
    expect(choosePodCidr(f).cidr).toBe('192.168.0.0/16');
  });

  it('skips ranges used by peered VNets and the service CIDR, then uses 172.16/12 without the AKS-reserved 172.30/16 and 172.31/16', () => {
    const f = facts([
      nodeSubnetCluster({ networkProfile: { serviceCidr: '10.0.0.0/8', serviceCidrs: ['10.0.0.0/8'], dnsServiceIP: '10.0.0.10' } }),
      vnet({
        addressPrefixes: ['172.16.0.0/13'],
        subnets: [{ name: 'aks-nodes', addressPrefix: '172.16.0.0/20' }],
        peerings: [{ name: 'to-hub', remoteVnetId: vnetId('hub', 'rg-hub'), remoteAddressPrefixes: ['192.168.0.0/16', '172.24.0.0/14'] }],
      }),
    ]);
    // 10/8 is the service CIDR, 192.168/16 the hub, 172.16/13 the VNet, 172.24/14 the hub: first free /16 is 172.28.0.0/16.
    expect(choosePodCidr(f).cidr).toBe('172.28.0.0/16');
    const g = { ...f, vnets: f.vnets.map((v) => ({ ...v, peerings: v.peerings.map((p) => ({ ...p, remoteAddressPrefixes: [...p.remoteAddressPrefixes, '172.28.0.0/15'] })) })) };
    // 172.28/15 taken, 172.30/16 and 172.31/16 reserved by AKS: nothing left in 172.16/12, nor in 10/8.
    const none = choosePodCidr(g);
    expect(none.cidr).toBeUndefined();
    expect(none).toMatchObject({ source: 'planned', problem: expect.stringContaining('no free /16') });
  });

  it('sizes for a /24 per node at twice the autoscaler maximum, rounded to a power of two', () => {
    const f = facts([
      nodeSubnetCluster({
        agentPoolProfiles: [
          agentPool({ name: 'system', vnetSubnetID: subnetId(), count: 3 }),
          agentPool({ name: 'burst', mode: 'User', vnetSubnetID: subnetId(), count: 5, enableAutoScaling: true, minCount: 2, maxCount: 400 }),
        ],
      }),
      vnet(),
    ]);
    // 403 nodes × 2 = 806 → 1024 /24s → a /14; 10.244.0.0/14 is free.
    expect(requiredPodCidrNodes(f)).toBe(1024);
    expect(choosePodCidr(f)).toMatchObject({ cidr: '10.244.0.0/14', requiredNodes: 1024 });
  });

  it('counts running node auto-provisioning (NAP) nodes, which belong to no pool', () => {
    const napNodes = Array.from({ length: 300 }, (_, i) => node(`aks-default-${i}`, { labels: { 'karpenter.sh/nodepool': 'default' } }));
    const [f] = normalizeFleet(
      snapshotOf([nodeSubnetCluster({ nodeProvisioningProfile: { mode: 'Auto' } }), vnet()], { [clusterId('aks-1')]: napNodes }),
    );
    // 3 pool nodes + 300 NAP nodes = 303, × 2 = 606 → 1024 /24s → /14
    expect(choosePodCidr(f)).toMatchObject({ cidr: '10.244.0.0/14', requiredNodes: 1024 });
  });

  it('keeps a kubenet cluster’s pod CIDR (seed 003 § Kubenet Cluster Upgrade) and lists what it collides with', () => {
    const ok = facts([kubenetCluster()]);
    expect(choosePodCidr(ok)).toEqual({ cidr: '10.244.0.0/16', source: 'kubenet', requiredNodes: 256, collisions: [] });
    expect(choosePodCidr(ok, '192.168.0.0/16').cidr).toBe('10.244.0.0/16');
    const bad = facts([kubenetCluster({ networkProfile: { podCidr: '172.31.0.0/16', podCidrs: ['172.31.0.0/16'] } })]);
    expect(choosePodCidr(bad).collisions).toEqual([{ range: '172.31.0.0/16', what: 'AKS-reserved range' }]);
  });

  it('keeps an Overlay cluster’s own pod CIDR', () => {
    expect(choosePodCidr(facts([overlayCluster({ networkProfile: { podCidr: '100.64.0.0/16', podCidrs: ['100.64.0.0/16'] } }), vnet()]))).toMatchObject({ cidr: '100.64.0.0/16', source: 'existing' });
  });

  it('checks a requested CIDR and names every range it collides with', () => {
    const f = facts([
      dynamicIpCluster(),
      vnet({ peerings: [{ name: 'to-hub', remoteVnetId: vnetId('hub', 'rg-hub'), remoteAddressPrefixes: ['10.8.0.0/14'] }] }),
    ]);
    const c = choosePodCidr(f, '10.0.0.0/12');
    expect(c).toMatchObject({ cidr: '10.0.0.0/12', source: 'user' });
    expect(c.collisions).toEqual([
      { range: '10.10.0.0/16', what: 'VNet vnet-aks address space' },
      { range: '10.10.0.0/20', what: 'subnet aks-nodes' },
      { range: '10.10.64.0/18', what: 'subnet aks-pods' },
      { range: '10.8.0.0/14', what: 'peered VNet hub (peering to-hub)' },
      { range: '10.0.0.0/16', what: 'service CIDR' },
      { range: '10.0.0.10', what: 'DNS service IP' },
    ]);
    expect(choosePodCidr(f, '192.168.0.0/16')).toEqual({ cidr: '192.168.0.0/16', source: 'user', requiredNodes: 256, collisions: [] });
  });

  it.each([
    ['192.168.0.1/16', "host bits are set after /16; the network is 192.168.0.0/16"],
    ['192.168.0.0/33', 'prefix length must be 0-32'],
    ['fd12:3456:789a::/64', 'is IPv6'],
    ['192.168.0.0/30', 'holds 0 node /24s but the pools can reach 3 nodes'],
    ['192.168.0.0/23', 'holds 2 node /24s but the pools can reach 3 nodes'],
  ])('refuses the requested pod CIDR %s with one clear line', (requested, problem) => {
    const c = choosePodCidr(facts([nodeSubnetCluster(), vnet()]), requested);
    expect(c.cidr).toBeUndefined();
    expect(c.problem).toContain(problem);
    expect(c.problem).not.toContain('\n');
  });

  it('keeps clear of the AKS-managed VNet space when the cluster brings no VNet', () => {
    const f = facts([nodeSubnetCluster({ agentPoolProfiles: [agentPool()] })]);
    expect(podCidrExclusions(f)).toContainEqual({ range: '10.224.0.0/12', what: 'AKS-managed VNet address space' });
    expect(choosePodCidr(f, '10.224.0.0/16').collisions).toContainEqual({ range: '10.224.0.0/12', what: 'AKS-managed VNet address space' });
  });

  it('is deterministic', () => {
    const f = facts([nodeSubnetCluster(), vnet({ addressPrefixes: ['10.244.0.0/15'] })]);
    expect(choosePodCidr(f)).toEqual(choosePodCidr(structuredClone(f)));
    expect(choosePodCidr(f).cidr).toBe('10.246.0.0/16');
  });
});

describe('choosePodCidr properties', () => {
  const base = facts([nodeSubnetCluster(), vnet()]);
  const privateish = fc.oneof(
    fc.record({ a: fc.constant(10), b: fc.integer({ min: 0, max: 255 }), c: fc.integer({ min: 0, max: 255 }), p: fc.integer({ min: 8, max: 24 }) }),
    fc.record({ a: fc.constant(172), b: fc.integer({ min: 16, max: 31 }), c: fc.integer({ min: 0, max: 255 }), p: fc.integer({ min: 12, max: 24 }) }),
    fc.record({ a: fc.constant(192), b: fc.constant(168), c: fc.integer({ min: 0, max: 255 }), p: fc.integer({ min: 16, max: 24 }) }),
  ).map(({ a, b, c, p }) => formatCidr(parseCidr(`${a}.${b}.${c}.0/${p}`)));
  const arbVnet: fc.Arbitrary<VnetFacts> = fc
    .record({ space: fc.array(privateish, { minLength: 1, maxLength: 3 }), subnets: fc.array(privateish, { maxLength: 3 }), peers: fc.array(privateish, { maxLength: 4 }) })
    .map(({ space, subnets, peers }) => ({
      id: vnetId('v'),
      name: 'v',
      resourceGroup: 'rg',
      addressPrefixes: space,
      subnets: subnets.map((p, i) => ({ id: subnetId(`s${i}`, 'v'), name: `s${i}`, addressPrefixes: [p] })),
      peerings: peers.map((p, i) => ({ name: `p${i}`, remoteAddressPrefixes: [p] })),
    }));
  const arbFacts = fc
    .record({ vnets: fc.array(arbVnet, { minLength: 1, maxLength: 2 }), service: privateish, maxNodes: fc.array(fc.integer({ min: 0, max: 1200 }), { minLength: 1, maxLength: 4 }) })
    .map(({ vnets, service, maxNodes }): ClusterFacts => ({
      ...base,
      vnets,
      serviceCidrs: [service],
      dnsServiceIp: formatCidr(parseCidr(service)).split('/')[0].replace(/\.0$/, '.10'),
      pools: maxNodes.map((n, i) => ({ ...base.pools[0], name: `p${i}`, maxReachableNodes: n })),
    }));

  it('the planned range never overlaps an excluded range and always holds requiredNodes /24s', () => {
    fc.assert(
      fc.property(arbFacts, (f) => {
        const c = choosePodCidr(f);
        expect(c.source).toBe('planned');
        const reachable = f.pools.reduce((n, p) => n + p.maxReachableNodes, 0);
        expect(c.requiredNodes).toBeGreaterThanOrEqual(Math.max(256, 2 * reachable));
        if (!c.cidr) {
          expect(c.problem).toBeDefined();
          return;
        }
        expect(cidrSize(c.cidr) / 256n).toBeGreaterThanOrEqual(BigInt(c.requiredNodes));
        for (const e of podCidrExclusions(f)) expect([e.range, overlaps(c.cidr, parseCidr(e.range, { allowBareAddress: true }))]).toEqual([e.range, false]);
        // And checking the plan as a user request finds no collision either.
        expect(choosePodCidr(f, c.cidr).collisions).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('a requested range lists exactly the exclusions it overlaps, in order', () => {
    fc.assert(
      fc.property(arbFacts, privateish.filter((c) => parseCidr(c).prefix <= 22), (f, requested) => {
        const c = choosePodCidr(f, requested);
        const brute = podCidrExclusions(f).filter((e) => {
          const r = parseCidr(e.range, { allowBareAddress: true });
          const q = parseCidr(requested);
          const [a0, a1] = [q.network, q.network + cidrSize(q) - 1n];
          const [b0, b1] = [r.network, r.network + cidrSize(r) - 1n];
          return a0 <= b1 && b0 <= a1;
        });
        expect(c.collisions).toEqual(brute);
      }),
    );
  });
});
