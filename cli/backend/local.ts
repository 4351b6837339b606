/**
 * The backend a command starts for itself when no `--backend` / AKSNET_BACKEND is given: the local
 * Functions/Durable host (local/host.ts) in this process, serving the built app (dist/functions/index.js), with
 * its task hub and results in a temporary directory removed when the command ends (kept, for a resume, when a
 * second Ctrl-C stops the command before its run ended: cli/handlers/rolloutRun.ts FollowInterrupt).
 *
 * The host needs an ARM endpoint: the simulator when AKSNET_ARM_ENDPOINT and AKSNET_CA_CERT are set (what
 * `aksnet sim start` prints), otherwise real Azure with DefaultAzureCredential — the same switch as every live
 * command (shared/azure/target.ts). AKSNET_CLOCK_SCALE speeds the host's durable timers up (use 1/timeScale
 * of the simulator so its polls keep pace with the simulated operations).
 *
 * The client talks to the host over HTTP with the host's function key: the same API, routes and code path as
 * `--backend https://<app>` in Azure.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startHost, type RunningHost } from '../../local/host';
import { ARM_ENDPOINT_ENV, CA_CERT_ENV } from '../../shared/azure/target';
import { RESULTS_DB_SETTING } from '../../functions/dependencies';
import { CLIError } from '../errors';
import { clockScaleFrom } from '../params';
import { BackendClient, httpTransport } from './client';

/** dist/functions/index.js next to this build of the CLI (dist/cli/backend/local.js). */
export const BUILT_ENTRY = path.resolve(__dirname, '..', '..', 'functions', 'index.js');

export interface EmbeddedBackend {
  client: BackendClient;
  host: RunningHost;
  /** Where the ARM calls go, for the log. */
  arm: string;
  /** The temporary directory of the host's state: the task hub (hub.db) and the results (results.db). */
  dir: string;
  /** The command line that serves this state again (a host of its own that picks the runs up where they stopped). */
  resumeCommand: string;
  /**
   * Stops the host and removes its directory — unless `keepState`: a run that has not ended must not lose its
   * record (Ctrl-C twice, cli/handlers/rolloutRun.ts), so the directory stays for `resumeCommand`.
   */
  stop(options?: { keepState?: boolean }): Promise<void>;
}

export interface EmbeddedOptions {
  env: NodeJS.ProcessEnv;
  /** Durable timers this many times faster (default AKSNET_CLOCK_SCALE or 1). */
  clockScale?: number;
  /** Host log lines (default: dropped). */
  log?: (line: string) => void;
  entry?: string;
}

function entryFrom(options: EmbeddedOptions): string {
  const entry = options.entry ?? options.env.AKSNET_FUNCTIONS_ENTRY?.trim() ?? BUILT_ENTRY;
  if (!fs.existsSync(entry)) throw new CLIError(`the Functions app is not built: ${entry} does not exist`, "Run 'npm run build', or pass '--backend URL' of a running host");
  return entry;
}

export async function startEmbeddedBackend(options: EmbeddedOptions): Promise<EmbeddedBackend> {
  const entry = entryFrom(options);
  const clockScale = options.clockScale ?? clockScaleFrom(options.env);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aksnet-'));
  const resultsDb = path.join(dir, 'results.db');
  const appSettings: Record<string, string> = { [RESULTS_DB_SETTING]: resultsDb };
  for (const k of [ARM_ENDPOINT_ENV, CA_CERT_ENV]) {
    const v = options.env[k];
    if (v) appSettings[k] = v;
  }
  // The app tells the simulator its clock scale, so an operation's Retry-After comes in the host's seconds.
  if (clockScale !== 1) appSettings.AKSNET_CLOCK_SCALE = String(clockScale);
  let host: RunningHost;
  try {
    host = await startHost({ entry, db: path.join(dir, 'hub.db'), clockScale, env: appSettings, timers: false, log: options.log ?? (() => undefined) });
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new CLIError(`the local host could not start: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`, "Run 'npm run build', or pass '--backend URL' of a running host");
  }
  const transport = httpTransport(host.baseUrl, { key: host.functionKey });
  const arm = appSettings[ARM_ENDPOINT_ENV] ? `the simulator at ${appSettings[ARM_ENDPOINT_ENV]}` : 'Azure (DefaultAzureCredential)';
  let stopped = false;
  return {
    client: new BackendClient(transport, { url: host.baseUrl, describe: `the local host ${host.baseUrl}`, sends: { key: true, token: false } }),
    host,
    arm,
    dir,
    // The app settings the host had, as `aksnet host start` takes them (from the environment; ARM endpoint and CA
    // certificate are the caller's own, so the same shell has them).
    resumeCommand: `${RESULTS_DB_SETTING}=${resultsDb} aksnet host start --db ${path.join(dir, 'hub.db')}`,
    stop: async (stopOptions) => {
      if (stopped) return;
      stopped = true;
      await host.stop();
      if (!stopOptions?.keepState) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
