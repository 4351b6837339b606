/**
 * The bodies of the migration activities, written against the ports so they run the same against ARM, the
 * simulator or a test double. Each is idempotent: a re-run after a crash finds what the first run did and does
 * not do it twice. Transient faults are thrown as TransientAzureError (the orchestrator retries the activity);
 * definite answers (busy, rejected) are returned so the orchestrator can wait or fail without a retry storm.
 */
import type { ManagedClusterResource } from '../model/arm';
import type { Step } from '../model/assessment';
import { classifyError, isRetryableOperationError, TransientAzureError } from './errors';
import { planNapDisable, planNapRestore, remainingNapNodes, type NapDisablePlan } from './nap';
import type { ClusterKubernetes, ClusterOperations, OperationHandle, OperationStarted, OperationStatus } from './ports';
import { buildPutBody, clusterBusy, PutBodyError, stepApplied, type StepOptions } from './putBody';

export type BeginOutcome =
  | ({ kind: 'started' } & OperationStarted)
  | { kind: 'already' }
  | { kind: 'busy'; code: string; message: string; retryAfterSeconds?: number }
  | { kind: 'rejected'; code: string; message: string };

/** Runs `call`; transient faults are thrown for a retry, everything else comes back classified. */
async function guarded<T>(call: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; kind: 'busy' | 'stale' | 'rejected'; code: string; message: string; retryAfterSeconds?: number }> {
  try {
    return { ok: true, value: await call() };
  } catch (err) {
    const c = classifyError(err);
    if (c.kind === 'transient') throw new TransientAzureError(c);
    return { ok: false, kind: c.kind, code: c.code, message: c.message, retryAfterSeconds: c.retryAfterSeconds };
  }
}

function provisioningStateHandle(resourceId: string): OperationHandle {
  return { kind: 'provisioning-state', url: resourceId, resourceId };
}

/** One step: a fresh GET, then one PUT with If-Match — unless the GET shows the step already done or accepted. */
export async function beginStep(ops: ClusterOperations, clusterId: string, step: Step, options: StepOptions = {}): Promise<BeginOutcome> {
  const read = await guarded(() => ops.getCluster(clusterId));
  if (!read.ok) return read.kind === 'rejected' ? { kind: 'rejected', code: read.code, message: read.message } : { kind: 'busy', code: read.code, message: read.message, retryAfterSeconds: read.retryAfterSeconds };
  const { resource, etag } = read.value;
  if (stepApplied(resource, step, options)) {
    // A PUT of this step was accepted before (e.g. by an attempt that crashed before reporting): follow it
    // through the cluster's provisioningState instead of sending a second PUT.
    if (clusterBusy(resource)) return { kind: 'started', handle: provisioningStateHandle(clusterId) };
    return { kind: 'already' };
  }
  if (clusterBusy(resource)) {
    return { kind: 'busy', code: 'OperationNotAllowed', message: `another operation is running on the cluster (provisioningState ${resource.properties?.provisioningState})` };
  }
  let body: ManagedClusterResource;
  try {
    body = buildPutBody(resource, step, options);
  } catch (err) {
    if (err instanceof PutBodyError) return { kind: 'rejected', code: 'InvalidStep', message: err.message };
    throw err;
  }
  const put = await guarded(() => ops.beginPutCluster(clusterId, body, etag ?? resource.etag));
  if (put.ok) return { kind: 'started', ...put.value };
  // 412: the cluster changed between GET and PUT; the orchestrator begins again at once with a fresh GET.
  if (put.kind === 'stale') return { kind: 'busy', code: put.code, message: put.message, retryAfterSeconds: 0 };
  if (put.kind === 'busy') return { kind: 'busy', code: put.code, message: put.message, retryAfterSeconds: put.retryAfterSeconds };
  return { kind: 'rejected', code: put.code, message: put.message };
}

/** One look at a running operation. */
export async function pollOperation(ops: ClusterOperations, handle: OperationHandle): Promise<OperationStatus> {
  const res = await guarded(async (): Promise<OperationStatus> => {
    if (handle.kind !== 'provisioning-state') return ops.getOperation(handle);
    const { resource } = await ops.getCluster(handle.resourceId);
    const state = resource.properties?.provisioningState ?? 'Succeeded';
    if (state === 'Succeeded') return { status: 'Succeeded' };
    if (state === 'Failed' || state === 'Canceled') return { status: state, error: { code: `Provisioning${state}`, message: `the cluster's provisioningState is ${state}` } };
    return { status: 'InProgress' };
  });
  if (res.ok) return res.value;
  if (res.kind === 'busy' || res.kind === 'stale') return { status: 'InProgress', retryAfterSeconds: res.retryAfterSeconds };
  return { status: 'Failed', error: { code: res.code, message: res.message } };
}

/** Whether a Failed operation is worth beginning again (preempted by AKS) rather than a final failure. */
export function operationRetryable(status: OperationStatus): boolean {
  return status.status === 'Failed' && isRetryableOperationError(status.error?.code);
}

/** Reads the cluster and plans NAP disable steps 1–4 (no writes: the plan lands in the orchestration history first). */
export async function napPlan(ops: ClusterOperations, kube: ClusterKubernetes, clusterId: string): Promise<NapDisablePlan> {
  const [read, nodePools, nodes] = await Promise.all([ops.getCluster(clusterId), kube.listNodePools(clusterId), kube.listNodes(clusterId)]).catch((err: unknown) => {
    throw new TransientAzureError(classifyError(err));
  });
  return planNapDisable(read.resource, nodePools, nodes);
}

export type ScaleOutcome = { started: OperationStarted[]; rejected?: { code: string; message: string } };

async function scalePools(ops: ClusterOperations, clusterId: string, scale: Array<{ pool: string; to: number }>): Promise<ScaleOutcome> {
  const { resource } = await ops.getCluster(clusterId);
  const started: OperationStarted[] = [];
  for (const s of scale) {
    const pool = resource.properties?.agentPoolProfiles?.find((p) => p.name === s.pool);
    if (!pool || pool.count === s.to) continue; // already there (a re-run) or gone
    const res = await guarded(() => ops.beginScaleAgentPool(clusterId, s.pool, s.to));
    if (res.ok) started.push(res.value);
    else return { started, rejected: { code: res.code, message: res.message } };
  }
  return { started };
}

/** Steps 1–3: NodePools to limits.cpu 0 with the disable taint, fixed pools scaled up. Idempotent. */
export async function napApply(ops: ClusterOperations, kube: ClusterKubernetes, clusterId: string, plan: NapDisablePlan): Promise<ScaleOutcome> {
  try {
    for (const np of plan.nodePools) await kube.patchNodePool(clusterId, np.name, np.after);
    return await scalePools(ops, clusterId, plan.scale.map((s) => ({ pool: s.pool, to: s.to })));
  } catch (err) {
    if (err instanceof TransientAzureError) throw err;
    throw new TransientAzureError(classifyError(err));
  }
}

/**
 * Step 4: delete the NAP nodes (Karpenter drains them); returns those still present. Every NAP node present is
 * deleted, not only the planned ones: Karpenter may have added one between the plan and the NodePool patch.
 */
export async function napDrain(kube: ClusterKubernetes, clusterId: string): Promise<string[]> {
  try {
    for (const name of remainingNapNodes(await kube.listNodes(clusterId))) await kube.deleteNode(clusterId, name);
    return remainingNapNodes(await kube.listNodes(clusterId));
  } catch (err) {
    throw new TransientAzureError(classifyError(err));
  }
}

export async function napNodesRemaining(kube: ClusterKubernetes, clusterId: string): Promise<string[]> {
  try {
    return remainingNapNodes(await kube.listNodes(clusterId));
  } catch (err) {
    throw new TransientAzureError(classifyError(err));
  }
}

/** The way back: NodePools as they were, pools at their former size. (Mode Auto is its own step, nap:enable.) */
export async function napRestore(ops: ClusterOperations, kube: ClusterKubernetes, clusterId: string, plan: NapDisablePlan): Promise<ScaleOutcome> {
  const restore = planNapRestore(plan);
  try {
    for (const np of restore.nodePools) await kube.patchNodePool(clusterId, np.name, np.patch);
    return await scalePools(ops, clusterId, restore.scale.map((s) => ({ pool: s.pool, to: s.to })));
  } catch (err) {
    if (err instanceof TransientAzureError) throw err;
    throw new TransientAzureError(classifyError(err));
  }
}
