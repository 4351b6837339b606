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
  const host = await startHost({ entry, port, db: options.db ?? ':memory:', clockScale, maxConcurrentActivities, functionKey: options.functionKey, log });
  io.stdout.write(
    JSON.stringify({
      baseUrl: host.baseUrl,
      functionKey: host.functionKey,
      taskHub: host.taskHubName,
      db: options.db ?? ':memory:',
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
