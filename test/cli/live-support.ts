/**
 * Helpers for the live CLI tests: the built binary run asynchronously (the simulator these tests start
 * in-process must keep serving while the CLI runs, which spawnSync would block), and long-running
 * commands (`sim start`, `host start`) read up to their ready line, then signalled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ManagedClusterResource } from '../../shared/model/arm';
import type { Snapshot } from '../../shared/model/snapshot';
import { startSimulator, type RunningSimulator } from '../../sim/server';
import type { CliRun } from './support';
import { ROOT } from './support';

export const BIN = path.join(ROOT, 'bin', 'aksnet.js');

export function aksnetAsync(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? -1 : -1), stdout, stderr, errLines: stderr.split('\n').filter((l) => l.trim() !== '') });
    });
  });
}

export interface Server<T> {
  child: ChildProcess;
  ready: T;
  /** Everything on stdout so far (the ready line and anything after it). */
  stdout(): string;
  stderr(): string;
  /** Sends the signal and resolves with the exit code (null if killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `aksnet <args>` and resolves once it printed its first stdout line (parsed as JSON). */
export function startServer<T>(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Server<T>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let done = false;
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      child.kill('SIGKILL');
      reject(new Error(`'aksnet ${args.join(' ')}' printed no ready line in time; stderr: ${err}`));
    }, opts.timeoutMs ?? 20_000);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (done || !out.includes('\n')) return;
      done = true;
      clearTimeout(timer);
      try {
        const ready = JSON.parse(out.slice(0, out.indexOf('\n'))) as T;
        resolve({
          child,
          ready,
          stdout: () => out,
          stderr: () => err,
          stop: (signal = 'SIGTERM') => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
            return exited.finally(() => clearTimeout(guard));
          },
        });
      } catch (e) {
        child.kill('SIGKILL');
        reject(new Error(`first stdout line is not JSON: ${out}; stderr: ${err} (${String(e)})`));
      }
    });
    child.on('exit', (code) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`'aksnet ${args.join(' ')}' exited (${code}) before its ready line; stderr: ${err}`));
    });
  });
}

/** A generated fleet written by `aksnet sim generate`, and a simulator (in-process) seeded with it. */
export interface LiveFleet {
  dir: string;
  fleetFile: string;
  fleet: Snapshot;
  subs: string[];
  sim: RunningSimulator;
  /** Environment pointing the CLI at the simulator (AZURE_SUBSCRIPTION_ID cleared: no dependence on the machine). */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export const CLUSTER_TYPE = 'microsoft.containerservice/managedclusters';
export const clustersOf = (s: Snapshot): ManagedClusterResource[] => s.resources.filter((r) => r.type.toLowerCase() === CLUSTER_TYPE) as ManagedClusterResource[];
export const subArgs = (list: string[]): string[] => list.flatMap((s) => ['--subscription', s]);

export async function liveFleet(clusters: number, subscriptions: number, seed: string): Promise<LiveFleet> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-live-'));
  const fleetFile = path.join(dir, 'fleet.json');
  const gen = await aksnetAsync(['sim', 'generate', '--clusters', String(clusters), '--subscriptions', String(subscriptions), '--seed', seed, '--out', fleetFile]);
  if (gen.code !== 0 || gen.stdout !== '' || gen.stderr !== '') throw new Error(`sim generate failed (${gen.code}): ${gen.stderr}`);
  const fleet = JSON.parse(fs.readFileSync(fleetFile, 'utf8')) as Snapshot;
  const subs = [...new Set(clustersOf(fleet).map((c) => c.id.split('/')[2]))];
  const sim = await startSimulator({ snapshot: fleet, port: 0 });
  return {
    dir,
    fleetFile,
    fleet,
    subs,
    sim,
    env: { AKSNET_ARM_ENDPOINT: sim.armEndpoint, AKSNET_CA_CERT: sim.caCertPath, AZURE_SUBSCRIPTION_ID: '' },
    close: async () => {
      await sim.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The simulator logged no write, and every ARM call but GET was listClusterUserCredential (a POST that changes nothing). */
export function expectReadsOnly(sim: RunningSimulator): void {
  expect(sim.world.log).toEqual([]);
  const notGet = Object.entries(sim.requests.byResource).flatMap(([p, methods]) => Object.keys(methods).filter((m) => m !== 'GET').map((m) => `${m} ${p.replace(/^.*\/managedclusters\/[^/]+/, '')}`));
  expect(new Set(notGet)).toEqual(new Set(['POST /listclusterusercredential']));
}
