/**
 * Maintenance windows, end to end through the CLI: a spec window that is closed when the rollout starts → nothing is
 * written until it opens, and every operation starts inside it with room for the expected duration
 * (docs/rollout-spec.md `maintenanceWindow`; AKS's own maintenanceWindow shape, aks-facts § maintenance
 * configurations). Times: the local host runs durable timers 1000× faster than the wall clock, so the window opens
 * 6 host hours (≈ 22 s) after the start; the test maps the simulator's wall-clock write times onto the host clock.
 */
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBuilt } from '../setup/build';
import { startHarness, type Harness } from './support/harness';
import { aksnet, armCluster, backendEnv, parseJson, writesTo, type RolloutView } from './rollout-support';
import { clusterId, nodeSubnetCluster, nsg, SUBSCRIPTION, vnet } from '../support/arm';

let h: Harness;
let specDir: string;

const RG = 'rg-window';
const NAMES = ['mw-1', 'mw-2', 'mw-3'];
const HOUR = 3600_000;
const SCALE = 1000; // the harness host's clockScale

beforeAll(async () => {
  ensureBuilt();
  h = await startHarness([...NAMES.map((name) => nodeSubnetCluster({ name, resourceGroup: RG })), vnet(), nsg()]);
  specDir = fs.mkdtempSync(path.join(h.dir, 'specs-'));
}, 240_000);

afterAll(async () => {
  await h?.close();
});

/** Host-clock time of a wall-clock instant (the host runs SCALE× faster from the same process's clock). */
function hostTimeOf(wallMs: number): number {
  return h.host.hub.now() + (wallMs - Date.now()) * SCALE;
}

it('a window closed at the start: nothing is written until it opens, then every operation starts inside it and the clusters are migrated', async () => {
  // A daily window opening 6 host hours (≈ 22 s) from now (rounded up to the minute), 2 hours long; an operation is expected
  // to take 30 minutes, so the last allowed start is 90 minutes into it.
  const opensAt = Math.ceil((h.host.hub.now() + 6 * HOUR) / 60_000) * 60_000;
  const hhmm = new Date(opensAt).toISOString().slice(11, 16);
  const spec = path.join(specDir, 'window.json');
  fs.writeFileSync(
    spec,
    JSON.stringify({
      name: 'window',
      target: 'cilium',
      selector: { subscriptions: [SUBSCRIPTION], resourceGroups: [RG] },
      stages: [{ name: 'all', maxConcurrency: 2 }],
      maintenanceWindow: { useClusterConfiguration: false, expectedOperationMinutes: 30, windows: [{ schedule: { daily: { intervalDays: 1 } }, durationHours: 2, startTime: hhmm, utcOffset: '+00:00' }] },
    }),
  );
  const started = await aksnet(['rollout', 'start', '--spec', spec, '--no-wait', '--query', 'id', '-o', 'tsv'], backendEnv(h), specDir);
  expect({ code: started.code, stderr: started.stderr }).toEqual({ code: 0, stderr: '' });
  const id = started.stdout.trim();

  // Two host hours (7 s) before the window opens the rollout has discovered the clusters and waits for it: no write
  // yet (read at once from the simulator's log, then the CLI's view).
  const beforeOpening = opensAt - 2 * HOUR;
  while (h.host.hub.now() < beforeOpening) await new Promise((r) => setTimeout(r, 100));
  const early = NAMES.flatMap((name) => writesTo(h, clusterId(name, RG)).map((w) => `${w.method} ${w.resourceId.split('/').pop()} at ${new Date(hostTimeOf(Date.parse(w.time))).toISOString()} (host clock)`));
  expect({ opensAt: new Date(opensAt).toISOString(), early }).toEqual({ opensAt: new Date(opensAt).toISOString(), early: [] });
  const waiting = parseJson<RolloutView & { waitingUntil?: string }>(await aksnet(['rollout', 'show', '--id', id, '-o', 'json'], backendEnv(h), specDir));
  expect(waiting.status).toBe('waitingForWindow');
  expect(waiting.clusters.map((c) => c.result).sort()).toEqual(['pending', 'pending', 'pending']);

  const done = await aksnet(['rollout', 'wait', '--id', id, '--timeout', '150', '-o', 'json'], backendEnv(h), specDir);
  const view = parseJson<RolloutView>(done);
  expect(done.code).toBe(0);
  expect(view.clusters.map((c) => [c.name, c.result]).sort()).toEqual(NAMES.map((n) => [n, 'migrated']));

  // Every write started inside an occurrence of the window (daily), with 30 minutes still left in it.
  for (const name of NAMES) {
    const writes = writesTo(h, clusterId(name, RG));
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) {
      // 1 host minute (60 ms of wall time) of slack for mapping the wall clock onto the host clock.
      const sinceOpening = hostTimeOf(Date.parse(w.time)) - opensAt;
      const intoOccurrence = Math.max(0, sinceOpening) % (24 * HOUR);
      expect({ name, write: w.resourceId, early: sinceOpening < -60_000, late: intoOccurrence > 91 * 60_000 }).toEqual({ name, write: w.resourceId, early: false, late: false });
    }
    expect(armCluster(h, clusterId(name, RG))).toMatchObject({ networkDataplane: 'cilium', networkPolicy: 'cilium' });
  }
}, 180_000);
