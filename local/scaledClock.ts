/**
 * The task hub's clock. With scale 1 it is the wall clock; with scale k, time runs k times faster
 * from an anchor, so a one-hour durable timer fires after 3.6 s at ×1000. Orchestrations only see
 * scaled time (OrchestratorStarted timestamps → currentUtcDateTime), so they cannot tell.
 * The anchor is stored with the task hub: after a restart with the same scale the clock continues
 * as if the host had never stopped (downtime counts, as it does in Azure), and a new scale
 * re-anchors at the time already reached, so stored timers and timestamps never go backwards.
 */
export interface ClockAnchor {
  real: number;
  scaled: number;
  scale: number;
}

export class ScaledClock {
  readonly anchor: ClockAnchor;
  constructor(
    readonly scale = 1,
    previous?: ClockAnchor,
  ) {
    if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`clockScale must be a positive number, got ${scale}; use e.g. 1000 to run durable timers 1000 times faster.`);
    const real = Date.now();
    if (previous && previous.scale === scale) this.anchor = previous;
    else {
      const reached = previous ? previous.scaled + (real - previous.real) * previous.scale : 0;
      this.anchor = { real, scaled: Math.max(real, reached), scale };
    }
  }
  now(): number {
    return this.anchor.scaled + (Date.now() - this.anchor.real) * this.scale;
  }
  /** Real milliseconds until scaled time `at`. */
  realDelayUntil(at: number): number {
    return Math.max(0, (at - this.now()) / this.scale);
  }
}
