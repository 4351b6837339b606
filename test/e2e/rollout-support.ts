/**
 * Running the built CLI (`node bin/aksnet.js …`) as a child process from the CLI e2e tests (cli-rollout, cli-migrate,
 * rollout-*), and reading what the simulator saw: one copy of the set-up they all share.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from '../setup/build';
import type { Harness } from './support/harness';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/aksnet.js …` without blocking this process (the host under test runs in it). */
export function aksnet(args: string[], env: Record<string, string>, cwd: string, timeoutMs = 150_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'aksnet.js'), ...args], { cwd, env: { ...process.env, AKSNET_BACKEND: '', AKSNET_FUNCTION_KEY: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function parseJson<T>(r: Run): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}); stderr: ${r.stderr.slice(-1500)}\nstdout: ${r.stdout.slice(0, 500)}`);
  }
}

/** `rollout start|show -o json`: the issue's `{ id, status, stages, clusters }`. */
export interface RolloutView {
  id: string;
  status: string;
  stages: Array<{ name: string; status: string; size?: number }>;
  clusters: Array<{ id: string; name: string; result: string; reason?: string; steps: Array<{ step: string; status: string }>; findings: Array<{ rule: string; severity: string }>; error: { code?: string; message?: string } | null }>;
}

export const backendEnv = (h: Harness): Record<string, string> => ({ AKSNET_BACKEND: h.host.baseUrl, AKSNET_FUNCTION_KEY: h.host.functionKey });

const lower = (s: string): string => s.toLowerCase();

/** The simulator's ARM long-running operations on one cluster (its own and its pools'), with their simulated start and end. */
export function operationsOn(h: Harness, clusterId: string): Array<{ id: string; principal: string; kind: string; status: string; start: number; end: number }> {
  h.sim.world.settle();
  const key = lower(clusterId);
  return [...h.sim.world.operations.values()]
    .filter((op) => lower(op.resourceId) === key || lower(op.resourceId).startsWith(`${key}/`) || lower(op.clusterKey) === key)
    .map((op) => ({ id: op.id, principal: op.principal, kind: op.kind, status: op.status, start: op.startSim, end: op.endSim }));
}

/** Pairs of operations on one cluster whose [start, end) intervals overlap: must always be empty. */
export function overlapping(ops: Array<{ id: string; start: number; end: number }>): Array<[string, string]> {
  const sorted = [...ops].sort((a, b) => a.start - b.start);
  const out: Array<[string, string]> = [];
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length && sorted[j].start < sorted[i].end; j++) out.push([sorted[i].id, sorted[j].id]);
  }
  return out;
}

/** ARM and Kubernetes writes the simulator logged for one cluster (its id as prefix). */
export function writesTo(h: Harness, clusterId: string): Array<{ method: string; resourceId: string; status: number; time: string; body: unknown; principal: string }> {
  const key = lower(clusterId);
  return h.sim.world.log
    .filter((e) => e.method !== 'GET' && (lower(e.resourceId) === key || lower(e.resourceId).startsWith(`${key}/`)))
    .map((e) => ({ method: e.method, resourceId: e.resourceId, status: e.result.status, time: e.time, body: e.body, principal: e.principal }));
}

/** The cluster as the simulator stores it now (ARM state). */
export function armCluster(h: Harness, clusterId: string): { networkDataplane?: string; networkPolicy?: string; napMode?: string; provisioningState?: string } {
  const rec = h.sim.world.cluster(clusterId);
  if (!rec) throw new Error(`the simulator has no cluster ${clusterId}`);
  const p = rec.resource.properties as { networkProfile?: { networkDataplane?: string; networkPolicy?: string }; nodeProvisioningProfile?: { mode?: string }; provisioningState?: string };
  return { networkDataplane: p.networkProfile?.networkDataplane, networkPolicy: p.networkProfile?.networkPolicy, napMode: p.nodeProvisioningProfile?.mode, provisioningState: p.provisioningState };
}
