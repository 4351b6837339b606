/**
 * ARM writes for the migration (shared/migration/ports.ts ClusterOperations), through the same SDK client
 * pipeline as every read (auth, retries, the simulator's CA).
 *
 * Bodies go out as ARM REST JSON exactly as GET returned them, sent as a raw request through the
 * ContainerServiceClient's pipeline: the SDK model would drop properties it does not know, and AKS's
 * update is a full-model PUT (aks-facts.md § What the PUT must contain). The PUT carries `If-Match` with
 * the ETag (a mismatch is a 412), and returns as soon as ARM accepts it: polling is a separate call, so
 * one activity begins an operation and a durable timer waits before the next polls it.
 */
import { createDefaultHttpClient, createHttpHeaders, createPipelineRequest, RestError, type HttpClient, type PipelineResponse } from '@azure/core-rest-pipeline';
import { parseArmId } from '../arm/id';
import type { AgentPoolProfile, ManagedClusterResource } from '../model/arm';
import type { ClusterOperations, ClusterRead, OperationHandle, OperationStarted, OperationStatus } from '../migration/ports';
import type { AzureClients } from './clients';

/** The api-version of the installed @azure/arm-containerservice (25.3). */
export const CONTAINER_SERVICE_API_VERSION = '2026-04-01';

const TERMINAL = new Set(['Succeeded', 'Failed', 'Canceled']);

function retryAfter(response: PipelineResponse): number | undefined {
  const v = response.headers.get('retry-after');
  if (!v) return undefined;
  const n = Number(v);
  if (Number.isFinite(n)) return n;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function parseBody(response: PipelineResponse): unknown {
  if (!response.bodyAsText) return undefined;
  try {
    return JSON.parse(response.bodyAsText);
  } catch {
    return response.bodyAsText;
  }
}

/** Throws the SDK's RestError (statusCode, ARM code, response) for a non-2xx response. */
function throwIfError(response: PipelineResponse): void {
  if (response.status < 400) return;
  const body = parseBody(response) as { error?: { code?: string; message?: string } } | undefined;
  const code = body?.error?.code;
  const message = body?.error?.message ?? `${response.request.method} ${response.request.url}: HTTP ${response.status}`;
  throw new RestError(message, { code, statusCode: response.status, request: response.request, response });
}

export class ArmOperations implements ClusterOperations {
  private readonly http: HttpClient = createDefaultHttpClient();

  constructor(private readonly clients: AzureClients) {}

  private url(pathOrUrl: string): string {
    if (/^https:\/\//i.test(pathOrUrl)) return pathOrUrl;
    return `${this.clients.target.endpoint}${pathOrUrl}${pathOrUrl.includes('?') ? '&' : '?'}api-version=${CONTAINER_SERVICE_API_VERSION}`;
  }

  /** One request through the subscription's ContainerServiceClient pipeline (bearer token, retries, CA). */
  private async send(subscriptionId: string, method: 'GET' | 'PUT', pathOrUrl: string, body?: unknown, headers: Record<string, string> = {}): Promise<PipelineResponse> {
    const request = createPipelineRequest({
      url: this.url(pathOrUrl),
      method,
      headers: createHttpHeaders({ accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return this.clients.containerService(subscriptionId).pipeline.sendRequest(this.http, request);
  }

  async getCluster(clusterId: string): Promise<ClusterRead> {
    const response = await this.send(parseArmId(clusterId).subscriptionId, 'GET', clusterId);
    throwIfError(response);
    const resource = parseBody(response) as ManagedClusterResource;
    const etag = response.headers.get('etag') ?? (resource.eTag as string | undefined) ?? resource.etag;
    return { resource, etag };
  }

  private started(response: PipelineResponse, resourceId: string): OperationStarted {
    const asyncOp = response.headers.get('azure-asyncoperation');
    const location = response.headers.get('location');
    const handle: OperationHandle = asyncOp
      ? { url: asyncOp, kind: 'azure-asyncoperation', resourceId }
      : location
        ? { url: location, kind: 'location', resourceId }
        : { url: resourceId, kind: 'provisioning-state', resourceId };
    return { handle, retryAfterSeconds: retryAfter(response), correlationId: response.headers.get('x-ms-correlation-request-id') ?? undefined };
  }

  async beginPutCluster(clusterId: string, body: ManagedClusterResource, etag: string | undefined): Promise<OperationStarted> {
    const response = await this.send(parseArmId(clusterId).subscriptionId, 'PUT', clusterId, body, etag ? { 'if-match': etag } : {});
    throwIfError(response);
    return this.started(response, clusterId);
  }

  async getOperation(handle: OperationHandle): Promise<OperationStatus> {
    const sub = parseArmId(handle.resourceId).subscriptionId;
    const response = await this.send(sub, 'GET', handle.url);
    throwIfError(response);
    const after = retryAfter(response);
    if (handle.kind === 'location') {
      return response.status === 202 ? { status: 'InProgress', retryAfterSeconds: after } : { status: 'Succeeded' };
    }
    const body = parseBody(response) as { status?: string; error?: { code?: string; message?: string }; properties?: { provisioningState?: string } } | undefined;
    const state = handle.kind === 'azure-asyncoperation' ? body?.status : body?.properties?.provisioningState;
    if (state && TERMINAL.has(state)) {
      const error = body?.error;
      return { status: state as OperationStatus['status'], ...(error?.code || error?.message ? { error: { code: error.code ?? 'Unknown', message: error.message ?? '' } } : {}) };
    }
    return { status: 'InProgress', retryAfterSeconds: after };
  }

  async beginScaleAgentPool(clusterId: string, poolName: string, count: number): Promise<OperationStarted> {
    const sub = parseArmId(clusterId).subscriptionId;
    const poolId = `${clusterId.replace(/\/+$/, '')}/agentPools/${poolName}`;
    const got = await this.send(sub, 'GET', poolId);
    throwIfError(got);
    const pool = parseBody(got) as { properties?: AgentPoolProfile; eTag?: string; etag?: string };
    const etag = got.headers.get('etag') ?? pool.eTag ?? pool.etag;
    const body = { ...pool, properties: { ...(pool.properties ?? {}), count } };
    const response = await this.send(sub, 'PUT', poolId, body, etag ? { 'if-match': etag } : {});
    throwIfError(response);
    return this.started(response, poolId);
  }
}

export function armOperations(clients: AzureClients): ClusterOperations {
  return new ArmOperations(clients);
}
