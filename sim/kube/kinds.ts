/** The Kubernetes resource types the simulated API server serves: URL plural ↔ kind, group/version, scope. */
export interface KubeKind {
  group: string; // '' for core
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export const KUBE_KINDS: readonly KubeKind[] = [
  { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false },
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
  { group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'daemonsets', kind: 'DaemonSet', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true },
  { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: true },
  { group: 'karpenter.sh', version: 'v1', plural: 'nodepools', kind: 'NodePool', namespaced: false },
  { group: 'cilium.io', version: 'v2', plural: 'ciliumnetworkpolicies', kind: 'CiliumNetworkPolicy', namespaced: true },
  { group: 'cilium.io', version: 'v2', plural: 'ciliumclusterwidenetworkpolicies', kind: 'CiliumClusterwideNetworkPolicy', namespaced: false },
];

export function apiVersionOf(k: KubeKind): string {
  return k.group ? `${k.group}/${k.version}` : k.version;
}

export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}
