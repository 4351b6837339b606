/**
 * The crash test's workflow: fan-out, a durable timer, an activity retried with backoff, a
 * sub-orchestration with a deterministic id and an external event, in five rounds.
 * Every activity execution (start) is appended to CRASH_LOG so the test can count re-runs.
 */
import fs from 'node:fs';
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';

function record(what: string): void {
  const file = process.env.CRASH_LOG;
  if (file) fs.appendFileSync(file, `${what}\n`);
}

df.app.activity('Step', {
  handler: async (input: { round: number; i: number }) => {
    record(`Step ${input.round}.${input.i}`); // logged when it starts: a run cut by a kill still counts
    await new Promise((r) => setTimeout(r, 20 + ((input.i * 7) % 11) * 4));
    return input.round * 10 + input.i;
  },
});

df.app.activity('FlakyStep', {
  handler: (round: number) => {
    record(`FlakyStep ${round}`);
    // activities may be non-deterministic: fail half of the time, the retry policy absorbs it
    if (Math.random() < 0.5) throw new Error(`transient failure in round ${round}`);
    return 100 * round;
  },
});

const sub: OrchestrationHandler = function* (context: OrchestrationContext) {
  const round = context.df.getInput() as number;
  let total = 0;
  for (let i = 0; i < 3; i++) total += (yield context.df.callActivity('Step', { round, i: 100 + i })) as number;
  return total;
};
df.app.orchestration('CrashSub', sub);

const workflow: OrchestrationHandler = function* (context: OrchestrationContext) {
  let total = 0;
  for (let round = 1; round <= 5; round++) {
    const tasks = [];
    for (let i = 0; i < 5; i++) tasks.push(context.df.callActivity('Step', { round, i }));
    const parts = (yield context.df.Task.all(tasks)) as number[];
    total += parts.reduce((a, b) => a + b, 0);
    yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 3600_000));
    const retry = new df.RetryOptions(30_000, 30);
    total += (yield context.df.callActivityWithRetry('FlakyStep', retry, round)) as number;
    total += (yield context.df.callSubOrchestrator('CrashSub', round, `${context.df.instanceId}:sub:${round}`)) as number;
    const signal = (yield context.df.waitForExternalEvent('Continue')) as number;
    total += signal;
    context.df.setCustomStatus({ round });
  }
  return total;
};
df.app.orchestration('CrashWorkflow', workflow);
