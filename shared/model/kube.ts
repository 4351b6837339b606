/**
 * The subset of Kubernetes objects aksnet reads, as the API server returns them. Loose on purpose:
 * objects come from snapshots, the simulator and real clusters, and unknown fields are kept.
 */
export interface KubeMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  [extra: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMeta;
  [extra: string]: unknown;
}

export interface ConfigMap extends KubeObject {
  kind: 'ConfigMap';
  data?: Record<string, string>;
}

export interface NetworkPolicyPeer {
  ipBlock?: { cidr: string; except?: string[] };
  namespaceSelector?: Record<string, unknown>;
  podSelector?: Record<string, unknown>;
}

export interface NetworkPolicy extends KubeObject {
  kind: 'NetworkPolicy';
  spec?: {
    podSelector?: Record<string, unknown>;
    policyTypes?: string[];
    ingress?: Array<{ from?: NetworkPolicyPeer[]; ports?: unknown[] }>;
    egress?: Array<{ to?: NetworkPolicyPeer[]; ports?: unknown[] }>;
  };
}

export interface ServicePort {
  name?: string;
  protocol?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
}

export interface Service extends KubeObject {
  kind: 'Service';
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    internalTrafficPolicy?: 'Cluster' | 'Local' | string;
    externalTrafficPolicy?: string;
    ports?: ServicePort[];
    selector?: Record<string, string>;
    ipFamilies?: string[];
  };
}

export interface ContainerPort {
  containerPort: number;
  hostPort?: number;
  protocol?: string;
  name?: string;
}

export interface Pod extends KubeObject {
  kind: 'Pod';
  spec?: {
    nodeName?: string;
    hostNetwork?: boolean;
    containers?: Array<{ name: string; image?: string; ports?: ContainerPort[] }>;
  };
  status?: { phase?: string; podIP?: string; podIPs?: Array<{ ip: string }>; hostIP?: string };
}

export interface Node extends KubeObject {
  kind: 'Node';
  spec?: { podCIDR?: string; podCIDRs?: string[]; taints?: Array<{ key: string; value?: string; effect: string }>; unschedulable?: boolean };
  status?: {
    conditions?: Array<{ type: string; status: string }>;
    addresses?: Array<{ type: string; address: string }>;
    nodeInfo?: {
      kernelVersion?: string;
      osImage?: string;
      containerRuntimeVersion?: string;
      kubeletVersion?: string;
      operatingSystem?: string;
      architecture?: string;
    };
  };
}

export interface DaemonSet extends KubeObject {
  kind: 'DaemonSet';
  status?: { desiredNumberScheduled?: number; numberReady?: number; numberAvailable?: number; updatedNumberScheduled?: number };
}

/** karpenter.sh/v1 NodePool, the NAP (node auto-provisioning) object. */
export interface KarpenterNodePool extends KubeObject {
  kind: 'NodePool';
  spec?: {
    limits?: { cpu?: string | number; memory?: string; [k: string]: unknown };
    template?: {
      spec?: { taints?: Array<{ key: string; value?: string; effect: string }>; [k: string]: unknown };
      [k: string]: unknown;
    };
    [k: string]: unknown;
  };
}

/** cilium.io/v2 CiliumNetworkPolicy (only partly supported by AKS, seed 002 FAQ). */
export interface CiliumNetworkPolicy extends KubeObject {
  kind: 'CiliumNetworkPolicy';
  spec?: Record<string, unknown>;
}

/** Label AKS puts on NAP (Karpenter) nodes. */
export const NAP_NODE_LABEL = 'karpenter.sh/nodepool';
/** Label AKS puts on agent pool nodes. */
export const AGENT_POOL_LABEL = 'kubernetes.azure.com/agentpool';
/** Taint the NAP disable procedure adds to every NodePool. */
export const NAP_DISABLE_TAINT = { key: 'karpenter.azure.com/disable', effect: 'NoSchedule' } as const;
