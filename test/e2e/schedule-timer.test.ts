/**
 * Scheduled rollouts through the local host's timer trigger (wall clock, NCRONTAB from the app setting
 * AKSNET_ROLLOUT_SCHEDULE) against the simulator: the timer starts the spec named in configuration under
 * `scheduled:{name}:{occurrence}`, starts no other while that one still runs, and starts the next once it ended.
 */
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import { clusterId, nodeSubnetCluster, nsg, SUBSCRIPTION, vnet } from '../support/arm';
import { startHarness, until, type Harness } from './support/harness';

// The stage waits for an approval, so a scheduled rollout stays Running until someone acts on it.
const SPEC = { name: 'nightly', target: 'cilium', selector: { subscriptions: [SUBSCRIPTION], ids: [clusterId('aks-a')] }, stages: [{ name: 'all', maxConcurrency: 1, approval: true }] };

let h: Harness;
const logs: string[] = [];

beforeAll(async () => {
  h = await startHarness([nodeSubnetCluster({ name: 'aks-a' }), vnet(), nsg()], {
    env: { AKSNET_ROLLOUT_SCHEDULE: '*/2 * * * * *', AKSNET_SCHEDULED_ROLLOUT_SPEC: JSON.stringify(SPEC) },
    host: { timers: true, log: (m) => logs.push(m) },
  });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const scheduled = async () => (await h.instances()).filter((i) => i.instanceId.startsWith('scheduled:nightly:')).sort((a, b) => a.instanceId.localeCompare(b.instanceId));

it('fires on schedule, starts the configured spec, never a second one while it runs, the next one after it ended', async () => {
  const [first] = await until('the first scheduled rollout', async () => {
    const s = await scheduled();
    return s.length > 0 ? s : undefined;
  }, 10_000);
  expect(first).toMatchObject({ name: 'rollout', instanceId: expect.stringMatching(/^scheduled:nightly:\d{4}-\d\d-\d\dT\d\d:\d\d:\d[02468]\.000Z$/) });
  // The rollout it started is the configured spec, readable over the API like any other.
  const summary = await until('the scheduled rollout to wait for approval', async () => {
    const r = await h.call('GET', `/api/rollouts/${encodeURIComponent(first.instanceId)}`);
    return r.body.status === 'waitingForApproval' ? r.body : undefined;
  }, 10_000);
  expect(summary).toMatchObject({ name: 'nightly', target: 'cilium', waitingApprovals: [{ stage: 'all' }] });

  // Three more firings while it runs: nothing new.
  await new Promise((r) => setTimeout(r, 6_500));
  expect((await scheduled()).map((i) => i.instanceId)).toEqual([first.instanceId]);
  expect(logs.filter((l) => l.includes(`not started: the previous scheduled rollout ${first.instanceId} is still Running`)).length).toBeGreaterThanOrEqual(2);

  // Once it has ended, the next firing starts the next occurrence.
  expect((await h.call('POST', `/api/rollouts/${encodeURIComponent(first.instanceId)}/cancel`, { body: { reason: 'test' } })).status).toBe(202);
  await h.host.client.waitForCompletion(first.instanceId, 10_000);
  const both = await until('the next scheduled rollout', async () => {
    const s = await scheduled();
    return s.length === 2 ? s : undefined;
  }, 10_000);
  expect(both[0].instanceId).toBe(first.instanceId);
  expect(both[1].instanceId > first.instanceId).toBe(true);
  // Scheduled rollouts waiting for approval wrote nothing to the cluster.
  expect(h.writes()).toEqual([]);
}, 40_000);
