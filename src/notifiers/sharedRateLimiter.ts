import { RateLimiter, realClock, type AcquireOptions, type Clock, type Permit, type RateLimit } from './rateLimit';
import type { SharedLimits } from './sharedLimits';

const DEFAULT_MAX_SEND_MS = 30_000;

/**
 * A receiver's rate limit kept by all Klaxon processes together: N workers send at most `per`
 * messages in any `everyMs` window between them, not N × `per`.
 *
 * A send first passes the process's own limiter (FIFO order within the process, and the limit if
 * the shared store is unreachable), then takes a token of the shared window: one round trip, which
 * answers "send now" or "a token comes back in N ms" (the wait is slept, heartbeating, and asked
 * again). Only the process's head-of-line sends ask, so a storm does not become a query storm.
 * The token goes back `everyMs` after the send ended (as in the local limiter, the vendor's window
 * counts from arrival); that return is not awaited by the send. If the store fails or is slow, the
 * send goes on under the local limit alone: a page is never held back by the database.
 */
export class SharedRateLimiter extends RateLimiter {
  constructor(
    private readonly store: SharedLimits,
    clock: Clock = realClock,
  ) {
    super(clock);
  }

  override async acquire(key: string, limit: RateLimit, opts: AcquireOptions = {}): Promise<Permit> {
    const start = this.clock.now();
    const local = await super.acquire(key, limit, opts);
    const every = opts.heartbeatEveryMs ?? 1000;
    // Held until the send ends (then returned), or at most until the send must have ended + the window.
    const holdMs = (opts.maxSendMs ?? DEFAULT_MAX_SEND_MS) + limit.everyMs;
    try {
      for (;;) {
        const answer = await this.store.takeToken(key, limit.per, holdMs);
        const now = this.clock.now();
        // Unreachable: the local permit alone (counted and logged by the store).
        if (!answer) return { waitedMs: now - start, release: local.release };
        if (answer.granted) {
          let released = false;
          return {
            waitedMs: now - start,
            release: () => {
              if (released) return;
              released = true;
              local.release();
              this.store.returnToken(key, answer.token, limit.everyMs);
            },
          };
        }
        if (now > start) opts.heartbeat?.(now - start);
        await this.clock.sleep(Math.min(answer.waitMs, every), opts.signal);
      }
    } catch (err) {
      // Cancelled while waiting for the shared window: nothing was sent on this permit.
      local.release();
      throw err;
    }
  }
}
