/**
 * The composition root of the Functions app: what the activities talk to. Built once per process from app
 * settings by a factory. The lead wires `createDependenciesFromEnvironment` to shared/azure (the gateway) and to
 * the result store of the host (SQLite locally, Table storage in Azure); tests call `setDependencyFactory`.
 *
 * Store choice (results, locks, remediation decisions): AKSNET_TABLE_ENDPOINT set → Table storage in the app's
 * storage account with the app's identity (shared/storage/tables.ts), shared by every instance of the app;
 * AKSNET_TABLE_CONNECTION_STRING set → the same against Azurite (development only); neither → SQLite
 * (AKSNET_RESULTS_DB, in memory when unset): the local host, one process.
 */
import { armIdKey } from '../shared/arm/id';
import { createAzureClients, type AzureClients } from '../shared/azure/clients';
import { collectCluster, collectSnapshot } from '../shared/azure/collect';
import { normalizeFleet } from '../shared/model/normalize';
import { armOperations } from '../shared/azure/operations';
import { kubernetesActions } from '../shared/kube/actions';
import type { ClusterFactsReader, ClusterKubernetes, ClusterOperations, FleetDiscovery } from '../shared/migration/ports';
import { SqliteDecisionStore } from '../shared/remediation/sqliteDecisionStore';
import type { DecisionStore } from '../shared/remediation/store';
import { TableDecisionStore } from '../shared/remediation/tableDecisionStore';
import { SqliteResultStore } from '../shared/rollout/sqliteStore';
import type { ClusterLocks, ResultStore } from '../shared/rollout/store';
import { TableResultStore } from '../shared/rollout/tableStore';
import { DECISIONS_TABLE_SETTING, LOCKS_TABLE_SETTING, RESULTS_TABLE_SETTING, TABLE_CONNECTION_STRING_SETTING, TABLE_ENDPOINT_SETTING, tablesFromSettings, type AksnetTables } from '../shared/storage/tables';

export interface Dependencies {
  clusters: ClusterOperations;
  kube: ClusterKubernetes;
  facts: ClusterFactsReader;
  discovery: FleetDiscovery;
  results: ResultStore;
  locks: ClusterLocks;
}

export type DependencyFactory = (env: NodeJS.ProcessEnv) => Dependencies | Promise<Dependencies>;

/** Where the local host keeps per-cluster results and locks (a SQLite file); in memory when unset. */
export const RESULTS_DB_SETTING = 'AKSNET_RESULTS_DB';

/** The remediation decision store (the lock and correlation-id checks ask `results` and `locks`: functions/eventGrid.ts). */
export type RemediationStore = DecisionStore & { close?(): void };

/** The settings that choose the stores: a change of any of them means new stores. */
export function storeSettingsKey(env: NodeJS.ProcessEnv): string {
  const names = [TABLE_ENDPOINT_SETTING, TABLE_CONNECTION_STRING_SETTING, RESULTS_TABLE_SETTING, LOCKS_TABLE_SETTING, DECISIONS_TABLE_SETTING, RESULTS_DB_SETTING];
  return JSON.stringify(names.map((n) => env[n] ?? null));
}

/**
 * Without a file (AKSNET_RESULTS_DB unset or ':memory:') results, locks and decisions share ONE in-memory database
 * per process, so remediation's "being migrated" and "own correlation id" answers and the decisions' migration
 * results see what the rollouts wrote.
 */
let memoryResults: SqliteResultStore | undefined;
function sqliteResults(env: NodeJS.ProcessEnv): SqliteResultStore {
  const file = env[RESULTS_DB_SETTING];
  if (file && file !== ':memory:') return new SqliteResultStore(file);
  return (memoryResults ??= new SqliteResultStore(':memory:'));
}

/**
 * One Table result store per set of store settings: the decision store reads migration results through the same
 * clients, credential and table creation as the rollouts, instead of building them a second time.
 */
const tableStores = new Map<string, { tables: AksnetTables; results: TableResultStore }>();
function tableStoresFor(env: NodeJS.ProcessEnv): { tables: AksnetTables; results: TableResultStore } | undefined {
  const key = storeSettingsKey(env);
  const known = tableStores.get(key);
  if (known) return known;
  const tables = tablesFromSettings(env);
  if (!tables) return undefined;
  const built = { tables, results: new TableResultStore(tables) };
  tableStores.set(key, built);
  return built;
}

/** Results + locks: Table storage when configured, else SQLite (see the header). */
export function resultStoreFromSettings(env: NodeJS.ProcessEnv): ResultStore & ClusterLocks {
  return tableStoresFor(env)?.results ?? sqliteResults(env);
}

/** Remediation decisions: Table storage when configured (beside the results and locks), else SQLite. */
export function decisionStoreFromSettings(env: NodeJS.ProcessEnv): RemediationStore {
  const table = tableStoresFor(env);
  if (table) return new TableDecisionStore(table.tables.decisions, table.results);
  const file = env[RESULTS_DB_SETTING];
  return new SqliteDecisionStore(file && file !== ':memory:' ? file : sqliteResults(env));
}

/** Facts of one cluster, fresh from ARM and its Kubernetes API, through the gateway's collector. */
export function factsReader(clients: AzureClients): ClusterFactsReader {
  return {
    async readCluster(clusterId) {
      const { snapshot, failures } = await collectCluster(clusterId, { clients });
      const facts = normalizeFleet(snapshot).find((f) => armIdKey(f.id) === armIdKey(clusterId));
      if (!facts) throw new Error(failures.find((f) => f.clusters.some((c) => armIdKey(c) === armIdKey(clusterId)))?.error ?? `cluster ${clusterId} was not found`);
      return facts;
    },
  };
}

/** Resource Graph discovery + facts for a rollout's selector, through the gateway's collector. */
export function fleetDiscovery(clients: AzureClients): FleetDiscovery {
  return {
    async discover(selector) {
      const rgs = selector.resourceGroups?.map((g) => g.toLowerCase());
      const { snapshot, failures } = await collectSnapshot({
        clients,
        subscriptions: selector.subscriptions,
        ...(rgs?.length === 1 ? { resourceGroup: rgs[0] } : {}),
        ...(selector.tags ? { tags: selector.tags } : {}),
        ...(selector.ids ? { ids: selector.ids } : {}),
      });
      const clusters = normalizeFleet(snapshot).filter((c) => !rgs || rgs.includes(c.resourceGroup.toLowerCase()));
      const found = new Set(clusters.map((c) => armIdKey(c.id)));
      // Clusters that could not be read at all; a VNet that could not be read only leaves a gap in the facts.
      const missing = failures.filter((f) => /\/managedclusters\/[^/]+$/i.test(f.id) && !found.has(armIdKey(f.id)));
      return { clusters, failures: missing.map((f) => ({ id: f.id, error: f.error })) };
    },
  };
}

/**
 * Reads the app settings and builds the real dependencies: the gateway (AKSNET_ARM_ENDPOINT / AKSNET_CA_CERT for
 * the simulator, else Azure with DefaultAzureCredential), the migration ports over it, and the result store
 * (Table storage with AKSNET_TABLE_ENDPOINT; else AKSNET_RESULTS_DB: a SQLite file, in memory when unset).
 */
export const createDependenciesFromEnvironment: DependencyFactory = (env) => {
  const clients = createAzureClients();
  const store = resultStoreFromSettings(env);
  return {
    clusters: armOperations(clients),
    kube: kubernetesActions(clients),
    facts: factsReader(clients),
    discovery: fleetDiscovery(clients),
    results: store,
    locks: store,
  };
};

let factory: DependencyFactory = createDependenciesFromEnvironment;
let built: Promise<Dependencies> | undefined;

/** Replaces the factory (tests, the local host); the next activity builds the dependencies anew. */
export function setDependencyFactory(next: DependencyFactory): void {
  factory = next;
  built = undefined;
}

export function dependencies(): Promise<Dependencies> {
  if (!built) {
    built = Promise.resolve().then(() => factory(process.env));
    // A failed build is not cached: the next activity tries again (settings may have been fixed).
    built.catch(() => {
      built = undefined;
    });
  }
  return built;
}
