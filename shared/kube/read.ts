/**
 * The Kubernetes facts aksnet reads from a cluster (read-only list calls), returned in the API's wire
 * shape with `apiVersion` and `kind` on every item, exactly as a snapshot's `kubernetes` section holds them.
 */
import type { KubeObject } from '../model/kube';
import type { KubeClient } from './client';

export interface KubeKind {
  apiVersion: string;
  kind: string;
  /** Cluster-wide list path. */
  path: string;
  /** Custom resource: a 404 means the CRD is not installed, which is an empty list, not a failure. */
  optional?: boolean;
}

/** What aksnet reads (shared/model/facts.ts KubeFacts). Namespaces are not read: no rule needs them. */
export const KUBE_KINDS: readonly KubeKind[] = [
  { apiVersion: 'v1', kind: 'Node', path: '/api/v1/nodes' },
  { apiVersion: 'v1', kind: 'Pod', path: '/api/v1/pods' },
  { apiVersion: 'v1', kind: 'Service', path: '/api/v1/services' },
  { apiVersion: 'v1', kind: 'ConfigMap', path: '/api/v1/configmaps' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', path: '/apis/networking.k8s.io/v1/networkpolicies' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', path: '/apis/apps/v1/daemonsets' },
  // NAP (node auto-provisioning) NodePools; absent on clusters that never enabled NAP.
  { apiVersion: 'karpenter.sh/v1', kind: 'NodePool', path: '/apis/karpenter.sh/v1/nodepools', optional: true },
  // Cilium network policies (partly supported by AKS, seed 002 FAQ); absent without Cilium.
  { apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', path: '/apis/cilium.io/v2/ciliumnetworkpolicies', optional: true },
];

/** HTTP status of a failed Kubernetes call (KubeApiError or client-node's ApiException), if known. */
export function kubeStatus(e: unknown): number | undefined {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

const PAGE = 500;

interface KubeList {
  items?: KubeObject[];
  metadata?: { continue?: string };
}

async function readKind(client: KubeClient, kind: KubeKind): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  let token: string | undefined;
  do {
    let list: KubeList;
    try {
      list = (await client.getJson(`${kind.path}?limit=${PAGE}${token ? `&continue=${encodeURIComponent(token)}` : ''}`)) as KubeList;
    } catch (e) {
      if (kind.optional && kubeStatus(e) === 404) return [];
      throw e;
    }
    // List items carry no apiVersion/kind on the wire; the snapshot format wants both.
    for (const item of list.items ?? []) out.push({ ...item, apiVersion: item.apiVersion ?? kind.apiVersion, kind: item.kind ?? kind.kind });
    token = list.metadata?.continue || undefined;
  } while (token);
  return out;
}

/** The kinds (default: every kind aksnet reads), in parallel; a missing CRD (karpenter, cilium) is an empty list. */
export async function readKubeObjects(client: KubeClient, kinds: readonly KubeKind[] = KUBE_KINDS): Promise<KubeObject[]> {
  const lists = await Promise.all(kinds.map((k) => readKind(client, k)));
  return lists.flat();
}
