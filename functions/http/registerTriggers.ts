/**
 * Registers the triggers of issue 6 — the HTTP API, Event Grid remediation and the scheduled rollout — next to
 * the orchestrations and activities of functions/index.ts, which calls this once. Idempotent: a second call
 * registers nothing (the Functions worker refuses a function name registered twice).
 */
import { registerEventGridTrigger } from '../eventGrid';
import { registerScheduleTrigger } from '../schedule';
import { registerHttpTriggers } from './routes';

let registered = false;

export function registerTriggers(): void {
  if (registered) return;
  registered = true;
  registerHttpTriggers();
  registerEventGridTrigger();
  registerScheduleTrigger();
}
