import { IntakeRateLimiter, retryAfterSeconds } from '../../../src/server/rateLimit';

describe('intake token bucket', () => {
  let now = 0;
  const limiter = () => new IntakeRateLimiter(() => now);

  test('a burst is let through, the next request waits for one token at the sustained rate', () => {
    now = 1_000;
    const l = limiter();
    const limit = { perSecond: 2, burst: 5 };
    const results = Array.from({ length: 7 }, () => l.take('acme', limit));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(results[5]).toEqual({ ok: false, retryAfterMs: 500 });
    now += 500;
    expect(l.take('acme', limit).ok).toBe(true);
    expect(l.take('acme', limit).ok).toBe(false);
  });

  test('tenants have their own buckets; a quiet spell refills only up to the burst', () => {
    now = 0;
    const l = limiter();
    const limit = { perSecond: 1, burst: 2 };
    expect([l.take('a', limit), l.take('a', limit), l.take('a', limit)].map((r) => r.ok)).toEqual([true, true, false]);
    expect(l.take('b', limit).ok).toBe(true);
    now += 3_600_000;
    expect([l.take('a', limit), l.take('a', limit), l.take('a', limit)].map((r) => r.ok)).toEqual([true, true, false]);
  });

  test('a reloaded limit applies at once', () => {
    now = 0;
    const l = limiter();
    expect(l.take('a', { perSecond: 1, burst: 1 }).ok).toBe(true);
    expect(l.take('a', { perSecond: 1, burst: 1 }).ok).toBe(false);
    const slower = l.take('a', { perSecond: 0.1, burst: 1 });
    expect(slower).toEqual({ ok: false, retryAfterMs: 10_000 });
  });

  test('Retry-After is whole seconds and never 0', () => {
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(1000)).toBe(1);
    expect(retryAfterSeconds(1001)).toBe(2);
  });
});
