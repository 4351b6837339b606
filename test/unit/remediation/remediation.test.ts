import { decide, remediationInstanceId, type DecisionFacts } from '../../../shared/remediation/decide';
import { EventParseError, parseGridEvent, parseGridEvents, webhookHandshake } from '../../../shared/remediation/events';
import { PolicyError, parsePolicy, policyFromSettings, type RemediationPolicy } from '../../../shared/remediation/policy';
import { remediate, type RemediationPorts } from '../../../shared/remediation/remediate';
import { MemoryDecisionStore } from '../../../shared/remediation/store';
import type { Target } from '../../../shared/model/assessment';

const SUB = '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const OTHER_SUB = '11111111-2222-4333-8444-555555555555';
const AKSNET_OID = 'aaaaaaaa-0000-4000-8000-000000000001';
const AKSNET_APPID = 'aaaaaaaa-0000-4000-8000-000000000002';
const ALICE_OID = 'bbbbbbbb-0000-4000-8000-000000000003';
const cluster = (name: string, rg = 'rg-apps', sub = SUB): string => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;

/** A ResourceWriteSuccess as the subscription system topic delivers it (Event Grid schema). */
function writeEvent(id: string, resourceUri: string, opts: { oid?: string; appid?: string; correlationId?: string; time?: string; operationName?: string } = {}): Record<string, unknown> {
  const sub = resourceUri.split('/')[2];
  return {
    id,
    topic: `/subscriptions/${sub}`,
    subject: resourceUri,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: opts.time ?? '2026-11-21T19:00:10.000Z',
    dataVersion: '2',
    metadataVersion: '1',
    data: {
      authorization: { scope: resourceUri, action: 'Microsoft.ContainerService/managedClusters/write', evidence: { role: 'Contributor', principalId: opts.oid ?? ALICE_OID, principalType: 'User' } },
      claims: {
        aud: 'https://management.core.windows.net/',
        'http://schemas.microsoft.com/identity/claims/objectidentifier': opts.oid ?? ALICE_OID,
        appid: opts.appid ?? '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
      },
      correlationId: opts.correlationId ?? 'c0ffee00-0000-4000-8000-000000000000',
      resourceProvider: 'Microsoft.ContainerService',
      resourceUri,
      operationName: opts.operationName ?? 'Microsoft.ContainerService/managedClusters/write',
      status: 'Succeeded',
      subscriptionId: sub,
      tenantId: '72f988bf-0000-4000-8000-000000000000',
    },
  };
}

/** An AKS system-topic event (CloudEvents schema, as learn.microsoft.com/azure/event-grid/event-schema-aks shows). */
function aksEvent(id: string, type: string, clusterId: string, data: Record<string, unknown> = {}): Record<string, unknown> {
  return { specversion: '1.0', id, source: clusterId, subject: clusterId.split('/').pop(), type: `Microsoft.ContainerService.${type}`, time: '2026-11-21T19:00:00Z', data };
}

const POLICY_YAML = `
mode: migrate
target: overlay+cilium
scope:
  subscriptions: [${SUB}]
ownIdentities:
  objectIds: [${AKSNET_OID}]
  appIds: [${AKSNET_APPID}]
debounceSeconds: 600
`;
const policy = (over: Partial<RemediationPolicy> = {}): RemediationPolicy => ({ ...parsePolicy(POLICY_YAML), ...over });
const noFacts: DecisionFacts = { eventSeen: false, ownCorrelationId: false };

describe('parsing deliveries', () => {
  it('reads Event Grid and CloudEvents events, single or in an array', () => {
    const eg = parseGridEvent(writeEvent('e1', cluster('aks-a')));
    expect(eg).toMatchObject({ id: 'e1', type: 'Microsoft.Resources.ResourceWriteSuccess', subject: cluster('aks-a'), schema: 'eventGrid', time: '2026-11-21T19:00:10.000Z' });
    const ce = parseGridEvents([aksEvent('e2', 'ClusterSupportEnding', cluster('aks-a'), { kubernetesVersion: '1.27.3' })]);
    expect(ce[0]).toMatchObject({ id: 'e2', topic: cluster('aks-a'), subject: 'aks-a', schema: 'cloudEvents', data: { kubernetesVersion: '1.27.3' } });
  });

  it('names what is wrong with a malformed event', () => {
    expect(() => parseGridEvents([writeEvent('ok', cluster('a')), { id: 'x', subject: 's', eventTime: 'yesterday' }])).toThrow(EventParseError);
    expect(() => parseGridEvents([writeEvent('ok', cluster('a')), { id: 'x', subject: 's', eventTime: 'yesterday' }])).toThrow(/event \[1\]: not an Event Grid event: eventType: .*eventTime: must be an ISO date-time/);
    expect(() => parseGridEvent('text')).toThrow('an event must be a JSON object');
  });

  it('answers the subscription validation handshake of an HTTP webhook, and the CloudEvents OPTIONS request', () => {
    const validation = [{ id: 'v1', topic: `/subscriptions/${SUB}`, subject: '', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', eventTime: '2026-11-21T19:00:00Z', data: { validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6', validationUrl: 'https://rp-eastus2.eventgrid.azure.net/...' }, dataVersion: '1', metadataVersion: '1' }];
    expect(webhookHandshake('POST', undefined, validation)).toEqual({ kind: 'validation', status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, jsonBody: { validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' } });
    expect(webhookHandshake('OPTIONS', 'eventgrid.azure.net', undefined)).toMatchObject({ kind: 'cloudEventsOptions', headers: { 'webhook-allowed-origin': 'eventgrid.azure.net' } });
    expect(webhookHandshake('POST', undefined, [writeEvent('e1', cluster('a'))])).toEqual({ kind: 'none' });
    // A code that could inject into the response is not echoed.
    expect(webhookHandshake('POST', undefined, [{ ...validation[0], data: { validationCode: '<script>' } }])).toEqual({ kind: 'none' });
  });
});

describe('policy', () => {
  it('parses YAML or JSON and applies defaults', () => {
    const p = parsePolicy(JSON.stringify({ mode: 'report', target: 'cilium', ownIdentities: { objectIds: [AKSNET_OID] } }));
    expect(p).toEqual({ mode: 'report', target: 'cilium', scope: {}, ownIdentities: { objectIds: [AKSNET_OID], appIds: [] }, debounceSeconds: 900 });
    expect(parsePolicy(POLICY_YAML).debounceSeconds).toBe(600);
  });

  it('fails with one line naming every problem and the fix', () => {
    expect(() => parsePolicy(undefined)).toThrow('AKSNET_REMEDIATION_POLICY is not set; set it to a remediation policy in JSON or YAML');
    expect(() => parsePolicy('mode: [')).toThrow(/is not valid JSON or YAML/);
    let err: unknown;
    try {
      parsePolicy(JSON.stringify({ mode: 'fix', target: 'overlay', scope: { subscriptions: ['prod'] }, ownIdentities: {}, debounceSeconds: 0, extra: 1 }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyError);
    const msg = (err as Error).message;
    expect(msg.split('\n')).toHaveLength(1);
    for (const part of ["mode: must be 'report' or 'migrate'", 'scope.subscriptions.0: must be a GUID', "ownIdentities: list aksnet's own managed identity", 'debounceSeconds:', '(root): unknown field(s) extra']) {
      expect(msg).toContain(part);
    }
  });
});

describe('decide', () => {
  const ev = (raw: Record<string, unknown>) => parseGridEvent(raw);

  it('migrates a cluster written by someone else, under a deterministic instance id per debounce window', () => {
    const d = decide(ev(writeEvent('e1', cluster('aks-a'))), policy(), noFacts);
    expect(d).toMatchObject({ action: 'migrate', clusterId: cluster('aks-a'), principal: { objectId: ALICE_OID }, correlationId: 'c0ffee00-0000-4000-8000-000000000000' });
    expect(d.instanceId).toBe(`remediate:${SUB}:rg-apps:aks-a:20261121t190000z`);
    expect(d.dedupeKey).toBe(d.instanceId);
    // Another write 5 minutes later is in the same 10-minute window: the same instance id.
    expect(remediationInstanceId(cluster('aks-a'), '2026-11-21T19:09:59Z', 600)).toBe(d.instanceId);
    expect(remediationInstanceId(cluster('aks-a'), '2026-11-21T19:10:00Z', 600)).not.toBe(d.instanceId);
  });

  it('treats a child resource write (agentPools) as a write to its cluster', () => {
    const d = decide(ev(writeEvent('e1', `${cluster('aks-a')}/agentPools/nodepool1`, { operationName: 'Microsoft.ContainerService/managedClusters/agentPools/write' })), policy(), noFacts);
    expect([d.action, d.clusterId]).toEqual(['migrate', cluster('aks-a')]);
  });

  it('ignores events that are not about a managed cluster', () => {
    const vnet = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet1`;
    expect(decide(ev(writeEvent('e1', vnet, { operationName: 'Microsoft.Network/virtualNetworks/write' })), policy(), noFacts)).toMatchObject({ action: 'ignore', reason: 'not a managed cluster (or one of its child resources)' });
    const failed = { ...writeEvent('e2', cluster('a')), eventType: 'Microsoft.Resources.ResourceWriteFailure' };
    expect(decide(ev(failed), policy(), noFacts).reason).toContain('nothing changed');
    const other = { ...writeEvent('e3', cluster('a')), eventType: 'Microsoft.Storage.BlobCreated' };
    expect(decide(ev(other), policy(), noFacts)).toMatchObject({ action: 'ignore', dedupeKey: 'event:e3' });
  });

  it("ignores aksnet's own writes: by object id, app id, RBAC evidence, or its correlation id", () => {
    expect(decide(ev(writeEvent('e1', cluster('a'), { oid: AKSNET_OID.toUpperCase() })), policy(), noFacts).reason).toBe("written by aksnet's own identity");
    expect(decide(ev(writeEvent('e2', cluster('a'), { appid: AKSNET_APPID })), policy(), noFacts).action).toBe('ignore');
    const evidenceOnly = writeEvent('e3', cluster('a'));
    ((evidenceOnly.data as { authorization: { evidence: { principalId: string } } }).authorization.evidence.principalId = AKSNET_OID);
    expect(decide(ev(evidenceOnly), policy(), noFacts).action).toBe('ignore');
    const d = decide(ev(writeEvent('e4', cluster('a'), { correlationId: 'feed0000-0000-4000-8000-000000000000' })), policy(), { ...noFacts, ownCorrelationId: true });
    expect([d.action, d.reason]).toEqual(['ignore', 'correlation id feed0000-0000-4000-8000-000000000000 belongs to a write aksnet made']);
  });

  it('ignores clusters outside the scope: subscription, resource group, tags (from a fresh GET)', () => {
    expect(decide(ev(writeEvent('e1', cluster('a', 'rg', OTHER_SUB))), policy(), noFacts).reason).toBe(`subscription ${OTHER_SUB} is outside the policy's scope`);
    expect(decide(ev(writeEvent('e2', cluster('a', 'rg-data'))), policy({ scope: { resourceGroups: ['RG-APPS'] } }), noFacts).reason).toContain('resource group rg-data');
    const tagged = policy({ scope: { tags: { AksNet: 'enabled' } } });
    expect(decide(ev(writeEvent('e3', cluster('a'))), tagged, { ...noFacts, clusterTags: { aksnet: 'enabled' } }).action).toBe('migrate');
    expect(decide(ev(writeEvent('e4', cluster('a'))), tagged, { ...noFacts, clusterTags: { aksnet: 'disabled' } }).reason).toBe("outside the policy's scope: the cluster has tag 'aksnet' = 'disabled', not 'enabled'");
    expect(decide(ev(writeEvent('e5', cluster('a'))), tagged, { ...noFacts, clusterTags: null }).reason).toContain('no longer exists');
    expect(() => decide(ev(writeEvent('e6', cluster('a'))), tagged, noFacts)).toThrow(/clusterTags/);
  });

  it('leaves a cluster alone that is being migrated, and debounces bursts', () => {
    expect(decide(ev(writeEvent('e1', cluster('a'))), policy(), { ...noFacts, lockHolder: 'fleet-20261121:sub:rg:a' }).reason).toContain('lock held by fleet-20261121');
    const burst = decide(ev(writeEvent('e2', cluster('a'), { time: '2026-11-21T19:12:00Z' })), policy(), { ...noFacts, lastMigrateAt: '2026-11-21T19:09:00Z' });
    expect([burst.action, burst.reason]).toEqual(['ignore', 'a migration was already decided for this cluster 180 s earlier (within debounceSeconds 600)']);
    expect(decide(ev(writeEvent('e3', cluster('a'), { time: '2026-11-21T19:30:00Z' })), policy(), { ...noFacts, lastMigrateAt: '2026-11-21T19:09:00Z' }).action).toBe('migrate');
  });

  it('reports instead of migrating in report mode', () => {
    const d = decide(ev(writeEvent('e1', cluster('a'))), policy({ mode: 'report' }), noFacts);
    expect(d).toMatchObject({ action: 'report', dedupeKey: 'event:e1' });
    expect(d.instanceId).toBeUndefined();
  });

  it('decides AKS system-topic events by type', () => {
    const id = cluster('aks-a');
    expect(decide(ev(aksEvent('a1', 'NodePoolRollingStarted', id, { nodePoolName: 'nodepool1' })), policy(), noFacts)).toMatchObject({ action: 'ignore', clusterId: id });
    expect(decide(ev(aksEvent('a2', 'NodePoolRollingFailed', id)), policy(), noFacts).action).toBe('ignore');
    expect(decide(ev(aksEvent('a3', 'NewKubernetesVersionAvailable', id, { latestSupportedKubernetesVersion: '1.33.1' })), policy(), noFacts).action).toBe('ignore');
    const ending = decide(ev(aksEvent('a4', 'ClusterSupportEnding', id, { kubernetesVersion: '1.28.5' })), policy(), noFacts);
    expect([ending.action, ending.reason]).toEqual(['report', 'Kubernetes version 1.28.5 is going out of support: upgrade it; a migration is never started for this']);
    expect(decide(ev(aksEvent('a5', 'ClusterSupportEnded', cluster('x', 'rg', OTHER_SUB))), policy(), noFacts).action).toBe('ignore');
  });
});

describe('remediate (ports: decision store, ARM GET, locks, durable start)', () => {
  function setup(over: Partial<RemediationPorts> = {}) {
    const decisions = new MemoryDecisionStore();
    const starts: Array<{ instanceId: string; clusterId: string; target: Target }> = [];
    const instances = new Set<string>();
    const ports: RemediationPorts = {
      decisions,
      clusterTags: async () => ({ env: 'prod' }),
      isOwnCorrelationId: async (id) => id === 'feed0000-0000-4000-8000-000000000000',
      lockHolder: async () => undefined,
      async startMigration(instanceId, clusterId, target) {
        if (instances.has(instanceId)) return 'exists';
        instances.add(instanceId);
        starts.push({ instanceId, clusterId, target });
        return 'started';
      },
      now: () => new Date('2026-11-21T19:00:30Z'),
      ...over,
    };
    return { ports, decisions, starts };
  }

  it('the same event delivered twice starts one migration; the second is recorded as a duplicate', async () => {
    const { ports, starts, decisions } = setup();
    const e = writeEvent('e1', cluster('aks-a'));
    await remediate(e, policy(), ports);
    const again = await remediate([e], policy(), ports);
    expect(starts).toEqual([{ instanceId: `remediate:${SUB}:rg-apps:aks-a:20261121t190000z`, clusterId: cluster('aks-a'), target: 'overlay+cilium' }]);
    expect(again[0]).toMatchObject({ action: 'ignore', eventId: 'e1' });
    expect(again[0].reason).toContain('already delivered');
    const page = await decisions.list({ clusterId: cluster('AKS-A').toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/'), limit: 10 });
    expect(page.items.map((r) => [r.action, r.started])).toEqual([
      ['migrate', true],
      ['ignore', undefined],
    ]);
  });

  it('a burst of writes to one cluster in one delivery starts one migration', async () => {
    const { ports, starts } = setup();
    const burst = Array.from({ length: 20 }, (_, i) => writeEvent(`b${i}`, i % 2 ? `${cluster('aks-a')}/agentPools/pool${i}` : cluster('aks-a'), { time: `2026-11-21T19:0${Math.floor(i / 4)}:${10 + i}Z` }));
    const records = await remediate(burst, policy(), ports);
    expect(starts).toHaveLength(1);
    expect(records.filter((r) => r.action === 'migrate')).toHaveLength(1);
    expect(records.filter((r) => r.action === 'ignore')).toHaveLength(19);
  });

  it('a redelivery after the record was lost starts nothing new (the start comes before the record)', async () => {
    const { ports, starts } = setup();
    let fail = true;
    const store = ports.decisions;
    const flaky: RemediationPorts = {
      ...ports,
      decisions: {
        ...store,
        hasEvent: (id) => store.hasEvent(id),
        lastMigrate: (id) => store.lastMigrate(id),
        list: (q) => store.list(q),
        claimStart: (...args) => store.claimStart(...args),
        releaseStart: (...args) => store.releaseStart(...args),
        record: async (r) => {
          if (fail) {
            fail = false;
            throw new Error('table storage 503');
          }
          await store.record(r);
        },
      },
    };
    const e = writeEvent('e1', cluster('aks-a'));
    await expect(remediate(e, policy(), flaky)).rejects.toThrow('table storage 503');
    const [rec] = await remediate(e, policy(), flaky);
    expect(starts).toHaveLength(1);
    expect(rec).toMatchObject({ action: 'migrate', started: false });
    expect(rec.reason).toContain('already exists: nothing new started');
  });

  it("own writes, out-of-scope clusters and locked clusters start nothing, and every decision is recorded with its reason", async () => {
    const { ports, starts, decisions } = setup({ lockHolder: async (id) => (id.endsWith('/aks-busy') ? 'rollout-1:x' : undefined) });
    await remediate(
      [
        writeEvent('o1', cluster('aks-a'), { oid: AKSNET_OID }),
        writeEvent('o2', cluster('aks-a'), { correlationId: 'feed0000-0000-4000-8000-000000000000' }),
        writeEvent('o3', cluster('aks-x', 'rg', OTHER_SUB)),
        writeEvent('o4', cluster('aks-busy')),
        aksEvent('o5', 'NodePoolRollingSucceeded', cluster('aks-a')),
      ],
      policy(),
      ports,
    );
    expect(starts).toHaveLength(0);
    const all = await decisions.list({ limit: 10 });
    expect(all.items.map((r) => [r.eventId, r.action])).toEqual([
      ['o1', 'ignore'],
      ['o2', 'ignore'],
      ['o3', 'ignore'],
      ['o4', 'ignore'],
      ['o5', 'ignore'],
    ]);
    expect(all.items.map((r) => r.reason)).toEqual([
      "written by aksnet's own identity",
      'correlation id feed0000-0000-4000-8000-000000000000 belongs to a write aksnet made',
      `subscription ${OTHER_SUB} is outside the policy's scope`,
      'the cluster is being migrated already (lock held by rollout-1:x)',
      'node pools roll during upgrades and during an aksnet reimage; the network configuration did not change',
    ]);
    expect(all.items[0]).toMatchObject({ principal: { objectId: AKSNET_OID }, correlationId: 'c0ffee00-0000-4000-8000-000000000000', decidedAt: '2026-11-21T19:00:30.000Z' });
  });

  it('fetches tags only when the policy scopes by tags, and a failing GET fails the delivery (Event Grid retries)', async () => {
    let gets = 0;
    const { ports, starts } = setup({
      clusterTags: async () => {
        gets++;
        throw new Error('ARM 503');
      },
    });
    await remediate(writeEvent('t1', cluster('aks-a')), policy(), ports);
    expect(gets).toBe(0);
    await expect(remediate(writeEvent('t2', cluster('aks-b')), policy({ scope: { tags: { env: 'prod' } } }), ports)).rejects.toThrow('ARM 503');
    expect(starts.map((s) => s.clusterId)).toEqual([cluster('aks-a')]);
  });

  it('pages decisions by cluster and time', async () => {
    const { ports, decisions } = setup();
    await remediate(Array.from({ length: 5 }, (_, i) => aksEvent(`p${i}`, 'NodePoolRollingStarted', cluster(i < 3 ? 'aks-a' : 'aks-b'))), policy(), ports);
    const first = await decisions.list({ clusterId: cluster('aks-a'), limit: 2 });
    expect(first.items.map((r) => r.eventId)).toEqual(['p0', 'p1']);
    const second = await decisions.list({ clusterId: cluster('aks-a'), limit: 2, after: first.continuationToken });
    expect(second.items.map((r) => r.eventId)).toEqual(['p2']);
    expect(second.continuationToken).toBeUndefined();
    expect((await decisions.list({ since: '2026-11-21T20:00:00Z', limit: 5 })).items).toEqual([]);
  });
});

describe('policyFromSettings', () => {
  it('assembles the policy from the single app settings infra/main.bicep writes', () => {
    const p = policyFromSettings({
      AKSNET_REMEDIATION_MODE: 'migrate',
      AKSNET_REMEDIATION_TARGET: 'cilium',
      AKSNET_REMEDIATION_SUBSCRIPTIONS: `${SUB}, ${OTHER_SUB}`,
      AKSNET_REMEDIATION_TAGS: 'aksnet=enabled,env=prod',
      AKSNET_IDENTITY_PRINCIPAL_ID: AKSNET_OID,
      AKSNET_IDENTITY_CLIENT_ID: AKSNET_APPID,
    });
    expect(p).toEqual({ mode: 'migrate', target: 'cilium', scope: { subscriptions: [SUB, OTHER_SUB], tags: { aksnet: 'enabled', env: 'prod' } }, ownIdentities: { objectIds: [AKSNET_OID], appIds: [AKSNET_APPID] }, debounceSeconds: 900 });
  });
  it('prefers AKSNET_REMEDIATION_POLICY, and names bad single settings', () => {
    expect(policyFromSettings({ AKSNET_REMEDIATION_POLICY: POLICY_YAML, AKSNET_REMEDIATION_MODE: 'report' }).mode).toBe('migrate');
    expect(() => policyFromSettings({ AKSNET_REMEDIATION_TAGS: 'aksnet', AKSNET_IDENTITY_PRINCIPAL_ID: AKSNET_OID })).toThrow("AKSNET_REMEDIATION_TAGS entry 'aksnet' is not key=value");
    expect(() => policyFromSettings({ AKSNET_REMEDIATION_MODE: 'fix' })).toThrow(/AKSNET_IDENTITY_\* app settings is not a valid remediation policy: mode: must be 'report' or 'migrate'; ownIdentities: list aksnet's own managed identity/);
  });
});
