/**
 * Per-receiver rate limiting, so an alert storm is queued behind the vendor's limit instead of
 * being answered with 429s (which would then cost retries and reorder messages).
 *
 * Each receiver (tenant/receiver) has a bucket of `per` tokens. A send takes a token and gives it
 * back `everyMs` after the send *completed*. Counting from completion rather than from start means a
 * slow request (cold connection, loaded vendor) can never let the next window's messages arrive at
 * the vendor while it still counts this one: at most `per` messages arrive in any `everyMs` window,
 * as the vendor measures it. Waiters are served strictly in arrival order (FIFO), so every message
 * goes out exactly once and in order.
 */

export interface RateLimit {
  per: number;
  everyMs: number;
}

export interface AcquireOptions {
  /** Aborts the wait (the activity was cancelled or timed out); the message leaves the queue. */
  signal?: AbortSignal;
  /** Called about every `heartbeatEveryMs` while queued (how long so far), so an activity can heartbeat. */
  heartbeat?: (queuedForMs: number) => void;
  heartbeatEveryMs?: number;
  /**
   * The longest a send may take (the receiver's timeout). A limiter shared between processes
   * counts the token as spent until then unless the send's end returns it sooner; default 30 s.
   */
  maxSendMs?: number;
}

/** Held while a message is being sent; `release()` (idempotent) starts the token's way back. */
export interface Permit {
  waitedMs: number;
  release(): void;
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
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason ?? new Error('aborted'));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

interface Ticket {
  /** Resolves when something changed that may let this ticket proceed. */
  wake?: () => void;
}

class Bucket {
  free: number;
  /** Times at which spent tokens come back, ascending. */
  returns: number[] = [];
  queue: Ticket[] = [];
  constructor(readonly limit: RateLimit) {
    this.free = limit.per;
  }
  refill(now: number): void {
    while (this.returns.length && this.returns[0] <= now) {
      this.returns.shift();
      this.free++;
    }
  }
  giveBack(at: number): void {
    // Release times are almost always the latest, so search from the end.
    let i = this.returns.length;
    while (i > 0 && this.returns[i - 1] > at) i--;
    this.returns.splice(i, 0, at);
    this.wakeHead();
  }
  wakeHead(): void {
    this.queue[0]?.wake?.();
  }
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  constructor(protected readonly clock: Clock = realClock) {}

  private bucket(key: string, limit: RateLimit): Bucket {
    let b = this.buckets.get(key);
    // A changed limit (config reload) starts a fresh bucket once the old one has drained.
    if (!b || ((b.limit.per !== limit.per || b.limit.everyMs !== limit.everyMs) && b.queue.length === 0)) {
      b = new Bucket(limit);
      this.buckets.set(key, b);
    }
    return b;
  }

  /** Waits (FIFO) until a message to `key` may be sent under `limit`; call `release()` once it was sent. */
  async acquire(key: string, limit: RateLimit, opts: AcquireOptions = {}): Promise<Permit> {
    const bucket = this.bucket(key, limit);
    const ticket: Ticket = {};
    bucket.queue.push(ticket);
    const start = this.clock.now();
    const every = opts.heartbeatEveryMs ?? 1000;
    try {
      for (;;) {
        const now = this.clock.now();
        bucket.refill(now);
        if (bucket.queue[0] === ticket && bucket.free > 0) {
          bucket.free--;
          bucket.queue.shift();
          bucket.wakeHead();
          let released = false;
          return {
            waitedMs: now - start,
            release: () => {
              if (released) return;
              released = true;
              bucket.giveBack(this.clock.now() + bucket.limit.everyMs);
            },
          };
        }
        if (now > start) opts.heartbeat?.(now - start);
        // The head sleeps until the next token returns (or a release/abort changes things);
        // others until they become the head. Either way at most `every` ms between heartbeats.
        const nextReturn = bucket.queue[0] === ticket && bucket.returns.length ? bucket.returns[0] - now : every;
        await this.wait(ticket, Math.max(1, Math.min(nextReturn, every)), opts.signal);
      }
    } catch (err) {
      const i = bucket.queue.indexOf(ticket);
      if (i >= 0) bucket.queue.splice(i, 1);
      bucket.wakeHead();
      throw err;
    }
  }

  private async wait(ticket: Ticket, ms: number, signal?: AbortSignal): Promise<void> {
    const local = new AbortController();
    const woken = new Promise<void>((resolve) => {
      ticket.wake = () => {
        ticket.wake = undefined;
        resolve();
      };
    });
    const both = signal ? AbortSignal.any([signal, local.signal]) : local.signal;
    const slept = this.clock.sleep(ms, both).catch((err: unknown) => {
      if (signal?.aborted) throw err;
    });
    try {
      await Promise.race([slept, woken]);
    } finally {
      ticket.wake = undefined;
      local.abort();
    }
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
  }

  /** Forgets all buckets (tests, config reload). */
  reset(): void {
    this.buckets.clear();
  }
}

/** The limiter deliver() uses unless given another. */
export const defaultRateLimiter = new RateLimiter();
