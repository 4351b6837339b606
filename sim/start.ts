/**
 * `aksnet sim start`: seeds the simulator from a snapshot file, prints exactly one JSON line on stdout once
 * ready (`{"armEndpoint":"https://127.0.0.1:P","caCertPath":"...",...}`), and runs until SIGINT/SIGTERM
 * (or `until` resolves), then stops cleanly. The lead wires it into the CLI in one line.
 */
import { readFileSync } from 'node:fs';
import { SnapshotError } from '../shared/model/snapshot';
import { FaultSpecError } from './faults';
import { startSimulator } from './server';

export interface SimStartOptions {
  snapshot?: string;
  port?: number | string;
  timeScale?: number | string;
  latencyMs?: number | string;
  faults?: string;
  /** false (`--no-throttling`) turns ARM and Resource Graph throttling off. */
  throttling?: boolean;
}

export interface SimStartIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Resolves when the simulator should stop; defaults to the first SIGINT or SIGTERM. */
  until?: Promise<unknown>;
}

class UsageError extends Error {}

function num(name: string, value: number | string | undefined, check: (n: number) => boolean, hint: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} '${value}' is invalid: ${hint}`);
  return n;
}

function signals(): Promise<string> {
  return new Promise((resolve) => {
    const on = (s: string) => () => {
      process.off('SIGINT', int);
      process.off('SIGTERM', term);
      resolve(s);
    };
    const int = on('SIGINT');
    const term = on('SIGTERM');
    process.on('SIGINT', int);
    process.on('SIGTERM', term);
  });
}

/** Returns the process exit code: 0 after a clean stop, 1 on a start-up error, 2 on bad options. */
export async function simStartCommand(options: SimStartOptions, io: SimStartIo): Promise<number> {
  let snapshot: unknown;
  let port: number | undefined;
  let timeScale: number | undefined;
  let latencyMs: number | undefined;
  try {
    port = num('port', options.port, (n) => Number.isInteger(n) && n >= 0 && n < 65536, 'use a port number between 0 and 65535 (0 picks a free one)');
    timeScale = num('time-scale', options.timeScale, (n) => n > 0, 'use a positive number, e.g. 0.001 to run 20 simulated minutes in 1.2 s');
    latencyMs = num('latency-ms', options.latencyMs, (n) => n >= 0, 'use a non-negative number of milliseconds');
    if (options.snapshot) {
      let text: string;
      try {
        text = readFileSync(options.snapshot, 'utf8');
      } catch (e) {
        throw new UsageError(`--snapshot '${options.snapshot}' cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): give the path of a snapshot JSON file`);
      }
      try {
        snapshot = JSON.parse(text);
      } catch {
        throw new UsageError(`--snapshot '${options.snapshot}' is not JSON: give a snapshot file written by 'aksnet fleet snapshot' or 'aksnet sim generate'`);
      }
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const until = io.until ?? signals();
  let sim;
  try {
    sim = await startSimulator({ snapshot, port, timeScale, latencyMs, faults: options.faults, throttling: options.throttling });
  } catch (e) {
    if (e instanceof SnapshotError || e instanceof FaultSpecError) {
      io.stderr.write(`error: ${e instanceof SnapshotError ? `--snapshot '${options.snapshot}': ${e.message}` : `--faults: ${e.message}`}\n`);
      return 2;
    }
    io.stderr.write(`error: the simulator could not start: ${(e as Error).message}\n`);
    return 1;
  }
  io.stdout.write(
    `${JSON.stringify({
      armEndpoint: sim.armEndpoint,
      caCertPath: sim.caCertPath,
      kubeEndpoint: sim.kubeEndpoint,
      clusters: sim.world.clusters.size,
      timeScale: timeScale ?? 1,
      pid: process.pid,
    })}\n`,
  );
  await until;
  await sim.stop();
  return 0;
}
