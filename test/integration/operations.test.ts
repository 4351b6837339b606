/**
 * The gateway's write ports (shared/migration/ports.ts) against the simulator: full-model PUT with If-Match
 * through the SDK pipeline, the ARM long-running-operation protocol one poll at a time, agent pool scaling,
 * and the Kubernetes side of the NAP procedure.
 */
import { isRestError } from '@azure/core-rest-pipeline';
import { startSimulator, type RunningSimulator } from '../../sim/server';
import { sampleFleet, SAMPLE_SUBSCRIPTIONS } from '../../sim/sample-fleet';
import { createAzureClients, type AzureClients } from '../../shared/azure/clients';
import { ArmOperations } from '../../shared/azure/operations';
import { KubernetesActions } from '../../shared/kube/actions';
import { managedClusterId } from '../../shared/arm/id';
import type { OperationStarted, OperationStatus } from '../../shared/migration/ports';
import type { ManagedClusterResource } from '../../shared/model/arm';
import { NAP_DISABLE_TAINT, NAP_NODE_LABEL } from '../../shared/model/kube';

const [SUB_A, SUB_B] = SAMPLE_SUBSCRIPTIONS;

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

describe('ARM operations and Kubernetes actions against the simulator', () => {
  let sim: RunningSimulator;
  let clients: AzureClients;
  let ops: ArmOperations;
  let kube: KubernetesActions;

  beforeAll(async () => {
    // 20 simulated minutes of reimage take 0.6 s.
    sim = await startSimulator({ snapshot: sampleFleet(), timeScale: 0.0005, throttling: false });
    clients = createAzureClients({ endpoint: sim.armEndpoint, caCertPath: sim.caCertPath });
    ops = new ArmOperations(clients);
    kube = new KubernetesActions(clients);
  });
  afterAll(async () => {
    kube?.close();
    clients?.close();
    await sim?.stop();
  });

  async function untilDone(started: OperationStarted): Promise<OperationStatus> {
    for (let i = 0; i < 200; i++) {
      const s = await ops.getOperation(started.handle);
      if (s.status !== 'InProgress') return s;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('operation did not finish');
  }

  it('PUTs the full REST body with If-Match and polls the operation to Succeeded', async () => {
    const id = managedClusterId(SUB_A, 'rg-web-prd', 'aks-web-prd');
    const { resource, etag } = await ops.getCluster(id);
    expect(etag).toBeTruthy();
    expect(resource.properties?.networkProfile?.networkPlugin).toBe('azure'); // REST shape: properties nested
    const body: ManagedClusterResource = JSON.parse(JSON.stringify(resource));
    body.properties!.networkProfile = { ...body.properties!.networkProfile, networkPluginMode: 'overlay', podCidr: '192.168.0.0/16' };
    const started = await ops.beginPutCluster(id, body, etag);
    expect(started.handle.kind).toBe('azure-asyncoperation');
    expect(started.correlationId).toBeTruthy();
    expect(started.retryAfterSeconds).toBeGreaterThanOrEqual(0);
    expect(await untilDone(started)).toEqual({ status: 'Succeeded' });
    const after = await ops.getCluster(id);
    expect(after.resource.properties?.networkProfile?.networkPluginMode).toBe('overlay');
    expect(after.etag).not.toBe(etag);
  });

  it('fails a PUT with a stale ETag with 412, and an AKS rejection with its code', async () => {
    const id = managedClusterId(SUB_A, 'rg-api-prd', 'aks-api-prd');
    const { resource } = await ops.getCluster(id);
    const stale = await caught(ops.beginPutCluster(id, resource, '"not-the-etag"'));
    expect(isRestError(stale)).toBe(true);
    expect(stale).toMatchObject({ statusCode: 412 });
    // Cilium data plane without Cilium network policy (aks-facts.md § Server-side errors).
    const fresh = await ops.getCluster(id);
    const body: ManagedClusterResource = JSON.parse(JSON.stringify(fresh.resource));
    body.properties!.networkProfile = { ...body.properties!.networkProfile, networkDataplane: 'cilium', networkPolicy: 'none' };
    const rejected = await caught(ops.beginPutCluster(id, body, fresh.etag));
    expect(rejected).toMatchObject({ statusCode: 400, code: 'CiliumDataplaneRequiresNetworkPolicyCilium' });
  });

  it('scales an agent pool and reports the operation', async () => {
    const id = managedClusterId(SUB_B, 'rg-erp-prd', 'aks-erp-prd');
    const started = await ops.beginScaleAgentPool(id, 'system', 4);
    expect(await untilDone(started)).toMatchObject({ status: 'Succeeded' });
    const { resource } = await ops.getCluster(id);
    expect(resource.properties?.agentPoolProfiles?.find((p) => p.name === 'system')?.count).toBe(4);
  });

  it('lists and patches Karpenter NodePools, lists and deletes NAP nodes', async () => {
    const id = managedClusterId(SUB_A, 'rg-batch-prd', 'aks-batch-prd');
    const pools = await kube.listNodePools(id);
    expect(pools.map((p) => p.metadata.name).sort()).toEqual(['default', 'system-surge']);
    await kube.patchNodePool(id, 'default', { limitsCpu: '0', taints: [{ ...NAP_DISABLE_TAINT }] });
    const patched = (await kube.listNodePools(id)).find((p) => p.metadata.name === 'default')!;
    expect(String(patched.spec?.limits?.cpu)).toBe('0');
    expect(patched.spec?.template?.spec?.taints).toEqual([{ key: 'karpenter.azure.com/disable', effect: 'NoSchedule' }]);
    const napNodes = (await kube.listNodes(id)).filter((n) => n.metadata.labels?.[NAP_NODE_LABEL]);
    expect(napNodes.length).toBeGreaterThan(0);
    for (const n of napNodes) await kube.deleteNode(id, n.metadata.name);
    await kube.deleteNode(id, napNodes[0].metadata.name); // already gone: success
    for (let i = 0; i < 100 && (await kube.listNodes(id)).some((n) => n.metadata.labels?.[NAP_NODE_LABEL]); i++) await new Promise((r) => setTimeout(r, 50));
    expect((await kube.listNodes(id)).some((n) => n.metadata.labels?.[NAP_NODE_LABEL])).toBe(false);
    // A cluster without NAP has no NodePools (no CRD objects), not an error.
    expect(await kube.listNodePools(managedClusterId(SUB_A, 'rg-web-prd', 'aks-web-prd'))).toEqual([]);
  });
});
