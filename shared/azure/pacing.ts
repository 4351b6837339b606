/**
 * Client-side pacing of ARM calls per subscription, mirroring ARM's token buckets (reads: bucket 250,
 * refill 25/s; writes: bucket 200, refill 10/s, per subscription and principal; aks-facts.md § ARM
 * behaviour).
 *
 * Why: honouring Retry-After alone is not enough for bulk work. When hundreds of calls for one
 * subscription are in flight, each 429 is retried after Retry-After, all of them at once; only a few win
 * the refilled tokens and the rest burn another retry, until some run out of retries and fail (measured:
 * 2,000 clusters in 2 subscriptions lost 916 clusters that way). Taking a token before sending spreads
 * the calls at the rate ARM refills, so almost no call meets a 429 and none runs out of retries. The
 * local estimate is corrected from every response (`x-ms-ratelimit-remaining-subscription-reads|writes`)
 * and a 429 pauses the subscription's bucket until its Retry-After.
 */
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from '@azure/core-rest-pipeline';
import { sleep } from './limit';

export interface BucketModel {
  bucket: number;
  refillPerSecond: number;
}

export interface PacingOptions {
  reads: BucketModel;
  writes: BucketModel;
}

export const ARM_THROTTLING_MODEL: PacingOptions = {
  reads: { bucket: 250, refillPerSecond: 25 },
  writes: { bucket: 200, refillPerSecond: 10 },
};

interface Bucket {
  model: BucketModel;
  tokens: number;
  at: number;
  pausedUntil: number;
  /** Token takers queue here, so waiting callers are served in order instead of racing. */
  chain: Promise<void>;
}

function kindOf(method: string): 'reads' | 'writes' {
  return method === 'GET' || method === 'HEAD' ? 'reads' : 'writes';
}

function subscriptionOf(url: string): string | undefined {
  const m = /\/subscriptions\/([^/?#]+)/i.exec(url);
  return m ? m[1].toLowerCase() : undefined;
}

function retryAfterMs(response: PipelineResponse): number {
  const v = response.headers.get('retry-after');
  const n = Number(v);
  if (v && Number.isFinite(n)) return n * 1000;
  const date = v ? Date.parse(v) : NaN;
  return Number.isNaN(date) ? 1000 : Math.max(0, date - Date.now());
}

export class ArmPacer {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly options: PacingOptions = ARM_THROTTLING_MODEL) {}

  private bucket(subscription: string, kind: 'reads' | 'writes'): Bucket {
    const key = `${subscription}:${kind}`;
    let b = this.buckets.get(key);
    if (!b) {
      const model = this.options[kind];
      b = { model, tokens: model.bucket, at: Date.now(), pausedUntil: 0, chain: Promise.resolve() };
      this.buckets.set(key, b);
    }
    return b;
  }

  private refill(b: Bucket, now: number): void {
    b.tokens = Math.min(b.model.bucket, b.tokens + ((now - b.at) / 1000) * b.model.refillPerSecond);
    b.at = now;
  }

  /** Waits until the subscription's bucket has a token for this kind of call, then takes it. */
  acquire(subscription: string, kind: 'reads' | 'writes'): Promise<void> {
    const b = this.bucket(subscription, kind);
    const turn = b.chain.then(async () => {
      for (;;) {
        const now = Date.now();
        if (now < b.pausedUntil) {
          await sleep(b.pausedUntil - now);
          continue;
        }
        this.refill(b, now);
        if (b.tokens >= 1) {
          b.tokens -= 1;
          return;
        }
        await sleep(Math.ceil(((1 - b.tokens) / b.model.refillPerSecond) * 1000));
      }
    });
    b.chain = turn;
    return turn;
  }

  /** Corrects the estimate from ARM's answer: the remaining-quota header, or a 429's Retry-After. */
  observe(subscription: string, kind: 'reads' | 'writes', response: PipelineResponse, sentAt = Date.now()): void {
    const b = this.bucket(subscription, kind);
    const now = Date.now();
    this.refill(b, now);
    if (response.status === 429) {
      b.tokens = 0;
      b.pausedUntil = Math.max(b.pausedUntil, now + retryAfterMs(response));
      return;
    }
    // ARM counted `remaining` when it served this call, some time after it was sent: now it holds at
    // most that plus what refilled since the send. Clamping to this upper bound corrects an estimate that
    // ran ahead (a bucket someone else spends too, a first burst that reached ARM late) without slowing
    // the steady pace, where ARM answers "0 remaining" while the next token is already refilling.
    const header = response.headers.get(`x-ms-ratelimit-remaining-subscription-${kind}`);
    const remaining = Number(header);
    if (header !== undefined && header !== '' && Number.isFinite(remaining)) {
      b.tokens = Math.min(b.tokens, remaining + ((now - sentAt) / 1000) * b.model.refillPerSecond);
    }
  }

  /** A pipeline policy (per retry: every attempt takes a token). */
  policy(): PipelinePolicy {
    return {
      name: 'aksnetArmPacing',
      sendRequest: async (request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> => {
        const sub = subscriptionOf(request.url);
        if (!sub) return next(request);
        const kind = kindOf(request.method);
        await this.acquire(sub, kind);
        const sentAt = Date.now();
        const response = await next(request);
        this.observe(sub, kind, response, sentAt);
        return response;
      },
    };
  }
}
