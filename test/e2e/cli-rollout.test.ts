/**
 * `aksnet rollout …` as a user runs it (the built binary, as child processes) against the real Functions app on
 * the local host (its HTTP API, function key enforced) and the AKS simulator over HTTPS; also `rollout start`
 * with no backend, which starts a local host of its own. Assertions read the CLI's output and exit code and the
 * simulator's operation log.
 */
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBuilt } from '../setup/build';
import { startHarness, type Harness } from './support/harness';
import { clusterId, kubenetCluster, nodeSubnetCluster, nsg, SUBSCRIPTION, vnet } from '../support/arm';
import { aksnet as runCli, backendEnv, parseJson as parse, type RolloutView as View, type Run } from './rollout-support';

let h: Harness;
let specDir: string;

beforeAll(async () => {
  ensureBuilt();
  h = await startHarness([
    nodeSubnetCluster({ name: 'emb-1', resourceGroup: 'rg-embedded' }),
    kubenetCluster({ name: 'emb-legacy', resourceGroup: 'rg-embedded' }),
    nodeSubnetCluster({ name: 'api-1', resourceGroup: 'rg-api' }),
    nodeSubnetCluster({ name: 'api-2', resourceGroup: 'rg-api' }),
    nodeSubnetCluster({ name: 'cx-1', resourceGroup: 'rg-cancel' }),
    nodeSubnetCluster({ name: 'cx-2', resourceGroup: 'rg-cancel' }),
    nodeSubnetCluster({ name: 'hb-1', resourceGroup: 'rg-halt' }),
    nodeSubnetCluster({ name: 'hb-2', resourceGroup: 'rg-halt' }),
    vnet(),
    nsg(),
  ]);
  specDir = fs.mkdtempSync(path.join(h.dir, 'specs-'));
}, 240_000);

afterAll(async () => {
  await h?.close();
});

/** The built binary, in the spec directory, with no backend or key inherited from the environment. */
const aksnet = (args: string[], env: Record<string, string> = {}): Promise<Run> => runCli(args, env, specDir, 90_000);
const backend = (): Record<string, string> => backendEnv(h);

function writeSpec(name: string, spec: unknown, yaml = false): string {
  const file = path.join(specDir, `${name}.${yaml ? 'yaml' : 'json'}`);
  fs.writeFileSync(file, yaml ? String(spec) : JSON.stringify(spec, null, 2));
  return file;
}

const writesTo = (rg: string): Array<{ method: string; resourceId: string }> => h.writes().filter((w) => w.resourceId.toLowerCase().includes(`/resourcegroups/${rg}/`));

it('rollout start --wait -o json with no backend runs the rollout on a local host of its own against the simulator', async () => {
  const spec = writeSpec(
    'embedded',
    ['name: embedded', 'target: cilium', 'selector:', `  subscriptions: ["${SUBSCRIPTION}"]`, '  resourceGroups: [rg-embedded]', 'stages:', '  - name: all', '    maxConcurrency: 2', ''].join('\n'),
    true,
  );
  const r = await aksnet(['rollout', 'start', '--spec', spec, '--wait', '-o', 'json'], { AKSNET_ARM_ENDPOINT: h.sim.armEndpoint, AKSNET_CA_CERT: h.sim.caCertPath, AKSNET_CLOCK_SCALE: '2000' });
  const view = parse<View>(r);
  expect(r.code).toBe(0);
  expect(Object.keys(view)).toEqual(expect.arrayContaining(['id', 'status', 'stages', 'clusters']));
  expect(view.status).toBe('completed');
  expect(view.stages).toEqual([expect.objectContaining({ name: 'all', status: 'done', size: 1 })]);
  const byName = Object.fromEntries(view.clusters.map((c) => [c.name, c]));
  expect(byName['emb-1']).toMatchObject({ id: clusterId('emb-1', 'rg-embedded'), result: 'migrated', steps: [{ step: 'dataplane:cilium', status: 'done' }], error: null });
  // kubenet cannot go to Cilium directly (seed 000 § Supported migration paths): blocked, with the finding, never written to.
  expect(byName['emb-legacy'].result).toBe('blocked');
  expect(byName['emb-legacy'].findings.map((f) => f.rule)).toContain('cilium.source-ipam');
  expect(writesTo('rg-embedded').filter((w) => /emb-legacy/.test(w.resourceId))).toEqual([]);
  expect(writesTo('rg-embedded').some((w) => w.method === 'PUT' && /managedClusters\/emb-1$/.test(w.resourceId))).toBe(true);
  // stderr is not a terminal: no progress lines.
  expect(r.stderr).not.toMatch(/rollout .*: running/);
}, 120_000);

it('a stage with approval waits; rollout approve lets it run to the end (through the HTTP API of the app)', async () => {
  const spec = writeSpec('approve', {
    name: 'approve',
    target: 'cilium',
    selector: { subscriptions: [SUBSCRIPTION], resourceGroups: ['rg-api'] },
    stages: [{ name: 'gated', maxConcurrency: 2, approval: true }],
  });
  const started = await aksnet(['rollout', 'start', '--spec', spec, '--no-wait', '--query', 'id', '-o', 'tsv'], backend());
  expect({ code: started.code, stderr: started.stderr }).toEqual({ code: 0, stderr: '' });
  const id = started.stdout.trim();
  expect(id).toMatch(/^approve-\d{8}T\d{6}Z-[0-9a-f]{6}$/);

  const waiting = await aksnet(['rollout', 'wait', '--id', id, '--until', 'waitingForApproval', '--timeout', '60', '-o', 'json'], backend());
  expect(parse<View>(waiting).status).toBe('waitingForApproval');
  expect(writesTo('rg-api')).toEqual([]);

  const wrongStage = await aksnet(['rollout', 'approve', '--id', id, '--stage', 'other'], backend());
  expect(wrongStage.code).toBe(1);
  expect(wrongStage.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^ERROR: Stage 'other' is not the one waiting for approval.*StageNotWaiting/)]);

  const approved = await aksnet(['rollout', 'approve', '--id', id, '--stage', 'gated'], backend());
  expect(parse<{ accepted: boolean; action: string }>(approved)).toMatchObject({ accepted: true, action: 'approve' });

  const done = await aksnet(['rollout', 'wait', '--id', id, '-o', 'json'], backend());
  const view = parse<View>(done);
  expect(done.code).toBe(0);
  expect(view.status).toBe('completed');
  expect(view.clusters.map((c) => [c.name, c.result]).sort()).toEqual([
    ['api-1', 'migrated'],
    ['api-2', 'migrated'],
  ]);

  const shown = await aksnet(['rollout', 'show', '--id', id, '-o', 'table'], backend());
  expect(shown.code).toBe(0);
  expect(shown.stdout).toMatch(/^Name\s+ResourceGroup\s+Stage\s+Verdict\s+Result\s+Steps/);
  expect(shown.stdout).toMatch(/api-1\s+rg-api\s+gated\s+ready\s+migrated\s+dataplane:cilium/);
  expect(shown.stdout).toContain(`rollout ${id}: completed  migrated: 2  (2 clusters)`);

  // rollout list reads GET /api/rollouts with the API's key: no Durable management API, no system key.
  const listed = await aksnet(['rollout', 'list', '-o', 'json'], backend());
  expect(parse<Array<{ id: string; status: string }>>(listed)).toContainEqual(expect.objectContaining({ id, name: 'approve', status: 'completed', runtimeStatus: 'Completed', target: 'cilium', total: 2 }));
  const completed = parse<Array<{ id: string }>>(await aksnet(['rollout', 'list', '--status', 'completed', '-o', 'json'], backend()));
  const running = parse<Array<{ id: string }>>(await aksnet(['rollout', 'list', '--status', 'Running', '-o', 'json'], backend()));
  expect([completed.some((r) => r.id === id), running.some((r) => r.id === id)]).toEqual([true, false]);
  const table = await aksnet(['rollout', 'list', '-o', 'table'], backend());
  expect(table.stdout).toMatch(/^Id\s+Name\s+Status\s+Target\s+Clusters\s+Created\n/);
  expect(table.stdout).toMatch(new RegExp(`^${id}\\s+approve\\s+completed\\s+cilium\\s+2\\s`, 'm'));
  const badStatus = await aksnet(['rollout', 'list', '--status', 'halted'], backend());
  expect({ code: badStatus.code, stderr: badStatus.stderr.trim() }).toEqual({ code: 2, stderr: expect.stringMatching(/^ERROR: 'halted' is not a valid value for '--status'\. Allowed values: Pending, Running, /) });
}, 150_000);

it('rollout cancel stops a waiting rollout: every cluster cancelled, nothing written', async () => {
  const spec = writeSpec('cancel', {
    name: 'cancel',
    target: 'cilium',
    selector: { subscriptions: [SUBSCRIPTION], resourceGroups: ['rg-cancel'] },
    stages: [{ name: 'gated', maxConcurrency: 1, approval: true }],
  });
  const id = parse<{ id: string }>(await aksnet(['rollout', 'start', '--spec', spec, '--no-wait'], backend())).id;
  await aksnet(['rollout', 'wait', '--id', id, '--until', 'waitingForApproval', '--timeout', '60'], backend());
  const r = await aksnet(['rollout', 'cancel', '--id', id, '--reason', 'change freeze', '-o', 'json'], backend());
  const view = parse<View>(r);
  expect(r.code).toBe(0);
  expect(view.status).toBe('cancelled');
  expect(view.clusters.map((c) => c.result)).toEqual(['cancelled', 'cancelled']);
  expect(writesTo('rg-cancel')).toEqual([]);
  // Nothing left to act on: a second cancel is refused with the API's reason.
  const again = await aksnet(['rollout', 'cancel', '--id', id], backend());
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/^ERROR: Rollout '.*' has ended \(cancelled\); nothing to cancel \(RolloutEnded\)/);
}, 120_000);

it('a failure spends the budget and halts the rollout; rollout resume goes on; the end result exits 1 naming the failed cluster', async () => {
  // Every ARM operation on hb-1 ends Failed (the simulator's fault injection, docs/simulator.md).
  h.sim.faults.set({ fail: 1, scope: [clusterId('hb-1', 'rg-halt')] });
  try {
    const spec = writeSpec('halt', {
      name: 'halt',
      target: 'cilium',
      selector: { subscriptions: [SUBSCRIPTION], resourceGroups: ['rg-halt'] },
      stages: [
        { name: 'first', selector: { ids: [clusterId('hb-1', 'rg-halt')] }, maxConcurrency: 1 },
        { name: 'second', maxConcurrency: 1 },
      ],
      failureBudget: { total: 0 },
    });
    const id = parse<{ id: string }>(await aksnet(['rollout', 'start', '--spec', spec, '--no-wait'], backend())).id;
    const halted = await aksnet(['rollout', 'wait', '--id', id, '--until', 'halted', '--timeout', '80', '-o', 'json'], backend());
    const view = parse<View & { haltReason?: string }>(halted);
    expect({ code: halted.code, status: view.status }).toEqual({ code: 0, status: 'halted' });
    expect(halted.stderr).toMatch(/^WARNING: halted, failure budget spent.*aksnet rollout resume --id /m);
    expect(view.clusters.map((c) => [c.name, c.result]).sort()).toEqual([
      ['hb-1', 'failed'],
      ['hb-2', 'pending'],
    ]);
    expect(writesTo('rg-halt').filter((w) => /hb-2/.test(w.resourceId))).toEqual([]);

    const resumed = await aksnet(['rollout', 'resume', '--id', id, '--reason', 'looked at it'], backend());
    expect(parse<{ accepted: boolean; action: string }>(resumed)).toMatchObject({ accepted: true, action: 'resume' });
    const done = await aksnet(['rollout', 'wait', '--id', id, '--timeout', '80', '-o', 'json'], backend());
    expect(parse<View>(done).clusters.map((c) => [c.name, c.result]).sort()).toEqual([
      ['hb-1', 'failed'],
      ['hb-2', 'migrated'],
    ]);
    expect(done.code).toBe(1);
    expect(done.stderr.trim().split('\n').pop()).toMatch(/^ERROR: 1 cluster\(s\) failed in rollout .*, first hb-1: .* See them with 'aksnet rollout show --id .* --status failed'\.$/);
  } finally {
    h.sim.faults.set({});
  }
}, 150_000);

describe('errors: one line, the fix, the exit code', () => {
  it('an invalid spec is a usage error naming every problem, and nothing starts', async () => {
    const before = (await h.instances()).length;
    const spec = writeSpec('bad', { name: 'bad name', target: 'overlay', selector: { subscriptions: ['nope'] }, stages: [{ name: 's', maxConcurrency: 0 }] });
    const r = await aksnet(['rollout', 'start', '--spec', spec], backend());
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^ERROR: spec file '.*bad\.json': invalid rollout spec: .* all problems: name: .*; selector\.subscriptions\[0\]: .*; stages\[0\]\.maxConcurrency: .* Fix the spec/);
    expect((await h.instances()).length).toBe(before);
  }, 60_000);

  it('an unknown rollout id is not found (exit 3); a command without a backend says how to give one (exit 2); a wrong key is refused', async () => {
    const missing = await aksnet(['rollout', 'show', '--id', 'nope-20260101T000000Z-abcdef'], backend());
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^ERROR: No rollout has the id 'nope-20260101T000000Z-abcdef'/);

    const none = await aksnet(['rollout', 'show', '--id', 'x1']);
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toMatch(/^ERROR: no backend: .* Pass '--backend URL' or set AKSNET_BACKEND/);

    const noWait = await aksnet(['rollout', 'start', '--spec', path.join(specDir, 'approve.json'), '--no-wait']);
    expect(noWait.code).toBe(2);
    expect(noWait.stderr.trim()).toMatch(/^ERROR: '--no-wait' needs a backend that outlives the command/);

    const badKey = await aksnet(['rollout', 'list'], { ...backend(), AKSNET_FUNCTION_KEY: 'wrong' });
    expect(badKey.code).toBe(1);
    expect(badKey.stderr.trim()).toMatch(/^ERROR: the backend at http:\/\/127\.0\.0\.1:\d+ refused the call \(HTTP 401\)\. Set AKSNET_FUNCTION_KEY/);

    // An Entra token that cannot be had (no az login here): one line naming the scope and the two ways out.
    const entra = await aksnet(['rollout', 'list'], { AKSNET_BACKEND: h.host.baseUrl, AKSNET_API_APP_CLIENT_ID: '11111111-2222-3333-4444-555555555555', AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential' });
    expect(entra.code).toBe(1);
    expect(entra.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^ERROR: could not get an Entra token for api:\/\/11111111-2222-3333-4444-555555555555\/\.default .*'az login'.*AKSNET_FUNCTION_KEY/)]);

    const clear = await aksnet(['rollout', 'list', '--backend', 'http://example.com']);
    expect(clear.code).toBe(2);
    expect(clear.stderr.trim()).toMatch(/plain http to another machine/);
  }, 60_000);
});
