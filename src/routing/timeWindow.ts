import type { TimeWindowConfig } from '../config/schema';
import { restrictWindows } from '../oncall/rotation';

/** Is `at` inside a weekly window (e.g. business hours Mon–Fri 09:00–17:00 Europe/Berlin)? */
export function inTimeWindow(window: TimeWindowConfig, at: Date): boolean {
  const t = at.getTime();
  return restrictWindows(window, window.timeZone, t, t + 1).some((w) => w.start <= t && t < w.end);
}
