/** What one cluster's migration ended with: the record a user reads in `rollout show` and the HTTP API. */
import type { Finding, Step } from '../model/assessment';

export type ClusterOutcome = 'migrated' | 'compliant' | 'blocked' | 'failed' | 'skipped' | 'cancelled';
export const CLUSTER_OUTCOMES: readonly ClusterOutcome[] = ['migrated', 'compliant', 'blocked', 'failed', 'skipped', 'cancelled'];

/**
 * The steps whose operation durations are measured (StepRecord.operationSeconds) and may get a quiet period: the
 * network updates. NAP's mode PUTs and pool scaling are neither (short, and unlike each other).
 */
export const MEASURED_STEPS: readonly Step[] = ['ipam:overlay', 'dataplane:cilium'];

export interface StepRecord {
  step: Step;
  /** `done` = ARM reported Succeeded; `already` = a fresh GET showed the change, no PUT sent. */
  status: 'done' | 'already' | 'failed' | 'timedOut';
  startedAt: string;
  endedAt: string;
  /** x-ms-correlation-request-id of the PUT, when one was sent. */
  correlationId?: string;
  error?: { code: string; message: string };
  /**
   * Followed network steps (ipam:overlay, dataplane:cilium) that ended `done`: orchestration seconds from the
   * begin's acceptance to the poll that saw the operation end (polls are spaced, so it is that much late at most).
   * When that poll was the first past a quiet period (functions/orchestrators/followOperation.ts), the operation ended
   * somewhere inside it: then the time of the last poll that saw it running instead (a lower bound). Not recorded for
   * an operation followed from the cluster's provisioning state (a begin after a crash found its PUT already
   * accepted: only part of it was seen).
   */
  operationSeconds?: number;
}

export interface ClusterResult {
  clusterId: string;
  result: ClusterOutcome;
  /** One line: why it ended this way (error, skip reason, …). */
  reason?: string;
  error?: { code: string; message: string };
  findings: Finding[];
  steps: StepRecord[];
  startedAt: string;
  endedAt: string;
  /** Every ARM correlation id of a write this run made (steps, NAP mode changes, pool scaling). */
  correlationIds: string[];
  /** Whether NAP was disabled and put back (undefined when NAP was not touched). */
  nap?: { disabled: boolean; restored: boolean; problem?: string };
  /** Problems verify found (the result is `failed` when there are any). */
  verifyProblems?: string[];
}
