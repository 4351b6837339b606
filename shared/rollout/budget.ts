/**
 * The failure budget: how many clusters may end `failed` before the rollout halts and waits for a person to
 * resume or cancel. Like Azure Kubernetes Fleet Manager's maxAllowedFailures (aks-facts § The nearest peer) the
 * default is to fail fast: no budget given = 0 failures allowed in total.
 *
 * A budget is a count (3) or a percentage ("5%") of the clusters to migrate — in the whole rollout for `total`,
 * in the stage for `perStage` — rounded down. The rollout halts when failures exceed a budget. After `resume`
 * the failures so far are accepted, and each further failure while over budget halts it again.
 * Only `failed` counts: `blocked` (preflight said no, nothing written), `skipped` and `cancelled` do not.
 */
import { resolveCountOrPercent, type RolloutSpec } from './spec';

export interface BudgetLimits {
  /** Failures allowed in the whole rollout; undefined = unlimited. */
  total?: number;
  /** Failures allowed per stage, by stage name; undefined = unlimited. */
  perStage: Record<string, number | undefined>;
}

export interface BudgetState {
  failedTotal: number;
  failedByStage: Record<string, number>;
  /** Failures accepted by the last `resume` (total and for the stage running then). */
  acceptedTotal: number;
  acceptedByStage: Record<string, number>;
}

export function budgetLimits(spec: Pick<RolloutSpec, 'failureBudget'>, totalClusters: number, stageSizes: Record<string, number>): BudgetLimits {
  const budget = spec.failureBudget;
  const total = budget === undefined || (budget.total === undefined && budget.perStage === undefined) ? 0 : resolveCountOrPercent(budget.total, totalClusters);
  const perStage: Record<string, number | undefined> = {};
  for (const [stage, size] of Object.entries(stageSizes)) perStage[stage] = resolveCountOrPercent(budget?.perStage, size);
  return { total, perStage };
}

export function emptyBudgetState(): BudgetState {
  return { failedTotal: 0, failedByStage: {}, acceptedTotal: 0, acceptedByStage: {} };
}

export function recordFailure(state: BudgetState, stage: string): BudgetState {
  return {
    ...state,
    failedTotal: state.failedTotal + 1,
    failedByStage: { ...state.failedByStage, [stage]: (state.failedByStage[stage] ?? 0) + 1 },
  };
}

/** Why the rollout must halt now, or undefined when it may go on. */
export function budgetHalt(limits: BudgetLimits, state: BudgetState, stage: string): string | undefined {
  const failedStage = state.failedByStage[stage] ?? 0;
  const stageLimit = limits.perStage[stage];
  if (stageLimit !== undefined && failedStage > stageLimit && failedStage > (state.acceptedByStage[stage] ?? 0)) {
    return `failure budget of stage '${stage}' spent: ${failedStage} failed, ${stageLimit} allowed`;
  }
  if (limits.total !== undefined && state.failedTotal > limits.total && state.failedTotal > state.acceptedTotal) {
    return `total failure budget spent: ${state.failedTotal} failed, ${limits.total} allowed`;
  }
  return undefined;
}

/** `resume`: accept the failures so far. */
export function acceptFailures(state: BudgetState, stage: string): BudgetState {
  return { ...state, acceptedTotal: state.failedTotal, acceptedByStage: { ...state.acceptedByStage, [stage]: state.failedByStage[stage] ?? 0 } };
}

/** Failures still allowed before a halt (for status), undefined when unlimited. */
export function budgetLeft(limits: BudgetLimits, state: BudgetState): number | undefined {
  return limits.total === undefined ? undefined : Math.max(0, limits.total - state.failedTotal);
}
