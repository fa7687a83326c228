/**
 * Intake rate limiting: a token bucket per key (route and tenant) that refuses instead of queueing.
 * Alertmanager retries a 429 after its backoff, so refusing at once keeps a storm (or a leaked token)
 * from piling requests up in Klaxon; the notifiers' limiter (src/notifiers/rateLimit.ts) queues
 * instead, because there a refused message would be a lost page.
 */

export interface IntakeLimit {
  /** Tokens added per second (the sustained rate). */
  perSecond: number;
  /** Bucket size: how many requests may arrive at once after a quiet spell. */
  burst: number;
}

export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
  limit: IntakeLimit;
}

export class IntakeRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  constructor(private readonly now: () => number = Date.now) {}

  /** Takes one token for `key`, or says how long until one is there. */
  take(key: string, limit: IntakeLimit): TakeResult {
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: limit.burst, at: now, limit };
      this.buckets.set(key, b);
    }
    // A reloaded config changes the rate at once; tokens already earned stay, up to the new burst.
    b.limit = limit;
    b.tokens = Math.min(limit.burst, b.tokens + ((now - b.at) / 1000) * limit.perSecond);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) / limit.perSecond) * 1000) };
  }
}

/** `Retry-After` is whole seconds (RFC 9110); never 0, or a client would retry in a tight loop. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
