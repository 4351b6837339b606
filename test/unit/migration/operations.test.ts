/**
 * The activity bodies against a small stand-in for ARM's managed-cluster endpoint that behaves as aks-facts
 * describes: ETag + If-Match (412), one operation at a time (409 OperationNotAllowed), AKS validation (400),
 * long-running operations with a status URL and Retry-After.
 */
import { RestError } from '@azure/core-rest-pipeline';
import { TransientAzureError } from '../../../shared/migration/errors';
import { beginStep, napApply, napDrain, napRestore, pollOperation } from '../../../shared/migration/operations';
import { planNapDisable } from '../../../shared/migration/nap';
import type { ClusterKubernetes, ClusterOperations, NodePoolPatch, OperationHandle, OperationStarted, OperationStatus } from '../../../shared/migration/ports';
import type { ManagedClusterResource } from '../../../shared/model/arm';
import type { KarpenterNodePool, Node } from '../../../shared/model/kube';
import { agentPool, karpenterNodePool, node, nodeSubnetCluster } from '../../support/arm';

function restError(statusCode: number, code: string, message: string): RestError {
  return new RestError(message, { code, statusCode, response: { status: statusCode, headers: { get: () => undefined, has: () => false, toJSON: () => ({}) } as never, bodyAsText: JSON.stringify({ error: { code, message } }), request: {} as never } });
}

class FakeArm implements ClusterOperations {
  puts: ManagedClusterResource[] = [];
  scaled: Array<{ pool: string; count: number }> = [];
  failNextGet?: Error;
  private etag = 1;
  private ops = new Map<string, { polls: number; apply: () => void }>();
  constructor(public resource: ManagedClusterResource) {}

  async getCluster() {
    if (this.failNextGet) {
      const e = this.failNextGet;
      this.failNextGet = undefined;
      throw e;
    }
    return { resource: structuredClone({ ...this.resource, etag: `"${this.etag}"` }), etag: `"${this.etag}"` };
  }

  async beginPutCluster(_id: string, body: ManagedClusterResource, etag: string | undefined): Promise<OperationStarted> {
    if (etag !== `"${this.etag}"`) throw restError(412, 'PreconditionFailed', 'The ETag does not match');
    if (this.resource.properties?.provisioningState !== 'Succeeded') throw restError(409, 'OperationNotAllowed', 'Another operation (Updating) is in progress, please wait for it to finish');
    const np = body.properties?.networkProfile ?? {};
    if (np.networkDataplane === 'cilium' && np.networkPolicy !== 'cilium') throw restError(400, 'CiliumDataplaneRequiresNetworkPolicyCilium', 'Cilium dataplane requires network policy cilium.');
    if ('provisioningState' in (body.properties ?? {})) throw restError(400, 'InvalidParameter', 'provisioningState is read-only');
    this.puts.push(body);
    this.etag++;
    this.resource = { ...structuredClone(body), id: this.resource.id, name: this.resource.name, type: this.resource.type, properties: { ...body.properties, provisioningState: 'Updating' } };
    const url = `https://management.azure.com/operations/${this.puts.length}`;
    this.ops.set(url, { polls: 0, apply: () => ((this.resource.properties as { provisioningState: string }).provisioningState = 'Succeeded') });
    return { handle: { kind: 'azure-asyncoperation', url, resourceId: this.resource.id }, retryAfterSeconds: 15, correlationId: `corr-${this.puts.length}` };
  }

  async getOperation(handle: OperationHandle): Promise<OperationStatus> {
    const op = this.ops.get(handle.url);
    if (!op) throw restError(404, 'NotFound', 'no such operation');
    op.polls++;
    if (op.polls < 2) return { status: 'InProgress', retryAfterSeconds: 15 };
    op.apply();
    return { status: 'Succeeded' };
  }

  async beginScaleAgentPool(_id: string, pool: string, count: number): Promise<OperationStarted> {
    this.scaled.push({ pool, count });
    const p = this.resource.properties?.agentPoolProfiles?.find((x) => x.name === pool);
    if (p) p.count = count;
    return { handle: { kind: 'azure-asyncoperation', url: `https://management.azure.com/operations/scale-${pool}-${count}`, resourceId: `${this.resource.id}/agentPools/${pool}` } };
  }
}

class FakeKube implements ClusterKubernetes {
  patches: Array<{ name: string; patch: NodePoolPatch }> = [];
  constructor(public nodePools: KarpenterNodePool[], public nodes: Node[]) {}
  async listNodePools() {
    return structuredClone(this.nodePools);
  }
  async patchNodePool(_c: string, name: string, patch: NodePoolPatch) {
    this.patches.push({ name, patch });
    const np = this.nodePools.find((n) => n.metadata.name === name);
    if (np) np.spec = { ...np.spec, limits: { cpu: patch.limitsCpu ?? undefined }, template: { spec: { taints: patch.taints } } };
  }
  async listNodes() {
    return structuredClone(this.nodes);
  }
  async deleteNode(_c: string, name: string) {
    this.nodes = this.nodes.filter((n) => n.metadata.name !== name);
  }
}

describe('beginStep / pollOperation', () => {
  it('sends one full-model PUT with If-Match and follows it to Succeeded', async () => {
    const arm = new FakeArm(nodeSubnetCluster());
    const begun = await beginStep(arm, arm.resource.id, 'dataplane:cilium');
    expect(begun).toMatchObject({ kind: 'started', retryAfterSeconds: 15, correlationId: 'corr-1' });
    expect(arm.puts).toHaveLength(1);
    expect(arm.puts[0].properties?.networkProfile).toMatchObject({ networkDataplane: 'cilium', networkPolicy: 'cilium' });
    const handle = (begun as { handle: OperationHandle }).handle;
    expect((await pollOperation(arm, handle)).status).toBe('InProgress');
    expect((await pollOperation(arm, handle)).status).toBe('Succeeded');
  });

  it('a re-run while the accepted PUT is still running follows it instead of sending a second PUT', async () => {
    const arm = new FakeArm(nodeSubnetCluster());
    await beginStep(arm, arm.resource.id, 'dataplane:cilium');
    const again = await beginStep(arm, arm.resource.id, 'dataplane:cilium');
    expect(again).toEqual({ kind: 'started', handle: { kind: 'provisioning-state', url: arm.resource.id, resourceId: arm.resource.id } });
    expect(arm.puts).toHaveLength(1);
    const h = (again as { handle: OperationHandle }).handle;
    expect((await pollOperation(arm, h)).status).toBe('InProgress');
    (arm.resource.properties as { provisioningState: string }).provisioningState = 'Succeeded';
    expect((await pollOperation(arm, h)).status).toBe('Succeeded');
    // Once done, a third run sees the change and does nothing.
    expect(await beginStep(arm, arm.resource.id, 'dataplane:cilium')).toEqual({ kind: 'already' });
    expect(arm.puts).toHaveLength(1);
  });

  it('another operation running → busy, no PUT', async () => {
    const arm = new FakeArm(nodeSubnetCluster({ provisioningState: 'Upgrading' }));
    expect(await beginStep(arm, arm.resource.id, 'dataplane:cilium')).toMatchObject({ kind: 'busy', code: 'OperationNotAllowed' });
    expect(arm.puts).toHaveLength(0);
  });

  it('an AKS 400 comes back rejected with its code and message', async () => {
    const arm = new FakeArm(nodeSubnetCluster());
    arm.beginPutCluster = async () => {
      throw restError(400, 'NetworkProfileCIDROverlapVNET', 'The pod CIDR 10.10.0.0/16 overlaps with the VNet');
    };
    expect(await beginStep(arm, arm.resource.id, 'ipam:overlay', { podCidr: '10.10.0.0/16' })).toEqual({ kind: 'rejected', code: 'NetworkProfileCIDROverlapVNET', message: 'The pod CIDR 10.10.0.0/16 overlaps with the VNet' });
  });

  it('a node-subnet cluster without a pod CIDR is refused before any PUT', async () => {
    const arm = new FakeArm(nodeSubnetCluster());
    const out = await beginStep(arm, arm.resource.id, 'ipam:overlay');
    expect(out).toMatchObject({ kind: 'rejected', code: 'InvalidStep' });
    expect(arm.puts).toHaveLength(0);
  });

  it('throws transient faults so the activity is retried', async () => {
    const arm = new FakeArm(nodeSubnetCluster());
    arm.failNextGet = restError(503, 'ServiceUnavailable', 'try again');
    await expect(beginStep(arm, arm.resource.id, 'dataplane:cilium')).rejects.toBeInstanceOf(TransientAzureError);
    arm.failNextGet = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    await expect(beginStep(arm, arm.resource.id, 'dataplane:cilium')).rejects.toThrow('ECONNRESET: socket hang up');
  });

  it('412 (the cluster changed between GET and PUT) → busy with no wait, so the next begin reads afresh', async () => {
    const arm = new FakeArm(nodeSubnetCluster());
    const realGet = arm.getCluster.bind(arm);
    arm.getCluster = async () => ({ ...(await realGet()), etag: '"stale"' });
    expect(await beginStep(arm, arm.resource.id, 'dataplane:cilium')).toMatchObject({ kind: 'busy', code: 'PreconditionFailed', retryAfterSeconds: 0 });
  });
});

describe('NAP activities', () => {
  it('apply patches every NodePool and scales the fixed pool once; drain removes NAP nodes; restore undoes it', async () => {
    const arm = new FakeArm(nodeSubnetCluster({ nodeProvisioningProfile: { mode: 'Auto' }, agentPoolProfiles: [agentPool({ name: 'user', mode: 'User', count: 2 })] }));
    const kube = new FakeKube([karpenterNodePool('default')], [node('aks-user-0', { pool: 'user' }), node('aks-default-x', { labels: { 'karpenter.sh/nodepool': 'default' } })]);
    const plan = planNapDisable(arm.resource, kube.nodePools, kube.nodes);
    const applied = await napApply(arm, kube, arm.resource.id, plan);
    expect(applied.started).toHaveLength(1);
    expect(kube.nodePools[0].spec?.limits?.cpu).toBe('0');
    // A re-run (crash before the result was recorded) scales nothing twice.
    expect((await napApply(arm, kube, arm.resource.id, plan)).started).toHaveLength(0);
    expect(arm.scaled).toEqual([{ pool: 'user', count: 3 }]);
    expect(await napDrain(kube, arm.resource.id)).toEqual([]);
    expect(kube.nodes.map((n) => n.metadata.name)).toEqual(['aks-user-0']);
    await napRestore(arm, kube, arm.resource.id, plan);
    expect(kube.nodePools[0].spec?.limits?.cpu).toBe('1000');
    expect(kube.nodePools[0].spec?.template?.spec?.taints).toEqual([]);
    expect(arm.scaled).toEqual([{ pool: 'user', count: 3 }, { pool: 'user', count: 2 }]);
  });
});
