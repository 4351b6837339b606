/**
 * What the migration activities need from Azure and from each cluster's Kubernetes API. Small on purpose:
 * the gateway (shared/azure, shared/kube) implements it with the real SDK clients, against ARM or the simulator.
 * Every method may throw the SDK's own errors; activities classify them with errors.ts.
 */
import type { ManagedClusterResource } from '../model/arm';
import type { ClusterFacts } from '../model/facts';
import type { KarpenterNodePool, Node } from '../model/kube';

/** A running ARM long-running operation, serializable so one activity begins it and another polls it. */
export interface OperationHandle {
  /** `Azure-AsyncOperation` URL when ARM sent one (preferred), else the `Location` URL; the resource id for `provisioning-state`. */
  url: string;
  /**
   * `provisioning-state`: no status URL is known (a re-run found the change already accepted and the cluster
   * Updating), so the poll reads the resource's provisioningState instead.
   */
  kind: 'azure-asyncoperation' | 'location' | 'provisioning-state';
  /** The resource the operation changes (a managed cluster or one of its agent pools). */
  resourceId: string;
}

export interface OperationStarted {
  handle: OperationHandle;
  /** Retry-After from the 201/202, in seconds. */
  retryAfterSeconds?: number;
  /** `x-ms-correlation-request-id` of the PUT, for the run record and support cases. */
  correlationId?: string;
}

export type OperationState = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

export interface OperationStatus {
  status: OperationState;
  error?: { code: string; message: string };
  retryAfterSeconds?: number;
}

export interface ClusterRead {
  resource: ManagedClusterResource;
  etag?: string;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

/** The parts of a karpenter.sh/v1 NodePool the NAP procedure changes (merge patch semantics: null removes). */
export interface NodePoolPatch {
  limitsCpu: string | number | null;
  /** The NodePool's spec.template.spec.taints, whole (replaces the list). */
  taints: Taint[];
}

/**
 * Notes for the implementation (the gateway):
 * - Bodies are ARM REST JSON (`properties` nested, REST casing such as `privateFQDN`), exactly what GET returned:
 *   send them as they are (a raw request through the client's pipeline, or the SDK's deserializer first) so no
 *   property the SDK model lacks is dropped (aks-facts § What the PUT must contain).
 * - Errors: throw what the SDK or HTTP layer throws (RestError with statusCode/code and the response);
 *   shared/migration/errors.ts classifies them. Do not retry 409/400 inside; transient retries in the pipeline
 *   are fine.
 */
export interface ClusterOperations {
  /** GET the managed cluster (api-version of the installed SDK, 2026-04-01) with its ETag (header or body `etag`). */
  getCluster(clusterId: string): Promise<ClusterRead>;
  /**
   * PUT the full managed cluster with `If-Match: etag`; returns as soon as ARM accepted it (201/202), without
   * polling: the handle is `Azure-AsyncOperation` (else `Location`), plus `Retry-After` and
   * `x-ms-correlation-request-id` of the response.
   */
  beginPutCluster(clusterId: string, body: ManagedClusterResource, etag: string | undefined): Promise<OperationStarted>;
  /**
   * One GET of the operation's status URL. Azure-AsyncOperation: body `{status, error?}` with status InProgress
   * (or any non-terminal value) | Succeeded | Failed | Canceled. Location: 202 = InProgress, 200/201/204 = Succeeded.
   * `retryAfterSeconds` from the response's Retry-After.
   */
  getOperation(handle: OperationHandle): Promise<OperationStatus>;
  /** PUT the agent pool (`.../agentPools/{pool}`) with a new `count` (fresh GET + If-Match inside); returns once accepted. */
  beginScaleAgentPool(clusterId: string, poolName: string, count: number): Promise<OperationStarted>;
}

/** Through the cluster's Kubernetes API (kubeconfig from listClusterUserCredential, shared/kube). */
export interface ClusterKubernetes {
  /** karpenter.sh/v1 NodePools (cluster-scoped); a cluster without the CRD has none. */
  listNodePools(clusterId: string): Promise<KarpenterNodePool[]>;
  /** Merge patch: spec.limits.cpu = limitsCpu (null removes it), spec.template.spec.taints = taints. */
  patchNodePool(clusterId: string, name: string, patch: NodePoolPatch): Promise<void>;
  listNodes(clusterId: string): Promise<Node[]>;
  /** Deletes a Node object; Karpenter drains and removes the machine behind it. Not found is success. */
  deleteNode(clusterId: string, name: string): Promise<void>;
}

/** Fresh facts for one cluster (ARM + Kubernetes, normalized): preflight and verify read these. */
export interface ClusterFactsReader {
  readCluster(clusterId: string): Promise<ClusterFacts>;
}

/** Discovery for a rollout: Resource Graph across subscriptions, then facts per cluster. */
export interface FleetDiscovery {
  discover(selector: {
    subscriptions: string[];
    resourceGroups?: string[];
    tags?: Record<string, string>;
    ids?: string[];
  }): Promise<{ clusters: ClusterFacts[]; failures: Array<{ id: string; error: string }> }>;
}
