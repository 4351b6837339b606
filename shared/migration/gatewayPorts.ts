/**
 * The migration ports over the gateway's clients (shared/azure, shared/kube): ARM through the ContainerService
 * client's own pipeline (credential, CA, retries on throttling and 5xx, request counting), Kubernetes through
 * @kubernetes/client-node with the kubeconfig from listClusterUserCredential.
 *
 * ARM requests are raw REST JSON, not SDK models: the PUT must carry the cluster exactly as GET returned it minus
 * the step's changes, and the SDK's model round trip would rename or drop properties it does not know
 * (aks-facts § What the PUT must contain: "older SDK models drop unknown properties on PUT").
 */
import { createDefaultHttpClient, createHttpHeaders, createPipelineRequest, RestError, type HttpClient, type PipelineResponse } from '@azure/core-rest-pipeline';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { parseArmId } from '../arm/id';
import type { AzureClients } from '../azure/clients';
import { KubeConnectionPool, kubeClientFromKubeconfig, type KubeClient } from '../kube/client';
import type { AgentPoolProfile, ManagedClusterResource } from '../model/arm';
import type { KarpenterNodePool, Node } from '../model/kube';
import { armErrorBody, parseRetryAfter } from './errors';
import type { ClusterKubernetes, ClusterOperations, OperationHandle, OperationStarted, OperationStatus } from './ports';

/** The api-version of the installed @azure/arm-containerservice (25.x). */
export const CONTAINER_SERVICE_API_VERSION = '2026-04-01';
const READ_ONLY_POOL = ['provisioningState', 'currentOrchestratorVersion', 'nodeImageVersion', 'etag', 'eTag'];

function json(res: PipelineResponse): unknown {
  if (!res.bodyAsText) return undefined;
  try {
    return JSON.parse(res.bodyAsText);
  } catch {
    return undefined;
  }
}

export function armClusterOperations(clients: AzureClients): ClusterOperations {
  const http: HttpClient = createDefaultHttpClient();
  const base = clients.target.endpoint.replace(/\/+$/, '');

  async function send(resourceId: string, method: 'GET' | 'PUT', url: string, body?: unknown, headers: Record<string, string> = {}): Promise<PipelineResponse> {
    const client = clients.containerService(parseArmId(resourceId).subscriptionId);
    const request = createPipelineRequest({
      url: url.startsWith('http') ? url : `${base}${url}`,
      method,
      headers: createHttpHeaders({ accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const res = await client.pipeline.sendRequest(http, request);
    if (res.status >= 400) {
      const err = armErrorBody(res.bodyAsText ?? '');
      throw new RestError(err.message ?? `${method} ${resourceId}: HTTP ${res.status}`, { code: err.code, statusCode: res.status, request, response: res });
    }
    return res;
  }

  const withVersion = (id: string): string => `${id}?api-version=${CONTAINER_SERVICE_API_VERSION}`;

  function started(res: PipelineResponse, resourceId: string): OperationStarted {
    const asyncOp = res.headers.get('azure-asyncoperation');
    const location = res.headers.get('location');
    const retryAfterSeconds = parseRetryAfter(res.headers.get('retry-after'));
    const correlationId = res.headers.get('x-ms-correlation-request-id');
    const handle: OperationHandle = asyncOp
      ? { kind: 'azure-asyncoperation', url: asyncOp, resourceId }
      : location
        ? { kind: 'location', url: location, resourceId }
        : { kind: 'provisioning-state', url: resourceId, resourceId };
    return { handle, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}), ...(correlationId ? { correlationId } : {}) };
  }

  return {
    async getCluster(clusterId) {
      const res = await send(clusterId, 'GET', withVersion(clusterId));
      const resource = json(res) as ManagedClusterResource;
      const etag = res.headers.get('etag') ?? resource.etag;
      return { resource, ...(etag ? { etag } : {}) };
    },
    async beginPutCluster(clusterId, body, etag) {
      const res = await send(clusterId, 'PUT', withVersion(clusterId), body, etag ? { 'if-match': etag } : {});
      return started(res, clusterId);
    },
    async getOperation(handle) {
      const res = await send(handle.resourceId, 'GET', handle.url);
      const retryAfterSeconds = parseRetryAfter(res.headers.get('retry-after'));
      const extra = retryAfterSeconds !== undefined ? { retryAfterSeconds } : {};
      if (handle.kind === 'location') return res.status === 202 ? { status: 'InProgress', ...extra } : { status: 'Succeeded' };
      const body = (json(res) ?? {}) as { status?: string; error?: { code?: string; message?: string } };
      const status = body.status ?? 'InProgress';
      if (status === 'Succeeded' || status === 'Failed' || status === 'Canceled') {
        const out: OperationStatus = { status };
        if (status !== 'Succeeded') out.error = { code: body.error?.code ?? `Operation${status}`, message: body.error?.message ?? `the operation ended ${status}` };
        return out;
      }
      return { status: 'InProgress', ...extra };
    },
    async beginScaleAgentPool(clusterId, poolName, count) {
      const poolId = `${clusterId}/agentPools/${poolName}`;
      const res = await send(clusterId, 'GET', withVersion(poolId));
      const pool = json(res) as { properties?: AgentPoolProfile; etag?: string; [k: string]: unknown };
      const props = { ...(pool.properties ?? {}) } as Record<string, unknown>;
      for (const k of READ_ONLY_POOL) delete props[k];
      props.count = count;
      const etag = res.headers.get('etag') ?? pool.etag;
      const put = await send(clusterId, 'PUT', withVersion(poolId), { properties: props }, etag ? { 'if-match': etag } : {});
      return started(put, poolId);
    },
  };
}

/** Kubernetes writes for the NAP procedure, one client per cluster from listClusterUserCredential (cached). */
export function kubeClusterOperations(clients: AzureClients, pool = new KubeConnectionPool()): ClusterKubernetes {
  const cache = new Map<string, Promise<KubeClient>>();
  const clientFor = (clusterId: string): Promise<KubeClient> => {
    const key = clusterId.toLowerCase();
    let c = cache.get(key);
    if (!c) {
      c = (async () => {
        const id = parseArmId(clusterId);
        const creds = await clients.containerService(id.subscriptionId).managedClusters.listClusterUserCredentials(id.resourceGroup ?? '', id.name ?? '');
        const value = creds.kubeconfigs?.[0]?.value;
        if (!value) throw new Error(`listClusterUserCredential returned no kubeconfig for ${clusterId}`);
        return kubeClientFromKubeconfig(Buffer.from(value).toString('utf8'), { pool });
      })();
      c.catch(() => cache.delete(key));
      cache.set(key, c);
    }
    return c;
  };
  const nodePools = { group: 'karpenter.sh', version: 'v1', plural: 'nodepools' };
  const status = (e: unknown): number | undefined => {
    const code = (e as { code?: unknown; statusCode?: unknown }).code ?? (e as { statusCode?: unknown }).statusCode;
    return typeof code === 'number' ? code : undefined;
  };
  return {
    async listNodePools(clusterId) {
      const client = await clientFor(clusterId);
      try {
        const list = (await client.custom.listClusterCustomObject(nodePools)) as { items?: KarpenterNodePool[] };
        return (list.items ?? []).map((i) => ({ ...i, apiVersion: i.apiVersion ?? 'karpenter.sh/v1', kind: 'NodePool' as const }));
      } catch (e) {
        if (status(e) === 404) return []; // no Karpenter CRD: no NAP
        throw e;
      }
    },
    async patchNodePool(clusterId, name, patch) {
      const client = await clientFor(clusterId);
      const body = { spec: { limits: { cpu: patch.limitsCpu }, template: { spec: { taints: patch.taints } } } };
      await client.custom.patchClusterCustomObject({ ...nodePools, name, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    },
    async listNodes(clusterId) {
      const client = await clientFor(clusterId);
      const list = (await client.getJson('/api/v1/nodes')) as { items?: Node[] };
      return (list.items ?? []).map((n) => ({ ...n, apiVersion: 'v1', kind: 'Node' as const }));
    },
    async deleteNode(clusterId, name) {
      const client = await clientFor(clusterId);
      try {
        await client.core.deleteNode({ name });
      } catch (e) {
        if (status(e) !== 404) throw e;
      }
    },
  };
}
