/**
 * The simulator as the real @azure/arm-containerservice client sees it over HTTPS: reads, full-model PUTs
 * with LRO polling to completion, AKS's own rejections (RestError code + status), ETag preconditions,
 * 409 while an operation runs, and the effects of an operation over simulated time.
 */
import type { ManagedCluster } from '@azure/arm-containerservice';
import { isRestError } from '@azure/core-rest-pipeline';
import * as k8s from '@kubernetes/client-node';
import { startSimulator, type RunningSimulator } from '../../sim/server';
import { cidrOverlaps } from '../../sim/ipv4';
import {
  agentPool,
  ciliumCluster,
  clusterId,
  dynamicIpCluster,
  karpenterNodePool,
  kubenetCluster,
  maintenanceConfiguration,
  node,
  nodeSubnetCluster,
  nsg,
  overlayCluster,
  RESOURCE_GROUP,
  snapshotOf,
  subnetId,
  SUBSCRIPTION,
  vnet,
  windowsPool,
} from '../support/arm';
import { clientsFor, request, type SimClients } from './simClients';

const RG = RESOURCE_GROUP;
const fleet = snapshotOf(
  [
    nodeSubnetCluster({ name: 'ns-ok' }),
    nodeSubnetCluster({ name: 'ns-ok-2' }),
    nodeSubnetCluster({ name: 'ns-npm', networkProfile: { networkPolicy: 'azure' } }),
    nodeSubnetCluster({ name: 'ns-old', kubernetesVersion: '1.26.6' }),
    nodeSubnetCluster({ name: 'ns-docker', agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId() }), windowsPool({ vnetSubnetID: subnetId() })] }),
    nodeSubnetCluster({ name: 'ns-win', agentPoolProfiles: [agentPool({ vnetSubnetID: subnetId() }), windowsPool({ vnetSubnetID: subnetId() })] }),
    dynamicIpCluster({ name: 'dyn' }),
    kubenetCluster({ name: 'kubenet' }),
    overlayCluster({ name: 'ov', networkProfile: { networkPolicy: 'azure' } }),
    overlayCluster({ name: 'ov-plain' }),
    overlayCluster({ name: 'ov-nap', nodeProvisioningProfile: { mode: 'Auto' } }),
    overlayCluster({ name: 'ov-nap-limits', nodeProvisioningProfile: { mode: 'Auto' } }),
    ciliumCluster({ name: 'cil' }),
    nodeSubnetCluster({ name: 'abortme' }),
    nodeSubnetCluster({ name: 'retry' }),
    ciliumCluster({ name: 'cil-pools' }),
    vnet(),
    nsg(),
    maintenanceConfiguration(clusterId('ns-ok'), 'aksManagedAutoUpgradeSchedule'),
  ],
  {
    [clusterId('ns-docker')]: [
      node('aks-nodepool1-12345678-vmss000000', { pool: 'nodepool1' }),
      node('akswin22000000', { pool: 'win22', os: 'windows', containerRuntimeVersion: 'docker://20.10.9' }),
    ],
    // NAP Auto with every NAP node gone but a NodePool still allowed to provision.
    [clusterId('ov-nap-limits')]: [node('aks-nodepool1-12345678-vmss000000', { pool: 'nodepool1' }), karpenterNodePool('default')],
  },
);

let sim: RunningSimulator;
let c: SimClients;

beforeAll(async () => {
  // 20 simulated minutes of reimage = 1.2 s; plain updates 30 minutes = 1.8 s, room to act while one runs on a loaded machine.
  sim = await startSimulator({ snapshot: fleet, timeScale: 0.001, durations: { updateMinutes: 30 } });
  c = clientsFor(sim, SUBSCRIPTION);
});
afterAll(() => sim.stop());

async function kubeFor(name: string): Promise<{ core: k8s.CoreV1Api; apps: k8s.AppsV1Api }> {
  const creds = await c.cs.managedClusters.listClusterUserCredentials(RG, name);
  const kc = new k8s.KubeConfig();
  kc.loadFromString(Buffer.from(creds.kubeconfigs![0].value!).toString('utf8'));
  return { core: kc.makeApiClient(k8s.CoreV1Api), apps: kc.makeApiClient(k8s.AppsV1Api) };
}

function put(name: string, mc: ManagedCluster, etag?: string) {
  return c.cs.managedClusters.createOrUpdate(RG, name, mc, { ifMatch: etag ?? mc.eTag, updateIntervalInMs: 200 }).pollUntilDone();
}

async function rejection(name: string, change: (mc: ManagedCluster) => ManagedCluster): Promise<{ statusCode?: number; code?: string; message: string }> {
  const mc = await c.cs.managedClusters.get(RG, name);
  try {
    await put(name, change(mc));
  } catch (e) {
    if (!isRestError(e)) throw e;
    // The LRO helper throws before deserializing the error, so the ARM body is read from the response.
    return { statusCode: e.statusCode, code: e.code, message: e.message };
  }
  throw new Error(`PUT on ${name} was accepted`);
}

const toOverlay = (podCidr = '192.168.0.0/16') => (mc: ManagedCluster): ManagedCluster => ({
  ...mc,
  networkProfile: { ...mc.networkProfile, networkPlugin: 'azure', networkPluginMode: 'overlay', podCidr },
});
const toCilium = (mc: ManagedCluster): ManagedCluster => ({ ...mc, networkProfile: { ...mc.networkProfile, networkDataplane: 'cilium', networkPolicy: 'cilium' } });

describe('reads', () => {
  test('get returns the seeded cluster with an ETag; list by subscription and by resource group page through all', async () => {
    const mc = await c.cs.managedClusters.get(RG, 'ns-ok');
    expect(mc.id).toBe(clusterId('ns-ok'));
    expect(mc.eTag).toMatch(/^[0-9a-f-]{36}$/);
    expect(mc.agentPoolProfiles?.[0].vnetSubnetID).toBe(subnetId());
    const bySub: string[] = [];
    for await (const x of c.cs.managedClusters.list()) bySub.push(x.name!);
    const byRg: string[] = [];
    for await (const x of c.cs.managedClusters.listByResourceGroup(RG)) byRg.push(x.name!);
    expect(bySub).toHaveLength(16);
    expect(byRg.sort()).toEqual(bySub.sort());
  });

  test('a missing cluster is a 404 ResourceNotFound', async () => {
    await expect(c.cs.managedClusters.get(RG, 'nope')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });

  test('agent pools and maintenance configurations', async () => {
    const pools: string[] = [];
    for await (const p of c.cs.agentPools.list(RG, 'ns-win')) pools.push(p.name!);
    expect(pools).toEqual(['nodepool1', 'win22']);
    const win = await c.cs.agentPools.get(RG, 'ns-win', 'win22');
    expect(win.osType).toBe('Windows');
    expect(win.eTag).toBeTruthy();
    const configs: string[] = [];
    for await (const m of c.cs.maintenanceConfigurations.listByManagedCluster(RG, 'ns-ok')) configs.push(m.name!);
    expect(configs).toEqual(['aksManagedAutoUpgradeSchedule']);
    const one = await c.cs.maintenanceConfigurations.get(RG, 'ns-ok', 'aksManagedAutoUpgradeSchedule');
    expect(one.maintenanceWindow?.durationHours).toBeGreaterThan(0);
    await expect(c.cs.maintenanceConfigurations.get(RG, 'ns-ok', 'default')).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe("AKS's server-side validation", () => {
  const cases: Array<[string, string, (mc: ManagedCluster) => ManagedCluster, string, RegExp]> = [
    ['Overlay while Azure NPM is on', 'ns-npm', toOverlay(), 'ValidationError', /network polic/i],
    ['Overlay from dynamic IP allocation', 'dyn', toOverlay(), 'OperationNotAllowed', /dynamic IP/],
    ['Overlay below Kubernetes 1.27', 'ns-old', toOverlay(), 'OperationNotAllowed', /1\.27.*1\.26\.6/],
    ['Overlay with Windows pools on Docker', 'ns-docker', toOverlay(), 'OperationNotAllowed', /Docker.*akswin22000000/],
    ['a pod CIDR overlapping the VNet', 'ns-ok', toOverlay('10.10.128.0/17'), 'NetworkProfileCIDROverlapVNET', /10\.10\.0\.0\/16/],
    ['Overlay without a pod CIDR from node subnet', 'ns-ok', (mc) => ({ ...mc, networkProfile: { ...mc.networkProfile, networkPluginMode: 'overlay' } }), 'InvalidParameter', /podCidr is required/],
    ['Cilium from kubenet', 'kubenet', toCilium, 'OperationNotAllowed', /Overlay first/],
    ['Cilium with Windows pools', 'ns-win', toCilium, 'OperationNotAllowed', /Windows node pools \(win22\)/],
    ['Cilium with NAP Auto', 'ov-nap', toCilium, 'OperationNotAllowed', /auto-provisioning/],
    ['Cilium without networkPolicy cilium', 'ov-plain', (mc) => ({ ...mc, networkProfile: { ...mc.networkProfile, networkDataplane: 'cilium' } }), 'CiliumDataplaneRequiresNetworkPolicyCilium', /networkPolicy/],
    ['IPAM and data plane in one PUT', 'ns-ok', (mc) => toCilium(toOverlay()(mc)), 'OperationNotAllowed', /single operation/],
    ['Overlay back to node subnet', 'ov-plain', (mc) => ({ ...mc, networkProfile: { ...mc.networkProfile, networkPluginMode: undefined, podCidr: undefined, podCidrs: undefined } }), 'OperationNotAllowed', /irreversible/],
    ['Cilium back to azure', 'cil', (mc) => ({ ...mc, networkProfile: { ...mc.networkProfile, networkDataplane: 'azure', networkPolicy: 'none' } }), 'OperationNotAllowed', /can't be disabled/],
    ['NAP Manual while NAP nodes remain', 'ov-nap', (mc) => ({ ...mc, nodeProvisioningProfile: { mode: 'Manual' } }), 'OperationNotAllowed', /nodes it manages remain \(aks-default-/],
    ['NAP Manual while a NodePool has limits.cpu ≠ 0', 'ov-nap-limits', (mc) => ({ ...mc, nodeProvisioningProfile: { mode: 'Manual' } }), 'OperationNotAllowed', /limits\.cpu other than 0 \(default\)/],
  ];
  test.each(cases)('%s is rejected (%s)', async (_what, name, change, code, message) => {
    const before = await c.cs.managedClusters.get(RG, name);
    const e = await rejection(name, change);
    expect(e).toMatchObject({ statusCode: 400, code });
    expect(e.message).toMatch(message);
    const after = await c.cs.managedClusters.get(RG, name);
    expect(after.eTag).toBe(before.eTag);
    expect(after.networkProfile).toEqual(before.networkProfile);
  });

  test('the overlap error body is ARM-shaped and names its target as AKS does', async () => {
    // The SDK's LRO helper drops the error body, so this one goes over raw HTTPS.
    const got = await request(sim, 'GET', `${clusterId('ns-ok')}?api-version=2026-04-01`, undefined, { authorization: 'Bearer x' });
    const mc = got.body as { properties: { networkProfile: Record<string, unknown> } };
    mc.properties.networkProfile = { ...mc.properties.networkProfile, networkPluginMode: 'overlay', podCidr: '10.10.0.0/24' };
    const res = await request(sim, 'PUT', `${clusterId('ns-ok')}?api-version=2026-04-01`, mc, { authorization: 'Bearer x' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'NetworkProfileCIDROverlapVNET', message: expect.stringContaining('10.10.0.0/24'), target: 'networkProfile.podCIDR' } });
  });

  test('a stale If-Match is a 412 and changes nothing', async () => {
    const mc = await c.cs.managedClusters.get(RG, 'ns-ok');
    await expect(put('ns-ok', { ...mc, tags: { team: 'x' } }, '"0000"')).rejects.toMatchObject({ statusCode: 412, code: 'PreconditionFailed' });
    expect((await c.cs.managedClusters.get(RG, 'ns-ok')).tags).toBeUndefined();
  });
});

describe('operations over simulated time', () => {
  test('node subnet → Overlay: LRO Updating → Succeeded, all pools reimaged, pods re-addressed from the pod CIDR', async () => {
    const { core } = await kubeFor('ns-ok-2');
    const nodesBefore = (await core.listNode()).items.map((n) => n.metadata!.name!);
    const mc = await c.cs.managedClusters.get(RG, 'ns-ok-2');
    const imageBefore = mc.agentPoolProfiles![0].nodeImageVersion;
    const poller = c.cs.managedClusters.createOrUpdate(RG, 'ns-ok-2', toOverlay('192.168.0.0/16')(mc), { ifMatch: mc.eTag, updateIntervalInMs: 200 });
    await poller.submitted();
    expect((await c.cs.managedClusters.get(RG, 'ns-ok-2')).provisioningState).toBe('Updating');
    const done = await poller.pollUntilDone();
    expect(done.provisioningState).toBe('Succeeded');
    expect(done.networkProfile).toMatchObject({ networkPluginMode: 'overlay', podCidr: '192.168.0.0/16' });
    expect(done.agentPoolProfiles![0].nodeImageVersion).not.toBe(imageBefore);
    const nodesAfter = (await core.listNode()).items;
    expect(nodesAfter).toHaveLength(3);
    for (const n of nodesAfter) expect(nodesBefore).not.toContain(n.metadata!.name);
    const pods = (await core.listPodForAllNamespaces()).items.filter((p) => !p.spec?.hostNetwork);
    expect(pods.length).toBeGreaterThan(0);
    for (const p of pods) expect(cidrOverlaps(`${p.status!.podIP}/32`, '192.168.0.0/16')).toBe(true);
  });

  test('Overlay → Cilium: the cilium DaemonSet is ready, kube-proxy and Azure NPM are gone', async () => {
    const { apps } = await kubeFor('ov');
    const before = (await apps.listDaemonSetForAllNamespaces()).items.map((d) => d.metadata!.name);
    expect(before).toEqual(expect.arrayContaining(['kube-proxy', 'azure-npm']));
    const mc = await c.cs.managedClusters.get(RG, 'ov');
    const done = await put('ov', toCilium(mc));
    expect(done.networkProfile).toMatchObject({ networkDataplane: 'cilium', networkPolicy: 'cilium' });
    const ds = (await apps.listDaemonSetForAllNamespaces()).items;
    const names = ds.map((d) => d.metadata!.name);
    expect(names).toContain('cilium');
    expect(names).not.toContain('kube-proxy');
    expect(names).not.toContain('azure-npm');
    const cilium = ds.find((d) => d.metadata!.name === 'cilium')!;
    expect(cilium.status!.numberReady).toBe(cilium.status!.desiredNumberScheduled);
    expect(cilium.status!.desiredNumberScheduled).toBe(3);
  });

  test('a second write while an operation runs is a 409 OperationNotAllowed; after it ends, writes go through', async () => {
    const mc = await c.cs.managedClusters.get(RG, 'kubenet');
    const first = c.cs.managedClusters.createOrUpdate(RG, 'kubenet', { ...mc, tags: { wave: '1' } }, { updateIntervalInMs: 200 });
    await first.submitted();
    const again = await c.cs.managedClusters.get(RG, 'kubenet');
    await expect(put('kubenet', { ...again, tags: { wave: '2' } })).rejects.toMatchObject({ statusCode: 409, code: 'OperationNotAllowed' });
    await expect(c.cs.agentPools.createOrUpdate(RG, 'kubenet', 'nodepool1', { count: 4 }).pollUntilDone()).rejects.toMatchObject({ statusCode: 409 });
    await first.pollUntilDone();
    const latest = await c.cs.managedClusters.get(RG, 'kubenet');
    expect((await put('kubenet', { ...latest, tags: { wave: '2' } })).tags).toEqual({ wave: '2' });
  });

  test('scaling an agent pool adds nodes', async () => {
    const { core } = await kubeFor('ns-win');
    expect((await core.listNode({ labelSelector: 'agentpool=nodepool1' })).items).toHaveLength(3);
    const pool = await c.cs.agentPools.get(RG, 'ns-win', 'nodepool1');
    const done = await c.cs.agentPools.createOrUpdate(RG, 'ns-win', 'nodepool1', { ...pool, count: 5 }, { ifMatch: pool.eTag, updateIntervalInMs: 200 }).pollUntilDone();
    expect(done.count).toBe(5);
    expect(done.provisioningState).toBe('Succeeded');
    expect((await core.listNode({ labelSelector: 'agentpool=nodepool1' })).items).toHaveLength(5);
    const ds = (await kubeFor('ns-win')).apps;
    const proxy = await ds.readNamespacedDaemonSet({ name: 'kube-proxy', namespace: 'kube-system' });
    expect(proxy.status?.desiredNumberScheduled).toBe(5);
  });

  test('an older api-version PUT with ebpfDataplane (seed 001) is read as networkDataplane; the async-operation resource goes InProgress → Succeeded', async () => {
    const auth = { authorization: 'Bearer t' };
    const url = `${clusterId('ov-plain')}?api-version=2022-09-02-preview`;
    const got = (await request(sim, 'GET', url, undefined, auth)).body as { properties: { networkProfile: Record<string, unknown> } };
    got.properties.networkProfile = { ...got.properties.networkProfile, ebpfDataplane: 'cilium', networkPolicy: 'cilium' };
    delete got.properties.networkProfile.networkDataplane;
    const put = await request(sim, 'PUT', url, got, auth);
    expect(put.status).toBe(201);
    const statusUrl = String(put.headers['azure-asyncoperation']);
    expect(statusUrl).toMatch(/\/providers\/Microsoft\.ContainerService\/locations\/eastus\/operations\/[0-9a-f-]+\?api-version=2022-09-02-preview$/);
    expect(String(put.headers['location'])).toMatch(/\/operationresults\//);
    expect(Number(put.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const states: string[] = [];
    for (;;) {
      const st = (await request(sim, 'GET', statusUrl, undefined, auth)).body as { status: string };
      states.push(st.status);
      if (st.status !== 'InProgress') break;
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(states[0]).toBe('InProgress');
    expect(states[states.length - 1]).toBe('Succeeded');
    const after = await c.cs.managedClusters.get(RG, 'ov-plain');
    expect(after.networkProfile).toMatchObject({ networkDataplane: 'cilium', networkPolicy: 'cilium' });
  });

  test('creating a cluster: 201 Creating, then Succeeded with nodes for its pools', async () => {
    const done = await c.cs.managedClusters
      .createOrUpdate(
        RG,
        'fresh',
        {
          location: 'westeurope',
          kubernetesVersion: '1.30.4',
          dnsPrefix: 'fresh',
          agentPoolProfiles: [{ name: 'system', count: 2, vmSize: 'Standard_D4s_v5', mode: 'System', osType: 'Linux', vnetSubnetID: subnetId() }],
          networkProfile: { networkPlugin: 'azure', networkPluginMode: 'overlay', podCidr: '172.16.0.0/16', networkDataplane: 'cilium', networkPolicy: 'cilium' },
        },
        { updateIntervalInMs: 200 },
      )
      .pollUntilDone();
    expect(done.provisioningState).toBe('Succeeded');
    const { core, apps } = await kubeFor('fresh');
    expect((await core.listNode()).items).toHaveLength(2);
    const names = (await apps.listDaemonSetForAllNamespaces()).items.map((d) => d.metadata!.name);
    expect(names).toContain('cilium');
    expect(names).not.toContain('kube-proxy');
  });

  test('an Overlay update that ends Failed keeps the new model; PUTting it again performs the reimage', async () => {
    await request(sim, 'PUT', '/__sim/faults', { spec: `fail=1,scope=${clusterId('retry')}` });
    const { core } = await kubeFor('retry');
    const nodesBefore = (await core.listNode()).items.map((n) => n.metadata!.name);
    const mc = await c.cs.managedClusters.get(RG, 'retry');
    await expect(put('retry', toOverlay('192.168.0.0/16')(mc))).rejects.toThrow(/UpgradeFailed/);
    const failed = await c.cs.managedClusters.get(RG, 'retry');
    expect(failed.provisioningState).toBe('Failed');
    expect(failed.networkProfile?.networkPluginMode).toBe('overlay');
    expect((await core.listNode()).items.map((n) => n.metadata!.name)).toEqual(nodesBefore);
    await request(sim, 'PUT', '/__sim/faults', { spec: '' });
    const done = await put('retry', failed);
    expect(done.provisioningState).toBe('Succeeded');
    const nodesAfter = (await core.listNode()).items.map((n) => n.metadata!.name);
    expect(nodesAfter).toHaveLength(3);
    expect(nodesAfter.some((n) => nodesBefore.includes(n))).toBe(false);
  });

  test('abort cancels the running operation: Canceled for the poller, the cluster and its pools, effects not applied', async () => {
    const mc = await c.cs.managedClusters.get(RG, 'abortme');
    const imageBefore = mc.agentPoolProfiles![0].nodeImageVersion;
    const update = c.cs.managedClusters.createOrUpdate(RG, 'abortme', toOverlay()(mc), { ifMatch: mc.eTag, updateIntervalInMs: 100 });
    await update.submitted();
    await c.cs.managedClusters.abortLatestOperation(RG, 'abortme', { updateIntervalInMs: 100 }).pollUntilDone();
    await expect(update.pollUntilDone()).rejects.toThrow(/canceled/i);
    const after = await c.cs.managedClusters.get(RG, 'abortme');
    expect(after.provisioningState).toBe('Canceled');
    expect(after.agentPoolProfiles![0].provisioningState).toBe('Canceled');
    expect(after.agentPoolProfiles![0].nodeImageVersion).toBe(imageBefore);
    await expect(c.cs.managedClusters.abortLatestOperation(RG, 'abortme').pollUntilDone()).rejects.toMatchObject({ statusCode: 409 });
    const id = clusterId('abortme').toLowerCase();
    const log = sim.world.log.filter((e) => e.resourceId.toLowerCase().startsWith(id));
    expect(log.map((e) => [e.method, e.resourceId.slice(id.length), e.result.operationStatus])).toEqual([
      ['PUT', '', 'Canceled'],
      ['POST', '/abort', 'Succeeded'],
      ['POST', '/abort', undefined],
    ]);
  });
});

describe('agent pools', () => {
  test('a stale If-Match on a pool is a 412; a bad count or an osType change is refused', async () => {
    const pool = await c.cs.agentPools.get(RG, 'cil-pools', 'nodepool1');
    await expect(c.cs.agentPools.createOrUpdate(RG, 'cil-pools', 'nodepool1', { ...pool, count: 4 }, { ifMatch: 'stale' }).pollUntilDone()).rejects.toMatchObject({
      statusCode: 412,
      code: 'PreconditionFailed',
    });
    await expect(c.cs.agentPools.createOrUpdate(RG, 'cil-pools', 'nodepool1', { ...pool, count: 1001 }).pollUntilDone()).rejects.toMatchObject({ statusCode: 400, code: 'InvalidParameter' });
    await expect(c.cs.agentPools.createOrUpdate(RG, 'cil-pools', 'nodepool1', { ...pool, osType: 'Windows' }).pollUntilDone()).rejects.toMatchObject({ statusCode: 400, code: 'InvalidParameter' });
    expect((await c.cs.agentPools.get(RG, 'cil-pools', 'nodepool1')).eTag).toBe(pool.eTag);
  });

  test('a Windows pool cannot join a Cilium cluster (seed 002 Limitations); a Linux pool can, with its nodes', async () => {
    await expect(c.cs.agentPools.createOrUpdate(RG, 'cil-pools', 'win1', { osType: 'Windows', count: 1, vmSize: 'Standard_D4s_v5' }).pollUntilDone()).rejects.toMatchObject({
      statusCode: 400,
      code: 'OperationNotAllowed',
    });
    const created = await c.cs.agentPools.createOrUpdate(RG, 'cil-pools', 'user1', { osType: 'Linux', count: 2, vmSize: 'Standard_D8s_v5', mode: 'User', vnetSubnetID: subnetId() }, { updateIntervalInMs: 100 }).pollUntilDone();
    expect(created).toMatchObject({ name: 'user1', count: 2, provisioningState: 'Succeeded' });
    const { core } = await kubeFor('cil-pools');
    expect((await core.listNode({ labelSelector: 'kubernetes.azure.com/agentpool=user1' })).items).toHaveLength(2);
    expect((await c.cs.managedClusters.get(RG, 'cil-pools')).agentPoolProfiles!.map((p) => p.name)).toEqual(['nodepool1', 'user1']);
  });
});
