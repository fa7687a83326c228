/**
 * A step's own timeout per try (`timeoutMs` of http and exec), within what the workflow gives a
 * try: 90 s (its startToCloseTimeout), so at most 60 s leaves room for the answer and a kill grace.
 */
export const MAX_STEP_TIMEOUT_MS = 60_000;

export function stepTimeout(given: number | undefined, defaultMs: number): number {
  if (given === undefined || !Number.isFinite(given)) return defaultMs;
  return Math.min(Math.max(Math.round(given), 1), MAX_STEP_TIMEOUT_MS);
}
