/** The most arrivals that fall in any window of `everyMs` (arrival times in ms, any order): what a vendor's rate limit counts. */
export function mostInAnyWindow(arrivals: number[], everyMs: number): number {
  const a = [...arrivals].sort((x, y) => x - y);
  let most = 0;
  for (let i = 0, j = 0; j < a.length; j++) {
    while (a[j] - a[i] >= everyMs) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}
