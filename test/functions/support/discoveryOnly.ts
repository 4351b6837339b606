/**
 * The app's dependencies for tests of the rollout side alone: discovery returns the given facts, results and locks
 * are one in-memory store, and every write port throws (a rollout's discovery and batches must never reach them).
 */
import { setDependencyFactory, type Dependencies } from '../../../functions/dependencies';
import type { ClusterFacts } from '../../../shared/model/facts';
import { MemoryResultStore } from '../../../shared/rollout/store';

export function useDiscoveryOnly(facts: ClusterFacts[], why: string): MemoryResultStore {
  const store = new MemoryResultStore();
  const unused = (): never => {
    throw new Error(`not used by ${why}`);
  };
  const deps: Dependencies = {
    clusters: { getCluster: unused, beginPutCluster: unused, getOperation: unused, beginScaleAgentPool: unused },
    kube: { listNodePools: unused, patchNodePool: unused, listNodes: unused, deleteNode: unused },
    facts: { readCluster: unused },
    discovery: { discover: async () => ({ clusters: facts, failures: [] }) },
    results: store,
    locks: store,
  };
  setDependencyFactory(() => deps);
  return store;
}
