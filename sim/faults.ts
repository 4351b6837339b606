/**
 * Faults on demand, so the product can be seen surviving them: HTTP 500/503, dropped connections,
 * extra latency, operations that end Failed or never finish, and a competing operation (409) that
 * appears mid-rollout. Deterministic for a given seed and request order.
 *
 * Spec syntax (flag `--faults` and `PUT /__sim/faults` with `{"spec": "..."}`): comma-separated
 * `key=value` pairs, e.g. `500=0.05,503=0.02,drop=0.01,latency=200@0.1,fail=0.2,hang=0.05,conflict=0.1,seed=7,scope=/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/a|...`
 */
import { armIdKey } from '../shared/arm/id';
import { SeededRandom } from './random';

export interface FaultConfig {
  /** Share of ARM requests answered 500 InternalServerError. */
  error500?: number;
  /** Share of ARM requests answered 503 ServiceUnavailable (with Retry-After). */
  error503?: number;
  /** Share of ARM requests whose connection is destroyed before any response. */
  drop?: number;
  /** Extra latency (ms) added to a share (`latencyRate`, default all) of ARM requests. */
  latencyMs?: number;
  latencyRate?: number;
  /** Share of long-running operations that end Failed. */
  fail?: number;
  /** Share of long-running operations that never finish. */
  hang?: number;
  /** Share of writes that find a competing operation just started on the cluster (409 OperationNotAllowed). */
  conflict?: number;
  seed?: number;
  /** Cluster ids the faults apply to (all resources when empty). */
  scope?: string[];
}

const RATE_KEYS: Record<string, keyof FaultConfig> = {
  '500': 'error500',
  '503': 'error503',
  drop: 'drop',
  fail: 'fail',
  hang: 'hang',
  conflict: 'conflict',
};

export class FaultSpecError extends Error {}

function rate(key: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new FaultSpecError(`fault '${key}=${value}': the rate must be a number between 0 and 1 (e.g. ${key}=0.05)`);
  return n;
}

export function parseFaultSpec(spec: string): FaultConfig {
  const config: FaultConfig = {};
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new FaultSpecError(`fault '${part}': expected key=value (keys: 500, 503, drop, latency, fail, hang, conflict, seed, scope)`);
    const key = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    if (RATE_KEYS[key]) (config as Record<string, unknown>)[RATE_KEYS[key]] = rate(key, value);
    else if (key === 'latency') {
      const m = /^(\d+)(?:@([\d.]+))?$/.exec(value);
      if (!m) throw new FaultSpecError(`fault 'latency=${value}': expected milliseconds with an optional rate, e.g. latency=200 or latency=200@0.1`);
      config.latencyMs = Number(m[1]);
      if (m[2] !== undefined) config.latencyRate = rate('latency rate', m[2]);
    } else if (key === 'seed') {
      if (!/^\d+$/.test(value)) throw new FaultSpecError(`fault 'seed=${value}': the seed must be a non-negative integer`);
      config.seed = Number(value);
    } else if (key === 'scope') {
      config.scope = value.split('|').map((s) => s.trim()).filter(Boolean);
    } else {
      throw new FaultSpecError(`unknown fault '${key}' (keys: 500, 503, drop, latency, fail, hang, conflict, seed, scope)`);
    }
  }
  return config;
}

export interface RequestFault {
  drop?: boolean;
  status?: 500 | 503;
  extraLatencyMs: number;
}

export class FaultInjector {
  private config: FaultConfig = {};
  private rng = new SeededRandom(1);
  private scope: string[] = [];

  constructor(config?: FaultConfig) {
    this.set(config ?? {});
  }

  set(config: FaultConfig): void {
    this.config = { ...config };
    this.rng = new SeededRandom(config.seed ?? 1);
    this.scope = (config.scope ?? []).map(armIdKey);
  }

  get(): FaultConfig {
    return { ...this.config };
  }

  /** Whether a resource (path or cluster key) is in scope. */
  private inScope(resourceKey: string | undefined): boolean {
    if (this.scope.length === 0) return true;
    if (!resourceKey) return false;
    const k = armIdKey(resourceKey);
    return this.scope.some((s) => k === s || k.startsWith(`${s}/`));
  }

  forRequest(resourceKey: string | undefined): RequestFault {
    const c = this.config;
    const out: RequestFault = { extraLatencyMs: 0 };
    if (!this.inScope(resourceKey)) return out;
    if (c.latencyMs && this.rng.chance(c.latencyRate ?? 1)) out.extraLatencyMs = c.latencyMs;
    if (this.rng.chance(c.drop ?? 0)) out.drop = true;
    else if (this.rng.chance(c.error500 ?? 0)) out.status = 500;
    else if (this.rng.chance(c.error503 ?? 0)) out.status = 503;
    return out;
  }

  forOperation(clusterKey: string): { fail: boolean; hang: boolean } {
    if (!this.inScope(clusterKey)) return { fail: false, hang: false };
    const hang = this.rng.chance(this.config.hang ?? 0);
    const fail = !hang && this.rng.chance(this.config.fail ?? 0);
    return { fail, hang };
  }

  competingOperation(clusterKey: string): boolean {
    return this.inScope(clusterKey) && this.rng.chance(this.config.conflict ?? 0);
  }
}
