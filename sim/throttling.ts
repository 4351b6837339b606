/**
 * ARM and Resource Graph throttling as Azure does it (aks-facts "ARM behaviour" and "Azure Resource Graph"):
 * a token bucket per subscription, principal and operation kind (reads: 250, refilled 25/s; writes: 200,
 * 10/s), and a Resource Graph quota of 15 queries per 5 s window per principal. Wall-clock time, not
 * simulated time: throttling is about the client's request rate.
 */
export interface ThrottlingOptions {
  enabled: boolean;
  reads: { bucket: number; refillPerSecond: number };
  writes: { bucket: number; refillPerSecond: number };
  resourceGraph: { queries: number; windowSeconds: number };
}

export const DEFAULT_THROTTLING: ThrottlingOptions = {
  enabled: true,
  reads: { bucket: 250, refillPerSecond: 25 },
  writes: { bucket: 200, refillPerSecond: 10 },
  resourceGraph: { queries: 15, windowSeconds: 5 },
};

interface Bucket {
  tokens: number;
  at: number;
}

export interface ThrottleDecision {
  allowed: boolean;
  remaining: number;
  /** Seconds to wait when not allowed. */
  retryAfterSeconds: number;
}

export class ArmThrottle {
  private readonly buckets = new Map<string, Bucket>();
  private readonly graphWindows = new Map<string, { start: number; used: number }>();

  constructor(public options: ThrottlingOptions = DEFAULT_THROTTLING) {}

  take(subscriptionId: string, principal: string, kind: 'reads' | 'writes'): ThrottleDecision {
    const spec = this.options[kind];
    const key = `${subscriptionId.toLowerCase()}|${principal}|${kind}`;
    const now = Date.now();
    const b = this.buckets.get(key) ?? { tokens: spec.bucket, at: now };
    b.tokens = Math.min(spec.bucket, b.tokens + ((now - b.at) / 1000) * spec.refillPerSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (!this.options.enabled) return { allowed: true, remaining: Math.floor(b.tokens), retryAfterSeconds: 0 };
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true, remaining: Math.floor(b.tokens), retryAfterSeconds: 0 };
    }
    return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / spec.refillPerSecond)) };
  }

  takeGraph(principal: string): ThrottleDecision & { resetsAfterSeconds: number } {
    const { queries, windowSeconds } = this.options.resourceGraph;
    const now = Date.now();
    let w = this.graphWindows.get(principal);
    if (!w || now - w.start >= windowSeconds * 1000) {
      w = { start: now, used: 0 };
      this.graphWindows.set(principal, w);
    }
    const resetsAfterSeconds = Math.max(0, Math.ceil((w.start + windowSeconds * 1000 - now) / 1000));
    if (this.options.enabled && w.used >= queries) {
      return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, resetsAfterSeconds), resetsAfterSeconds };
    }
    w.used++;
    return { allowed: true, remaining: Math.max(0, queries - w.used), retryAfterSeconds: 0, resetsAfterSeconds };
  }

  reset(): void {
    this.buckets.clear();
    this.graphWindows.clear();
  }
}

/** `hh:mm:ss`, the format of x-ms-user-quota-resets-after. */
export function hms(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}`;
}
