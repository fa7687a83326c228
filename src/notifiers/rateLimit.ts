/**
 * Per-receiver rate limiting, so an alert storm is queued behind the vendor's limit instead of
 * being answered with 429s (which would then cost retries and reorder messages).
 *
 * Each receiver (tenant/receiver) has a bucket of `per` tokens; a spent token comes back `everyMs`
 * after it was spent. That allows a burst of `per` and then never more than `per` in any window of
 * `everyMs` — the property vendors state their limits in. Callers reserve slots in arrival order, so
 * waiting is FIFO and every message goes out exactly once.
 */

export interface RateLimit {
  per: number;
  everyMs: number;
}

export interface AcquireOptions {
  /** Aborts the wait (the activity was cancelled or timed out); the reserved slot is forfeited. */
  signal?: AbortSignal;
  /** Called every `heartbeatEveryMs` while queued, so a Temporal activity can heartbeat. */
  heartbeat?: (waitRemainingMs: number) => void;
  heartbeatEveryMs?: number;
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

class Bucket {
  /** Times (ms) at which the last `per` tokens were or will be spent, ascending. */
  private slots: number[] = [];
  constructor(readonly limit: RateLimit) {}

  /** Reserves the earliest slot that keeps every `everyMs` window at ≤ `per` messages. */
  reserve(now: number): number {
    const { per, everyMs } = this.limit;
    let at = now;
    if (this.slots.length >= per) at = Math.max(at, this.slots[this.slots.length - per] + everyMs);
    if (this.slots.length > 0) at = Math.max(at, this.slots[this.slots.length - 1]);
    this.slots.push(at);
    if (this.slots.length > per) this.slots.splice(0, this.slots.length - per);
    return at;
  }
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  constructor(private readonly clock: Clock = realClock) {}

  /** Waits until a message to `key` may be sent under `limit`. Returns how long it waited (ms). */
  async acquire(key: string, limit: RateLimit, opts: AcquireOptions = {}): Promise<number> {
    let bucket = this.buckets.get(key);
    if (!bucket || bucket.limit.per !== limit.per || bucket.limit.everyMs !== limit.everyMs) {
      bucket = new Bucket(limit);
      this.buckets.set(key, bucket);
    }
    const start = this.clock.now();
    const at = bucket.reserve(start);
    const every = opts.heartbeatEveryMs ?? 1000;
    for (let now = start; now < at; now = this.clock.now()) {
      opts.heartbeat?.(at - now);
      await this.clock.sleep(Math.min(at - now, every), opts.signal);
    }
    return Math.max(0, at - start);
  }

  /** Forgets all buckets (tests, config reload). */
  reset(): void {
    this.buckets.clear();
  }
}

/** The limiter deliver() uses unless given another. */
export const defaultRateLimiter = new RateLimiter();
