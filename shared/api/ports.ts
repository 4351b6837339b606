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

export type RolloutAction = 'approve' | 'resume' | 'cancel';

export interface RolloutControl {
  /** Starts the `rollout` orchestration under this instance id. */
  start(instanceId: string, spec: RolloutSpec): Promise<void>;
  /** The status of the rollout with this id; undefined when there is none (or the instance is not a rollout). */
  status(instanceId: string): Promise<InstanceStatus | undefined>;
  /** Raises the external event for the action (functions/names.ts EVENTS) with this data. */
  raise(instanceId: string, action: RolloutAction, data: unknown): Promise<void>;
  // No instance query: GET /api/rollouts pages the result store's rollout index and calls `status` per rollout
  // (shared/api/rolloutList.ts); a task hub query would return every cluster migration too.
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
  /** Per-cluster results, and the rollout index (POST /api/rollouts registers, GET /api/rollouts pages it). */
  results: Pick<ResultStore, 'listClusters' | 'listRollouts' | 'registerRollout'>;
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
  /** Rollout index rows one GET /api/rollouts may read (one status call each) at most; default 1,000, at least `limit`. */
  maxRolloutsScanned?: number;
}
