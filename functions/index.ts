/**
 * The entry the Azure Functions worker (and the local host, unchanged) loads: registers every orchestration and
 * activity under the names of functions/names.ts, then the HTTP API, the Event Grid remediation trigger and the
 * scheduled-rollout timer.
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import * as migration from './activities/migration';
import * as rollout from './activities/rollout';
import { registerEventGridTrigger } from './eventGrid';
import { registerHttpTriggers } from './http/routes';
import { ACTIVITIES, ORCHESTRATIONS } from './names';
import { clusterMigrationOrchestrator } from './orchestrators/clusterMigration';
import { followOperationOrchestrator } from './orchestrators/followOperation';
import { rolloutOrchestrator } from './orchestrators/rollout';
import { registerScheduleTrigger } from './schedule';

df.app.orchestration(ORCHESTRATIONS.clusterMigration, clusterMigrationOrchestrator);
df.app.orchestration(ORCHESTRATIONS.followOperation, followOperationOrchestrator);
df.app.orchestration(ORCHESTRATIONS.rollout, rolloutOrchestrator);

type Handler<I, O> = (input: I, context: InvocationContext) => Promise<O>;
function activity<I, O>(name: string, handler: Handler<I, O>): void {
  df.app.activity(name, { handler: (input: unknown, context: InvocationContext) => handler(input as I, context) });
}

activity(ACTIVITIES.acquireClusterLock, migration.acquireClusterLock);
activity(ACTIVITIES.releaseClusterLock, migration.releaseClusterLock);
activity(ACTIVITIES.acquireLockAndPreflight, migration.acquireLockAndPreflight);
activity(ACTIVITIES.beginStep, migration.beginStepActivity);
activity(ACTIVITIES.pollOperation, migration.pollOperationActivity);
activity(ACTIVITIES.napPlan, migration.napPlanActivity);
activity(ACTIVITIES.napApply, migration.napApplyActivity);
activity(ACTIVITIES.napDrain, migration.napDrainActivity);
activity(ACTIVITIES.napNodesRemaining, migration.napNodesRemainingActivity);
activity(ACTIVITIES.napRestore, migration.napRestoreActivity);
activity(ACTIVITIES.verify, migration.verifyActivity);
activity(ACTIVITIES.saveClusterResult, migration.saveClusterResult);
activity(ACTIVITIES.finishClusterRun, migration.finishClusterRun);
activity(ACTIVITIES.verifyAndFinish, migration.verifyAndFinish);
activity(ACTIVITIES.discoverAndAssess, rollout.discoverAndAssess);
activity(ACTIVITIES.loadStageBatch, rollout.loadStageBatch);
activity(ACTIVITIES.closeRollout, rollout.closeRollout);
// Raising `cancel` on child instances needs the durable client binding.
df.app.activity(ACTIVITIES.cancelInstances, {
  extraInputs: [df.input.durableClient()],
  handler: (input: unknown, context: InvocationContext) => rollout.cancelInstances(input as Parameters<typeof rollout.cancelInstances>[0], context),
});

registerHttpTriggers();
registerEventGridTrigger();
registerScheduleTrigger();

export { setDependencyFactory } from './dependencies';
