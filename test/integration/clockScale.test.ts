/**
 * Polling under a time scale (docs/simulator.md § Long-running operations): the app's ARM clients name their clock
 * (x-aksnet-clock-scale) and hear an operation's Retry-After in that clock's seconds; the SDK's LRO poller, on the
 * wall clock, still hears wall seconds. And Kubernetes connections outlive the pool that opened them (shared/kube/client.ts).
 */
import { startSimulator, type RunningSimulator } from '../../sim/server';
import { sampleFleet, SAMPLE_SUBSCRIPTIONS } from '../../sim/sample-fleet';
import { createAzureClients, type AzureClients } from '../../shared/azure/clients';
import { ArmOperations } from '../../shared/azure/operations';
import { KubeConnectionPool, kubeClientFromKubeconfig } from '../../shared/kube/client';
import { managedClusterId, parseArmId } from '../../shared/arm/id';

const [SUB_A] = SAMPLE_SUBSCRIPTIONS;
const TIME_SCALE = 0.0005; // 2000× faster than wall time: ARM's 15 s is 7.5 ms of wall time

let sim: RunningSimulator;
const opened: AzureClients[] = [];

function clients(clockScale?: number): AzureClients {
  const c = createAzureClients({ endpoint: sim.armEndpoint, caCertPath: sim.caCertPath, pacing: false, ...(clockScale !== undefined ? { clockScale } : {}) });
  opened.push(c);
  return c;
}

/** A tags-only PUT from a fresh GET: the simulator answers 201 with the operation's headers. */
async function beginAndPoll(c: AzureClients, name: string): Promise<{ begin?: number; poll?: number }> {
  const ops = new ArmOperations(c);
  const id = managedClusterId(SUB_A, 'rg-web-prd', name);
  const { resource, etag } = await ops.getCluster(id);
  const started = await ops.beginPutCluster(id, { ...resource, tags: { ...(resource.tags ?? {}), touched: String(Date.now()) } }, etag);
  const status = await ops.getOperation(started.handle);
  return { begin: started.retryAfterSeconds, poll: status.status === 'InProgress' ? status.retryAfterSeconds : undefined };
}

/** Polls the operation the first test started on aks-web-prd (still running: 60 simulated minutes = 1.8 s). */
async function pollRunning(c: AzureClients): Promise<unknown> {
  const id = managedClusterId(SUB_A, 'rg-web-prd', 'aks-web-prd');
  const running = [...sim.world.operations.values()].find((o) => o.status === 'InProgress' && o.resourceId.toLowerCase() === id.toLowerCase());
  expect(running).toBeDefined();
  const url = `${sim.armEndpoint}/subscriptions/${parseArmId(id).subscriptionId}/providers/Microsoft.ContainerService/locations/${running!.location}/operations/${running!.id}?api-version=2026-04-01`;
  return new ArmOperations(c).getOperation({ url, kind: 'azure-asyncoperation', resourceId: id });
}

/** Runs `fn` with AKSNET_CLOCK_SCALE set to `value` (unset when undefined), then puts the variable back. */
async function withClockScaleEnv<T>(value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.AKSNET_CLOCK_SCALE;
  if (value === undefined) delete process.env.AKSNET_CLOCK_SCALE;
  else process.env.AKSNET_CLOCK_SCALE = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.AKSNET_CLOCK_SCALE;
    else process.env.AKSNET_CLOCK_SCALE = saved;
  }
}

beforeAll(async () => {
  sim = await startSimulator({ snapshot: sampleFleet(), timeScale: TIME_SCALE, throttling: false, durations: { updateMinutes: 60 } });
});
afterAll(async () => {
  for (const c of opened) c.close();
  KubeConnectionPool.closeIdle();
  await sim?.stop();
});

describe("an operation's Retry-After under a time scale", () => {
  it('is 15 simulated seconds to a client whose clock runs at 1/timeScale, on the PUT and on every poll', async () => {
    expect(await beginAndPoll(clients(1 / TIME_SCALE), 'aks-web-prd')).toEqual({ begin: 15, poll: 15 });
  });

  it("is counted in the client's own seconds when its clock runs at another scale (15 × 0.0005 × 1000 = 7.5 → 8)", async () => {
    expect(await pollRunning(clients(1000))).toEqual({ status: 'InProgress', retryAfterSeconds: 8 });
  });

  it('stays in wall seconds (at least 1) for a client that names no clock, as the SDK poller and AKSNET_CLOCK_SCALE unset', async () => {
    expect(await withClockScaleEnv(undefined, () => pollRunning(clients()))).toEqual({ status: 'InProgress', retryAfterSeconds: 1 });
  });

  it('reads AKSNET_CLOCK_SCALE when no clockScale is given (how the local host app learns its clock)', async () => {
    expect(await withClockScaleEnv(String(1 / TIME_SCALE), () => pollRunning(clients()))).toEqual({ status: 'InProgress', retryAfterSeconds: 15 });
  });

  it("lets the SDK's LRO poller (wall clock, no clock header) follow an operation to its end in wall time", async () => {
    const c = clients();
    const cs = c.containerService(SUB_A);
    const mc = await cs.managedClusters.get('rg-web-prd', 'aks-web-prd');
    // wait for the earlier operation on this cluster to end (60 simulated minutes = 1.8 s)
    for (let i = 0; i < 100 && [...sim.world.operations.values()].some((o) => o.status === 'InProgress' && o.resourceId.toLowerCase() === mc.id!.toLowerCase()); i++) {
      await new Promise((r) => setTimeout(r, 100));
      sim.world.settle();
    }
    const fresh = await cs.managedClusters.get('rg-web-prd', 'aks-web-prd');
    const t0 = Date.now();
    const done = await cs.managedClusters.createOrUpdate('rg-web-prd', 'aks-web-prd', { ...fresh, tags: { ...(fresh.tags ?? {}), sdk: 'poller' } }, { ifMatch: fresh.eTag }).pollUntilDone();
    expect(done.tags?.sdk).toBe('poller');
    // 60 simulated minutes are 1.8 s; a poller told "15" (simulated) seconds would wait 15 s a poll
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});

describe('Kubernetes connections', () => {
  async function kubeconfig(): Promise<string> {
    const c = clients();
    const creds = await c.containerService(SUB_A).managedClusters.listClusterUserCredentials('rg-web-prd', 'aks-web-prd');
    return Buffer.from(creds.kubeconfigs![0].value!).toString('utf8');
  }

  it('are reused by the next pool after a pool closes (one TLS handshake for two reads), and closed by closeIdle', async () => {
    const config = await kubeconfig();
    KubeConnectionPool.closeIdle();
    const before = sim.requests.connections.kubernetes;
    for (let i = 0; i < 2; i++) {
      const pool = new KubeConnectionPool();
      const kube = await kubeClientFromKubeconfig(config, { pool });
      expect(((await kube.getJson('/api/v1/nodes')) as { items: unknown[] }).items.length).toBeGreaterThan(0);
      pool.close();
    }
    expect(sim.requests.connections.kubernetes - before).toBe(1);
    KubeConnectionPool.closeIdle();
    const pool = new KubeConnectionPool();
    const kube = await kubeClientFromKubeconfig(config, { pool });
    await kube.getJson('/api/v1/nodes');
    pool.close();
    expect(sim.requests.connections.kubernetes - before).toBe(2);
  });
});
