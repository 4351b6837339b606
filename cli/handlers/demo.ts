/**
 * `aksnet demo` (`npm start`): the main job end to end on this machine. Starts the AKS simulator in-process with
 * the sample fleet (sim/sample-fleet.ts: kubenet, node subnet, dynamic IP, Overlay, NAP Auto, Windows, policy
 * engines, blocked cases), the local Functions host on the built app with a temporary SQLite task hub, runs a
 * staged rollout to overlay+cilium through the HTTP API (canary of 2, then the rest 4 at a time after an
 * approval the demo gives itself and logs), shows progress on stderr, prints the per-cluster table, writes the
 * report (JSON) and stops everything.
 *
 * Time: the simulator runs at 1/1200 of real time (a 20-minute reimage takes 1 s) and the host's durable timers
 * 1200 times faster, so the workflow's polls (5–300 s) keep pace with the simulated operations.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { armIdKey } from '../../shared/arm/id';
import type { RolloutSpec } from '../../shared/rollout/spec';
import { startSimulator, type RunningSimulator } from '../../sim/server';
import { sampleFleet, SAMPLE_SUBSCRIPTIONS } from '../../sim/sample-fleet';
import { ARM_ENDPOINT_ENV, CA_CERT_ENV } from '../../shared/azure/target';
import { hasEnded } from '../backend/client';
import { startEmbeddedBackend, type EmbeddedBackend } from '../backend/local';
import { CLIError } from '../errors';
import type { CommandHandler } from '../types';
import { rolloutView, waitForRollout } from './rolloutRun';
import type { RolloutView } from '../backend/views';

/** Simulated seconds per real second (the simulator's timeScale is its inverse). */
export const DEMO_SPEEDUP = 1200;
/** The demo gives up (and cancels) after this long: `npm start` must end in under 2 minutes. */
const DEMO_TIMEOUT_MS = 100_000;

export function demoSpec(): RolloutSpec {
  return {
    name: 'demo-overlay-cilium',
    target: 'overlay+cilium',
    selector: { subscriptions: [...SAMPLE_SUBSCRIPTIONS] },
    podCidr: { policy: 'plan' },
    stages: [
      { name: 'canary', count: 2, maxConcurrency: 2 },
      { name: 'rest', maxConcurrency: 4, approval: true },
    ],
    failureBudget: { total: 2 },
  };
}

export interface DemoChecks {
  /** ARM or Kubernetes writes that reached a cluster the rollout recorded as blocked or compliant (must be 0). */
  writesToUntouchedClusters: number;
  /** Clusters that had NAP Auto before, and their mode now (must all be Auto). */
  napModes: Record<string, string>;
}

function checks(sim: RunningSimulator, view: RolloutView, napBefore: Map<string, string>): DemoChecks {
  const untouched = new Set(view.clusters.filter((c) => c.result === 'blocked' || c.result === 'compliant').map((c) => armIdKey(c.id)));
  const writes = sim.world.log.filter((e) => e.method !== 'GET' && [...untouched].some((k) => e.resourceId.toLowerCase().startsWith(k)));
  const napModes: Record<string, string> = {};
  for (const [key, name] of napBefore) napModes[name] = String(sim.world.clusters.get(key)?.resource.properties?.nodeProvisioningProfile?.mode ?? 'unknown');
  return { writesToUntouchedClusters: writes.length, napModes };
}

export const demo: CommandHandler = async (args, ctx) => {
  // The demo is watched: its progress goes to stderr whether or not it is a terminal (results stay on stdout).
  const say = (line: string): void => void process.stderr.write(`${line}\n`);
  const t0 = Date.now();
  const elapsed = (): string => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  let sim: RunningSimulator | undefined;
  let backend: EmbeddedBackend | undefined;
  try {
    const fleet = sampleFleet();
    sim = await startSimulator({ snapshot: fleet, timeScale: 1 / DEMO_SPEEDUP });
    say(`[${elapsed()}] simulator: ${sim.world.clusters.size} clusters in ${SAMPLE_SUBSCRIPTIONS.length} subscriptions at ${sim.armEndpoint} (a 20-minute reimage takes ${(1200 / DEMO_SPEEDUP).toFixed(1)} s)`);
    const napBefore = new Map<string, string>();
    for (const [key, c] of sim.world.clusters) if (c.resource.properties?.nodeProvisioningProfile?.mode === 'Auto') napBefore.set(key, c.resource.name ?? key);

    backend = await startEmbeddedBackend({ env: { ...ctx.env, [ARM_ENDPOINT_ENV]: sim.armEndpoint, [CA_CERT_ENV]: sim.caCertPath }, clockScale: DEMO_SPEEDUP, log: (l) => ctx.log.debug(l) });
    say(`[${elapsed()}] local host: ${backend.host.baseUrl} (${backend.host.functions.length} functions)`);

    const spec = demoSpec();
    const client = backend.client;
    const started = await client.startRollout(spec);
    say(`[${elapsed()}] rollout ${started.id}: ${spec.target}, stages ${spec.stages.map((s) => `${s.name}${s.count ? ` (${s.count})` : ''} x${s.maxConcurrency}${s.approval ? ' after approval' : ''}`).join(' → ')}`);

    const deadline = Date.now() + DEMO_TIMEOUT_MS;
    const progress = (line: string): void => say(`[${elapsed()}] ${line}`);
    const waitOptions = { intervalMs: 200, progress, notice: () => undefined, until: ['waitingForApproval', 'halted'] };
    let last = await waitForRollout(client, started.id, { ...waitOptions, timeoutMs: DEMO_TIMEOUT_MS });
    while (last.status === 'waitingForApproval' || last.status === 'halted') {
      const was = last.status;
      if (was === 'halted') {
        say(`[${elapsed()}] halted by the failure budget (${last.haltReason ?? 'failures'}): the demo cancels the rollout`);
        await client.action(started.id, 'cancel', { reason: 'demo: failure budget spent' });
      } else {
        const stage = last.waitingApprovals[0]?.stage ?? last.currentStage ?? '';
        say(`[${elapsed()}] stage '${stage}' waits for approval → approved by the demo (aksnet rollout approve --id ${started.id} --stage ${stage})`);
        await client.action(started.id, 'approve', { stage });
      }
      // Until the event is taken, the status still reads as before: wait for it to move on, then follow again.
      while (!hasEnded(last) && last.status === was && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        last = await client.getRollout(started.id);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new CLIError(`the demo rollout did not finish within ${DEMO_TIMEOUT_MS / 1000} s (status ${last.status})`, 'Run it again with --debug to see the host log');
      last = await waitForRollout(client, started.id, { ...waitOptions, until: was === 'halted' ? [] : waitOptions.until, timeoutMs: left });
    }
    const view = await rolloutView(client, started.id, last);
    const result = { ...view, checks: checks(sim, view, napBefore) };

    const dir = path.resolve(ctx.cwd, typeof args.reportDir === 'string' ? args.reportDir : path.join('.aksnet', 'reports'));
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${view.id.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
    fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    const report = path.relative(ctx.cwd, file) || file;
    say(`[${elapsed()}] rollout ${view.status}; nothing written to blocked or compliant clusters: ${result.checks.writesToUntouchedClusters === 0 ? 'yes' : `NO (${result.checks.writesToUntouchedClusters} writes)`}; NAP back to Auto: ${Object.entries(result.checks.napModes).map(([n, m]) => `${n} ${m}`).join(', ') || 'no NAP cluster'}`);
    if (view.runtimeStatus !== 'Completed' || view.clusters.some((c) => c.result === 'failed') || result.checks.writesToUntouchedClusters > 0) {
      ctx.failAfterOutput(new CLIError(`the demo rollout did not end cleanly (${view.status})`, `See ${report}`));
    }
    return { ...result, report };
  } finally {
    await backend?.stop();
    await sim?.stop();
  }
};
