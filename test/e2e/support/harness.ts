/**
 * The real Functions app (functions/index.ts + the issue 6 triggers) on the local host, its dependencies built
 * from app settings exactly as in production (createDependenciesFromEnvironment: the gateway's SDK clients
 * against the simulator over HTTPS, SQLite results + decisions in a temp file), and helpers that call it over
 * HTTP as a pipeline would. Test files must `jest.mock('@azure/functions-core', …)` themselves (hoisting).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startHost, type RunningHost, type StartHostOptions } from '../../../local/host';
import { startSimulator, type RunningSimulator } from '../../../sim/server';
import type { ArmResource } from '../../../shared/model/arm';
import { snapshotOf } from '../../support/arm';

export interface Harness {
  sim: RunningSimulator;
  host: RunningHost;
  dir: string;
  /** Calls the app over HTTP with the function key (unless `key: null`). */
  call(method: string, pathAndQuery: string, options?: { body?: string | object; key?: string | null; headers?: Record<string, string> }): Promise<{ status: number; body: Record<string, unknown>; text: string; headers: Headers }>;
  /** Instances the task hub holds, read through the Durable management API. */
  instances(): Promise<Array<{ instanceId: string; name: string; runtimeStatus: string }>>;
  /** ARM and Kubernetes writes the simulator has seen. */
  writes(): Array<{ method: string; resourceId: string }>;
  close(): Promise<void>;
}

export async function startHarness(resources: ArmResource[], options: { env?: Record<string, string>; host?: Partial<StartHostOptions>; timeScale?: number; faults?: string } = {}): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'aksnet-e2e-'));
  const sim = await startSimulator({ snapshot: snapshotOf(resources), timeScale: options.timeScale ?? 0.0005, throttling: false, ...(options.faults ? { faults: options.faults } : {}) });
  let host: RunningHost;
  try {
    host = await startHost({
      entry: path.join(__dirname, '..', '..', '..', 'functions', 'index.ts'),
      clockScale: 1000,
      timers: false,
      log: () => undefined,
      ...options.host,
      env: { AKSNET_ARM_ENDPOINT: sim.armEndpoint, AKSNET_CA_CERT: sim.caCertPath, AKSNET_RESULTS_DB: path.join(dir, 'results.db'), ...options.env },
    });
  } catch (err) {
    await sim.stop();
    throw err;
  }
  const call: Harness['call'] = async (method, pathAndQuery, o = {}) => {
    const headers: Record<string, string> = { ...(o.key === null ? {} : { 'x-functions-key': o.key ?? host.functionKey }), ...o.headers };
    let body: string | undefined;
    if (o.body !== undefined) {
      body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${host.baseUrl}${pathAndQuery}`, { method, headers, body });
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // not JSON: the test reads `text`
    }
    return { status: res.status, body: parsed, text, headers: res.headers };
  };
  return {
    sim,
    host,
    dir,
    call,
    async instances() {
      const res = await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/instances`, { headers: { 'x-functions-key': host.functionKey } });
      if (res.status !== 200) throw new Error(`management API answered ${res.status}`);
      return (await res.json()) as Array<{ instanceId: string; name: string; runtimeStatus: string }>;
    },
    writes: () => sim.world.log.filter((e) => e.method !== 'GET').map((e) => ({ method: e.method, resourceId: e.resourceId })),
    async close() {
      await host.stop();
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `ok` returns a value (not undefined/false), or fails naming what it waited for. */
export async function until<T>(what: string, ok: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await ok();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
