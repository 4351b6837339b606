/**
 * End to end below the CLI: the real Functions app on the local host, the real SDK clients and Kubernetes client
 * through the migration ports (shared/azure/operations.ts, shared/kube/actions.ts), against the AKS simulator over HTTPS.
 * Assertions read the simulator's operation log and ARM state.
 */
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import { beginStep, pollOperation } from '../../shared/migration/operations';
import type { RolloutReport } from '../../functions/contracts';
import type { RunningHost } from '../../local/host';
import type { RunningSimulator } from '../../sim/server';
import type { AzureClients } from '../../shared/azure/clients';
import type { KubernetesActions } from '../../shared/kube/actions';
import type { MemoryResultStore } from '../../shared/rollout/store';
import { startAppOnSimulator, type AppOnSimulator } from './support/appOnSimulator';
import { armOperations } from '../../shared/azure/operations';
import { ORCHESTRATIONS } from '../../functions/names';
import type { RolloutSpec } from '../../shared/rollout/spec';
import { clusterId, kubenetCluster, nodeSubnetCluster, nsg, overlayCluster, snapshotOf, SUBSCRIPTION, vnet } from '../support/arm';

let app: AppOnSimulator;
let sim: RunningSimulator;
let host: RunningHost;
let clients: AzureClients;
let store: MemoryResultStore;
let kube: KubernetesActions;

beforeAll(async () => {
  app = await startAppOnSimulator({ snapshot: snapshotOf([nodeSubnetCluster({ name: 'ns-1' }), nodeSubnetCluster({ name: 'ns-npm', networkProfile: { networkPolicy: 'azure' } }), nodeSubnetCluster({ name: 'ns-busy' }), overlayCluster({ name: 'ov-nap', nodeProvisioningProfile: { mode: 'Auto' } }), kubenetCluster({ name: 'legacy' }), vnet(), nsg()]) });
  ({ sim, host, clients, store, kube } = app);
}, 60_000);

afterAll(async () => app?.close());

it('migrates a fleet to Cilium through the real SDK against the simulator, NAP handled around it', async () => {
  const spec: RolloutSpec = { name: 'sim', target: 'cilium', selector: { subscriptions: [SUBSCRIPTION], excludes: [clusterId('ns-npm'), clusterId('ns-busy')] }, stages: [{ name: 'all', maxConcurrency: 2 }], failureBudget: { total: 5 } };
  const id = host.client.startNew(ORCHESTRATIONS.rollout, { instanceId: 'rollout-sim', input: { spec } });
  const status = await host.client.waitForCompletion(id, 100_000);
  const report = status.output as RolloutReport;
  const all = (await store.listClusters(id)).items.map((r) => ({ name: r.name, result: r.result?.result, reason: r.result?.reason, error: r.result?.error }));
  expect({ counts: report.counts, all }).toMatchObject({ counts: { migrated: 2, blocked: 1 } });
  const writes = sim.world.log.filter((e) => e.method !== "GET" && e.api === "arm");
  // Nothing written to the blocked kubenet cluster.
  expect(writes.filter((w) => w.resourceId.toLowerCase().startsWith(clusterId('legacy').toLowerCase()))).toEqual([]);
  // The NAP cluster, in order: NodePools to limits 0 + taint, the fixed pool scaled up, NAP nodes deleted, mode
  // Manual, the Cilium PUT, mode Auto, NodePools and the pool size restored (aks-facts § Disabling NAP).
  type Body = { properties?: { nodeProvisioningProfile?: { mode?: string }; networkProfile?: { networkDataplane?: string } } };
  const napSteps = sim.world.log
    .filter((e) => e.method !== 'GET' && e.resourceId.toLowerCase().startsWith(clusterId('ov-nap').toLowerCase()) && e.result.status < 300)
    .map((e) => {
      if (e.api === 'kubernetes') return /nodepools/.test(e.resourceId) ? 'patch NodePool' : /nodes\//.test(e.resourceId) ? 'delete node' : e.resourceId;
      if (/agentPools/.test(e.resourceId)) return 'scale pool';
      const b = e.body as Body;
      return b.properties?.networkProfile?.networkDataplane === 'cilium' && b.properties?.nodeProvisioningProfile?.mode === 'Manual' ? 'PUT cilium' : `PUT NAP ${b.properties?.nodeProvisioningProfile?.mode}`;
    })
    .filter((step, i, all) => step !== 'delete node' || all[i - 1] !== 'delete node');
  expect(napSteps).toEqual(['patch NodePool', 'scale pool', 'delete node', 'PUT NAP Manual', 'PUT cilium', 'PUT NAP Auto', 'patch NodePool', 'scale pool']);
  // NAP is back to Auto, and both clusters run the Cilium data plane.
  const get = async (name: string) => (await armOperations(clients).getCluster(clusterId(name))).resource;
  expect((await get('ov-nap')).properties?.nodeProvisioningProfile?.mode).toBe('Auto');
  const [nodePool] = await kube.listNodePools(clusterId('ov-nap'));
  expect(nodePool.spec?.limits?.cpu).not.toBe('0');
  expect(nodePool.spec?.template?.spec?.taints ?? []).not.toContainEqual(expect.objectContaining({ key: 'karpenter.azure.com/disable' }));
  for (const n of ['ns-1', 'ov-nap']) expect((await get(n)).properties?.networkProfile).toMatchObject({ networkDataplane: 'cilium', networkPolicy: 'cilium' });
}, 120_000);

describe('the migration ports against the simulator', () => {
  it('an AKS validation error comes back rejected with its code and message; during an operation no second PUT is sent; the operation is followed to its end', async () => {
    const ops = armOperations(clients);
    const rejected = await beginStep(ops, clusterId('ns-npm'), 'ipam:overlay', { podCidr: '192.168.0.0/16' });
    expect(rejected).toEqual({ kind: 'rejected', code: 'ValidationError', message: expect.stringContaining('Cannot update cluster to Azure CNI Overlay while using network policies with Azure CNI v1') });
    const first = await beginStep(ops, clusterId('ns-busy'), 'dataplane:cilium');
    expect(first).toMatchObject({ kind: 'started', handle: { kind: 'azure-asyncoperation' }, correlationId: expect.any(String) });
    // The same step again while it runs: followed through provisioningState, no second PUT.
    expect(await beginStep(ops, clusterId('ns-busy'), 'dataplane:cilium')).toMatchObject({ kind: 'started', handle: { kind: 'provisioning-state' } });
    // A different change while it runs: busy.
    expect(await beginStep(ops, clusterId('ns-busy'), 'ipam:overlay', { podCidr: '192.168.0.0/16' })).toMatchObject({ kind: 'busy', code: 'OperationNotAllowed' });
    const handle = (first as { handle: Parameters<typeof pollOperation>[1] }).handle;
    let status = await pollOperation(ops, handle);
    for (let i = 0; i < 200 && status.status === 'InProgress'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      status = await pollOperation(ops, handle);
    }
    expect(status).toEqual({ status: 'Succeeded' });
    const puts = sim.world.log.filter((e) => e.method === 'PUT' && e.resourceId.toLowerCase() === clusterId('ns-busy').toLowerCase());
    // One PUT only: the re-run and the other change were answered from a fresh GET.
    expect(puts.map((p) => p.result.status)).toEqual([201]);
  }, 60_000);
});
