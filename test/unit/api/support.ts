/** Recording fakes of the API's ports (the outside world), and real-shaped inputs. */
import type { ApiPorts, PreflightFailure, RolloutAction } from '../../../shared/api/ports';
import type { InstanceStatus } from '../../../shared/api/summary';
import type { Assessment, Target } from '../../../shared/model/assessment';
import type { RolloutSpec } from '../../../shared/rollout/spec';
import { MemoryResultStore } from '../../../shared/rollout/store';

export const SUB = '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
export const clusterId = (rg: string, name: string): string => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;

export const SPEC = {
  name: 'fleet-overlay',
  target: 'overlay+cilium',
  selector: { subscriptions: [SUB] },
  stages: [
    { name: 'canary', count: 1, maxConcurrency: 1, approval: true },
    { name: 'rest', maxConcurrency: 10 },
  ],
  failureBudget: { total: 2 },
};

export interface Recorded {
  starts: Array<{ id: string; spec: RolloutSpec }>;
  raised: Array<{ id: string; action: RolloutAction; data: unknown }>;
  assessed: Array<{ ids: string[]; target: Target }>;
  /** Every `rollouts.status` call, in order (GET /api/rollouts makes one per rollout it reads from the index). */
  statusCalls: string[];
  logs: string[];
}

export function fakePorts(instances: Record<string, InstanceStatus> = {}, assessments: Record<string, Assessment> = {}): { ports: ApiPorts; rec: Recorded; store: MemoryResultStore } {
  const rec: Recorded = { starts: [], raised: [], assessed: [], statusCalls: [], logs: [] };
  const store = new MemoryResultStore();
  const ports: ApiPorts = {
    rollouts: {
      async start(id, spec) {
        rec.starts.push({ id, spec });
        instances[id] = { instanceId: id, runtimeStatus: 'Pending' };
      },
      async status(id) {
        rec.statusCalls.push(id);
        return instances[id];
      },
      async raise(id, action, data) {
        rec.raised.push({ id, action, data });
      },
    },
    results: store,
    preflight: {
      async assess(ids, target) {
        rec.assessed.push({ ids, target });
        return ids.map((id): Assessment | PreflightFailure => assessments[id.toLowerCase()] ?? { id, error: { code: 'NotFound', message: `managed cluster ${id} not found` } });
      },
    },
    now: () => new Date('2026-11-21T19:30:05.123Z'),
    randomHex: () => 'a1b2c3d4',
    log: (m) => rec.logs.push(m),
  };
  return { ports, rec, store };
}

/**
 * Registers instances in the rollout index as the API and the rollout's first activity do: created when the
 * instance was (its createdTime), named by the id's first segment.
 */
export async function indexInstances(store: MemoryResultStore, instances: Record<string, InstanceStatus>): Promise<void> {
  for (const i of Object.values(instances)) {
    await store.registerRollout({ rolloutId: i.instanceId, name: i.instanceId.split('-')[0], createdAt: i.createdTime ?? '2026-11-21T00:00:00.000Z' });
  }
}

export function assessment(id: string): Assessment {
  const parts = id.split('/');
  return {
    id,
    name: parts[8],
    resourceGroup: parts[4],
    subscriptionId: parts[2],
    verdict: 'ready',
    steps: ['ipam:overlay', 'dataplane:cilium'],
    podCidr: '192.168.0.0/16',
    findings: [],
    current: { ipam: 'kubenet', dataplane: 'azure', networkPolicy: 'none', nap: 'Manual' },
  };
}

/** A rollout's custom status as the rollout orchestrator publishes it (functions/contracts.ts RolloutReport). */
export function report(status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'fleet-overlay-20261121T193005Z-a1b2c3',
    name: 'fleet-overlay',
    status,
    target: 'overlay+cilium',
    total: 12,
    byVerdict: { ready: 10, blocked: 1, compliant: 1 },
    counts: { blocked: 1, compliant: 1, migrated: 1 },
    stages: [
      { name: 'canary', size: 1, counts: { migrated: 1 }, state: 'done' },
      { name: 'rest', size: 9, counts: {}, state: 'running' },
    ],
    currentStage: 'rest',
    running: 0,
    failureBudgetLeft: 2,
    startedAt: '2026-11-21T19:30:05.000Z',
    updatedAt: '2026-11-21T19:40:00.000Z',
    ...extra,
  };
}
