/**
 * Two orchestrations for the dispatcher test (test/local/dispatcher.test.ts): one whose every timer is already due
 * when its episode ends — what the rollout's poll becomes under a scaled clock once an episode takes longer than
 * the poll — and one that waits on an ordinary timer.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';

/** `rounds` timers each due at once: the instance is ready again the moment each episode commits. */
const spinner: OrchestrationHandler = function* (context: OrchestrationContext) {
  const rounds = context.df.getInput() as number;
  for (let i = 0; i < rounds; i++) {
    context.df.setCustomStatus({ round: i });
    yield context.df.createTimer(context.df.currentUtcDateTime);
  }
  return rounds;
};
df.app.orchestration('Spinner', spinner);

/** One durable timer a minute ahead. */
const sleeper: OrchestrationHandler = function* (context: OrchestrationContext) {
  yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 60_000));
  return 'woke';
};
df.app.orchestration('Sleeper', sleeper);
