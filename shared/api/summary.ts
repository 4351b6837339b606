/**
 * GET /api/rollouts/{id}: the rollout summary, shaped from the orchestration's status. The rollout orchestrator
 * publishes its RolloutReport (functions/contracts.ts) as custom status — aggregates only, under 16 KB at any
 * fleet size — and returns it as output when it ends. shared/ may not import functions/, so the fields read here
 * are declared again as a loose zod schema: unknown fields are ignored, missing ones default, and a status this
 * code does not understand still yields a summary instead of a 500.
 */
import { z } from 'zod';

/** Durable runtime statuses (durable-local-host.md § Management API shapes). */
export type RuntimeStatus = 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Pending' | 'Suspended';

export interface InstanceStatus {
  instanceId: string;
  runtimeStatus: RuntimeStatus | string;
  customStatus?: unknown;
  output?: unknown;
  createdTime?: string;
  lastUpdatedTime?: string;
}

const counts = z.record(z.string(), z.number()).catch({});

const ReportSchema = z.looseObject({
  name: z.string().optional().catch(undefined),
  status: z.string().optional().catch(undefined),
  phase: z.string().optional().catch(undefined),
  target: z.string().optional().catch(undefined),
  total: z.number().optional().catch(undefined),
  byVerdict: counts.optional(),
  counts: counts.optional(),
  stages: z
    .array(z.looseObject({ name: z.string(), size: z.number().optional().catch(undefined), state: z.string().optional().catch(undefined), counts: counts.optional() }))
    .catch([])
    .optional(),
  currentStage: z.string().optional().catch(undefined),
  running: z.number().optional().catch(undefined),
  failureBudgetLeft: z.number().optional().catch(undefined),
  /** Not yet published by the orchestrator; read when present (see the report of H9). */
  stageFailureBudgetLeft: z.number().optional().catch(undefined),
  haltReason: z.string().optional().catch(undefined),
  waitingUntil: z.string().optional().catch(undefined),
  startedAt: z.string().optional().catch(undefined),
  updatedAt: z.string().optional().catch(undefined),
});

export interface StageSummary {
  name: string;
  status: string;
  size?: number;
  counts: Record<string, number>;
}

export interface RolloutSummary {
  id: string;
  name?: string;
  /** The rollout's own status (running, waitingForApproval, halted, completed, …), or the runtime's when it failed or was terminated. */
  status: string;
  runtimeStatus: string;
  phase?: string;
  target?: string;
  total?: number;
  stages: StageSummary[];
  currentStage?: string;
  running?: number;
  verdictCounts: Record<string, number>;
  /** Cluster outcomes so far over the whole rollout. */
  counts: Record<string, number>;
  /** null = unlimited or not known yet. */
  failureBudget: { perStageLeft: number | null; totalLeft: number | null };
  /** Stages waiting for `POST /api/rollouts/{id}/approve`. */
  waitingApprovals: Array<{ stage: string }>;
  haltReason?: string;
  waitingUntil?: string;
  startedAt?: string;
  updatedAt?: string;
}

/** Runtime statuses that mean the instance will do nothing more. */
export const ENDED_RUNTIME_STATUSES: ReadonlySet<string> = new Set(['Completed', 'Failed', 'Canceled', 'Terminated']);

export function summarizeRollout(instance: InstanceStatus): RolloutSummary {
  const ended = ENDED_RUNTIME_STATUSES.has(instance.runtimeStatus);
  // A finished rollout returns its last report as output; custom status may hold the same or an older one.
  const source = ended && instance.output !== null && typeof instance.output === 'object' ? instance.output : instance.customStatus;
  const parsed = ReportSchema.safeParse(source ?? {});
  const r = parsed.success ? parsed.data : ReportSchema.parse({});
  const status =
    instance.runtimeStatus === 'Failed' || instance.runtimeStatus === 'Terminated' || instance.runtimeStatus === 'Canceled'
      ? instance.runtimeStatus.toLowerCase()
      : instance.runtimeStatus === 'Pending'
        ? 'pending'
        : (r.status ?? instance.runtimeStatus.toLowerCase());
  const waitingApprovals = status === 'waitingForApproval' && r.currentStage !== undefined ? [{ stage: r.currentStage }] : [];
  return {
    id: instance.instanceId,
    ...(r.name !== undefined ? { name: r.name } : {}),
    status,
    runtimeStatus: instance.runtimeStatus,
    ...(r.phase !== undefined ? { phase: r.phase } : {}),
    ...(r.target !== undefined ? { target: r.target } : {}),
    ...(r.total !== undefined ? { total: r.total } : {}),
    stages: (r.stages ?? []).map((s) => ({ name: s.name, status: s.state ?? 'pending', ...(s.size !== undefined ? { size: s.size } : {}), counts: s.counts ?? {} })),
    ...(r.currentStage !== undefined ? { currentStage: r.currentStage } : {}),
    ...(r.running !== undefined ? { running: r.running } : {}),
    verdictCounts: r.byVerdict ?? {},
    counts: r.counts ?? {},
    failureBudget: { perStageLeft: r.stageFailureBudgetLeft ?? null, totalLeft: r.failureBudgetLeft ?? null },
    waitingApprovals,
    ...(r.haltReason !== undefined ? { haltReason: r.haltReason } : {}),
    ...(r.waitingUntil !== undefined ? { waitingUntil: r.waitingUntil } : {}),
    ...(r.startedAt !== undefined ? { startedAt: r.startedAt } : (instance.createdTime !== undefined ? { startedAt: instance.createdTime } : {})),
    ...(r.updatedAt !== undefined ? { updatedAt: r.updatedAt } : (instance.lastUpdatedTime !== undefined ? { updatedAt: instance.lastUpdatedTime } : {})),
  };
}
