/**
 * What the HTTP API needs from the outside world. functions/ implements these over the Durable client, the
 * ResultStore and the assessment code; tests use recording fakes of these ports. The API itself never imports
 * @azure/functions or durable-functions.
 */
import type { Assessment, Target } from '../model/assessment';
import type { RolloutSpec } from '../rollout/spec';
import type { ResultStore } from '../rollout/store';
import type { DecisionStore } from '../remediation/store';
import type { BodyLimits } from './body';
import type { InstanceStatus } from './summary';
import type { RuntimeStatusFilter } from './validate';

export type RolloutAction = 'approve' | 'resume' | 'cancel';

export interface RolloutControl {
  /** Starts the `rollout` orchestration under this instance id. */
  start(instanceId: string, spec: RolloutSpec): Promise<void>;
  /** The status of the rollout with this id; undefined when there is none (or the instance is not a rollout). */
  status(instanceId: string): Promise<InstanceStatus | undefined>;
  /** Raises the external event for the action (functions/names.ts EVENTS) with this data. */
  raise(instanceId: string, action: RolloutAction, data: unknown): Promise<void>;
  /**
   * The rollouts of the task hub (orchestration name `rollout` only: never a cluster migration), in any order:
   * only those with one of `runtimeStatus` when given, only those created at or before `createdTimeTo` when given.
   * The API sorts and pages them (GET /api/rollouts).
   */
  list(query: RolloutListQuery): Promise<InstanceStatus[]>;
}

export interface RolloutListQuery {
  runtimeStatus?: RuntimeStatusFilter[];
  createdTimeTo?: Date;
}

/** One id the preflight could not assess. `NotFound` → the API answers 404. */
export interface PreflightFailure {
  id: string;
  error: { code: 'NotFound' | string; message: string };
}

export interface PreflightPort {
  /** The `fleet assess -o json` objects for these cluster ids (fresh ARM + Kubernetes reads), in any order. */
  assess(ids: string[], target: Target): Promise<Array<Assessment | PreflightFailure>>;
}

export interface ApiPorts {
  rollouts: RolloutControl;
  results: Pick<ResultStore, 'listClusters'>;
  preflight: PreflightPort;
  /** Event Grid remediation decisions (GET /api/remediation/decisions); absent → 404. */
  decisions?: Pick<DecisionStore, 'list'>;
  /** Extra facts for GET /api/health (version, task hub); a throw → 503. */
  health?: () => Promise<Record<string, unknown>>;
  now?: () => Date;
  /** At least 6 hex characters for new rollout ids. */
  randomHex?: () => string;
  /** Where unexpected errors are written in full (never to the response). */
  log?: (message: string) => void;
}

export interface ApiOptions {
  limits?: BodyLimits;
  /** Most cluster ids one POST /api/preflight may name. */
  maxPreflightIds?: number;
  /** Largest page of GET /api/rollouts and GET /api/rollouts/{id}/clusters. */
  maxPageSize?: number;
}
