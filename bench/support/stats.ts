/** Small numeric helpers for benchmark reports. */

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when empty. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function mean(samples: readonly number[]): number {
  return samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : Number.NaN;
}

/** `12.3 ms` / `1.23 s`, or `n/a`. */
export function ms(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`;
}

export function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : Number.NaN;
}

export function rate(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(0)}/s` : 'n/a';
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one host. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}
