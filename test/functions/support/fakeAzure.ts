/**
 * An in-memory stand-in for ARM and the clusters' Kubernetes APIs, behind the migration ports, for running the
 * real Functions app on the local host without the simulator: ETag/If-Match, one operation at a time (409),
 * AKS's Cilium validation (400), long-running operations that succeed after a few polls and change the cluster
 * (reimage: new node image, Cilium DaemonSet, no kube-proxy). Facts come from the shared normalizer.
 */
import { armIdKey } from '../../../shared/arm/id';
import type { Dependencies } from '../../../functions/dependencies';
import type { ManagedClusterResource } from '../../../shared/model/arm';
import type { ClusterFacts } from '../../../shared/model/facts';
import type { KubeObject } from '../../../shared/model/kube';
import { normalizeFleet } from '../../../shared/model/normalize';
import type { OperationHandle, OperationStarted, OperationStatus } from '../../../shared/migration/ports';
import { MemoryResultStore } from '../../../shared/rollout/store';
import { daemonSet, node, nsg, snapshotOf, vnet } from '../../support/arm';

class HttpError extends Error {
  constructor(public readonly statusCode: number, public readonly code: string, message: string) {
    super(message);
  }
}

interface Op {
  clusterKey: string;
  polls: number;
  apply: () => void;
  fail?: { code: string; message: string };
}

export class FakeAzure {
  readonly clusters = new Map<string, { resource: ManagedClusterResource; etag: number; kube: KubeObject[] }>();
  readonly ops = new Map<string, Op>();
  /** Every write, in order: what a test reads like the simulator's operation log. */
  readonly writes: Array<{ clusterId: string; kind: string; at: number }> = [];
  /** Cluster ids whose next Cilium operation ends Failed. */
  readonly failCilium = new Set<string>();
  readonly store = new MemoryResultStore();
  /** PUTs refused because another operation was running on the cluster (409). */
  conflicts = 0;
  /** While true, every operation stays InProgress (a test holds a cluster mid-operation). */
  hold = false;
  private seq = 0;

  add(resource: ManagedClusterResource): void {
    this.clusters.set(armIdKey(resource.id), {
      resource: structuredClone(resource),
      etag: 1,
      kube: [node(`aks-nodepool1-0`, { pool: 'nodepool1' }), daemonSet('kube-system', 'kube-proxy', 1, 1)],
    });
  }

  private get(id: string) {
    const c = this.clusters.get(armIdKey(id));
    if (!c) throw new HttpError(404, 'ResourceNotFound', `managed cluster ${id} not found`);
    return c;
  }

  facts(id: string): ClusterFacts {
    const c = this.get(id);
    return normalizeFleet(snapshotOf([c.resource, vnet(), nsg()], { [c.resource.id]: c.kube }))[0];
  }

  dependencies(): Dependencies {
    return {
      clusters: {
        getCluster: async (id) => {
          const c = this.get(id);
          return { resource: structuredClone({ ...c.resource, etag: `"${c.etag}"` }), etag: `"${c.etag}"` };
        },
        beginPutCluster: async (id, body, etag): Promise<OperationStarted> => {
          const c = this.get(id);
          if (etag !== `"${c.etag}"`) throw new HttpError(412, 'PreconditionFailed', 'etag mismatch');
          if (c.resource.properties?.provisioningState !== 'Succeeded') {
            this.conflicts++;
            throw new HttpError(409, 'OperationNotAllowed', 'Another operation is in progress, please wait for it to finish');
          }
          const np = body.properties?.networkProfile ?? {};
          if (np.networkDataplane === 'cilium' && np.networkPolicy !== 'cilium') throw new HttpError(400, 'CiliumDataplaneRequiresNetworkPolicyCilium', 'Cilium dataplane requires network policy cilium.');
          const key = armIdKey(id);
          const url = `https://fake/operations/${++this.seq}`;
          const before = c.resource;
          const napMode = body.properties?.nodeProvisioningProfile?.mode;
          const napChange = napMode !== undefined && napMode !== before.properties?.nodeProvisioningProfile?.mode ? `nap:${napMode}` : undefined;
          const reimage = np.networkDataplane !== before.properties?.networkProfile?.networkDataplane || np.networkPluginMode !== before.properties?.networkProfile?.networkPluginMode;
          this.writes.push({ clusterId: id, kind: reimage ? 'reimage' : (napChange ?? 'put'), at: Date.now() });
          c.etag++;
          c.resource = { ...structuredClone(body), id: before.id, name: before.name, type: before.type, properties: { ...structuredClone(body.properties), provisioningState: 'Updating' } };
          const fail = np.networkDataplane === 'cilium' && this.failCilium.has(key) ? { code: 'UpgradeFailed', message: 'Drain node aks-nodepool1-0 failed when evicting pod web-0' } : undefined;
          this.ops.set(url, {
            clusterKey: key,
            polls: 0,
            fail,
            apply: () => {
              (c.resource.properties as { provisioningState: string }).provisioningState = fail ? 'Failed' : 'Succeeded';
              if (fail || !reimage) return;
              for (const p of c.resource.properties?.agentPoolProfiles ?? []) p.nodeImageVersion = `${p.nodeImageVersion ?? 'img'}-reimaged`;
              if (np.networkDataplane === 'cilium') c.kube = [...c.kube.filter((o) => o.metadata.name !== 'kube-proxy'), daemonSet('kube-system', 'cilium', 1, 1)];
            },
          });
          return { handle: { kind: 'azure-asyncoperation', url, resourceId: id }, retryAfterSeconds: 10, correlationId: `corr-${this.seq}` };
        },
        getOperation: async (handle: OperationHandle): Promise<OperationStatus> => {
          const op = this.ops.get(handle.url);
          if (!op) throw new HttpError(404, 'NotFound', 'operation not found');
          op.polls++;
          if (op.polls < 2 || this.hold) return { status: 'InProgress', retryAfterSeconds: 10 };
          op.apply();
          return op.fail ? { status: 'Failed', error: op.fail } : { status: 'Succeeded' };
        },
        beginScaleAgentPool: async (id, pool, count) => {
          const c = this.get(id);
          const p = c.resource.properties?.agentPoolProfiles?.find((x) => x.name === pool);
          if (p) p.count = count;
          this.writes.push({ clusterId: id, kind: 'scale', at: Date.now() });
          const url = `https://fake/operations/${++this.seq}`;
          this.ops.set(url, { clusterKey: armIdKey(id), polls: 1, apply: () => undefined });
          return { handle: { kind: 'azure-asyncoperation', url, resourceId: `${id}/agentPools/${pool}` } };
        },
      },
      kube: {
        listNodePools: async () => [],
        patchNodePool: async () => undefined,
        listNodes: async (id) => this.get(id).kube.filter((o) => o.kind === 'Node') as never,
        deleteNode: async () => undefined,
      },
      facts: { readCluster: async (id) => this.facts(id) },
      discovery: { discover: async () => ({ clusters: [...this.clusters.values()].map((c) => this.facts(c.resource.id)), failures: [] }) },
      results: this.store,
      locks: this.store,
    };
  }
}
