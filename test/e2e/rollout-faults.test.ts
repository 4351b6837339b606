/**
 * The end-to-end invariants, through the CLI (`node bin/aksnet.js rollout start --spec … --wait -o json`)
 * against the real Functions app on the local host and the AKS simulator over HTTPS, with faults on. Assertions read
 * the simulator's operation log, its operations and its ARM state — not the CLI's word:
 *  - every ready cluster is migrated unless a fault was injected for it;
 *  - never two operations on one cluster at once;
 *  - NAP back to Auto on every cluster that had it (after success and after failure);
 *  - nothing written to a blocked cluster;
 *  - two rollouts started at once over the same clusters migrate each cluster once.
 * It used to hang now and then with the jest worker spinning: the local task hub ran the rollout's episodes back to
 * back without a turn of the event loop once its 30-s poll (30 ms at ×1000) was shorter than an episode, so no timer,
 * activity or HTTP request got through (fixed in local/taskHub.ts; test/local/dispatcher.test.ts).
 */
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBuilt } from '../setup/build';
import { startHarness, type Harness } from './support/harness';
import { aksnet, armCluster, backendEnv, operationsOn, overlapping, parseJson, writesTo, type RolloutView } from './rollout-support';
import { clusterId, kubenetCluster, nodeSubnetCluster, nsg, overlayCluster, SUBSCRIPTION, vnet } from '../support/arm';
import { DEFAULT_THROTTLING } from '../../sim/throttling';
import { armIdKey } from '../../shared/arm/id';

let h: Harness;
let specDir: string;

const RG = 'rg-faults';
const CLEAN = ['fa-1', 'fa-2', 'fa-3', 'fa-nap'];
const FAULTED = ['fx-1', 'fx-2', 'fx-nap'];
const BLOCKED = 'fa-kubenet';
const NAP = ['fa-nap', 'fx-nap'];
const TWO_RG = 'rg-two';
const TWO = ['tw-1', 'tw-2', 'tw-3', 'tw-nap'];
const LATE_RG = 'rg-late';
const LATE = 'late-1';

const nap = { nodeProvisioningProfile: { mode: 'Auto' } } as const;

beforeAll(async () => {
  ensureBuilt();
  h = await startHarness([
    ...['fa-1', 'fa-2', 'fa-3', 'fx-1', 'fx-2'].map((name) => nodeSubnetCluster({ name, resourceGroup: RG })),
    overlayCluster({ name: 'fa-nap', resourceGroup: RG, ...nap }),
    overlayCluster({ name: 'fx-nap', resourceGroup: RG, ...nap }),
    kubenetCluster({ name: BLOCKED, resourceGroup: RG }),
    ...['tw-1', 'tw-2', 'tw-3'].map((name) => nodeSubnetCluster({ name, resourceGroup: TWO_RG })),
    overlayCluster({ name: 'tw-nap', resourceGroup: TWO_RG, ...nap }),
    overlayCluster({ name: LATE, resourceGroup: LATE_RG, ...nap }),
    vnet(),
    nsg(),
    // Host clock ×200, not the harness's ×1000: the first stage is paced by a small ARM write bucket (wall time), and
    // the rollout polls its running children every 30 host seconds, each poll growing its history. With 1 write a
    // second at ×1000 that stage spanned ~10 host hours: 1,500 episodes replaying 2.5 M history events (31 s of CPU);
    // at ×200, 550 episodes and 0.17 M events (2 s). The always-ready rollout that ×1000 led to is pinned by
    // test/local/dispatcher.test.ts.
  ], { host: { clockScale: 200 } });
  specDir = fs.mkdtempSync(path.join(h.dir, 'specs-'));
}, 240_000);

afterAll(async () => {
  await h?.close();
});

/** Our operations on a cluster that reimage it (AKS's reimage takes 20 simulated minutes; a NAP mode change 3). */
const reimages = (id: string): Array<{ id: string }> => operationsOn(h, id).filter((op) => op.principal !== 'aks-auto-upgrade' && op.status === 'Succeeded' && op.end - op.start >= 15 * 60_000);

/** Writes to a cluster (its id as prefix) that AKS refused, with AKS's code and message, from the simulator's log. */
function refusals(id: string): Array<{ code: string; message: string }> {
  const key = armIdKey(id);
  return h.sim.world.log
    .filter((e) => e.result.status >= 400 && e.result.code && (armIdKey(e.resourceId) === key || armIdKey(e.resourceId).startsWith(`${key}/`)))
    .map((e) => ({ code: e.result.code as string, message: e.result.message ?? '' }));
}

function writeSpec(name: string, spec: unknown): string {
  const file = path.join(specDir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(spec, null, 2));
  return file;
}

it('with 5xx, 429, operations ending Failed and competing 409s: every clean ready cluster migrated, one operation at a time, NAP back to Auto, the blocked cluster untouched', async () => {
  // Request faults, Failed operations and competing operations on the FAULTED clusters only (the simulator's
  // faults take one scope for every kind); 429s for everyone from a small ARM write bucket (2 tokens, 2 a second: the
  // ~100 writes of the first stage, credential POSTs included, take ~25 s of wall time instead of ~40 s at 1 a second).
  h.sim.faults.set({ error500: 0.15, error503: 0.15, fail: 0.6, conflict: 0.3, seed: 11, scope: FAULTED.map((n) => clusterId(n, RG)) });
  h.sim.throttle.options = { ...DEFAULT_THROTTLING, writes: { bucket: 2, refillPerSecond: 2 } };
  try {
    // fa-1 comes last, behind an approval, so a competing operation can be started on it while the rest runs.
    const competing = clusterId('fa-1', RG);
    const spec = writeSpec('faults', {
      name: 'faults',
      target: 'cilium',
      selector: { subscriptions: [SUBSCRIPTION], resourceGroups: [RG] },
      stages: [
        { name: 'first', selector: { ids: [...CLEAN, ...FAULTED].filter((n) => n !== 'fa-1').map((n) => clusterId(n, RG)) }, maxConcurrency: 4 },
        { name: 'last', maxConcurrency: 1, approval: true },
      ],
      failureBudget: { total: FAULTED.length },
    });
    const started = await aksnet(['rollout', 'start', '--spec', spec, '--no-wait', '--query', 'id', '-o', 'tsv'], backendEnv(h), specDir);
    expect({ code: started.code, stderr: started.stderr }).toEqual({ code: 0, stderr: '' });
    const id = started.stdout.trim();
    const gate = await aksnet(['rollout', 'wait', '--id', id, '--until', 'waitingForApproval', '--timeout', '150', '-o', 'json'], backendEnv(h), specDir);
    expect(parseJson<RolloutView>(gate).status).toBe('waitingForApproval');
    // A competing operation, as an auto-upgrade would be (aks-facts: 409 OperationNotAllowed while another operation
    // runs): 4 simulated hours (7 s here, 24 minutes on the host's ×200 clock), well inside the migration's 4-hour
    // operation deadline on the host clock.
    const rec = h.sim.world.cluster(competing);
    if (!rec) throw new Error('fa-1 is not seeded');
    const upgrade = h.sim.world.startOperation({ clusterKey: rec.key, resourceId: rec.resource.id, kind: 'Upgrading', subscriptionId: SUBSCRIPTION, location: rec.resource.location ?? 'eastus', principal: 'aks-auto-upgrade', competing: true, durationSimMs: 4 * 3600_000 });
    const approved = await aksnet(['rollout', 'approve', '--id', id, '--stage', 'last'], backendEnv(h), specDir);
    expect(approved.code).toBe(0);
    const r = await aksnet(['rollout', 'wait', '--id', id, '--timeout', '150', '-o', 'json'], backendEnv(h), specDir);
    const view = parseJson<RolloutView>(r);
    expect(view.status).toBe('completed');
    const result = Object.fromEntries(view.clusters.map((c) => [c.name, c]));

    // The faults really happened (else this test proves nothing).
    const faulted = FAULTED.flatMap((n) => operationsOn(h, clusterId(n, RG)));
    expect(h.sim.requests.faults.error500 + h.sim.requests.faults.error503).toBeGreaterThan(0);
    expect(h.sim.requests.throttled.arm).toBeGreaterThan(0);
    expect(faulted.some((op) => op.status === 'Failed')).toBe(true);
    // fa-1 waited for the competing operation: its own operation began only after that one ended.
    const ours = operationsOn(h, competing).filter((op) => op.principal !== 'aks-auto-upgrade');
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.every((op) => op.start >= upgrade.endSim)).toBe(true);

    // Every ready cluster without an injected fault is migrated, and its ARM state says so.
    for (const name of CLEAN) {
      expect({ name, result: result[name]?.result, error: result[name]?.error }).toEqual({ name, result: 'migrated', error: null });
      expect(armCluster(h, clusterId(name, RG))).toMatchObject({ networkDataplane: 'cilium', networkPolicy: 'cilium', provisioningState: 'Succeeded' });
    }
    // A faulted cluster ends migrated or failed (with AKS's error), never anything in between.
    for (const name of FAULTED) {
      const c = result[name];
      expect(['migrated', 'failed']).toContain(c?.result);
      if (c.result === 'failed') {
        // AKS's own code and words: those of an operation that ended Failed on this cluster, or of a write AKS refused.
        const aks = [
          ...[...h.sim.world.operations.values()].filter((op) => op.status === 'Failed' && op.error && armIdKey(op.clusterKey) === armIdKey(clusterId(name, RG))).map((op) => op.error as { code: string; message: string }),
          ...refusals(clusterId(name, RG)),
        ];
        expect({ name, code: c.error?.code }).toEqual({ name, code: expect.stringMatching(new RegExp(`^(${aks.map((e) => e.code).join('|')})$`)) });
        expect(aks.some((e) => e.code === c.error?.code && !!e.message && c.error?.message?.includes(e.message))).toBe(true);
      } else expect(armCluster(h, clusterId(name, RG)).networkDataplane).toBe('cilium');
    }
    expect(view.clusters.filter((c) => c.result === 'failed').every((c) => FAULTED.includes(c.name))).toBe(true);

    // Never two operations on one cluster at once (ours, and AKS's competing ones).
    for (const name of [...CLEAN, ...FAULTED]) expect({ name, overlaps: overlapping(operationsOn(h, clusterId(name, RG))) }).toEqual({ name, overlaps: [] });

    // NAP back to Auto on every cluster that had it, migrated or failed; the NAP disable happened (mode Manual PUT).
    for (const name of NAP) {
      expect({ name, nap: armCluster(h, clusterId(name, RG)).napMode }).toEqual({ name, nap: 'Auto' });
      const modes = writesTo(h, clusterId(name, RG))
        .filter((w) => w.method === 'PUT' && /managedClusters\/[^/]+$/.test(w.resourceId) && w.status < 300)
        .map((w) => (w.body as { properties?: { nodeProvisioningProfile?: { mode?: string } } }).properties?.nodeProvisioningProfile?.mode);
      // The clean one went through the documented disable (mode Manual) and back; a faulted one may have failed
      // before NAP was touched, but once it was switched off it was switched on again.
      // (the Cilium PUT in between is built from a fresh GET, so it carries mode Manual too).
      if (CLEAN.includes(name)) expect({ name, modes }).toEqual({ name, modes: ['Manual', 'Manual', 'Auto'] });
      if (modes.includes('Manual')) expect({ name, last: modes[modes.length - 1] }).toEqual({ name, last: 'Auto' });
    }

    for (const name of CLEAN) expect({ name, reimages: reimages(clusterId(name, RG)).length }).toEqual({ name, reimages: 1 });

    // Blocked: kubenet cannot go to Cilium (seed 000 § Supported migration paths); not one write.
    expect(result[BLOCKED].result).toBe('blocked');
    expect(writesTo(h, clusterId(BLOCKED, RG))).toEqual([]);
  } finally {
    h.sim.faults.set({});
    h.sim.throttle.options = { ...DEFAULT_THROTTLING, enabled: false };
  }
}, 180_000);

it('two rollouts started at once over the same clusters: each cluster is migrated by exactly one, the other waits or skips with the reason', async () => {
  const spec = (name: string): string =>
    writeSpec(name, { name, target: 'cilium', selector: { subscriptions: [SUBSCRIPTION], resourceGroups: [TWO_RG] }, stages: [{ name: 'all', maxConcurrency: 4 }] });
  const [a, b] = await Promise.all([
    aksnet(['rollout', 'start', '--spec', spec('twin-a'), '--wait', '-o', 'json'], backendEnv(h), specDir),
    aksnet(['rollout', 'start', '--spec', spec('twin-b'), '--wait', '-o', 'json'], backendEnv(h), specDir),
  ]);
  const views = [parseJson<RolloutView>(a), parseJson<RolloutView>(b)];
  expect(views.map((v) => v.status)).toEqual(['completed', 'completed']);
  for (const name of TWO) {
    const id = clusterId(name, TWO_RG);
    const results = views.map((v) => v.clusters.find((c) => c.name === name));
    expect({ name, migrated: results.filter((c) => c?.result === 'migrated').length }).toEqual({ name, migrated: 1 });
    // The other run waited for the lock and then found the cluster compliant, or gave up waiting and skipped it
    // saying who holds it. Never blocked: when its discovery read the cluster while the first run's operation was
    // under way (provisioning state Updating), the lock told it that operation was the first run's (issue 5).
    // Never a second migration.
    const other = results.find((c) => c?.result !== 'migrated');
    const why = other?.result === 'skipped' ? /another run/.test(other.reason ?? '') : other?.result === 'compliant';
    expect({ name, other: other?.result, reason: other?.reason, blockers: other?.findings.filter((f) => f.severity === 'blocker').map((f) => f.rule), why }).toEqual({ name, other: other?.result, reason: other?.reason, blockers: other?.findings.filter((f) => f.severity === 'blocker').map((f) => f.rule), why: true });
    // One reimage per cluster (the data plane update, 20 simulated minutes; NAP mode changes take 3): the second run
    // never sent its own, and no two operations overlapped.
    expect({ name, reimages: reimages(id).length, overlaps: overlapping(operationsOn(h, id)) }).toEqual({ name, reimages: 1, overlaps: [] });
    expect(armCluster(h, id)).toMatchObject({ networkDataplane: 'cilium', provisioningState: 'Succeeded' });
  }
  expect(armCluster(h, clusterId('tw-nap', TWO_RG)).napMode).toBe('Auto');
}, 180_000);

it('a rollout whose discovery reads a cluster mid-operation under another run plans it, waits for that run, then finds it compliant', async () => {
  // Started at once (above), both discoveries usually read the clusters before either run writes. Here the second
  // rollout starts while the first run's first PUT (NAP mode Manual, before the data plane update) is under way and
  // held open until the second rollout's plan is made: its discovery surely reads provisioning state Updating on a
  // cluster still to be moved to Cilium — what it used to report `blocked` (cluster.provisioning-state).
  const id = clusterId(LATE, LATE_RG);
  const spec = (name: string, approval: boolean): string =>
    writeSpec(name, { name, target: 'cilium', selector: { subscriptions: [SUBSCRIPTION], resourceGroups: [LATE_RG] }, stages: [{ name: 'all', maxConcurrency: 1, approval }] });
  const world = h.sim.world;
  const startOperation = world.startOperation;
  let held: { id: string; endSim: number } | undefined;
  world.startOperation = (op) => {
    const started = startOperation.call(world, op);
    if (!held && armIdKey(op.resourceId) === armIdKey(id) && !op.competing) {
      started.endSim = Number.POSITIVE_INFINITY;
      held = started;
    }
    return started;
  };
  try {
    const startA = await aksnet(['rollout', 'start', '--spec', spec('late-a', false), '--no-wait', '--query', 'id', '-o', 'tsv'], backendEnv(h), specDir);
    expect({ code: startA.code, stderr: startA.stderr }).toEqual({ code: 0, stderr: '' });
    const a = startA.stdout.trim();
    for (const until = Date.now() + 60_000; !held && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
    if (!held) throw new Error(`the first run wrote nothing to ${LATE} within 60 s`);
    expect(armCluster(h, id)).toMatchObject({ provisioningState: 'Updating', napMode: 'Manual', networkDataplane: 'azure' });

    // The second rollout's stage asks for approval: it waits for it only if discovery put the cluster in the stage
    // (a cluster recorded blocked or compliant leaves the stage empty, and the rollout completes at once).
    const startB = await aksnet(['rollout', 'start', '--spec', spec('late-b', true), '--no-wait', '--query', 'id', '-o', 'tsv'], backendEnv(h), specDir);
    expect({ code: startB.code, stderr: startB.stderr }).toEqual({ code: 0, stderr: '' });
    const b = startB.stdout.trim();
    const gate = parseJson<RolloutView>(await aksnet(['rollout', 'wait', '--id', b, '--until', 'waitingForApproval', '--timeout', '60', '-o', 'json'], backendEnv(h), specDir));
    expect({ status: gate.status, late: gate.clusters.find((c) => c.name === LATE)?.result }).toEqual({ status: 'waitingForApproval', late: 'pending' });

    // Let the first run go on; the second run's migration waits for its lock, then assesses the cluster afresh.
    held.endSim = world.clock.now();
    expect((await aksnet(['rollout', 'approve', '--id', b, '--stage', 'all'], backendEnv(h), specDir)).code).toBe(0);
    const [viewA, viewB] = await Promise.all(
      [a, b].map(async (rid) => parseJson<RolloutView>(await aksnet(['rollout', 'wait', '--id', rid, '--timeout', '120', '-o', 'json'], backendEnv(h), specDir))),
    );
    expect([viewA.status, viewB.status]).toEqual(['completed', 'completed']);
    expect(viewA.clusters.find((c) => c.name === LATE)).toMatchObject({ result: 'migrated', error: null });
    expect(viewB.clusters.find((c) => c.name === LATE)).toMatchObject({ result: 'compliant', error: null });
    // One reimage (the first run's; the NAP PUT held open above lasted as long as one, so it is left out), no two
    // operations at once, NAP back to Auto.
    const heldId = held.id;
    expect({ reimages: reimages(id).filter((op) => op.id !== heldId).length, overlaps: overlapping(operationsOn(h, id)) }).toEqual({ reimages: 1, overlaps: [] });
    expect(armCluster(h, id)).toMatchObject({ networkDataplane: 'cilium', napMode: 'Auto', provisioningState: 'Succeeded' });
  } finally {
    world.startOperation = startOperation;
    // Never leave the operation open past the test.
    if (held && held.endSim === Number.POSITIVE_INFINITY) held.endSim = world.clock.now();
  }
}, 180_000);
