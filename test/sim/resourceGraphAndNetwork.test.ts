/**
 * Resource Graph discovery across subscriptions with $skipToken paging at 1,000 rows, the query shapes
 * the simulator accepts (and a clear 400 for the rest), and the Microsoft.Network reads, through the
 * real @azure/arm-resourcegraph and @azure/arm-network clients.
 */
import type { ArmResource } from '../../shared/model/arm';
import { armIdKey } from '../../shared/arm/id';
import { FaultInjector, parseFaultSpec } from '../../sim/faults';
import { startSimulator, type RunningSimulator } from '../../sim/server';
import { clusterId, kubenetCluster, nodeSubnetCluster, nsg, nsgId, overlayCluster, RESOURCE_GROUP, snapshotOf, SUBSCRIPTION, subnetId, vnet, vnetId, VNET_NAME, NSG_NAME, agentPool } from '../support/arm';
import { clientsFor, type SimClients } from './simClients';

const SUBS = ['00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-00000000000c'];
const resources: ArmResource[] = [];
for (let i = 0; i < 1050; i++) {
  const sub = SUBS[i % 3];
  const rg = `rg-${i % 7}`;
  const tags = { env: i % 2 === 0 ? 'prod' : 'dev', ...(i % 10 === 0 ? { Wave: 'canary' } : {}) };
  resources.push(kubenetCluster({ name: `k${String(i).padStart(4, '0')}`, subscriptionId: sub, resourceGroup: rg, tags }));
}
resources.push(
  nodeSubnetCluster({ name: 'ns', agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId(), count: 3, maxPods: 30 })] }),
  overlayCluster({ name: 'ov', agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId(), count: 2 })] }),
  vnet(),
  nsg(),
);

let sim: RunningSimulator;
let c: SimClients;
beforeAll(async () => {
  // Built in-process, so the zod pass is skipped (validateSnapshot: false), as the bench does for 10,000 clusters.
  sim = await startSimulator({ snapshot: snapshotOf(resources), timeScale: 0.001, validateSnapshot: false });
  c = clientsFor(sim, SUBSCRIPTION);
});
afterAll(() => sim.stop());

const CLUSTERS = "Resources | where type =~ 'microsoft.containerservice/managedclusters'";

async function queryAll(query: string, subscriptions: string[]): Promise<{ rows: Array<Record<string, unknown>>; pages: number; total: number }> {
  const rows: Array<Record<string, unknown>> = [];
  let skipToken: string | undefined;
  let pages = 0;
  let total = 0;
  do {
    const res = await c.graph.resources({ subscriptions, query, options: { skipToken } });
    rows.push(...(res.data as Array<Record<string, unknown>>));
    total = res.totalRecords;
    skipToken = res.skipToken;
    pages++;
  } while (skipToken);
  return { rows, pages, total };
}

describe('Resource Graph', () => {
  test('managed clusters across subscriptions come back 1,000 rows a page with $skipToken, each once, with full properties', async () => {
    const { rows, pages, total } = await queryAll(CLUSTERS, SUBS);
    expect(pages).toBe(2);
    expect(total).toBe(1050);
    expect(new Set(rows.map((r) => r.id)).size).toBe(1050);
    const first = rows.find((r) => r.name === 'k0000')!;
    expect(first).toMatchObject({ type: 'microsoft.containerservice/managedclusters', resourceGroup: 'rg-0', subscriptionId: SUBS[0], tags: { env: 'prod', Wave: 'canary' } });
    expect((first.properties as { networkProfile: { networkPlugin: string } }).networkProfile.networkPlugin).toBe('kubenet');
  });

  test('only the requested subscriptions are searched', async () => {
    const { rows } = await queryAll(CLUSTERS, [SUBS[1]]);
    expect(rows).toHaveLength(350);
    expect(new Set(rows.map((r) => r.subscriptionId))).toEqual(new Set([SUBS[1]]));
  });

  test('resource group, tag and in~ filters, project and limit', async () => {
    const byRg = await queryAll(`${CLUSTERS} | where resourceGroup =~ 'RG-3'`, SUBS);
    expect(byRg.rows).toHaveLength(150);
    const byTag = await queryAll(`${CLUSTERS} | where tags['wave'] =~ 'CANARY' and tags.env == 'prod'`, SUBS);
    expect(byTag.rows).toHaveLength(105);
    const inList = await queryAll(`${CLUSTERS}\n| where name in~ ('K0001', 'k0002') | project id, name, plugin = properties.networkProfile.networkPlugin`, SUBS);
    expect(inList.rows).toEqual([
      { id: clusterId('k0001', 'rg-1', SUBS[1]), name: 'k0001', plugin: 'kubenet' },
      { id: clusterId('k0002', 'rg-2', SUBS[2]), name: 'k0002', plugin: 'kubenet' },
    ]);
    const limited = await c.graph.resources({ subscriptions: SUBS, query: `${CLUSTERS} | order by name asc | limit 3` });
    expect((limited.data as Array<{ name: string }>).map((r) => r.name)).toEqual(['k0000', 'k0001', 'k0002']);
  });

  test('queries outside the documented shapes are a 400 naming the unsupported part', async () => {
    await expect(c.graph.resources({ subscriptions: SUBS, query: `${CLUSTERS} | summarize count() by location` })).rejects.toMatchObject({
      statusCode: 400,
      body: { error: { details: [{ code: 'InvalidQuery', message: expect.stringContaining("unsupported query operator 'summarize'") }] } },
    });
    await expect(c.graph.resources({ subscriptions: SUBS, query: 'ResourceContainers | limit 1' })).rejects.toMatchObject({ statusCode: 400 });
    await expect(c.graph.resources({ subscriptions: SUBS, query: CLUSTERS, options: { skipToken: 'bogus' } })).rejects.toMatchObject({ statusCode: 400 });
  });
});

describe('Microsoft.Network', () => {
  test('VNets with subnets and peerings inline, subnets, NSGs, lists', async () => {
    const v = await c.net.virtualNetworks.get(RESOURCE_GROUP, VNET_NAME);
    expect(v.id).toBe(vnetId());
    expect(v.addressSpace?.addressPrefixes).toEqual(['10.10.0.0/16']);
    expect(v.subnets?.map((s) => s.name)).toEqual(['aks-nodes', 'aks-pods']);
    const s = await c.net.subnets.get(RESOURCE_GROUP, VNET_NAME, 'aks-nodes');
    expect(s.networkSecurityGroup?.id).toBe(nsgId());
    const n = await c.net.networkSecurityGroups.get(RESOURCE_GROUP, NSG_NAME);
    expect(n.id).toBe(nsgId());
    const all: string[] = [];
    for await (const x of c.net.virtualNetworks.listAll()) all.push(x.name!);
    expect(all).toEqual([VNET_NAME]);
    await expect(c.net.virtualNetworks.get(RESOURCE_GROUP, 'missing')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });

  test('List Usage reports the subnet space the clusters hold (seed 004)', async () => {
    const usages = [];
    for await (const u of c.net.virtualNetworks.listUsage(RESOURCE_GROUP, VNET_NAME)) usages.push(u);
    const nodes = usages.find((u) => u.id === subnetId())!;
    // node subnet cluster: 3 nodes × (30 − 1); overlay cluster: 2 node addresses.
    expect(nodes).toMatchObject({ currentValue: 3 * 29 + 2, limit: 4096 - 5, unit: 'Count', name: { value: 'SubnetSpace' } });
  });
});

test('faults are scoped to the clusters named in scope', () => {
  const f = new FaultInjector(parseFaultSpec(`conflict=1,500=1,scope=${clusterId('a')}`));
  expect(f.competingOperation(armIdKey(clusterId('b')))).toBe(false);
  expect(f.competingOperation(armIdKey(clusterId('a')))).toBe(true);
  expect(f.forRequest(`${clusterId('a')}/agentPools/x`).status).toBe(500);
  expect(f.forRequest(clusterId('b')).status).toBeUndefined();
});
