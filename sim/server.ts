/**
 * The AKS simulator: two HTTPS servers on 127.0.0.1 sharing one start-up CA — the ARM endpoint
 * (ContainerService, Network, ResourceGraph, and the /__sim admin API) and the clusters' Kubernetes API.
 * The simulator does no authentication: any bearer token is accepted (JWT oid/appid name the caller).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot } from '../shared/model/snapshot';
import { parseSnapshot, SnapshotError } from '../shared/model/snapshot';
import { armIdKey, parseArmId } from '../shared/arm/id';
import { kubeOf } from './aks/cluster';
import { SimClock } from './clock';
import type { Durations } from './arm/containerService';
import { clusterKeyOfPath, DEFAULT_DURATIONS, handleContainerService } from './arm/containerService';
import { ArmError } from './arm/errors';
import type { SimRequest, SimResponse } from './arm/http';
import { handleNetwork } from './arm/network';
import { handleResourceGraph, RESOURCE_GRAPH_PATH } from './arm/resourceGraph';
import type { FaultConfig } from './faults';
import { FaultInjector, FaultSpecError, parseFaultSpec } from './faults';
import { handleKube } from './kube/api';
import { principalOf } from './principal';
import type { ThrottlingOptions } from './throttling';
import { ArmThrottle, DEFAULT_THROTTLING, hms } from './throttling';
import { makeSimulatorTls } from './tls';
import { SimWorld } from './world';

export interface SimulatorOptions {
  /** A snapshot (parsed or raw JSON) to seed from. */
  snapshot?: Snapshot | unknown;
  /**
   * Validate the snapshot with parseSnapshot (default true). Set false for a snapshot built in-process
   * (e.g. generateFleet): the zod pass over 10,000 clusters' Kubernetes items takes seconds.
   */
  validateSnapshot?: boolean;
  /** ARM port (0 = ephemeral). The Kubernetes API listens on its own ephemeral port. */
  port?: number;
  /** Wall seconds per simulated second (0.001 → a 20-minute reimage takes 1.2 s). Default 1. */
  timeScale?: number;
  /** Latency added to every ARM request, in ms. Default 0. */
  latencyMs?: number;
  /** Faults, as a spec string (docs/simulator.md) or a config. */
  faults?: string | FaultConfig;
  /** `false` turns throttling off; an object overrides the limits. */
  throttling?: boolean | Partial<ThrottlingOptions>;
  durations?: Partial<Durations>;
}

/** What the simulator served, for tests and the bench ("VNet read once", calls made, 429s seen). */
export interface RequestCounts {
  arm: { reads: number; writes: number };
  resourceGraph: number;
  kubernetes: number;
  /** 429s answered. */
  throttled: { arm: number; resourceGraph: number };
  /** Injected faults answered. */
  faults: { error500: number; error503: number; drop: number };
  /** ARM requests per resource path (lower case, no query) and method, throttled and faulted ones included. */
  byResource: Record<string, Record<string, number>>;
  /** TLS connections accepted (each a handshake): what clients' keep-alive saves shows here. */
  connections: { arm: number; kubernetes: number };
}

function emptyCounts(): RequestCounts {
  return { arm: { reads: 0, writes: 0 }, resourceGraph: 0, kubernetes: 0, throttled: { arm: 0, resourceGraph: 0 }, faults: { error500: 0, error503: 0, drop: 0 }, byResource: {}, connections: { arm: 0, kubernetes: 0 } };
}

export interface RunningSimulator {
  armEndpoint: string;
  kubeEndpoint: string;
  caCertPath: string;
  caCert: string;
  /** The Kubernetes API URL of a cluster (the kubeconfig's server). */
  kubeEndpointFor(clusterId: string): string | undefined;
  world: SimWorld;
  faults: FaultInjector;
  throttle: ArmThrottle;
  /** Live request counters (also at GET /__sim/requests). */
  requests: RequestCounts;
  stop(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { 'Content-Type': 'application/json; charset=utf-8' } : {}), 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** The body as text, or undefined when it is larger than `limit` bytes (the rest is drained). */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** ARM refuses request bodies over 4 MB; seeding a 10,000-cluster snapshot through /__sim/seed needs far more. */
const ARM_BODY_LIMIT = 4 * 1024 * 1024;
const ADMIN_BODY_LIMIT = 1024 * 1024 * 1024;

function parseJsonBody(text: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ArmError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized: it is not JSON.');
  }
}

/** A snapshot taken as given (validateSnapshot: false): only its shape is checked. */
function asSnapshot(value: unknown): Snapshot {
  if (Array.isArray(value)) return { resources: value as Snapshot['resources'], kubernetes: {} };
  const v = value as Partial<Snapshot> | undefined;
  if (!v || typeof v !== 'object' || (v.resources !== undefined && !Array.isArray(v.resources))) throw new SnapshotError('not a snapshot: expected {resources, kubernetes} or an array of ARM resources');
  return { resources: v.resources ?? [], kubernetes: v.kubernetes ?? {} };
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function throttlingOptions(t: SimulatorOptions['throttling']): ThrottlingOptions {
  if (t === false) return { ...DEFAULT_THROTTLING, enabled: false };
  if (t === true || t === undefined) return { ...DEFAULT_THROTTLING };
  return { ...DEFAULT_THROTTLING, ...t };
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const clock = new SimClock(options.timeScale ?? 1);
  const world = new SimWorld(clock);
  if (options.snapshot !== undefined) world.seed(options.validateSnapshot === false ? asSnapshot(options.snapshot) : parseSnapshot(options.snapshot));
  const faults = new FaultInjector(typeof options.faults === 'string' ? parseFaultSpec(options.faults) : options.faults);
  const throttle = new ArmThrottle(throttlingOptions(options.throttling));
  const durations: Durations = { ...DEFAULT_DURATIONS, ...(options.durations ?? {}) };
  let latencyMs = options.latencyMs ?? 0;
  const requests = emptyCounts();

  const tls = await makeSimulatorTls();
  const dir = mkdtempSync(join(tmpdir(), 'aksnet-sim-'));
  const caCertPath = join(dir, 'ca.pem');
  writeFileSync(caCertPath, tls.caCert);

  const sockets = new Set<Socket>();
  const track = (server: Server, kind: keyof RequestCounts['connections']): void => {
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    server.on('secureConnection', (s: Socket) => {
      requests.connections[kind]++;
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
  };

  const ctx = {
    world,
    clock,
    faults,
    armEndpoint: '',
    kubeEndpoint: '',
    caCert: tls.caCert,
    durations,
  };

  async function handleAdmin(method: string, path: string, query: URLSearchParams, body: string, res: ServerResponse): Promise<void> {
    const sub = path.replace(/^\/__sim\/?/, '').toLowerCase();
    try {
      if (method === 'GET' && sub === 'operations') return sendJson(res, 200, { value: world.log });
      if (method === 'GET' && sub === 'events') {
        world.settle();
        const since = Number(query.get('since') ?? '0') || 0;
        return sendJson(res, 200, { value: world.events.slice(since), next: world.events.length });
      }
      if (method === 'GET' && sub === 'requests') return sendJson(res, 200, requests);
      if (method === 'GET' && sub === 'state') {
        world.settle();
        const clusters = [...world.clusters.values()].map((rec) => ({
          id: rec.resource.id,
          eTag: rec.eTag,
          resource: rec.resource,
          activeOperation: world.activeOperation(rec)?.id,
          kubernetes: rec.kube || rec.seedItems ? { items: kubeOf(rec, world).all() } : undefined,
        }));
        const operations = [...world.operations.values()].map(({ apply: _a, onFail: _f, ...o }) => ({
          ...o,
          startTime: clock.iso(o.startSim),
          endTime: o.status === 'InProgress' ? undefined : clock.iso(o.endSim),
        }));
        return sendJson(res, 200, { simTime: clock.iso(), timeScale: clock.timeScale, clusters, resources: [...world.resources.values()], operations });
      }
      if (method === 'POST' && sub === 'seed') {
        world.seed(parseSnapshot(parseJsonBody(body)));
        return sendJson(res, 200, { clusters: world.clusters.size, resources: world.resources.size });
      }
      if (method === 'DELETE' && sub === 'requests') {
        Object.assign(requests, emptyCounts());
        return sendJson(res, 200, requests);
      }
      if (method === 'POST' && sub === 'reset') {
        world.reset();
        throttle.reset();
        Object.assign(requests, emptyCounts());
        return sendJson(res, 200, { reset: true });
      }
      if (method === 'GET' && sub === 'faults') return sendJson(res, 200, faults.get());
      if ((method === 'PUT' || method === 'POST') && sub === 'faults') {
        const parsed = parseJsonBody(body) as { spec?: string } & FaultConfig;
        faults.set(typeof parsed?.spec === 'string' ? parseFaultSpec(parsed.spec) : (parsed ?? {}));
        return sendJson(res, 200, faults.get());
      }
      if ((method === 'PUT' || method === 'POST') && sub === 'settings') {
        const parsed = (parseJsonBody(body) ?? {}) as { latencyMs?: number; throttling?: boolean };
        if (typeof parsed.latencyMs === 'number') latencyMs = parsed.latencyMs;
        if (typeof parsed.throttling === 'boolean') throttle.options = { ...throttle.options, enabled: parsed.throttling };
        return sendJson(res, 200, { latencyMs, throttling: throttle.options.enabled });
      }
      return sendJson(res, 404, { error: { code: 'NotFound', message: `Unknown simulator admin endpoint ${method} ${path}: see docs/simulator.md "Admin API".` } });
    } catch (e) {
      if (e instanceof SnapshotError || e instanceof FaultSpecError || e instanceof ArmError) {
        return sendJson(res, 400, { error: { code: 'InvalidRequestContent', message: `${method} ${path}: ${e.message}` } });
      }
      throw e;
    }
  }

  async function handleArm(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const path = decodeURIComponent(url.pathname).replace(/\/+$/, '') || '/';
    const method = (req.method ?? 'GET').toUpperCase();
    const requestId = randomUUID();
    const baseHeaders: Record<string, string> = { 'x-ms-request-id': requestId, 'x-ms-correlation-request-id': String(req.headers['x-ms-correlation-request-id'] ?? requestId) };
    const admin = path.toLowerCase().startsWith('/__sim');
    const raw = await readBody(req, admin ? ADMIN_BODY_LIMIT : ARM_BODY_LIMIT);
    if (raw === undefined) {
      return sendJson(res, 413, { error: { code: 'RequestEntityTooLarge', message: `The request body is larger than ${admin ? '1 GB' : '4 MB'}.` } }, baseHeaders);
    }
    if (admin) return handleAdmin(method, path, url.searchParams, raw, res);

    const principal = principalOf(req.headers.authorization);
    if (!principal) {
      return sendJson(res, 401, { error: { code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing or is not a bearer token (the simulator accepts any bearer token)." } }, baseHeaders);
    }
    const graph = RESOURCE_GRAPH_PATH.test(path);
    if (graph) requests.resourceGraph++;
    else {
      if (method === 'GET' || method === 'HEAD') requests.arm.reads++;
      else requests.arm.writes++;
      const key = path.toLowerCase();
      const perMethod = (requests.byResource[key] ??= {});
      perMethod[method] = (perMethod[method] ?? 0) + 1;
    }
    const clusterKey = graph ? undefined : clusterKeyOfPath(path, world);
    const fault = faults.forRequest(clusterKey ?? (graph ? undefined : path));
    const wait = latencyMs + fault.extraLatencyMs;
    if (wait > 0) await delay(wait);
    if (fault.drop) {
      requests.faults.drop++;
      req.socket.destroy();
      return;
    }
    if (fault.status) {
      if (fault.status === 500) requests.faults.error500++;
      else requests.faults.error503++;
      const code = fault.status === 500 ? 'InternalServerError' : 'ServiceUnavailable';
      return sendJson(res, fault.status, { error: { code, message: `Injected fault: ${fault.status} ${code}.` } }, { ...baseHeaders, ...(fault.status === 503 ? { 'Retry-After': '1' } : {}) });
    }

    const headers: Record<string, string> = { ...baseHeaders };
    if (graph) {
      const g = throttle.takeGraph(principal.id);
      headers['x-ms-user-quota-remaining'] = String(g.remaining);
      headers['x-ms-user-quota-resets-after'] = hms(g.resetsAfterSeconds);
      if (!g.allowed) {
        requests.throttled.resourceGraph++;
        return sendJson(res, 429, { error: { code: 'RateLimiting', message: `Please provide below info when asking for support: timestamp, correlation id. Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed. Retry after ${g.retryAfterSeconds} seconds.` } }, { ...headers, 'Retry-After': String(g.retryAfterSeconds) });
      }
    } else {
      let subscriptionId: string | undefined;
      try {
        subscriptionId = path.toLowerCase().startsWith('/subscriptions/') ? parseArmId(path.split('/').slice(0, 3).join('/')).subscriptionId : undefined;
      } catch {
        subscriptionId = undefined;
      }
      if (subscriptionId) {
        const kind = method === 'GET' || method === 'HEAD' ? 'reads' : 'writes';
        const t = throttle.take(subscriptionId, principal.id, kind);
        headers[`x-ms-ratelimit-remaining-subscription-${kind}`] = String(t.remaining);
        if (!t.allowed) {
          requests.throttled.arm++;
          return sendJson(res, 429, { error: { code: 'SubscriptionRequestsThrottled', message: `Number of '${kind === 'reads' ? 'read' : 'write'}' requests for subscription '${subscriptionId}' actor '${principal.id}' exceeded. Please try again after '${t.retryAfterSeconds}' seconds after additional tokens are available.` } }, { ...headers, 'Retry-After': String(t.retryAfterSeconds) });
        }
      }
    }

    const simReq: SimRequest = { method, path, query: url.searchParams, headers: req.headers, body: undefined, principal };
    let response: SimResponse;
    try {
      simReq.body = parseJsonBody(raw);
      const lower = path.toLowerCase();
      const handled = graph && method === 'POST'
        ? handleResourceGraph(simReq, world)
        : lower.includes('/providers/microsoft.containerservice/')
          ? handleContainerService(simReq, ctx)
          : lower.includes('/providers/microsoft.network/')
            ? handleNetwork(simReq, world, ctx.armEndpoint)
            : undefined;
      response = handled ?? { status: 404, body: new ArmError(404, 'InvalidResourceType', `The simulator does not serve ${method} ${path}. See docs/simulator.md for the supported operations.`).body() };
    } catch (e) {
      if (!(e instanceof ArmError)) throw e;
      response = { status: e.status, body: e.body(), headers: e.headers };
    }
    const isWrite = method === 'PUT' || method === 'PATCH' || method === 'DELETE' || (method === 'POST' && !graph && !/\/listcluster(user|admin)credential$/i.test(path));
    if (isWrite) {
      const err = (response.body as { error?: { code?: string; message?: string } } | undefined)?.error;
      const entry = world.record({
        api: 'arm',
        time: new Date().toISOString(),
        simTime: clock.iso(),
        principal: principal.id,
        oid: principal.oid,
        appid: principal.appid,
        method,
        resourceId: response.logged?.resourceId ?? path,
        apiVersion: url.searchParams.get('api-version') ?? undefined,
        correlationId: baseHeaders['x-ms-correlation-request-id'],
        body: simReq.body,
        result: { status: response.status, code: err?.code, message: err?.message, operationId: response.logged?.operationId },
      });
      const op = response.logged?.operationId ? world.operations.get(response.logged.operationId) : undefined;
      if (op) {
        op.logSeq = entry.seq;
        entry.result.operationStatus = op.status;
        if (op.status !== 'InProgress') world.emitWriteEvent(entry, op.status);
      } else if (response.status < 300) world.emitWriteEvent(entry, 'Succeeded');
      else if (response.status !== 401 && response.status !== 429) world.emitWriteEvent(entry, 'Failed');
    }
    sendJson(res, response.status, response.body, { ...headers, ...(response.headers ?? {}) });
  }

  async function handleKubeHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    requests.kubernetes++;
    const m = /^\/clusters\/([0-9a-f]+)(\/.*)?$/.exec(url.pathname);
    const raw = (await readBody(req, ARM_BODY_LIMIT)) ?? '';
    const rec = m ? world.clusterByKubeToken(m[1]) : undefined;
    if (!m || !rec) return sendJson(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `no simulated cluster at ${url.pathname}` });
    let body: unknown;
    try {
      body = raw.trim() ? JSON.parse(raw) : undefined;
    } catch {
      return sendJson(res, 400, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'BadRequest', code: 400, message: 'the request body is not JSON' });
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const out = handleKube(world, rec, { method, path: m[2] ?? '/', query: url.searchParams, contentType: String(req.headers['content-type'] ?? ''), body });
    if (out.logged) {
      const principal = principalOf(req.headers.authorization);
      world.record({
        api: 'kubernetes',
        time: new Date().toISOString(),
        simTime: clock.iso(),
        principal: principal?.id ?? 'kubeconfig-user',
        method,
        resourceId: `${rec.resource.id}/kubernetes${out.logged.path}`,
        body,
        result: { status: out.status },
      });
    }
    sendJson(res, out.status, out.body);
  }

  const onError = (res: ServerResponse, e: unknown): void => {
    if (!res.headersSent && !res.destroyed) sendJson(res, 500, { error: { code: 'InternalServerError', message: `simulator error: ${(e as Error).message}` } });
  };
  const arm = createServer({ cert: tls.cert, key: tls.key }, (req, res) => void handleArm(req, res).catch((e) => onError(res, e)));
  const kube = createServer({ cert: tls.cert, key: tls.key }, (req, res) => void handleKubeHttp(req, res).catch((e) => onError(res, e)));
  track(arm, 'arm');
  track(kube, 'kubernetes');
  // Idle connections stay open 4 minutes of wall time, as Azure's load balancers keep them (idle timeout 4 min), not
  // Node's default 5 s: clients' keep-alive agents reuse them between bursts instead of a TLS handshake each time.
  for (const s of [arm, kube]) s.keepAliveTimeout = 240_000;
  const listen = (s: Server, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve((s.address() as AddressInfo).port));
    });
  const armPort = await listen(arm, options.port ?? 0);
  const kubePort = await listen(kube, 0);
  ctx.armEndpoint = `https://127.0.0.1:${armPort}`;
  ctx.kubeEndpoint = `https://127.0.0.1:${kubePort}`;

  let stopped = false;
  return {
    armEndpoint: ctx.armEndpoint,
    kubeEndpoint: ctx.kubeEndpoint,
    caCertPath,
    caCert: tls.caCert,
    world,
    faults,
    throttle,
    requests,
    kubeEndpointFor(clusterId: string) {
      const rec = world.clusters.get(armIdKey(clusterId));
      return rec ? `${ctx.kubeEndpoint}/clusters/${rec.kubeToken}` : undefined;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const closed = Promise.all([arm, kube].map((s) => new Promise<void>((r) => s.close(() => r()))));
      arm.closeAllConnections();
      kube.closeAllConnections();
      for (const s of sockets) s.destroy();
      await closed;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
