/**
 * Simulated time. AKS operations take simulated minutes (a whole-cluster reimage ~20 min, aks-facts
 * "ARM behaviour"); `timeScale` maps them onto wall time: 0.001 turns 20 simulated minutes into 1.2 s.
 */
export class SimClock {
  private readonly realStart = Date.now();
  private readonly simStart: number;

  constructor(public readonly timeScale: number, simStart = Date.now()) {
    if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
      throw new Error(`timeScale must be a positive number (e.g. 0.001), got '${timeScale}'`);
    }
    this.simStart = simStart;
  }

  /** Simulated epoch milliseconds. */
  now(): number {
    return this.simStart + (Date.now() - this.realStart) / this.timeScale;
  }

  /** Wall-clock milliseconds that `simMs` simulated milliseconds take. */
  realMs(simMs: number): number {
    return simMs * this.timeScale;
  }

  iso(simMs = this.now()): string {
    return new Date(simMs).toISOString();
  }
}
