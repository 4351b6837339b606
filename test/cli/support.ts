/** Runs the built CLI (`node bin/aksnet.js`) as a user would, and reads the hand-written fixtures. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBuilt, ROOT } from '../setup/build';

export { ensureBuilt, ROOT };

export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'cli');
/** Paths relative to the repository root, as a user in the repository would type them. */
export const FLEET = 'test/fixtures/cli/fleet.json';
export const SUB = '3f2c9a1e-7b4d-4c1a-9e2f-5a6b7c8d9e01';
export const clusterId = (rg: string, name: string): string =>
  `/subscriptions/${SUB}/resourcegroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stderr split into non-empty lines */
  errLines: string[];
}

export function aksnet(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): CliRun {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'aksnet.js'), ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  const stderr = r.stderr ?? '';
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr, errLines: stderr.split('\n').filter((l) => l.trim() !== '') };
}

/** Parses stdout as JSON, failing the test with the CLI's stderr when it is not. */
export function json<T = unknown>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${run.code}); stderr: ${run.stderr}\nstdout: ${run.stdout.slice(0, 500)}`);
  }
}

export function readFixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}

/** `az aks update --name x --resource-group y --flag value ...` → { '--name': 'x', ... } (our names carry no spaces). */
export function azFlags(command: string): { verb: string; flags: Record<string, string> } {
  const tokens = command.trim().split(/\s+/);
  const firstFlag = tokens.findIndex((t) => t.startsWith('--'));
  const flags: Record<string, string> = {};
  for (let i = firstFlag; i >= 0 && i < tokens.length; i++) {
    if (!tokens[i].startsWith('--')) continue;
    const next = tokens[i + 1];
    flags[tokens[i]] = next !== undefined && !next.startsWith('--') ? next : 'true';
  }
  return { verb: tokens.slice(0, firstFlag < 0 ? tokens.length : firstFlag).join(' '), flags };
}
