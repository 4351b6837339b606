/**
 * A kubeconfig from listClusterUserCredential works with @kubernetes/client-node against the cluster's
 * simulated API server, and the NAP disable procedure (aks-facts "Disabling NAP is a workload move")
 * plays out as AKS enforces it.
 */
import * as k8s from '@kubernetes/client-node';
import { startSimulator, type RunningSimulator } from '../../sim/server';
import { clusterId, networkPolicy, overlayCluster, RESOURCE_GROUP, snapshotOf, SUBSCRIPTION, vnet, nsg, configMap } from '../support/arm';
import { clientsFor, type SimClients } from './simClients';

let sim: RunningSimulator;
let c: SimClients;

beforeAll(async () => {
  sim = await startSimulator({
    snapshot: snapshotOf(
      [overlayCluster({ name: 'nap', nodeProvisioningProfile: { mode: 'Auto' } }), overlayCluster({ name: 'seeded' }), vnet(), nsg()],
      { [clusterId('seeded')]: [networkPolicy('web', 'deny-all'), configMap('kube-system', 'azure-ip-masq-agent-config', { a: 'b' })] },
    ),
    timeScale: 0.0005,
  });
  c = clientsFor(sim, SUBSCRIPTION);
});
afterAll(() => sim.stop());

async function kubeConfig(name: string, admin = false): Promise<k8s.KubeConfig> {
  const creds = admin
    ? await c.cs.managedClusters.listClusterAdminCredentials(RESOURCE_GROUP, name)
    : await c.cs.managedClusters.listClusterUserCredentials(RESOURCE_GROUP, name);
  const kc = new k8s.KubeConfig();
  kc.loadFromString(Buffer.from(creds.kubeconfigs![0].value!).toString('utf8'));
  return kc;
}

const NODEPOOLS = { group: 'karpenter.sh', version: 'v1', plural: 'nodepools' };

test('the kubeconfig points at this cluster over HTTPS with the simulator CA; core, networking and apps objects list', async () => {
  const kc = await kubeConfig('seeded', true);
  expect(kc.getCurrentCluster()!.server).toBe(sim.kubeEndpointFor(clusterId('seeded')));
  const core = kc.makeApiClient(k8s.CoreV1Api);
  // Seeded items are served as given: no nodes were in the snapshot.
  expect((await core.listNode()).items).toHaveLength(0);
  const cms = await core.listNamespacedConfigMap({ namespace: 'kube-system' });
  expect(cms.items.map((x) => x.metadata!.name)).toEqual(['azure-ip-masq-agent-config']);
  const net = kc.makeApiClient(k8s.NetworkingV1Api);
  expect((await net.listNetworkPolicyForAllNamespaces()).items.map((p) => `${p.metadata!.namespace}/${p.metadata!.name}`)).toEqual(['web/deny-all']);
  expect((await core.listNamespace()).items.map((n) => n.metadata!.name)).toEqual(expect.arrayContaining(['web', 'kube-system']));
  await expect(core.readNamespacedConfigMap({ name: 'nope', namespace: 'kube-system' })).rejects.toMatchObject({ code: 404 });
});

test('a cluster seeded without Kubernetes items gets a plausible default set', async () => {
  const kc = await kubeConfig('nap');
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const nodes = (await core.listNode()).items;
  expect(nodes.filter((n) => n.metadata!.labels!['kubernetes.azure.com/agentpool'] === 'nodepool1')).toHaveLength(3);
  expect(nodes.filter((n) => n.metadata!.labels!['karpenter.sh/nodepool'])).toHaveLength(2);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const ds = (await apps.listNamespacedDaemonSet({ namespace: 'kube-system' })).items.map((d) => d.metadata!.name);
  expect(ds).toEqual(expect.arrayContaining(['kube-proxy', 'azure-cns']));
  const pods = (await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodes[0].metadata!.name}` })).items;
  expect(pods.length).toBeGreaterThan(2);
  const svc = await core.readNamespacedService({ name: 'kube-dns', namespace: 'kube-system' });
  expect(svc.spec!.clusterIP).toBe('10.0.0.10');
});

test('disabling NAP: AKS refuses Manual until NodePools are closed and NAP nodes are gone; deleted NAP nodes come back while the pool may provision', async () => {
  const kc = await kubeConfig('nap');
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const napNodes = async () => (await core.listNode({ labelSelector: 'karpenter.sh/nodepool' })).items.map((n) => n.metadata!.name!);

  // Karpenter replaces a NAP node deleted while its NodePool still has CPU to give.
  const [first] = await napNodes();
  await core.deleteNode({ name: first });
  const afterDelete = await napNodes();
  expect(afterDelete).toHaveLength(2);
  expect(afterDelete).not.toContain(first);

  // 1. limits.cpu = 0 (JSON merge patch) and 2. the disable taint (JSON patch).
  await custom.patchClusterCustomObject({ ...NODEPOOLS, name: 'default', body: { spec: { limits: { cpu: '0' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
  await custom.patchClusterCustomObject({
    ...NODEPOOLS,
    name: 'default',
    body: [{ op: 'add', path: '/spec/template/spec/taints', value: [{ key: 'karpenter.azure.com/disable', effect: 'NoSchedule' }] }],
  });
  const np = (await custom.getClusterCustomObject({ ...NODEPOOLS, name: 'default' })) as { spec: { limits: { cpu: string }; template: { spec: { taints: unknown[] } } } };
  expect(np.spec.limits.cpu).toBe('0');
  expect(np.spec.template.spec.taints).toEqual([{ key: 'karpenter.azure.com/disable', effect: 'NoSchedule' }]);

  let mc = await c.cs.managedClusters.get(RESOURCE_GROUP, 'nap');
  await expect(
    c.cs.managedClusters.createOrUpdate(RESOURCE_GROUP, 'nap', { ...mc, nodeProvisioningProfile: { mode: 'Manual' } }, { ifMatch: mc.eTag }).pollUntilDone(),
  ).rejects.toMatchObject({ statusCode: 400, code: 'OperationNotAllowed' });

  // 4. delete the NAP nodes: they drain (their pods move) and, with the pool closed, stay gone.
  const webBefore = (await core.listNamespacedPod({ namespace: 'web' })).items.length;
  for (const name of await napNodes()) await core.deleteNode({ name });
  expect(await napNodes()).toEqual([]);
  const web = (await core.listNamespacedPod({ namespace: 'web' })).items;
  expect(web).toHaveLength(webBefore);
  const remaining = new Set((await core.listNode()).items.map((n) => n.metadata!.name));
  for (const p of web) expect(remaining.has(p.spec!.nodeName!)).toBe(true);

  // 5. Manual is accepted now.
  mc = await c.cs.managedClusters.get(RESOURCE_GROUP, 'nap');
  const done = await c.cs.managedClusters
    .createOrUpdate(RESOURCE_GROUP, 'nap', { ...mc, nodeProvisioningProfile: { mode: 'Manual' } }, { ifMatch: mc.eTag, updateIntervalInMs: 100 })
    .pollUntilDone();
  expect(done.nodeProvisioningProfile?.mode).toBe('Manual');

  const log = sim.world.log.filter((e) => e.resourceId.includes('/kubernetes/'));
  expect(log.map((e) => e.method)).toEqual(['DELETE', 'PATCH', 'PATCH', 'DELETE', 'DELETE']);
});

test('bad patches are refused the way the API server refuses them', async () => {
  const kc = await kubeConfig('seeded');
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  await expect(custom.patchClusterCustomObject({ ...NODEPOOLS, name: 'missing', body: [] })).rejects.toMatchObject({ code: 404 });
});
