/** The one registry of orchestration, activity and event names. Never repeat these as string literals. */
export const ORCHESTRATIONS = {
  clusterMigration: 'clusterMigration',
  /** A sub-orchestration of clusterMigration: one ARM operation followed to its end (polls). */
  followOperation: 'followOperation',
  rollout: 'rollout',
} as const;

export const ACTIVITIES = {
  /** Lock renewals (keepLock); the first acquisition is acquireLockAndPreflight. */
  acquireClusterLock: 'acquireClusterLock',
  /** Only when finishClusterRun failed after its retries: a failed save still gives the lock back. */
  releaseClusterLock: 'releaseClusterLock',
  /** The first acquisition of the lock and, when acquired, the preflight: one orchestrator episode for both. */
  acquireLockAndPreflight: 'acquireLockAndPreflight',
  beginStep: 'beginStep',
  pollOperation: 'pollOperation',
  napPlan: 'napPlan',
  napApply: 'napApply',
  napDrain: 'napDrain',
  napNodesRemaining: 'napNodesRemaining',
  napRestore: 'napRestore',
  /** Verify alone: the fallback when verifyAndFinish's save or release failed after its retries (ResultSaveFailed). */
  verify: 'verify',
  /** The rollout's own saves (a child that crashed without a result). */
  saveClusterResult: 'saveClusterResult',
  /** A run's end: its result saved, then its lock released, in one activity. */
  finishClusterRun: 'finishClusterRun',
  /** A migrated run's end: verify, its problems applied to the result, then finishClusterRun's save + release, in one activity. */
  verifyAndFinish: 'verifyAndFinish',
  discoverAndAssess: 'discoverAndAssess',
  loadStageBatch: 'loadStageBatch',
  cancelInstances: 'cancelInstances',
  closeRollout: 'closeRollout',
} as const;

/** External events the orchestrations listen for (raised by the HTTP API and the CLI). */
export const EVENTS = {
  cancel: 'cancel',
  approve: 'approve',
  resume: 'resume',
} as const;

export type OrchestrationName = (typeof ORCHESTRATIONS)[keyof typeof ORCHESTRATIONS];
export type ActivityName = (typeof ACTIVITIES)[keyof typeof ACTIVITIES];
export type EventName = (typeof EVENTS)[keyof typeof EVENTS];
