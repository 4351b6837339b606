import { randomBytes } from 'node:crypto';
import type { HistoryEvent } from './history';
import { InstanceStore, type InstanceRow, terminalStatuses } from './instanceStore';
import { readHostJson } from './hostJson';
import { loadEntry, type RegisteredFunction } from './loadEntry';
import type { TypedData } from './invoke';
import { durableClientData, statusBody } from './managementApi';
import { startFrontDoor } from './httpServer';
import { type ClockAnchor, ScaledClock } from './scaledClock';
import { TaskHub } from './taskHub';
import { startTimerTriggers } from './timerTriggers';
import { hooksFor, setLogSink } from './functionsCore';

/**
 * startHost: the local Functions host + Durable extension in one call.
 * Loads the entry like the worker, opens the SQLite task hub, resumes whatever a previous process
 * left, serves HTTP on 127.0.0.1 and starts timer triggers.
 */

export interface StartHostOptions {
  /** Compiled functions entry (e.g. dist/functions/index.js); .ts works under jest. */
  entry: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** SQLite file; ':memory:' (default) keeps nothing. */
  db?: string;
  /** Durable timers run this many times faster (orchestrations see scaled time). Default 1. */
  clockScale?: number;
  /** Default: host.json durableTask.maxConcurrentActivityFunctions (the nearest host.json above the entry), else 10. */
  maxConcurrentActivities?: number;
  /** The key for authLevel function/admin routes and the webhooks; random when omitted. */
  functionKey?: string;
  /** App settings added to process.env before the entry loads (like local.settings.json Values). */
  env?: Record<string, string>;
  taskHubName?: string;
  /** Override the Azure Storage timer limits (ms) the SDK splits long timers by. */
  maximumShortTimerMs?: number;
  longRunningTimerIntervalMs?: number;
  /** Start timer triggers (default true). */
  timers?: boolean;
  /** Log sink (default: stderr). */
  log?: (message: string) => void;
}

export interface InstanceStatus {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  customStatus: unknown;
  output: unknown;
  createdTime: string;
  lastUpdatedTime: string;
}

export interface HostClient {
  startNew(name: string, options?: { instanceId?: string; input?: unknown }): string;
  getStatus(instanceId: string): InstanceStatus | undefined;
  raiseEvent(instanceId: string, eventName: string, data?: unknown): string;
  terminate(instanceId: string, reason?: string): string;
  suspend(instanceId: string, reason?: string): string;
  resume(instanceId: string, reason?: string): string;
  /** The stored history of the current execution, as the extension writes it. */
  history(instanceId: string): HistoryEvent[];
  /** Polls until the instance is Completed/Failed/Terminated/Canceled (or the timeout passes). */
  waitForCompletion(instanceId: string, timeoutMs?: number): Promise<InstanceStatus>;
}

export interface RunningHost {
  baseUrl: string;
  functionKey: string;
  taskHubName: string;
  client: HostClient;
  hub: TaskHub;
  functions: string[];
  stop(): Promise<void>;
}

function toStatus(row: InstanceRow): InstanceStatus {
  return statusBody(row, { showInput: true }) as unknown as InstanceStatus;
}

export async function startHost(options: StartHostOptions): Promise<RunningHost> {
  const log = options.log ?? ((m: string) => process.stderr.write(`[aksnet host] ${m}\n`));
  setLogSink((level, category, message) => log(`${level} ${category}: ${message}`));
  for (const [k, v] of Object.entries(options.env ?? {})) process.env[k] = v;
  const maxConcurrentActivities = options.maxConcurrentActivities ?? readHostJson(options.entry).maxConcurrentActivityFunctions ?? 10;
  if (!Number.isInteger(maxConcurrentActivities) || maxConcurrentActivities < 1) {
    throw new Error(`maxConcurrentActivities must be a positive integer, got ${maxConcurrentActivities}; e.g. 10 (host.json maxConcurrentActivityFunctions).`);
  }
  const app = loadEntry(options.entry);
  const store = new InstanceStore(options.db ?? ':memory:');
  const storedAnchor = store.getMeta('clockAnchor');
  const clock = new ScaledClock(options.clockScale ?? 1, storedAnchor ? (JSON.parse(storedAnchor) as ClockAnchor) : undefined);
  store.setMeta('clockAnchor', JSON.stringify(clock.anchor));
  const taskHubName = options.taskHubName ?? process.env.AKSNET_TASK_HUB ?? 'aksnetlocal';
  const functionKey = options.functionKey ?? randomBytes(24).toString('base64url');
  const rpcSecret = randomBytes(16).toString('hex');
  // the durableClient values need the base URL, known once the front door listens
  const late: { extraInputsFor?: (fn: RegisteredFunction) => Record<string, TypedData> } = {};
  const hub = new TaskHub({
    app,
    store,
    clock,
    taskHubName,
    maxConcurrentActivities,
    maximumShortTimerMs: options.maximumShortTimerMs,
    longRunningTimerIntervalMs: options.longRunningTimerIntervalMs,
    log,
    extraInputsFor: (fn) => late.extraInputsFor?.(fn) ?? {},
  });
  const door = await startFrontDoor(options.port ?? 0, {
    app,
    hub,
    functionKey,
    rpcSecret,
    taskHubName,
    log,
    clientData: (baseUrl) =>
      durableClientData({ webhookBase: `${baseUrl}/runtime/webhooks/durabletask`, taskHubName, functionKey }, `${baseUrl}/${rpcSecret}/durabletask/`),
  });
  late.extraInputsFor = door.extraInputsFor;
  // durable-functions rewrites client URLs to localhost:7071 unless WEBSITE_HOSTNAME is set (getClient → correctClientData).
  process.env.WEBSITE_HOSTNAME ??= door.baseUrl.replace(/^http:\/\//, '');
  // app.hook.appStart runs once the app is loaded, before work is dispatched, as in the worker
  const appHookData: Record<string, unknown> = {};
  for (const hook of hooksFor('appStart')) await hook({ hookData: {}, appHookData, functionAppDirectory: process.cwd() });
  hub.start();
  const timerFns = [...app.functions.values()].filter((f) => f.kind === 'timer');
  const timers = options.timers === false ? undefined : startTimerTriggers(timerFns, (fn, payload) => door.invokeNonHttp(fn, { json: JSON.stringify(payload) }), log);

  const outcome = (r: string) => r;
  const client: HostClient = {
    startNew: (name, o) => hub.startNew(name, o?.instanceId, o?.input),
    getStatus: (id) => {
      const row = hub.getInstance(id);
      return row ? toStatus(row) : undefined;
    },
    raiseEvent: (id, name, data) => outcome(hub.raiseEvent(id, name, data ?? null)),
    terminate: (id, reason) => outcome(hub.terminate(id, reason ?? '')),
    suspend: (id, reason) => outcome(hub.suspend(id, reason ?? '')),
    resume: (id, reason) => outcome(hub.resume(id, reason ?? '')),
    history: (id) => hub.getHistory(id),
    waitForCompletion: async (id, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      // 5 ms at first, then up to 50 ms: a long wait does not spend the host's CPU on reading the row 200 times a second.
      for (let pause = 5; ; pause = Math.min(50, pause * 1.25)) {
        const row = hub.getInstance(id);
        if (row && terminalStatuses.has(row.status)) return toStatus(row);
        if (Date.now() > deadline) throw new Error(`Instance ${id} did not finish within ${timeoutMs} ms (status ${row?.status ?? 'not found'}).`);
        await new Promise((r) => setTimeout(r, pause));
      }
    },
  };

  let stopped = false;
  return {
    baseUrl: door.baseUrl,
    functionKey,
    taskHubName,
    client,
    hub,
    functions: [...app.functions.keys()],
    stop: async () => {
      if (stopped) return;
      stopped = true;
      timers?.stop();
      await hub.stop();
      for (const hook of hooksFor('appTerminate')) await hook({ hookData: {}, appHookData });
      await door.close();
      store.close();
    },
  };
}
