/**
 * The HTTP API of aksnet (docs/http-api.md), independent of @azure/functions: plain values in
 * ({ method, url, headers, bodyText }), `{ status, headers, jsonBody }` out — the shape of an HttpResponseInit,
 * so a functions/ trigger is one line:
 *
 *   handler: async (req, ctx) => handleApiRequest({ method: req.method, url: req.url, headers: req.headers, bodyText: await req.text() }, portsFor(ctx))
 *
 * Authentication is the Functions host's (authLevel function: a function key, or Entra auth in front of the
 * app); this code never sees an anonymous request in Azure and does not repeat the check.
 * Every path validates all input before calling a port: a refused request has started nothing.
 */
import { randomBytes } from 'node:crypto';
import { armIdKey } from '../arm/id';
import type { Assessment } from '../model/assessment';
import { RolloutSpecError, validateRolloutSpec } from '../rollout/spec';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type RolloutClusterRecord, type RolloutIndexEntry } from '../rollout/store';
import { DEFAULT_BODY_LIMITS, parseJsonBody } from './body';
import { ApiError, badRequest, errorResponse, json, notFound, type ApiResponse } from './errors';
import type { ApiOptions, ApiPorts, PreflightFailure, RolloutAction } from './ports';
import { ActionRequestSchema, ApproveRequestSchema, DEFAULT_MAX_PREFLIGHT_IDS, distinctIds, parseRequest, preflightRequestSchema } from './requests';
import { pageRollouts } from './rolloutList';
import { ENDED_RUNTIME_STATUSES, summarizeRollout, type RolloutSummary } from './summary';
import {
  newRolloutId,
  validateClusterId,
  validateContinuationToken,
  validateOpaqueToken,
  validatePageSize,
  validateRolloutId,
  validateRolloutListToken,
  validateRuntimeStatusFilter,
  validateSince,
  validateStatusFilter,
} from './validate';
import type { InstanceStatus } from './summary';

export interface HeaderSource {
  get(name: string): string | null;
}

export interface ApiRequest {
  method: string;
  /** Absolute (as the Functions host gives it) or a path with query. */
  url: string;
  headers?: HeaderSource | Record<string, string | string[] | undefined>;
  bodyText?: string;
}

function header(req: ApiRequest, name: string): string | undefined {
  const h = req.headers;
  if (h === undefined) return undefined;
  if (typeof (h as HeaderSource).get === 'function') return (h as HeaderSource).get(name) ?? undefined;
  const rec = h as Record<string, string | string[] | undefined>;
  const key = Object.keys(rec).find((k) => k.toLowerCase() === name.toLowerCase());
  const v = key === undefined ? undefined : rec[key];
  return Array.isArray(v) ? v.join(', ') : v;
}

type RouteName = 'health' | 'listRollouts' | 'startRollout' | 'getRollout' | 'listClusters' | 'rolloutAction' | 'preflight' | 'decisions';

interface Matched {
  route: RouteName;
  id?: string;
  action?: RolloutAction;
  allowed: string[];
}

/** Route templates for functions/ registration (the host's route prefix `api` is not part of them). */
export const API_ROUTES: ReadonlyArray<{ name: string; methods: Array<'GET' | 'POST'>; route: string }> = [
  { name: 'apiHealth', methods: ['GET'], route: 'health' },
  { name: 'apiRollouts', methods: ['GET', 'POST'], route: 'rollouts' },
  { name: 'apiRollout', methods: ['GET'], route: 'rollouts/{id}' },
  { name: 'apiRolloutClusters', methods: ['GET'], route: 'rollouts/{id}/clusters' },
  { name: 'apiRolloutAction', methods: ['POST'], route: 'rollouts/{id}/{action}' },
  { name: 'apiPreflight', methods: ['POST'], route: 'preflight' },
  { name: 'apiRemediationDecisions', methods: ['GET'], route: 'remediation/decisions' },
];

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw badRequest('InvalidPath', 'The URL path has a malformed %-escape.', 'path');
  }
}

/** Matches `/api/...` (or without the `api` prefix); 404/405 for the rest. */
function match(method: string, pathname: string): Matched {
  const segments = pathname.split('/').filter((s) => s !== '');
  if (segments[0]?.toLowerCase() === 'api') segments.shift();
  const parts = segments.map(decodeSegment);
  const m = method.toUpperCase();
  const need = (allowed: string[], matched: Omit<Matched, 'allowed'>): Matched => {
    if (!allowed.includes(m)) throw Object.assign(new ApiError(405, 'MethodNotAllowed', `${m} is not supported here; use ${allowed.join(' or ')}.`), { allow: allowed });
    return { ...matched, allowed };
  };
  const [a, b, c, ...rest] = parts;
  if (rest.length === 0) {
    if (a === 'health' && b === undefined) return need(['GET'], { route: 'health' });
    if (a === 'preflight' && b === undefined) return need(['POST'], { route: 'preflight' });
    if (a === 'remediation' && b === 'decisions' && c === undefined) return need(['GET'], { route: 'decisions' });
    if (a === 'rollouts' && b === undefined) return need(['GET', 'POST'], { route: m === 'GET' ? 'listRollouts' : 'startRollout' });
    if (a === 'rollouts' && b !== undefined && c === undefined) return need(['GET'], { route: 'getRollout', id: b });
    if (a === 'rollouts' && b !== undefined && c === 'clusters') return need(['GET'], { route: 'listClusters', id: b });
    if (a === 'rollouts' && b !== undefined && (c === 'approve' || c === 'resume' || c === 'cancel')) return need(['POST'], { route: 'rolloutAction', id: b, action: c });
  }
  throw notFound('No such route. Routes: GET /api/health, GET|POST /api/rollouts, GET /api/rollouts/{id}, GET /api/rollouts/{id}/clusters, POST /api/rollouts/{id}/approve|resume|cancel, POST /api/preflight, GET /api/remediation/decisions.', 'path');
}

function rolloutUris(base: string, id: string): Record<string, string> {
  const r = `${base}/api/rollouts/${encodeURIComponent(id)}`;
  return { statusUri: r, clustersUri: `${r}/clusters`, approveUri: `${r}/approve`, resumeUri: `${r}/resume`, cancelUri: `${r}/cancel` };
}

function indexTarget(ids: string[], id: string): string {
  const i = ids.findIndex((x) => armIdKey(x) === armIdKey(id));
  return i >= 0 ? `ids[${i}]` : 'ids';
}

function isFailure(x: Assessment | PreflightFailure): x is PreflightFailure {
  return (x as PreflightFailure).error !== undefined && (x as Assessment).verdict === undefined;
}

/** A per-cluster page item: the record without what only the orchestration needs. */
function clusterItem(r: RolloutClusterRecord): Record<string, unknown> {
  return {
    id: r.clusterId,
    name: r.name,
    resourceGroup: r.resourceGroup,
    subscriptionId: r.subscriptionId,
    ...(r.stage !== undefined ? { stage: r.stage } : {}),
    verdict: r.verdict,
    plannedSteps: r.steps,
    ...(r.podCidr !== undefined ? { podCidr: r.podCidr } : {}),
    result: r.result?.result ?? 'pending',
    ...(r.result?.reason !== undefined ? { reason: r.result.reason } : {}),
    ...(r.result?.error !== undefined ? { error: r.result.error } : {}),
    steps: r.result?.steps ?? [],
    findings: r.result?.findings ?? [],
    ...(r.result ? { startedAt: r.result.startedAt, endedAt: r.result.endedAt } : {}),
    // Additive (issue 5, result per cluster): every ARM correlation id of a write the run made (steps, NAP mode
    // changes, pool scaling), what became of NAP, and what verify found — for support cases and audits.
    ...(r.result ? { correlationIds: r.result.correlationIds ?? [] } : {}),
    ...(r.result?.nap !== undefined ? { nap: r.result.nap } : {}),
    ...(r.result?.verifyProblems !== undefined ? { verifyProblems: r.result.verifyProblems } : {}),
  };
}

/**
 * One row of GET /api/rollouts: what `aksnet rollout list` shows, from the same summary as GET /api/rollouts/{id};
 * name and target from the rollout index while the orchestration has not published its report yet.
 */
function rolloutListItem(instance: InstanceStatus, entry: RolloutIndexEntry, base: string): Record<string, unknown> {
  const s = summarizeRollout(instance);
  const name = s.name ?? entry.name;
  const target = s.target ?? entry.target;
  return {
    id: s.id,
    ...(name !== undefined ? { name } : {}),
    status: s.status,
    runtimeStatus: s.runtimeStatus,
    ...(target !== undefined ? { target } : {}),
    ...(s.total !== undefined ? { total: s.total } : {}),
    counts: s.counts,
    ...(instance.createdTime !== undefined ? { createdTime: instance.createdTime } : {}),
    ...(instance.lastUpdatedTime !== undefined ? { lastUpdatedTime: instance.lastUpdatedTime } : {}),
    statusUri: rolloutUris(base, s.id).statusUri,
  };
}

async function requireRollout(ports: ApiPorts, id: string): Promise<RolloutSummary> {
  const status = await ports.rollouts.status(id);
  if (status === undefined) throw notFound(`No rollout has the id '${id}'. List ids with 'aksnet rollout list'.`, 'id');
  return summarizeRollout(status);
}

/** Handles one request; never throws, never leaks internals. */
export async function handleApiRequest(req: ApiRequest, ports: ApiPorts, options: ApiOptions = {}): Promise<ApiResponse> {
  try {
    return await route(req, ports, options);
  } catch (err) {
    const res = errorResponse(err, ports.log);
    const allow = (err as { allow?: string[] } | null)?.allow;
    if (res.status === 405 && allow) res.headers.allow = allow.join(', ');
    return res;
  }
}

async function route(req: ApiRequest, ports: ApiPorts, options: ApiOptions): Promise<ApiResponse> {
  let url: URL;
  try {
    url = new URL(req.url, 'http://localhost');
  } catch {
    throw badRequest('InvalidUrl', 'The request URL could not be parsed.');
  }
  // A path-only URL (tests, proxies) gets path-only links back.
  const base = /^[a-z][a-z0-9+.-]*:\/\//i.test(req.url) ? url.origin : '';
  const m = match(req.method, url.pathname);
  const limits = options.limits ?? DEFAULT_BODY_LIMITS;
  // Bodies are parsed (and refused) before anything else happens, on every route that takes one.
  const body = req.method.toUpperCase() === 'POST' ? parseJsonBody(req.bodyText, header(req, 'content-type'), limits) : undefined;
  const now = ports.now ?? (() => new Date());

  switch (m.route) {
    case 'health': {
      let extra: Record<string, unknown> = {};
      if (ports.health) {
        try {
          extra = await ports.health();
        } catch (err) {
          ports.log?.(`health check failed: ${err instanceof Error ? err.message : String(err)}`);
          return json(503, { error: { code: 'Unhealthy', message: 'A dependency of the API is not answering; retry later.' } });
        }
      }
      return json(200, { status: 'ok', time: now().toISOString(), ...extra });
    }

    case 'listRollouts': {
      const q = url.searchParams;
      const runtimeStatus = validateRuntimeStatusFilter(q.get('status'));
      // Checked for shape here (an edited token is a 400 before anything is read), passed on as it came.
      const rawToken = q.get('continuationToken');
      const continuationToken = validateRolloutListToken(rawToken) && rawToken ? rawToken : undefined;
      const limit = validatePageSize(q.get('limit'), options.maxPageSize ?? MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE;
      // The result store's rollout index, newest first, and one status per listed rollout (shared/api/rolloutList.ts):
      // never the task hub's instance query, which returns every cluster migration too.
      let listed;
      try {
        listed = await pageRollouts(
          { index: ports.results, status: (id) => ports.rollouts.status(id) },
          { limit, ...(runtimeStatus ? { runtimeStatus } : {}), ...(continuationToken ? { continuationToken } : {}), ...(options.maxRolloutsScanned ? { maxScanned: options.maxRolloutsScanned } : {}) },
        );
      } catch (err) {
        // A well-formed token the store still refuses is the client's problem, not a 500.
        if (continuationToken !== undefined && err instanceof Error && /continuationToken/.test(err.message)) {
          throw new ApiError(400, 'InvalidContinuationToken', "'continuationToken' is not a token this API returned; start again without it.", 'continuationToken');
        }
        throw err;
      }
      const token = listed.continuationToken;
      let nextLink: string | undefined;
      if (token) {
        const next = new URLSearchParams();
        if (runtimeStatus) next.set('status', runtimeStatus.join(','));
        if (q.get('limit')) next.set('limit', String(limit));
        next.set('continuationToken', token);
        nextLink = `${base}/api/rollouts?${next.toString()}`;
      }
      return json(200, { value: listed.rows.map((r) => rolloutListItem(r.instance, r.entry, base)), ...(token ? { continuationToken: token, nextLink } : {}) });
    }

    case 'startRollout': {
      if (body === undefined) throw badRequest('MissingBody', 'POST /api/rollouts needs the rollout spec as a JSON body (docs/rollout-spec.md).');
      let spec;
      try {
        spec = validateRolloutSpec(body);
      } catch (err) {
        if (!(err instanceof RolloutSpecError)) throw err;
        const details = err.problems.map((p) => {
          const i = p.indexOf(': ');
          return { code: 'InvalidField', target: i > 0 ? p.slice(0, i) : '(root)', message: i > 0 ? p.slice(i + 2) : p };
        });
        throw new ApiError(400, 'InvalidRolloutSpec', err.message, details[0]?.target, details);
      }
      const startedAt = now();
      const id = newRolloutId(spec.name, startedAt, ports.randomHex?.() ?? randomBytes(3).toString('hex'));
      // Indexed before it starts, so GET /api/rollouts lists it at once, and a failed index write starts nothing
      // (an index row whose start then failed is dropped from the list: there is no instance to show). The
      // rollout's first activity registers it again (idempotent) for the starts that bypass this API.
      await ports.results.registerRollout({ rolloutId: id, name: spec.name, target: spec.target, createdAt: startedAt.toISOString() });
      await ports.rollouts.start(id, spec);
      const uris = rolloutUris(base, id);
      return json(202, { id, status: 'pending', ...uris }, { location: uris.statusUri, 'retry-after': '10' });
    }

    case 'getRollout': {
      const id = validateRolloutId(m.id);
      const summary = await requireRollout(ports, id);
      const ended = ENDED_RUNTIME_STATUSES.has(summary.runtimeStatus);
      return json(200, summary, ended ? {} : { 'retry-after': '10' });
    }

    case 'listClusters': {
      const id = validateRolloutId(m.id);
      const status = validateStatusFilter(url.searchParams.get('status'));
      const continuationToken = validateContinuationToken(url.searchParams.get('continuationToken'));
      const limit = validatePageSize(url.searchParams.get('limit'), options.maxPageSize ?? MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE;
      await requireRollout(ports, id);
      let page;
      try {
        page = await ports.results.listClusters(id, { ...(status ? { status } : {}), ...(continuationToken ? { continuationToken } : {}), limit });
      } catch (err) {
        // A token that decodes to a key but that the store still refuses is the client's problem, not a 500.
        if (continuationToken !== undefined && err instanceof Error && /continuationToken/.test(err.message)) {
          throw new ApiError(400, 'InvalidContinuationToken', "'continuationToken' is not a token this API returned; start again without it.", 'continuationToken');
        }
        throw err;
      }
      let nextLink: string | undefined;
      if (page.continuationToken) {
        const next = new URL(`${base || 'http://localhost'}/api/rollouts/${encodeURIComponent(id)}/clusters`);
        if (status) next.searchParams.set('status', status);
        if (url.searchParams.get('limit')) next.searchParams.set('limit', String(limit));
        next.searchParams.set('continuationToken', page.continuationToken);
        nextLink = base ? next.toString() : `${next.pathname}${next.search}`;
      }
      return json(200, {
        value: page.items.map(clusterItem),
        ...(page.continuationToken ? { continuationToken: page.continuationToken, nextLink } : {}),
      });
    }

    case 'rolloutAction': {
      const id = validateRolloutId(m.id);
      const action = m.action as RolloutAction;
      const request = action === 'approve' ? parseRequest(ApproveRequestSchema, body ?? {}, 'approve request') : parseRequest(ActionRequestSchema, body ?? {}, `${action} request`);
      const summary = await requireRollout(ports, id);
      if (ENDED_RUNTIME_STATUSES.has(summary.runtimeStatus)) {
        throw new ApiError(409, 'RolloutEnded', `Rollout '${id}' has ended (${summary.status}); nothing to ${action}.`);
      }
      if (action === 'approve') {
        const waiting = summary.waitingApprovals[0]?.stage;
        if (waiting === undefined) throw new ApiError(409, 'NotWaitingForApproval', `Rollout '${id}' is not waiting for an approval (status ${summary.status}); approve when GET /api/rollouts/${id} lists waitingApprovals.`);
        const stage = (request as { stage?: string }).stage;
        if (stage !== undefined && stage !== waiting) {
          throw new ApiError(409, 'StageNotWaiting', `Stage '${stage}' is not the one waiting for approval; stage '${waiting}' is.`, 'stage');
        }
        await ports.rollouts.raise(id, 'approve', { stage: waiting });
      } else if (action === 'resume') {
        if (summary.status !== 'halted') throw new ApiError(409, 'NotHalted', `Rollout '${id}' is not halted (status ${summary.status}); resume only applies after the failure budget halted it.`);
        await ports.rollouts.raise(id, 'resume', request);
      } else {
        await ports.rollouts.raise(id, 'cancel', request);
      }
      return json(202, { id, action, accepted: true, ...rolloutUris(base, id) }, { location: rolloutUris(base, id).statusUri });
    }

    case 'decisions': {
      if (!ports.decisions) throw notFound('Event Grid remediation is not configured in this app.', 'path');
      const q = url.searchParams;
      const clusterId = q.get('clusterId') ? validateClusterId(q.get('clusterId'), 'clusterId') : undefined;
      const since = validateSince(q.get('since'));
      const after = validateOpaqueToken(q.get('continuationToken'));
      const limit = validatePageSize(q.get('limit'), options.maxPageSize ?? MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE;
      let page;
      try {
        page = await ports.decisions.list({ ...(clusterId ? { clusterId } : {}), ...(since ? { since } : {}), ...(after ? { after } : {}), limit });
      } catch (err) {
        if (after !== undefined && err instanceof Error && /token/i.test(err.message)) {
          throw new ApiError(400, 'InvalidContinuationToken', "'continuationToken' is not a token this API returned; start again without it.", 'continuationToken');
        }
        throw err;
      }
      let nextLink: string | undefined;
      if (page.continuationToken) {
        const next = new URLSearchParams();
        if (clusterId) next.set('clusterId', clusterId);
        if (since) next.set('since', since);
        if (q.get('limit')) next.set('limit', String(limit));
        next.set('continuationToken', page.continuationToken);
        nextLink = `${base}/api/remediation/decisions?${next.toString()}`;
      }
      return json(200, { value: page.items, ...(page.continuationToken ? { continuationToken: page.continuationToken, nextLink } : {}) });
    }

    case 'preflight': {
      const max = options.maxPreflightIds ?? DEFAULT_MAX_PREFLIGHT_IDS;
      if (body === undefined) throw badRequest('MissingBody', `POST /api/preflight needs a JSON body { "ids": [cluster ids, at most ${max}], "target": "overlay+cilium" }.`);
      const request = parseRequest(preflightRequestSchema(max), body, 'preflight request');
      const ids = distinctIds(request.ids);
      const results = await ports.preflight.assess(ids, request.target);
      const failures = results.filter(isFailure);
      const missing = failures.filter((f) => f.error.code === 'NotFound');
      if (missing.length > 0) {
        throw new ApiError(
          404,
          'NotFound',
          `Managed cluster ${missing[0].id} was not found${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}; check the id and that the app's identity can read it.`,
          indexTarget(request.ids, missing[0].id),
          missing.map((f) => ({ code: 'NotFound', target: f.id, message: f.error.message })),
        );
      }
      return json(200, {
        value: results.filter((r): r is Assessment => !isFailure(r)),
        ...(failures.length > 0 ? { errors: failures.map((f) => ({ id: f.id, code: f.error.code, message: f.error.message })) } : {}),
      });
    }
  }
}
