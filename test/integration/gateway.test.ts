/**
 * The gateway: the same SDK clients for Azure and the simulator, switched by AKSNET_ARM_ENDPOINT /
 * AKSNET_CA_CERT, over HTTPS with the simulator's CA, as a principal the simulator can name.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRestError } from '@azure/core-rest-pipeline';
import { startSimulator, type RunningSimulator } from '../../sim/server';
import { sampleFleet, SAMPLE_SUBSCRIPTIONS } from '../../sim/sample-fleet';
import { createAzureClients, operationKey } from '../../shared/azure/clients';
import { localPrincipal } from '../../shared/azure/credential';
import { resolveArmTarget, GatewayConfigError } from '../../shared/azure/target';
import { clusterQuery, parseTimespanMs } from '../../shared/azure/discovery';

describe('ARM target from the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aksnet-gw-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is Azure when AKSNET_ARM_ENDPOINT is unset', () => {
    expect(resolveArmTarget({}, {})).toEqual({ kind: 'azure', endpoint: 'https://management.azure.com' });
  });

  it('is the simulator when AKSNET_ARM_ENDPOINT is set, with the CA read from AKSNET_CA_CERT', () => {
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const t = resolveArmTarget({}, { AKSNET_ARM_ENDPOINT: 'https://127.0.0.1:8443/', AKSNET_CA_CERT: ca });
    expect(t).toMatchObject({ kind: 'simulator', endpoint: 'https://127.0.0.1:8443', caCertPath: ca });
  });

  it('refuses plain http, a missing CA file and a non-PEM CA with one line naming the fix', () => {
    expect(() => resolveArmTarget({}, { AKSNET_ARM_ENDPOINT: 'http://127.0.0.1:8443' })).toThrow(GatewayConfigError);
    expect(() => resolveArmTarget({}, { AKSNET_ARM_ENDPOINT: 'http://127.0.0.1:8443' })).toThrow(/must be https.*armEndpoint/);
    expect(() => resolveArmTarget({}, { AKSNET_ARM_ENDPOINT: 'https://127.0.0.1:1', AKSNET_CA_CERT: join(dir, 'nope.pem') })).toThrow(/AKSNET_CA_CERT=.*does not exist: set it to the caCertPath/);
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'hello');
    expect(() => resolveArmTarget({}, { AKSNET_ARM_ENDPOINT: 'https://127.0.0.1:1', AKSNET_CA_CERT: junk })).toThrow(/is not a PEM certificate/);
    expect(() => resolveArmTarget({}, { AKSNET_ARM_ENDPOINT: 'not a url' })).toThrow(/is not a URL/);
    for (const f of [() => resolveArmTarget({}, { AKSNET_ARM_ENDPOINT: 'not a url' })]) {
      try {
        f();
      } catch (e) {
        expect((e as Error).message).not.toContain('\n');
      }
    }
  });

  it('writes the Resource Graph query with escaped filters and reads the quota reset time', () => {
    expect(clusterQuery({ resourceGroup: 'rg-a', tags: { team: "o'brien" } })).toBe(
      "Resources\n| where type =~ 'microsoft.containerservice/managedclusters'\n| where resourceGroup =~ 'rg-a'\n| where tags['team'] =~ 'o\\'brien'",
    );
    expect(parseTimespanMs('00:00:04.5')).toBe(4500);
    expect(parseTimespanMs('00:01:00')).toBe(60000);
  });

  it('names requests by operation for the request counts', () => {
    expect(operationKey('GET', 'https://h/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v?api-version=1')).toBe('GET Microsoft.Network/virtualNetworks');
    expect(operationKey('POST', 'https://h/subscriptions/s/resourcegroups/r/providers/Microsoft.ContainerService/managedClusters/c/listClusterUserCredential')).toBe(
      'POST Microsoft.ContainerService/managedClusters/listClusterUserCredential',
    );
  });
});

describe('gateway against the simulator', () => {
  let sim: RunningSimulator;
  const saved = { endpoint: process.env.AKSNET_ARM_ENDPOINT, ca: process.env.AKSNET_CA_CERT };
  beforeAll(async () => {
    sim = await startSimulator({ snapshot: sampleFleet(), timeScale: 0.0005, throttling: false });
  });
  afterAll(async () => {
    process.env.AKSNET_ARM_ENDPOINT = saved.endpoint;
    process.env.AKSNET_CA_CERT = saved.ca;
    if (saved.endpoint === undefined) delete process.env.AKSNET_ARM_ENDPOINT;
    if (saved.ca === undefined) delete process.env.AKSNET_CA_CERT;
    await sim?.stop();
  });

  it('points the same SDK clients at the simulator from the environment alone', async () => {
    process.env.AKSNET_ARM_ENDPOINT = sim.armEndpoint;
    process.env.AKSNET_CA_CERT = sim.caCertPath;
    const clients = createAzureClients();
    try {
      expect(clients.target.kind).toBe('simulator');
      const cs = clients.containerService(SAMPLE_SUBSCRIPTIONS[0]);
      const names: string[] = [];
      for await (const c of cs.managedClusters.list()) names.push(c.name!);
      expect(names).toContain('aks-payments-prd');
      const cluster = await cs.managedClusters.get('rg-payments-prd', 'aks-payments-prd');
      expect(cluster.networkProfile?.networkPlugin).toBe('kubenet');
      const subnetId = sampleFleet().resources.find((r) => r.name === 'aks-payments-prd')!.properties!.agentPoolProfiles as Array<{ vnetSubnetID: string }>;
      const [, , sub, , rg, , , , vnet] = subnetId[0].vnetSubnetID.split('/');
      const v = await clients.network(sub).virtualNetworks.get(rg, vnet);
      expect(v.subnets?.length).toBeGreaterThan(0);
      const rows = await clients.resourceGraph.resources({ subscriptions: [...SAMPLE_SUBSCRIPTIONS], query: "Resources | where type =~ 'microsoft.containerservice/managedclusters'" });
      expect(rows.totalRecords).toBe(13);
      expect(clients.stats.byOperation['GET Microsoft.Network/virtualNetworks']).toBe(1);
      expect(clients.stats.resourceGraph).toBe(1);
    } finally {
      clients.close();
    }
  });

  it('turns AKS errors into RestError with the ARM code', async () => {
    const clients = createAzureClients({ endpoint: sim.armEndpoint, caCertPath: sim.caCertPath, maxRetries: 0 });
    try {
      let error: unknown;
      try {
        await clients.containerService(SAMPLE_SUBSCRIPTIONS[0]).managedClusters.get('rg-payments-prd', 'no-such-cluster');
      } catch (e) {
        error = e;
      }
      expect(isRestError(error)).toBe(true);
      expect(error).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    } finally {
      clients.close();
    }
  });

  it('acts as the local identity: writes are logged under its oid', async () => {
    const clients = createAzureClients({ endpoint: sim.armEndpoint, caCertPath: sim.caCertPath });
    try {
      const cs = clients.containerService(SAMPLE_SUBSCRIPTIONS[0]);
      const pool = await cs.agentPools.get('rg-web-prd', 'aks-web-prd', 'user1');
      const done = await cs.agentPools.createOrUpdate('rg-web-prd', 'aks-web-prd', 'user1', { ...pool, count: (pool.count ?? 0) + 1 });
      expect(done.count).toBe((pool.count ?? 0) + 1);
      const entry = sim.world.log.find((e) => e.method === 'PUT' && /agentPools\/user1$/i.test(e.resourceId));
      expect(entry?.oid).toBe(localPrincipal().oid);
      expect(entry?.appid).toBe('aksnet-cli');
    } finally {
      clients.close();
    }
  });
});
