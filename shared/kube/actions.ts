/**
 * The Kubernetes calls of the NAP procedure (shared/migration/ports.ts ClusterKubernetes): list and patch
 * Karpenter NodePools, list and delete Nodes (aks-facts.md § Disabling NAP is a workload move), through a
 * kubeconfig from listClusterUserCredential and @kubernetes/client-node's typed APIs.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { parseArmId, armIdKey } from '../arm/id';
import type { KarpenterNodePool, Node } from '../model/kube';
import type { ClusterKubernetes, NodePoolPatch } from '../migration/ports';
import type { AzureClients } from '../azure/clients';
import { KubeConnectionPool, kubeClientFromKubeconfig, type KubeClient } from './client';
import { kubeStatus } from './read';

/** Kubeconfigs are fetched once per cluster and reused for this long. */
const KUBECONFIG_TTL_MS = 10 * 60 * 1000;

export class KubernetesActions implements ClusterKubernetes {
  private readonly clients = new Map<string, { client: Promise<KubeClient>; at: number }>();
  private readonly pool = new KubeConnectionPool(16);

  constructor(private readonly azure: AzureClients) {}

  /** The cluster's Kubernetes client, from listClusterUserCredential (cached). */
  client(clusterId: string): Promise<KubeClient> {
    const key = armIdKey(clusterId);
    const cached = this.clients.get(key);
    if (cached && Date.now() - cached.at < KUBECONFIG_TTL_MS) return cached.client;
    const id = parseArmId(clusterId);
    const client = (async () => {
      const creds = await this.azure.containerService(id.subscriptionId).managedClusters.listClusterUserCredentials(id.resourceGroup!, id.name!);
      const value = creds.kubeconfigs?.[0]?.value;
      if (!value) throw new Error(`listClusterUserCredential returned no kubeconfig for ${clusterId}`);
      return kubeClientFromKubeconfig(Buffer.from(value).toString('utf8'), { pool: this.pool });
    })();
    client.catch(() => this.clients.delete(key));
    this.clients.set(key, { client, at: Date.now() });
    return client;
  }

  async listNodePools(clusterId: string): Promise<KarpenterNodePool[]> {
    const c = await this.client(clusterId);
    try {
      const list = (await c.getJson('/apis/karpenter.sh/v1/nodepools')) as { items?: KarpenterNodePool[] };
      return (list.items ?? []).map((i) => ({ ...i, apiVersion: i.apiVersion ?? 'karpenter.sh/v1', kind: 'NodePool' }));
    } catch (e) {
      if (kubeStatus(e) === 404) return []; // no Karpenter CRD: no NodePools
      throw e;
    }
  }

  async patchNodePool(clusterId: string, name: string, patch: NodePoolPatch): Promise<void> {
    const c = await this.client(clusterId);
    // Merge patch (RFC 7386): null removes limits.cpu; the taints list is replaced whole.
    const body = { spec: { limits: { cpu: patch.limitsCpu }, template: { spec: { taints: patch.taints } } } };
    await c.custom.patchClusterCustomObject({ group: 'karpenter.sh', version: 'v1', plural: 'nodepools', name, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  }

  async listNodes(clusterId: string): Promise<Node[]> {
    const c = await this.client(clusterId);
    const list = (await c.getJson('/api/v1/nodes')) as { items?: Node[] };
    return (list.items ?? []).map((i) => ({ ...i, apiVersion: 'v1', kind: 'Node' }));
  }

  async deleteNode(clusterId: string, name: string): Promise<void> {
    const c = await this.client(clusterId);
    try {
      await c.core.deleteNode({ name });
    } catch (e) {
      if (kubeStatus(e) !== 404) throw e; // already gone is success
    }
  }

  close(): void {
    this.pool.close();
    this.clients.clear();
  }
}

export function kubernetesActions(azure: AzureClients): KubernetesActions {
  return new KubernetesActions(azure);
}
