/**
 * `host start`: a thin wrapper over local/main.ts (hostStartCommand). The host prints its ready line
 * on ctx.stdout; its own log lines are progress (stderr on a terminal, else only with --verbose).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { hostStartCommand, HostUsageError } from '../../local/main';
import { clockScaleFrom } from '../params';
import { CLIError, FileArgumentError, UsageError } from '../errors';
import type { CommandContext, CommandHandler } from '../types';

/** dist/functions/index.js next to this build of the CLI (dist/cli/handlers/host.js). */
export const BUILT_ENTRY = path.resolve(__dirname, '..', '..', 'functions', 'index.js');

function lines(write: (line: string) => void): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      pending += chunk.toString();
      let i;
      while ((i = pending.indexOf('\n')) >= 0) {
        write(pending.slice(0, i));
        pending = pending.slice(i + 1);
      }
      done();
    },
  });
}

function existingEntry(value: string, given: string, cwd: string): string {
  const file = path.resolve(cwd, value);
  if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) {
    throw new FileArgumentError(`the Functions app entry '${value}' given to '${given}' does not exist`, "Check the path, or build the app with 'npm run build'");
  }
  return file;
}

function entryFor(args: Record<string, unknown>, ctx: CommandContext): string {
  if (typeof args.entry === 'string') return existingEntry(args.entry, '--entry', ctx.cwd);
  const fromEnv = ctx.env.AKSNET_FUNCTIONS_ENTRY?.trim();
  if (fromEnv) return existingEntry(fromEnv, 'AKSNET_FUNCTIONS_ENTRY', ctx.cwd);
  if (!fs.existsSync(BUILT_ENTRY)) throw new CLIError(`the Functions app is not built: ${BUILT_ENTRY} does not exist`, "Run 'npm run build', or give the entry with '--entry FILE'");
  return BUILT_ENTRY;
}

export const hostStart: CommandHandler = async (args, ctx) => {
  const entry = entryFor(args, ctx);
  const db = typeof args.db === 'string' ? path.resolve(ctx.cwd, args.db) : undefined;
  // --clock-scale, else AKSNET_CLOCK_SCALE (as for the host a rollout command starts for itself), else 1.
  const clockScale = typeof args.clockScale === 'number' ? args.clockScale : clockScaleFrom(ctx.env);
  const log = (line: string): void => (ctx.stderrIsTTY ? ctx.progress(line) : ctx.log.info(line));
  // hostStartCommand prints the ready line BEFORE it listens for SIGINT/SIGTERM, so a signal sent as soon
  // as the line is read would kill the process with Node's default action. Listening first closes that
  // window: a signal that arrives early is remembered and handed to the host's own handler once it exists.
  let early: NodeJS.Signals | undefined;
  const remember = (signal: NodeJS.Signals): void => {
    early ??= signal;
  };
  process.on('SIGINT', remember);
  process.on('SIGTERM', remember);
  try {
    let started;
    try {
      started = await hostStartCommand({ entry, port: args.port as number, db, clockScale }, { stdout: lines((l) => ctx.stdout(`${l}\n`)), stderr: lines(log) });
    } catch (e) {
      if (e instanceof HostUsageError) throw new UsageError(e.message);
      throw new CLIError((e instanceof Error ? e.message : String(e)).split('\n')[0]);
    }
    if (early) process.emit(early, early);
    await started.stopped;
    return undefined;
  } finally {
    process.off('SIGINT', remember);
    process.off('SIGTERM', remember);
  }
};
