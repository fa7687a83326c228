import { wallNow } from './stats';

export interface Sample<T> {
  index: number;
  /** Wall-clock time the call was made (ms, see wallNow). */
  sentAt: number;
  latencyMs: number;
  value?: T;
  error?: string;
}

export interface LoadResult<T> {
  samples: Sample<T>[];
  elapsedMs: number;
  ok: number;
  errors: number;
  /** The first few distinct error messages, for the report. */
  errorExamples: string[];
}

/**
 * Runs `task(i)` for i in [0, n) with at most `concurrency` calls in flight (a closed loop: each
 * lane starts its next call as soon as the previous one answered) and times every call.
 */
export async function runClosedLoop<T>(n: number, concurrency: number, task: (i: number) => Promise<T>): Promise<LoadResult<T>> {
  const samples: Sample<T>[] = new Array(n);
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const sentAt = wallNow();
      const t0 = performance.now();
      try {
        const value = await task(i);
        samples[i] = { index: i, sentAt, latencyMs: performance.now() - t0, value };
      } catch (err) {
        samples[i] = { index: i, sentAt, latencyMs: performance.now() - t0, error: (err as Error).message };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, lane));
  const elapsedMs = performance.now() - started;
  const failed = samples.filter((s) => s.error);
  return {
    samples,
    elapsedMs,
    ok: n - failed.length,
    errors: failed.length,
    errorExamples: [...new Set(failed.map((s) => s.error!))].slice(0, 3),
  };
}

/**
 * Open loop: starts `task(i)` at a fixed rate whatever the answers' latency (how Alertmanager
 * sends: it does not wait for one group's answer before the next group's), and times every call.
 */
export async function runPaced<T>(n: number, perSecond: number, task: (i: number) => Promise<T>): Promise<LoadResult<T>> {
  const samples: Sample<T>[] = new Array(n);
  const started = performance.now();
  const calls: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const sentAt = wallNow();
    const t0 = performance.now();
    calls.push(
      task(i).then(
        (value) => void (samples[i] = { index: i, sentAt, latencyMs: performance.now() - t0, value }),
        (err: Error) => void (samples[i] = { index: i, sentAt, latencyMs: performance.now() - t0, error: err.message }),
      ),
    );
  }
  await Promise.all(calls);
  const elapsedMs = performance.now() - started;
  const failed = samples.filter((s) => s.error);
  return { samples, elapsedMs, ok: n - failed.length, errors: failed.length, errorExamples: [...new Set(failed.map((s) => s.error!))].slice(0, 3) };
}
