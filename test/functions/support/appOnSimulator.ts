/**
 * The real Functions app on the local host, wired (setDependencyFactory) to the real SDK clients and Kubernetes
 * client against an AKS simulator over HTTPS, with results in memory: the set-up of the host + simulator tests.
 */
import path from 'node:path';
import { startHost, type RunningHost } from '../../../local/host';
import { startSimulator, type RunningSimulator } from '../../../sim/server';
import { createAzureClients, type AzureClients } from '../../../shared/azure/clients';
import { armOperations } from '../../../shared/azure/operations';
import { kubernetesActions, type KubernetesActions } from '../../../shared/kube/actions';
import type { Snapshot } from '../../../shared/model/snapshot';
import { MemoryResultStore } from '../../../shared/rollout/store';
import { factsReader, fleetDiscovery, setDependencyFactory } from '../../../functions/dependencies';

export interface AppOnSimulator {
  sim: RunningSimulator;
  host: RunningHost;
  clients: AzureClients;
  kube: KubernetesActions;
  store: MemoryResultStore;
  close(): Promise<void>;
}

export async function startAppOnSimulator(options: { snapshot: Snapshot; faults?: string; retryDelayInMs?: number }): Promise<AppOnSimulator> {
  const sim = await startSimulator({ snapshot: options.snapshot, timeScale: 0.0005, throttling: false, ...(options.faults ? { faults: options.faults } : {}) });
  const clients = createAzureClients({ endpoint: sim.armEndpoint, caCertPath: sim.caCertPath, ...(options.retryDelayInMs !== undefined ? { retryDelayInMs: options.retryDelayInMs } : {}) });
  const kube = kubernetesActions(clients);
  const store = new MemoryResultStore();
  setDependencyFactory(() => ({
    clusters: armOperations(clients),
    kube,
    facts: factsReader(clients),
    discovery: fleetDiscovery(clients),
    results: store,
    locks: store,
  }));
  const host = await startHost({ entry: path.join(__dirname, '../../../functions/index.ts'), clockScale: 1000, timers: false, log: () => undefined });
  return {
    sim,
    host,
    clients,
    kube,
    store,
    close: async () => {
      await host.stop();
      clients.close();
      kube.close();
      await sim.stop();
    },
  };
}
