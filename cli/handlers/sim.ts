/**
 * `sim start` and `sim generate`: thin wrappers over sim/start.ts (simStartCommand) and
 * sim/generate.ts (generateFleet). Loaded only when one of them runs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateFleet } from '../../sim/generate';
import { sampleFleet } from '../../sim/sample-fleet';
import { simStartCommand } from '../../sim/start';
import { CLIError, FileArgumentError, UsageError } from '../errors';
import { validateReadableFile } from '../params';
import type { CommandHandler } from '../types';

/**
 * Runs the simulator until SIGINT/SIGTERM. simStartCommand prints the ready line itself (on ctx.stdout)
 * and reports its own failures as `error: …` lines with exit code 2 (bad options or snapshot) or 1;
 * those are turned into the CLI's typed errors so they print as one `ERROR:` line like every command.
 */
export const simStart: CommandHandler = async (args, ctx) => {
  let snapshot = typeof args.snapshot === 'string' ? validateReadableFile(args.snapshot, '--snapshot', ctx.cwd) : undefined;
  let tmp: string | undefined;
  if (args.sample === true) {
    // simStartCommand seeds from a file only: the sample fleet is written to a private temp file.
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-sample-'));
    snapshot = path.join(tmp, 'sample-fleet.json');
    fs.writeFileSync(snapshot, JSON.stringify(sampleFleet()));
  } else if (snapshot === undefined) {
    ctx.log.warning("the simulator starts with no clusters: seed it with POST <armEndpoint>/__sim/seed, or start it with '--snapshot FILE' or '--sample'");
  }
  const errors: string[] = [];
  let code: number;
  try {
    code = await simStartCommand(
      {
        snapshot,
        port: args.port as number,
        timeScale: args.timeScale as number,
        latencyMs: args.latencyMs as number,
        faults: args.faults as string | undefined,
        throttling: args.noThrottling === true ? false : undefined,
      },
      { stdout: { write: (t: string) => ctx.stdout(t) }, stderr: { write: (t: string) => errors.push(String(t)) } },
    );
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (code !== 0) {
    const line = errors.join(' ').replace(/^error:\s*/i, '').trim() || `the simulator stopped with exit code ${code}`;
    const shown = args.sample === true ? line.replace(snapshot ?? '', 'the sample fleet') : line;
    throw code === 2 ? new UsageError(shown) : new CLIError(shown, 'Run it again with --debug for details');
  }
  return undefined;
};

/** The snapshot of a synthetic fleet: returned (stdout, JSON) or written to --out. */
export const simGenerate: CommandHandler = async (args, ctx) => {
  const started = Date.now();
  let fleet;
  try {
    fleet = generateFleet({ clusters: args.clusters as number, subscriptions: args.subscriptions as number, seed: args.seed as string });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  ctx.log.info(`generated ${fleet.resources.length} resources in ${Date.now() - started} ms`);
  if (typeof args.out !== 'string') return fleet;
  const file = path.resolve(ctx.cwd, args.out);
  try {
    // Compact: a 10,000-cluster fleet is large, and the file is for programs.
    fs.writeFileSync(file, `${JSON.stringify(fleet)}\n`);
  } catch (e) {
    throw new FileArgumentError(`cannot write '${args.out}' given to '--out': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'Check that the directory exists and can be written');
  }
  ctx.log.info(`wrote ${file}`);
  return undefined;
};
