import { EventType, eventTypeName, type HistoryEvent } from './history';
import { type InstanceRow, type RuntimeStatus, terminalStatuses } from './instanceStore';
import { InstanceExistsError, type TaskHub, UnknownFunctionError } from './taskHub';

/**
 * The Durable extension's HTTP management API (HttpApiHandler): the public webhooks under
 * /runtime/webhooks/durabletask/ and the same operations under the client's rpcBaseUrl, with the
 * extension's status codes and payloads (docs/durable-local-host.md, "Management API shapes").
 */

export interface ManagementResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface ManagementUrls {
  /** e.g. http://127.0.0.1:P/runtime/webhooks/durabletask */
  webhookBase: string;
  taskHubName: string;
  functionKey: string;
}

const placeholder = 'INSTANCEID';
const runtimeStatuses: RuntimeStatus[] = ['Running', 'Completed', 'ContinuedAsNew', 'Failed', 'Canceled', 'Terminated', 'Pending', 'Suspended'];

/** ISO time without milliseconds, as the extension prints DateTime ("s" format + Z). */
function extensionTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

function parseJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined || text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function managementPayload(urls: ManagementUrls, instanceId: string): Record<string, string> {
  const q = `taskHub=${encodeURIComponent(urls.taskHubName)}&connection=Storage&code=${encodeURIComponent(urls.functionKey)}`;
  const i = `${urls.webhookBase}/instances/${encodeURIComponent(instanceId)}`;
  return {
    id: instanceId,
    statusQueryGetUri: `${i}?${q}`,
    sendEventPostUri: `${i}/raiseEvent/{eventName}?${q}`,
    terminatePostUri: `${i}/terminate?reason={text}&${q}`,
    rewindPostUri: `${i}/rewind?reason={text}&${q}`,
    purgeHistoryDeleteUri: `${i}?${q}`,
    restartPostUri: `${i}/restart?${q}`,
    suspendPostUri: `${i}/suspend?reason={text}&${q}`,
    resumePostUri: `${i}/resume?reason={text}&${q}`,
  };
}

/** The durableClient input binding value (OrchestrationClientInputData). */
export function durableClientData(urls: ManagementUrls, rpcBaseUrl: string): Record<string, unknown> {
  const managementUrls = managementPayload(urls, placeholder);
  return {
    taskHubName: urls.taskHubName,
    creationUrls: {
      createNewInstancePostUri: `${urls.webhookBase}/orchestrators/{functionName}[/{instanceId}]?code=${encodeURIComponent(urls.functionKey)}`,
      createAndWaitOnNewInstancePostUri: `${urls.webhookBase}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=${encodeURIComponent(urls.functionKey)}`,
    },
    managementUrls: { ...managementUrls, id: placeholder },
    baseUrl: urls.webhookBase,
    requiredQueryStringParameters: `code=${encodeURIComponent(urls.functionKey)}`,
    rpcBaseUrl,
  };
}

/** showHistory: the extension's condensed view (scheduling events folded into their completions). */
function historyView(events: HistoryEvent[], showOutput: boolean): unknown[] {
  const scheduled = new Map<number, HistoryEvent>();
  const out: unknown[] = [];
  for (const e of events) {
    const ts = extensionTime(typeof e.Timestamp === 'string' ? e.Timestamp : e.Timestamp.toISOString());
    switch (e.EventType) {
      case EventType.TaskScheduled:
      case EventType.SubOrchestrationInstanceCreated:
        scheduled.set(e.EventId, e);
        break;
      case EventType.OrchestratorStarted:
      case EventType.OrchestratorCompleted:
        break;
      case EventType.ExecutionStarted:
        out.push({ EventType: 'ExecutionStarted', FunctionName: e.Name, Timestamp: ts, ...(showOutput ? { Input: parseJson(e.Input) } : {}) });
        break;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed: {
        const s = scheduled.get(e.TaskScheduledId ?? -2);
        const view: Record<string, unknown> = { EventType: eventTypeName[e.EventType], FunctionName: s?.Name, ScheduledTime: s ? extensionTime(String(s.Timestamp)) : undefined, Timestamp: ts };
        if (e.EventType === EventType.SubOrchestrationInstanceCompleted || e.EventType === EventType.SubOrchestrationInstanceFailed) view.InstanceId = s?.InstanceId;
        if (showOutput && e.Result !== undefined) view.Result = parseJson(e.Result);
        if (e.Reason !== undefined) {
          view.Reason = e.Reason;
          view.Details = e.Details;
        }
        out.push(view);
        break;
      }
      case EventType.ExecutionCompleted:
        out.push({ EventType: 'ExecutionCompleted', OrchestrationStatus: e.OrchestrationStatus, Timestamp: ts, ...(showOutput ? { Result: parseJson(e.Result ?? null) } : {}) });
        break;
      case EventType.TimerCreated:
      case EventType.TimerFired:
        out.push({ EventType: eventTypeName[e.EventType], FireAt: e.FireAt, Timestamp: ts });
        break;
      case EventType.EventRaised:
        out.push({ EventType: 'EventRaised', Name: e.Name, Timestamp: ts, ...(showOutput ? { Input: parseJson(e.Input) } : {}) });
        break;
      default:
        out.push({ EventType: eventTypeName[e.EventType] ?? String(e.EventType), Timestamp: ts });
    }
  }
  return out;
}

export function statusBody(row: InstanceRow, opts: { showInput: boolean; history?: HistoryEvent[]; showHistoryOutput?: boolean }): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: row.name,
    instanceId: row.instance_id,
    runtimeStatus: row.status,
    input: opts.showInput ? parseJson(row.input) : null,
    customStatus: parseJson(row.custom_status),
    output: parseJson(row.output),
    createdTime: extensionTime(row.created_time),
    lastUpdatedTime: extensionTime(row.last_updated_time),
  };
  if (opts.history) body.historyEvents = historyView(opts.history, opts.showHistoryOutput ?? false);
  return body;
}

function flag(q: URLSearchParams, name: string, dflt: boolean): boolean {
  const v = q.get(name);
  return v === null ? dflt : v.toLowerCase() === 'true';
}

function parseStatuses(q: URLSearchParams): RuntimeStatus[] | undefined | Error {
  const raw = q.getAll('runtimeStatus').flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  if (raw.length === 0) return undefined;
  const out: RuntimeStatus[] = [];
  for (const r of raw) {
    const s = runtimeStatuses.find((x) => x.toLowerCase() === r.toLowerCase());
    if (!s) return new Error(`runtimeStatus '${r}' is not one of ${runtimeStatuses.join(', ')}.`);
    out.push(s);
  }
  return out;
}

function parseTime(q: URLSearchParams, name: string): string | undefined | Error {
  const v = q.get(name);
  if (!v) return undefined;
  const t = new Date(v);
  if (Number.isNaN(t.getTime())) return new Error(`${name} '${v}' is not a date; use ISO 8601, e.g. 2026-01-31T00:00:00Z.`);
  return t.toISOString();
}

/**
 * Handles a management request. `path` is relative to the API root ("instances/abc/terminate");
 * `body` is the raw request body.
 */
export async function handleManagement(
  hub: TaskHub,
  urls: ManagementUrls,
  method: string,
  path: string,
  query: URLSearchParams,
  headers: Record<string, string | undefined>,
  body: string,
): Promise<ManagementResponse> {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const json = (status: number, b: unknown, h: Record<string, string> = {}): ManagementResponse => ({ status, body: b, headers: { 'Content-Type': 'application/json; charset=utf-8', ...h } });
  const badRequest = (message: string) => json(400, { Message: message });

  // POST orchestrators/{functionName}[/{instanceId}]
  if (parts[0]?.toLowerCase() === 'orchestrators' && parts.length >= 2 && parts.length <= 3) {
    if (method !== 'POST') return json(405, { Message: 'Use POST to start an orchestration.' });
    let input: unknown = undefined;
    if (body.trim().length > 0) {
      try {
        input = JSON.parse(body);
      } catch {
        return badRequest('The request body is not valid JSON; send the orchestration input as JSON (or no body).');
      }
    }
    try {
      const id = hub.startNew(parts[1], parts[2], input);
      const payload = managementPayload(urls, id);
      // createAndWaitOnNewInstancePostUri: ?timeout=<s>&pollingInterval=<s> waits for the output
      const timeout = Number(query.get('timeout') ?? 0);
      if (timeout > 0) {
        const interval = Math.max(0.01, Number(query.get('pollingInterval') ?? 1)) * 1000;
        const deadline = Date.now() + timeout * 1000;
        for (;;) {
          const row = hub.getInstance(id);
          if (row && row.status === 'Completed') return json(200, parseJson(row.output));
          if (row && terminalStatuses.has(row.status)) return json(200, statusBody(row, { showInput: true }));
          if (Date.now() >= deadline) break;
          await new Promise((r) => setTimeout(r, Math.min(interval, Math.max(1, deadline - Date.now()))));
        }
      }
      return json(202, payload, { Location: payload.statusQueryGetUri, 'Retry-After': '10' });
    } catch (err) {
      if (err instanceof UnknownFunctionError) return badRequest(err.message);
      if (err instanceof InstanceExistsError) return json(409, { Message: err.message });
      throw err;
    }
  }

  if (parts[0]?.toLowerCase() !== 'instances') return json(404, { Message: `No Durable management route for ${method} ${path}.` });

  // instances (list / purge by filter)
  if (parts.length === 1) {
    const statuses = parseStatuses(query);
    const from = parseTime(query, 'createdTimeFrom');
    const to = parseTime(query, 'createdTimeTo');
    for (const v of [statuses, from, to]) if (v instanceof Error) return badRequest(v.message);
    const filter = { statuses: statuses as RuntimeStatus[] | undefined, createdFrom: from as string | undefined, createdTo: to as string | undefined, instanceIdPrefix: query.get('instanceIdPrefix') ?? undefined };
    if (method === 'GET') {
      const topRaw = query.get('top');
      const top = topRaw ? Number(topRaw) : 100;
      if (!Number.isInteger(top) || top <= 0) return badRequest(`top '${topRaw}' must be a positive integer.`);
      const token = headers['x-ms-continuation-token'];
      const offset = token ? Number(Buffer.from(token, 'base64').toString('utf8')) || 0 : 0;
      const rows = hub.queryInstances({ ...filter, limit: top + 1, offset });
      const page = rows.slice(0, top);
      const h: Record<string, string> = {};
      if (rows.length > top) h['x-ms-continuation-token'] = Buffer.from(String(offset + top)).toString('base64');
      const showInput = flag(query, 'showInput', false);
      return json(200, page.map((r) => statusBody(r, { showInput })), h);
    }
    if (method === 'DELETE') {
      const rows = hub.queryInstances({ ...filter, limit: 1_000_000, offset: 0 }).filter((r) => terminalStatuses.has(r.status));
      let deleted = 0;
      for (const r of rows) if (hub.purge(r.instance_id)) deleted++;
      return deleted > 0 ? json(200, { instancesDeleted: deleted }) : json(404, { instancesDeleted: 0 });
    }
    return json(405, { Message: 'Use GET to list instances or DELETE to purge them.' });
  }

  const instanceId = parts[1];
  if (parts.length === 2) {
    if (method === 'GET') {
      const row = hub.getInstance(instanceId);
      if (!row) return json(404, { Message: `No instance with ID '${instanceId}' found.` });
      const showHistory = flag(query, 'showHistory', false);
      const b = statusBody(row, { showInput: flag(query, 'showInput', true), history: showHistory ? hub.getHistory(instanceId) : undefined, showHistoryOutput: flag(query, 'showHistoryOutput', false) });
      const running = !terminalStatuses.has(row.status);
      return json(running ? 202 : 200, b, running ? { 'Retry-After': '10', Location: managementPayload(urls, instanceId).statusQueryGetUri } : {});
    }
    if (method === 'DELETE') {
      return hub.purge(instanceId) ? json(200, { instancesDeleted: 1 }) : json(404, { instancesDeleted: 0 });
    }
    return json(405, { Message: 'Use GET for status or DELETE to purge.' });
  }

  if (method !== 'POST') return json(405, { Message: `Use POST for ${parts[2]}.` });
  const op = parts[2].toLowerCase();
  const reason = query.get('reason') ?? '';
  let outcome: 'notFound' | 'gone' | 'accepted';
  switch (op) {
    case 'raiseevent': {
      if (parts.length !== 4) return badRequest('Use instances/{instanceId}/raiseEvent/{eventName}.');
      let data: unknown = null;
      if (body.trim().length > 0) {
        try {
          data = JSON.parse(body);
        } catch {
          return badRequest('The event data is not valid JSON.');
        }
      }
      outcome = hub.raiseEvent(instanceId, parts[3], data);
      break;
    }
    case 'terminate':
      outcome = hub.terminate(instanceId, reason);
      break;
    case 'suspend':
      outcome = hub.suspend(instanceId, reason);
      break;
    case 'resume':
      outcome = hub.resume(instanceId, reason);
      break;
    case 'restart': {
      try {
        const id = hub.restart(instanceId, flag(query, 'restartWithNewInstanceId', true));
        if (!id) return json(404, { Message: `No instance with ID '${instanceId}' found.` });
        const payload = managementPayload(urls, id);
        return json(202, payload, { Location: payload.statusQueryGetUri, 'Retry-After': '10' });
      } catch (err) {
        if (err instanceof InstanceExistsError) return json(409, { Message: err.message });
        throw err;
      }
    }
    case 'rewind':
      return json(501, { Message: 'rewind is not supported by the local host (it is deprecated in Durable Functions); restart the instance instead.' });
    default:
      return json(404, { Message: `Unknown operation '${parts[2]}'.` });
  }
  if (outcome === 'notFound') return json(404, { Message: `No instance with ID '${instanceId}' found.` });
  if (outcome === 'gone') return json(410, { Message: `The instance '${instanceId}' has already finished.` });
  return { status: 202 };
}
