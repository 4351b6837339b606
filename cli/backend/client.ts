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
  /** Aborts the request (a second Ctrl-C while it is in flight: cli/handlers/rolloutRun.ts FollowInterrupt). */
  signal?: AbortSignal;
}

export interface TransportResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export type Transport = (req: TransportRequest) => Promise<TransportResponse>;

/**
 * How the client authenticates: a function key (`x-functions-key`), an Entra token (`Authorization: Bearer`),
 * BOTH, or nothing (tests of 401). Both is the usual case with Entra in front of the app: App Service
 * authentication checks the token, and the Functions host still requires the key for `authLevel: function`
 * (Azure/azure-functions-host#11394: Easy Auth does not count as key authorization).
 */
export interface BackendAuth {
  key?: string;
  token?: { scope: string; getToken: () => Promise<string> };
}

/** Where the backend is, for messages (`--backend URL`, or "the local host started for this command"). */
export interface BackendInfo {
  /** Base URL (http://127.0.0.1:P for a local host). */
  url: string;
  describe: string;
  /** What the calls carry, so a 401/403 can say which credential is missing. */
  sends?: { key: boolean; token: boolean };
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

/** A rollout as `GET /api/rollouts` lists it and `aksnet rollout list` shows it. */
export interface RolloutListItem {
  id: string;
  name?: string;
  status: string;
  runtimeStatus: string;
  target?: string;
  total?: number;
  counts?: Record<string, number>;
  statusUri?: string;
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

/** The request was aborted by its caller's signal (Ctrl-C), not by the backend or the network. */
export class RequestAbortedError extends Error {
  constructor() {
    super('request aborted');
    this.name = 'RequestAbortedError';
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
      if (req.signal?.aborted) throw new RequestAbortedError();
      if (e instanceof TokenError) {
        throw new CLIError(`could not get an Entra token for ${e.scope} to call ${this.info.describe}: ${e.message.replace(/[.\s]+$/, '')}`, "Sign in so DefaultAzureCredential finds you (e.g. 'az login'); if the app has no Entra authentication in front, unset AKSNET_API_APP_CLIENT_ID and use AKSNET_FUNCTION_KEY alone");
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
        if (last || e instanceof TokenError || req.signal?.aborted) throw e;
        await new Promise((r) => setTimeout(r, 500 * attempt));
        if (req.signal?.aborted) throw new RequestAbortedError();
        continue;
      }
      if (last || ![429, 502, 503, 504].includes(res.status)) return res;
      const after = Number(res.headers['retry-after']);
      await new Promise((r) => setTimeout(r, Math.min(10_000, Number.isFinite(after) && after >= 0 ? after * 1000 : 1000 * attempt)));
      if (req.signal?.aborted) throw new RequestAbortedError();
    }
  }

  private toError(req: TransportRequest, res: TransportResponse): CLIError {
    const err = (res.body as ApiErrorBody | null)?.error;
    const code = err?.code ?? `HTTP ${res.status}`;
    const message = (err?.message ?? `${req.method} ${req.path.split('?')[0]} answered HTTP ${res.status}`).replace(/[.\s]+$/, '');
    if (res.status >= 300 && res.status < 400) {
      // The transport never follows a redirect: fetch would carry x-functions-key to whatever host the Location
      // names (it drops only `authorization` across origins), and over http when the redirect says so.
      const location = res.headers.location;
      let where = 'another address (no Location header)';
      if (location) {
        try {
          where = new URL(location, `${this.info.url}${req.path}`).toString();
        } catch {
          where = location;
        }
      }
      return new CLIError(`the backend at ${this.info.describe} redirected to ${where} (HTTP ${res.status})`, "Give the app's final URL in --backend (Easy Auth must answer 401, not redirect)");
    }
    if (res.status === 401 || res.status === 403) return new CLIError(`the backend at ${this.info.describe} refused the call (HTTP ${res.status})`, this.credentialFix());
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

  /**
   * Which credential to set after a 401/403. The Functions host wants the function key on every call
   * (authLevel function), even when App Service authentication has accepted an Entra token
   * (Azure/azure-functions-host#11394); Entra in front wants the token as well.
   */
  private credentialFix(): string {
    const doc = '(docs/http-api.md § Authentication)';
    const { key, token } = this.info.sends ?? { key: false, token: false };
    if (!key && token) return `Set AKSNET_FUNCTION_KEY to a function key of the app as well: the Functions host requires it even with an Entra token ${doc}`;
    if (key && token) return `Check that AKSNET_FUNCTION_KEY is a key of this app and that your identity may get tokens for AKSNET_API_APP_CLIENT_ID (assigned to the API's enterprise application) ${doc}`;
    if (key) return `Set AKSNET_FUNCTION_KEY to a function key of this app; with Entra authentication in front of it, set AKSNET_API_APP_CLIENT_ID too ${doc}`;
    return `Set AKSNET_FUNCTION_KEY to a function key of the app, and AKSNET_API_APP_CLIENT_ID too when Entra authentication is in front of it ${doc}`;
  }

  async health(): Promise<Record<string, unknown>> {
    return (await this.call<Record<string, unknown>>({ method: 'GET', path: '/api/health' }, [200])).body;
  }

  async startRollout(spec: RolloutSpec): Promise<StartedRollout> {
    return (await this.call<StartedRollout>({ method: 'POST', path: '/api/rollouts', body: spec }, [202])).body;
  }

  /** `signal` aborts the request (then it rejects with {@link RequestAbortedError}). */
  async getRollout(id: string, signal?: AbortSignal): Promise<RolloutSummary> {
    return (await this.call<RolloutSummary>({ method: 'GET', path: `/api/rollouts/${encodeURIComponent(id)}`, ...(signal ? { signal } : {}) }, [200])).body;
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
    const seen = new Set<string>();
    do {
      const page = await this.clusterPage(id, { status, limit: 1000, continuationToken: token });
      out.push(...page.value);
      token = this.nextToken(page.continuationToken, seen, `the clusters of rollout ${id}`);
    } while (token);
    return out;
  }

  async action(id: string, action: 'approve' | 'resume' | 'cancel', body: Record<string, unknown> = {}): Promise<ActionAccepted> {
    return (await this.call<ActionAccepted>({ method: 'POST', path: `/api/rollouts/${encodeURIComponent(id)}/${action}`, body }, [202])).body;
  }

  /** Rollouts on this backend, newest first (`GET /api/rollouts`, following continuation tokens, 1,000 a page). */
  async listRollouts(query: { status?: string } = {}): Promise<RolloutListItem[]> {
    const out: RolloutListItem[] = [];
    let token: string | undefined;
    const seen = new Set<string>();
    do {
      const q = new URLSearchParams({ limit: '1000' });
      if (query.status) q.set('status', query.status);
      if (token) q.set('continuationToken', token);
      const page = (await this.call<{ value?: RolloutListItem[]; continuationToken?: string }>({ method: 'GET', path: `/api/rollouts?${q.toString()}` }, [200])).body;
      out.push(...(page.value ?? []));
      token = this.nextToken(page.continuationToken, seen, 'the rollouts');
    } while (token);
    return out;
  }

  /** The next continuation token; one the backend already gave would page in a circle for ever, so it ends the listing with an error. */
  private nextToken(token: string | undefined, seen: Set<string>, what: string): string | undefined {
    if (!token) return undefined;
    if (seen.has(token)) {
      throw new AzureError(
        `the backend at ${this.info.describe} returned continuation token '${token.length > 40 ? `${token.slice(0, 40)}…` : token}' a second time while listing ${what}; following it would never end`,
        'Check that --backend names an aksnet Function App of this version; if it does, look at the app logs',
      );
    }
    seen.add(token);
    return token;
  }
}

/**
 * The HTTP transport: JSON in and out, the key and/or a bearer token on every call, 30 s per request (or until the
 * request's own signal aborts). Redirects are not followed (`redirect: 'manual'`): on a redirect to another host
 * fetch drops `authorization` but keeps custom headers, so `x-functions-key` would go wherever the Location points,
 * in clear text if that is http; the 3xx comes back as an answer and BackendClient turns it into one error line.
 */
export function httpTransport(baseUrl: string, auth: BackendAuth, timeoutMs = 30_000): Transport {
  const base = baseUrl.replace(/\/+$/, '');
  return async (req) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth.key) headers['x-functions-key'] = auth.key;
    if (auth.token) {
      let token: string;
      try {
        token = await auth.token.getToken();
      } catch (e) {
        throw new TokenError(auth.token.scope, e);
      }
      headers.authorization = `Bearer ${token}`;
    }
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${req.path}`, {
      method: req.method,
      headers,
      ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
      redirect: 'manual',
      signal: req.signal ? AbortSignal.any([AbortSignal.timeout(timeoutMs), req.signal]) : AbortSignal.timeout(timeoutMs),
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
