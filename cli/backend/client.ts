/**
 * A small typed client of the aksnet HTTP API (docs/http-api.md): the same calls whether the backend is a
 * local host started for the command, `aksnet host start`, or the Function App in Azure (`--backend URL`).
 * Requests go through a {@link Transport}: HTTP (fetch, built into Node 20); tests may pass another.
 *
 * Errors come back ARM-shaped (`{ error: { code, message, target } }`) and become ONE CLI error line with a fix.
 */
import type { RolloutSpec } from '../../shared/rollout/spec';
import type { RolloutSummary } from '../../shared/api/summary';
import type { ClusterOutcome } from '../../shared/migration/result';
import { AzureError, CLIError, ResourceNotFoundError, UsageError } from '../errors';

export type { RolloutSummary };

export interface TransportRequest {
  method: 'GET' | 'POST';
  /** Path and query, e.g. `/api/rollouts/r1/clusters?status=failed`. */
  path: string;
  body?: unknown;
}

export interface TransportResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export type Transport = (req: TransportRequest) => Promise<TransportResponse>;

/** How the client authenticates: a function key (`x-functions-key`), an Entra token, or nothing (tests of 401). */
export type BackendAuth = { kind: 'key'; key: string } | { kind: 'token'; scope: string; getToken: () => Promise<string> } | { kind: 'none' };

/** Where the backend is, for messages (`--backend URL`, or "the local host started for this command"). */
export interface BackendInfo {
  /** Base URL (http://127.0.0.1:P for a local host). */
  url: string;
  describe: string;
}

export interface StartedRollout {
  id: string;
  status: string;
  statusUri?: string;
  clustersUri?: string;
  approveUri?: string;
  resumeUri?: string;
  cancelUri?: string;
}

/** One cluster of a rollout, as `GET /api/rollouts/{id}/clusters` returns it. */
export interface RolloutClusterItem {
  id: string;
  name: string;
  resourceGroup: string;
  subscriptionId: string;
  stage?: string;
  verdict: string;
  plannedSteps: string[];
  podCidr?: string;
  result: ClusterOutcome | 'pending';
  reason?: string;
  error?: { code: string; message: string };
  steps: Array<{ step: string; status: string; startedAt?: string; endedAt?: string; correlationId?: string; error?: { code: string; message: string } }>;
  findings: Array<{ rule: string; severity: string; message: string; remediation?: string; source?: string }>;
  startedAt?: string;
  endedAt?: string;
}

export interface ClusterPage {
  value: RolloutClusterItem[];
  continuationToken?: string;
  nextLink?: string;
}

export interface ActionAccepted {
  id: string;
  action: 'approve' | 'resume' | 'cancel';
  accepted: boolean;
}

/** A rollout as `aksnet rollout list` shows it (from the Durable management API: the API has no list route). */
export interface RolloutListItem {
  id: string;
  name?: string;
  status: string;
  runtimeStatus: string;
  target?: string;
  total?: number;
  createdTime?: string;
  lastUpdatedTime?: string;
}

interface ApiErrorBody {
  error?: { code?: string; message?: string; target?: string; details?: Array<{ code?: string; target?: string; message?: string }> };
}

/** The Entra token for the API could not be had (thrown by the HTTP transport before any request). */
export class TokenError extends Error {
  constructor(
    readonly scope: string,
    cause: unknown,
  ) {
    super((cause instanceof Error ? cause.message : String(cause)).split('\n')[0]);
    this.name = 'TokenError';
  }
}

const ENDED = new Set(['Completed', 'Failed', 'Canceled', 'Terminated']);

/** True once the rollout's orchestration has ended (nothing more will change). */
export function hasEnded(summary: Pick<RolloutSummary, 'runtimeStatus'>): boolean {
  return ENDED.has(summary.runtimeStatus);
}

export class BackendClient {
  constructor(
    private readonly transport: Transport,
    readonly info: BackendInfo,
  ) {}

  private async call<T>(req: TransportRequest, okStatuses: number[]): Promise<{ body: T; headers: Record<string, string> }> {
    let res: TransportResponse;
    try {
      res = await this.send(req);
    } catch (e) {
      if (e instanceof TokenError) {
        throw new CLIError(`could not get an Entra token for ${e.scope} to call ${this.info.describe}: ${e.message.replace(/[.\s]+$/, '')}`, "Sign in so DefaultAzureCredential finds you (e.g. 'az login'), or set AKSNET_FUNCTION_KEY to a function key");
      }
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
      throw new CLIError(
        `cannot reach the aksnet backend at ${this.info.describe} (${why})`,
        "Start one with 'aksnet host start' and pass its baseUrl with '--backend URL' (or AKSNET_BACKEND), or check the URL",
      );
    }
    if (okStatuses.includes(res.status)) return { body: res.body as T, headers: res.headers };
    throw this.toError(req, res);
  }

  /**
   * Sends a request; a GET is tried again (3 attempts) after a dropped connection or a 429/502/503/504, waiting
   * Retry-After (at most 10 s): a long `rollout wait` should not end on one transient answer. POSTs are sent
   * once — starting a rollout or raising an event twice is not harmless.
   */
  private async send(req: TransportRequest): Promise<TransportResponse> {
    for (let attempt = 1; ; attempt++) {
      const last = req.method !== 'GET' || attempt >= 3;
      let res: TransportResponse;
      try {
        res = await this.transport(req);
      } catch (e) {
        if (last || e instanceof TokenError) throw e;
        await new Promise((r) => setTimeout(r, 500 * attempt));
        continue;
      }
      if (last || ![429, 502, 503, 504].includes(res.status)) return res;
      const after = Number(res.headers['retry-after']);
      await new Promise((r) => setTimeout(r, Math.min(10_000, Number.isFinite(after) && after >= 0 ? after * 1000 : 1000 * attempt)));
    }
  }

  private toError(req: TransportRequest, res: TransportResponse): CLIError {
    const err = (res.body as ApiErrorBody | null)?.error;
    const code = err?.code ?? `HTTP ${res.status}`;
    const message = (err?.message ?? `${req.method} ${req.path.split('?')[0]} answered HTTP ${res.status}`).replace(/[.\s]+$/, '');
    if (res.status === 401 || res.status === 403) {
      return new CLIError(
        `the backend at ${this.info.describe} refused the call (HTTP ${res.status})`,
        'Set AKSNET_FUNCTION_KEY to a function key of the app, or AKSNET_API_APP_CLIENT_ID for an Entra token (docs/http-api.md § Authentication)',
      );
    }
    if (res.status === 404 && err?.code === 'NotFound' && err.target === 'id') return new ResourceNotFoundError(message, "List the rollouts with 'aksnet rollout list'");
    if (res.status === 404) {
      return new CLIError(
        `the backend at ${this.info.describe} does not serve ${req.method} ${req.path.split('?')[0]} (HTTP 404${err?.code ? ` ${err.code}` : ''})`,
        'Check that --backend names an aksnet Function App, built with its HTTP API',
      );
    }
    if (res.status === 400 && code === 'InvalidRolloutSpec') {
      const details = (err?.details ?? []).map((d) => `${d.target ?? '(root)'}: ${d.message ?? ''}`);
      return new UsageError(`${message}${details.length > 1 ? ` [${details.join('; ')}]` : ''}`, 'Fix the spec (docs/rollout-spec.md)');
    }
    if (res.status === 400) return new UsageError(`${message} (${code})`, 'Check the arguments');
    if (res.status === 409) return new CLIError(`${message} (${code})`, "See the rollout's state with 'aksnet rollout show --id ID'");
    return new AzureError(`the backend answered HTTP ${res.status} ${code}: ${message}`, 'Try again; if it persists, look at the app logs');
  }

  async health(): Promise<Record<string, unknown>> {
    return (await this.call<Record<string, unknown>>({ method: 'GET', path: '/api/health' }, [200])).body;
  }

  async startRollout(spec: RolloutSpec): Promise<StartedRollout> {
    return (await this.call<StartedRollout>({ method: 'POST', path: '/api/rollouts', body: spec }, [202])).body;
  }

  async getRollout(id: string): Promise<RolloutSummary> {
    return (await this.call<RolloutSummary>({ method: 'GET', path: `/api/rollouts/${encodeURIComponent(id)}` }, [200])).body;
  }

  async clusterPage(id: string, query: { status?: string; limit?: number; continuationToken?: string } = {}): Promise<ClusterPage> {
    const q = new URLSearchParams();
    if (query.status) q.set('status', query.status);
    if (query.limit) q.set('limit', String(query.limit));
    if (query.continuationToken) q.set('continuationToken', query.continuationToken);
    const qs = q.toString();
    return (await this.call<ClusterPage>({ method: 'GET', path: `/api/rollouts/${encodeURIComponent(id)}/clusters${qs ? `?${qs}` : ''}` }, [200])).body;
  }

  /** Every cluster of the rollout, following continuation tokens (1,000 a page). */
  async allClusters(id: string, status?: string): Promise<RolloutClusterItem[]> {
    const out: RolloutClusterItem[] = [];
    let token: string | undefined;
    do {
      const page = await this.clusterPage(id, { status, limit: 1000, continuationToken: token });
      out.push(...page.value);
      token = page.continuationToken;
    } while (token);
    return out;
  }

  async action(id: string, action: 'approve' | 'resume' | 'cancel', body: Record<string, unknown> = {}): Promise<ActionAccepted> {
    return (await this.call<ActionAccepted>({ method: 'POST', path: `/api/rollouts/${encodeURIComponent(id)}/${action}`, body }, [202])).body;
  }

  /**
   * Rollouts on this backend, newest first, from the Durable management API (the HTTP API has no list route).
   * Works with the local host's function key; in Azure the management API wants the durabletask_extension
   * system key in AKSNET_FUNCTION_KEY.
   */
  async listRollouts(): Promise<RolloutListItem[]> {
    const out: RolloutListItem[] = [];
    const res = await this.call<unknown>({ method: 'GET', path: '/runtime/webhooks/durabletask/instances?showInput=false&top=1000' }, [200]);
    const rows = Array.isArray(res.body) ? (res.body as Array<Record<string, unknown>>) : [];
    for (const r of rows) {
      if (r.name !== 'rollout') continue;
      const custom = (r.customStatus ?? {}) as Record<string, unknown>;
      const output = (r.output ?? {}) as Record<string, unknown>;
      const report = ENDED.has(String(r.runtimeStatus)) && output && typeof output === 'object' && 'status' in output ? output : custom;
      const runtimeStatus = String(r.runtimeStatus);
      const ownStatus = typeof report.status === 'string' ? report.status : undefined;
      out.push({
        id: String(r.instanceId),
        ...(typeof report.name === 'string' ? { name: report.name } : {}),
        status: ['Failed', 'Terminated', 'Canceled'].includes(runtimeStatus) ? runtimeStatus.toLowerCase() : runtimeStatus === 'Pending' ? 'pending' : (ownStatus ?? runtimeStatus.toLowerCase()),
        runtimeStatus,
        ...(typeof report.target === 'string' ? { target: report.target } : {}),
        ...(typeof report.total === 'number' ? { total: report.total } : {}),
        ...(typeof r.createdTime === 'string' ? { createdTime: r.createdTime } : {}),
        ...(typeof r.lastUpdatedTime === 'string' ? { lastUpdatedTime: r.lastUpdatedTime } : {}),
      });
    }
    return out.sort((a, b) => (b.createdTime ?? '').localeCompare(a.createdTime ?? ''));
  }
}

/** The HTTP transport: JSON in and out, the key or a bearer token on every call, 30 s per request. */
export function httpTransport(baseUrl: string, auth: BackendAuth, timeoutMs = 30_000): Transport {
  const base = baseUrl.replace(/\/+$/, '');
  return async (req) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth.kind === 'key') headers['x-functions-key'] = auth.key;
    if (auth.kind === 'token') {
      let token: string;
      try {
        token = await auth.getToken();
      } catch (e) {
        throw new TokenError(auth.scope, e);
      }
      headers.authorization = `Bearer ${token}`;
    }
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${req.path}`, {
      method: req.method,
      headers,
      ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = { error: { code: `HTTP ${res.status}`, message: text.slice(0, 200).split('\n')[0] } };
      }
    }
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => (out[k] = v));
    return { status: res.status, headers: out, body };
  };
}
