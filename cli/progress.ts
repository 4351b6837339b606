/**
 * Live progress of a rollout, for a person watching: one line per change of the summary (the status, the stage
 * running, clusters done), with a bar for the stage under way, and one notice when the rollout starts waiting
 * for something (an approval, the failure budget, a maintenance window). Written to stderr by the caller —
 * on a terminal only for ordinary commands (ctx.progress), always for `aksnet demo`.
 */
import type { RolloutSummary } from './backend/client';

const BAR = 20;

function bar(done: number, size: number): string {
  const filled = size > 0 ? Math.min(BAR, Math.round((done / size) * BAR)) : BAR;
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}]`;
}

const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

function outcomes(counts: Record<string, number>): string {
  const order = ['migrated', 'compliant', 'blocked', 'failed', 'skipped', 'cancelled'];
  return order.filter((k) => (counts[k] ?? 0) > 0).map((k) => `${k} ${counts[k]}`).join(', ');
}

/** The one progress line for a summary. */
export function progressLine(s: RolloutSummary): string {
  const parts: string[] = [`rollout ${s.id}: ${s.status}`];
  if (s.stages.length === 0 && s.phase) parts.push(s.phase);
  const current = s.stages.find((st) => st.name === s.currentStage) ?? s.stages.find((st) => st.status === 'running');
  for (const st of s.stages) {
    const done = sum(st.counts);
    if (st === current && st.status !== 'done') parts.push(`${st.name} ${bar(done, st.size ?? 0)} ${done}/${st.size ?? '?'}`);
    else parts.push(`${st.name} ${st.status === 'done' ? 'done' : st.status} ${done}/${st.size ?? '?'}`);
  }
  if (s.running) parts.push(`${s.running} running`);
  const o = outcomes(s.counts);
  if (o) parts.push(o);
  return parts.join(' | ');
}

/** A notice for a state that needs someone (or something) to act, once per state. */
export function notice(s: RolloutSummary): string | undefined {
  switch (s.status) {
    case 'waitingForApproval':
      return `stage '${s.waitingApprovals[0]?.stage ?? s.currentStage ?? '?'}' waits for approval: aksnet rollout approve --id ${s.id}`;
    case 'halted':
      return `halted, failure budget spent${s.haltReason ? ` (${s.haltReason})` : ''}: aksnet rollout resume --id ${s.id}, or cancel`;
    case 'waitingForWindow':
      return `waiting for a maintenance window${s.waitingUntil ? ` (until ${s.waitingUntil})` : ''}`;
    default:
      return undefined;
  }
}

/** Emits a line when the summary's line changes, and a notice when the status enters a waiting state. */
export class ProgressTracker {
  private lastLine = '';
  private lastStatus = '';

  constructor(
    private readonly write: (line: string) => void,
    private readonly onNotice: (text: string, s: RolloutSummary) => void = (t) => write(t),
  ) {}

  update(s: RolloutSummary): void {
    const line = progressLine(s);
    if (line !== this.lastLine) {
      this.lastLine = line;
      this.write(line);
    }
    if (s.status !== this.lastStatus) {
      this.lastStatus = s.status;
      const n = notice(s);
      if (n) this.onNotice(n, s);
    }
  }
}
