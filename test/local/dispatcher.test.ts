/**
 * The task hub's dispatcher never starves the rest of the process: an instance that is ready again the moment each
 * of its episodes commits (its timer already due — the rollout's 30-s poll under a ×1000 clock once an episode takes
 * longer than 30 ms) must not keep other instances' timers, activity I/O and the host's HTTP API waiting until it
 * stops. Before the fix the drain loop ran such an instance's episodes back to back on promise callbacks only, and
 * the CLI fault e2e test hung with the jest worker spinning.
 */
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import path from 'node:path';
import { startHost, type RunningHost } from '../../local/host';

let host: RunningHost;
beforeAll(async () => {
  // ×1000, as the e2e tests run: the Sleeper's one-minute timer is 60 ms of wall time.
  host = await startHost({ entry: path.join(__dirname, 'apps/busyApp.ts'), clockScale: 1000, timers: false, functionKey: 'test-key', log: () => undefined });
});
afterAll(() => host?.stop());

const ROUNDS = 400;

test('an instance whose timers are always due at once leaves other instances and the HTTP API their turn', async () => {
  const spinner = host.client.startNew('Spinner', { input: ROUNDS });
  const sleeper = host.client.startNew('Sleeper');

  // The management API answers while the spinner runs (before the fix the request sat unanswered).
  const res = await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/instances/${spinner}`, { headers: { 'x-functions-key': 'test-key' } });
  const seen = (await res.json()) as { runtimeStatus: string; customStatus: { round: number } | null };
  expect(res.status).toBe(202); // the Durable API says 202 while an instance runs
  expect(seen.runtimeStatus).toBe('Running');

  const slept = await host.client.waitForCompletion(sleeper, 30_000);
  expect(slept.output).toBe('woke');
  // The sleeper's timer fired while the spinner still had most of its rounds ahead of it.
  const meanwhile = host.client.getStatus(spinner);
  expect(meanwhile?.runtimeStatus).toBe('Running');
  expect((meanwhile?.customStatus as { round: number }).round).toBeLessThan(ROUNDS / 2);

  const done = await host.client.waitForCompletion(spinner, 50_000);
  expect(done.output).toBe(ROUNDS);
});
