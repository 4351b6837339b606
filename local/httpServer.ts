import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fromTypedData, invokeFunction, type RpcHttp, type RpcHttpResponse, type TypedData } from './invoke';
import type { LoadedApp, RegisteredFunction } from './loadEntry';
import { handleManagement, type ManagementUrls } from './managementApi';
import { parseRouteTemplate, type RouteTemplate } from './routeTemplate';
import type { TaskHub } from './taskHub';

/**
 * The host's HTTP front door on 127.0.0.1:
 * - /api/<route>                              HTTP triggers (routePrefix "api", host.json)
 * - /runtime/webhooks/durabletask/...         Durable management API (function key required)
 * - /<rpc secret>/durabletask/...             the same API at the client's rpcBaseUrl (the extension
 *                                             serves it unauthenticated on a local port; here an
 *                                             unguessable path segment plays that role)
 * - /runtime/webhooks/eventgrid?functionName= Event Grid delivery (function key required)
 * - /admin/functions/<name>                   run a non-HTTP function now, like the host's admin API
 */

export interface FrontDoorOptions {
  app: LoadedApp;
  hub: TaskHub;
  functionKey: string;
  rpcSecret: string;
  taskHubName: string;
  log: (m: string) => void;
  /** Extra inputs for durableClient bindings, given the base URL once the port is known. */
  clientData: (baseUrl: string) => Record<string, unknown>;
}

interface HttpRoute {
  fn: RegisteredFunction;
  template: RouteTemplate;
  methods: Set<string> | undefined;
  authLevel: string;
}

export interface FrontDoor {
  baseUrl: string;
  close(): Promise<void>;
  /** Runs a non-HTTP function (timer, Event Grid) with its trigger payload; durableClient inputs filled. */
  invokeNonHttp(fn: RegisteredFunction, triggerData: TypedData): Promise<void>;
  /** The durableClient input values for a function (activities may have one too). */
  extraInputsFor(fn: RegisteredFunction): Record<string, TypedData>;
}

function keyMatches(given: string | undefined, key: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  let payload: Buffer | undefined;
  const h: Record<string, string> = { ...headers };
  if (body !== undefined && body !== null) {
    if (Buffer.isBuffer(body)) payload = body;
    else if (typeof body === 'string') payload = Buffer.from(body);
    else {
      payload = Buffer.from(JSON.stringify(body));
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json; charset=utf-8';
    }
  }
  res.writeHead(status, h);
  res.end(payload);
}

export async function startFrontDoor(port: number, o: FrontDoorOptions): Promise<FrontDoor> {
  const routes: HttpRoute[] = [];
  for (const fn of o.app.functions.values()) {
    if (fn.kind !== 'http') continue;
    const route = typeof fn.trigger.route === 'string' && fn.trigger.route.length > 0 ? fn.trigger.route : fn.name;
    const methods = Array.isArray(fn.trigger.methods) && fn.trigger.methods.length > 0 ? new Set((fn.trigger.methods as string[]).map((m) => m.toUpperCase())) : undefined;
    routes.push({ fn, template: parseRouteTemplate(route), methods, authLevel: String(fn.trigger.authLevel ?? 'anonymous').toLowerCase() });
  }
  // literal routes before parameterized ones, as ASP.NET routing orders them
  routes.sort((a, b) => (b.template.template.includes('{') ? 0 : 1) - (a.template.template.includes('{') ? 0 : 1));

  let baseUrl = '';
  const urls = (): ManagementUrls => ({ webhookBase: `${baseUrl}/runtime/webhooks/durabletask`, taskHubName: o.taskHubName, functionKey: o.functionKey });

  const extraInputsFor = (fn: RegisteredFunction): Record<string, TypedData> => {
    const extra: Record<string, TypedData> = {};
    for (const [name, b] of Object.entries(fn.bindings)) {
      if (b.direction === 'in' && (b.type === 'durableClient' || b.type === 'orchestrationClient')) extra[name] = { string: JSON.stringify(o.clientData(baseUrl)) };
    }
    return extra;
  };

  const invokeNonHttp = async (fn: RegisteredFunction, triggerData: TypedData): Promise<void> => {
    await invokeFunction(o.app, fn, { triggerData, extraInputs: extraInputsFor(fn) });
  };

  const handleHttpTrigger = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer): Promise<void> => {
    const sub = url.pathname.slice('/api'.length);
    const method = (req.method ?? 'GET').toUpperCase();
    let methodMismatch = false;
    for (const r of routes) {
      const params = r.template.match(sub);
      if (!params) continue;
      if (r.methods && !r.methods.has(method)) {
        methodMismatch = true;
        continue;
      }
      if (r.authLevel !== 'anonymous') {
        const given = url.searchParams.get('code') ?? (req.headers['x-functions-key'] as string | undefined);
        if (!keyMatches(given, o.functionKey)) {
          send(res, 401, undefined);
          return;
        }
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const query: Record<string, string> = {};
      for (const [k, v] of url.searchParams) query[k] = v;
      const rpc: RpcHttp = { method, url: url.href, headers, query, params, body: { bytes: new Uint8Array(body) } };
      try {
        const out = await invokeFunction(o.app, r.fn, { triggerData: { http: rpc }, extraInputs: extraInputsFor(r.fn) });
        const httpOut = (out.returnValue as { http?: RpcHttpResponse } | undefined)?.http ?? (out.outputData.find((d) => (d.data as { http?: unknown } | undefined)?.http)?.data as { http?: RpcHttpResponse } | undefined)?.http;
        if (!httpOut) {
          send(res, 204);
          return;
        }
        const value = fromTypedData(httpOut.body);
        const payload = value === undefined || value === null ? undefined : Buffer.isBuffer(value) ? value : typeof value === 'string' ? value : JSON.stringify(value);
        send(res, Number(httpOut.statusCode ?? 200), payload, httpOut.headers ?? {});
      } catch (err) {
        o.log(`HTTP function ${r.fn.name} failed: ${err instanceof Error ? err.stack : String(err)}`);
        send(res, 500);
      }
      return;
    }
    send(res, methodMismatch ? 405 : 404);
  };

  const handleEventGrid = async (res: http.ServerResponse, url: URL, headers: http.IncomingHttpHeaders, body: Buffer): Promise<void> => {
    const name = url.searchParams.get('functionName');
    if (!name) return send(res, 400, { Message: 'Add ?functionName=<Event Grid function> to the URL, as for the Functions host.' });
    const fn = o.app.functions.get(name);
    if (!fn || fn.kind !== 'eventGrid') return send(res, 404, { Message: `No Event Grid function named '${name}'.` });
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return send(res, 400, { Message: 'The body must be an Event Grid event or an array of events (JSON).' });
    }
    const events = Array.isArray(parsed) ? parsed : [parsed];
    if (String(headers['aeg-event-type'] ?? '').toLowerCase() === 'subscriptionvalidation') {
      const first = events[0] as { data?: { validationCode?: string } } | undefined;
      return send(res, 200, { validationResponse: first?.data?.validationCode });
    }
    for (const e of events) {
      if (!e || typeof e !== 'object') return send(res, 400, { Message: 'Each Event Grid event must be a JSON object with id, eventType, subject, eventTime and data.' });
    }
    try {
      for (const e of events) await invokeNonHttp(fn, { json: JSON.stringify(e) });
      send(res, 202);
    } catch (err) {
      o.log(`Event Grid function ${name} failed: ${err instanceof Error ? err.stack : String(err)}`);
      send(res, 500);
    }
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', baseUrl || 'http://127.0.0.1');
      const body = await readBody(req);
      const path = url.pathname;
      const method = (req.method ?? 'GET').toUpperCase();
      // The Functions host answers a path with broken percent-encoding with 400 before any function runs.
      try {
        decodeURIComponent(path);
      } catch {
        return send(res, 400, { Message: 'The request path has invalid percent-encoding.' });
      }
      const keyOk = () => keyMatches(url.searchParams.get('code') ?? (req.headers['x-functions-key'] as string | undefined), o.functionKey);
      const rpcPrefix = `/${o.rpcSecret}/durabletask/`;
      const mgmtPrefix = '/runtime/webhooks/durabletask/';
      if (path.startsWith(rpcPrefix) || path.startsWith(mgmtPrefix)) {
        if (path.startsWith(mgmtPrefix) && !keyOk()) return send(res, 401);
        const rel = path.slice(path.startsWith(rpcPrefix) ? rpcPrefix.length : mgmtPrefix.length);
        const headers: Record<string, string | undefined> = {};
        for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v[0] : v;
        const r = await handleManagement(o.hub, urls(), method, rel, url.searchParams, headers, body.toString('utf8'));
        return send(res, r.status, r.body, r.headers);
      }
      if (path === '/runtime/webhooks/eventgrid') {
        if (!keyOk()) return send(res, 401);
        if (method !== 'POST') return send(res, 405);
        return handleEventGrid(res, url, req.headers, body);
      }
      const admin = /^\/admin\/functions\/([^/]+)$/.exec(path);
      if (admin) {
        if (!keyOk()) return send(res, 401);
        const fn = o.app.functions.get(decodeURIComponent(admin[1]));
        if (!fn || fn.kind === 'http' || fn.kind === 'orchestration' || fn.kind === 'activity') return send(res, 404, { Message: `No timer or Event Grid function named '${admin[1]}'.` });
        let input = '';
        try {
          input = String((JSON.parse(body.toString('utf8') || '{}') as { input?: unknown }).input ?? '');
        } catch {
          return send(res, 400, { Message: 'Send {"input": "..."} as the body.' });
        }
        const payload: TypedData =
          fn.kind === 'timer'
            ? { json: JSON.stringify({ Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: false }) }
            : { json: input || '{}' };
        void invokeNonHttp(fn, payload).catch((err) => o.log(`function ${fn.name} failed: ${err instanceof Error ? err.message : String(err)}`));
        return send(res, 202);
      }
      if (path === '/api' || path.startsWith('/api/')) return handleHttpTrigger(req, res, url, body);
      if (path === '/' || path === '/admin/host/status') return send(res, 200, { state: 'Running', version: 'aksnet-local' });
      return send(res, 404);
    })().catch((err) => {
      o.log(`request failed: ${err instanceof Error ? err.stack : String(err)}`);
      if (!res.headersSent) send(res, 500);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    invokeNonHttp,
    extraInputsFor,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
