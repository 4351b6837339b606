import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { type RunningHost, startHost } from './host';

/**
 * `node dist/local/main.js --entry dist/functions/index.js [--port P] [--db FILE] [--clock-scale K]
 *  [--max-concurrent-activities N] [--function-key KEY]`
 * Prints exactly one JSON line on stdout once ready, logs on stderr, runs until SIGINT/SIGTERM.
 * `hostStartCommand` is the same thing for the CLI's `aksnet host start`.
 */

export interface HostStartOptions {
  entry?: string;
  port?: number | string;
  db?: string;
  clockScale?: number | string;
  maxConcurrentActivities?: number | string;
  functionKey?: string;
}

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export class HostUsageError extends Error {
  readonly exitCode = 2;
}

function toNumber(name: string, v: number | string | undefined, check: (n: number) => boolean, hint: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || !check(n)) throw new HostUsageError(`--${name} '${v}' is invalid: ${hint}`);
  return n;
}

/** The app setting of the results, locks and decisions database (functions/dependencies.ts RESULTS_DB_SETTING; local/ does not import functions/). */
const RESULTS_DB_SETTING = 'AKSNET_RESULTS_DB';

/**
 * Where per-cluster results, cluster locks and remediation decisions go when the task hub is a file and
 * AKSNET_RESULTS_DB is not set: a file beside it (hub.db → hub.results.db). In memory they would be lost with the
 * process, and a host restarted mid-rollout would find its stage batches empty. Undefined for an in-memory hub.
 */
export function defaultResultsDb(db: string | undefined): string | undefined {
  if (!db || db === ':memory:') return undefined;
  const ext = path.extname(db);
  return path.join(path.dirname(db), `${path.basename(db, ext)}.results${ext || '.db'}`);
}

/**
 * The app settings the host adds: where results go, and the clock scale the app tells the simulator (so an
 * operation's Retry-After comes in the host's seconds, docs/simulator.md; without it the app polls as if on wall time).
 */
export function hostAppSettings(resultsDb: string | undefined, clockScale: number | undefined): Record<string, string> {
  return {
    ...(resultsDb ? { [RESULTS_DB_SETTING]: resultsDb } : {}),
    ...(clockScale !== undefined && clockScale !== 1 ? { AKSNET_CLOCK_SCALE: String(clockScale) } : {}),
  };
}

/**
 * Starts the host and prints the ready line. Resolves with the running host and a promise that
 * settles when SIGINT/SIGTERM stopped it (the caller exits after `stopped`).
 */
export async function hostStartCommand(options: HostStartOptions, io: CommandIo): Promise<{ host: RunningHost; stopped: Promise<void> }> {
  const entry = options.entry ?? process.env.AKSNET_FUNCTIONS_ENTRY ?? 'dist/functions/index.js';
  const port = toNumber('port', options.port, (n) => Number.isInteger(n) && n >= 0 && n < 65536, 'use a TCP port 0-65535 (0 picks a free one).');
  const clockScale = toNumber('clock-scale', options.clockScale, (n) => n > 0, 'use a positive factor, e.g. 1000.');
  const maxConcurrentActivities = toNumber('max-concurrent-activities', options.maxConcurrentActivities, (n) => Number.isInteger(n) && n > 0, 'use a positive integer, e.g. 10.');
  const log = (m: string) => io.stderr.write(`[aksnet host] ${m}\n`);
  const resultsDb = process.env[RESULTS_DB_SETTING] || defaultResultsDb(options.db);
  const host = await startHost({
    entry,
    port,
    db: options.db ?? ':memory:',
    clockScale,
    maxConcurrentActivities,
    functionKey: options.functionKey,
    log,
    env: hostAppSettings(resultsDb, clockScale),
  });
  io.stdout.write(
    JSON.stringify({
      baseUrl: host.baseUrl,
      functionKey: host.functionKey,
      taskHub: host.taskHubName,
      db: options.db ?? ':memory:',
      resultsDb: resultsDb ?? ':memory:',
      pid: process.pid,
      functions: host.functions,
    }) + '\n',
  );
  log(`ready on ${host.baseUrl} with ${host.functions.length} functions`);
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      log(`${signal}: stopping`);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      host.stop().then(resolve, (err) => {
        log(`stop failed: ${err instanceof Error ? err.message : String(err)}`);
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return { host, stopped };
}

async function main(): Promise<void> {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      options: {
        entry: { type: 'string' },
        port: { type: 'string' },
        db: { type: 'string' },
        'clock-scale': { type: 'string' },
        'max-concurrent-activities': { type: 'string' },
        'function-key': { type: 'string' },
      },
      strict: true,
    }).values as Record<string, string | undefined>;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\nusage: node dist/local/main.js --entry dist/functions/index.js [--port P] [--db FILE] [--clock-scale K]\n`);
    process.exitCode = 2;
    return;
  }
  try {
    const { stopped } = await hostStartCommand(
      { entry: values.entry, port: values.port, db: values.db, clockScale: values['clock-scale'], maxConcurrentActivities: values['max-concurrent-activities'], functionKey: values['function-key'] },
      { stdout: process.stdout, stderr: process.stderr },
    );
    await stopped;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof HostUsageError ? 2 : 1;
  }
}

if (require.main === module) void main();
