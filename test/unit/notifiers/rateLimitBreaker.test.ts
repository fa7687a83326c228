import { RateLimiter, type Clock } from '../../../src/notifiers/rateLimit';
import { CircuitBreakers } from '../../../src/notifiers/circuitBreaker';

/** A clock whose sleeps advance virtual time instantly. */
function virtualClock(): Clock & { t: number } {
  const c = {
    t: 0,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.t += ms;
    },
  };
  return c;
}

describe('RateLimiter', () => {
  it('lets a burst of `per` through, then never more than `per` per window', async () => {
    const clock = virtualClock();
    const limiter = new RateLimiter(clock);
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const permit = await limiter.acquire('acme/slack', { per: 3, everyMs: 1000 });
      waits.push(permit.waitedMs);
      permit.release();
    }
    // First three immediately; the rest once the token spent three sends earlier is back.
    expect(waits).toEqual([0, 0, 0, 1000, 0, 0, 1000]);
    expect(clock.t).toBe(2000);
  });

  it('counts the window from when a send completed, so slow sends cannot crowd the next window', async () => {
    const clock = virtualClock();
    const limiter = new RateLimiter(clock);
    const first = await limiter.acquire('a', { per: 1, everyMs: 1000 });
    clock.t = 400; // the request took 400 ms
    first.release();
    first.release(); // idempotent
    const second = await limiter.acquire('a', { per: 1, everyMs: 1000 });
    expect(second.waitedMs).toBe(1000);
    expect(clock.t).toBe(1400);
  });

  it('serves waiters in arrival order', async () => {
    const limiter = new RateLimiter();
    const order: number[] = [];
    const held = await limiter.acquire('a', { per: 1, everyMs: 20 });
    const waiting = [1, 2, 3].map((n) => limiter.acquire('a', { per: 1, everyMs: 20 }).then((p) => (order.push(n), p.release())));
    held.release();
    await Promise.all(waiting);
    expect(order).toEqual([1, 2, 3]);
  });

  it('keeps receivers apart', async () => {
    const limiter = new RateLimiter(virtualClock());
    (await limiter.acquire('a', { per: 1, everyMs: 1000 })).release();
    expect((await limiter.acquire('b', { per: 1, everyMs: 1000 })).waitedMs).toBe(0);
    expect((await limiter.acquire('a', { per: 1, everyMs: 1000 })).waitedMs).toBe(1000);
  });

  it('heartbeats about every second while waiting, and an abort leaves the queue', async () => {
    const limiter = new RateLimiter(virtualClock());
    (await limiter.acquire('a', { per: 1, everyMs: 3500 })).release();
    const beats: number[] = [];
    await limiter.acquire('a', { per: 1, everyMs: 3500 }, { heartbeat: (ms) => beats.push(ms) });
    expect(beats).toEqual([1000, 2000, 3000]);
    const real = new RateLimiter();
    const held = await real.acquire('b', { per: 1, everyMs: 50 });
    const ctrl = new AbortController();
    const aborted = real.acquire('b', { per: 1, everyMs: 50 }, { signal: ctrl.signal });
    const next = real.acquire('b', { per: 1, everyMs: 50 });
    ctrl.abort(new Error('cancelled'));
    await expect(aborted).rejects.toThrow('cancelled');
    held.release();
    expect((await next).waitedMs).toBeGreaterThanOrEqual(40);
  });
});

describe('CircuitBreakers', () => {
  it('counts consecutive failures only; a success resets them', () => {
    const b = new CircuitBreakers(() => 0);
    for (let i = 0; i < 4; i++) b.recordFailure('t', 'r', 'boom');
    b.recordSuccess('t', 'r');
    for (let i = 0; i < 4; i++) b.recordFailure('t', 'r', 'boom');
    expect(b.stateOf('t', 'r')).toBe('closed');
    b.recordFailure('t', 'r', 'boom');
    expect(b.stateOf('t', 'r')).toBe('open');
    expect(b.health()).toEqual([{ tenant: 't', receiver: 'r', state: 'open', failures: 5, openedAt: new Date(0).toISOString(), lastError: 'boom' }]);
  });

  it('half-open admits exactly one trial at a time', () => {
    let now = 0;
    const b = new CircuitBreakers(() => now);
    const s = { failures: 1, cooldownMs: 1000 };
    b.recordFailure('t', 'r', 'x', s);
    expect(b.admit('t', 'r', s)).toEqual({ allowed: false, retryAfterMs: 1000 });
    now = 1000;
    expect(b.admit('t', 'r', s).allowed).toBe(true);
    expect(b.stateOf('t', 'r')).toBe('half-open');
    expect(b.admit('t', 'r', s).allowed).toBe(false);
    b.recordSuccess('t', 'r');
    expect(b.admit('t', 'r', s).allowed).toBe(true);
  });
});
