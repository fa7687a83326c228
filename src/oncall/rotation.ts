import type { LayerConfig } from '../config/schedules';
import { WEEKDAYS } from '../config/schedules';
import { DAY_MS, MINUTE_MS, instantOf, parseClock, parseDate, startOfDay, wallAt, weekdayOf } from './localTime';

/**
 * One layer on its own: who its rotation puts on call, and when its `restrict` window lets it be
 * on call. Hand-offs are computed on wall-clock time in the schedule's zone (see localTime.ts), so
 * a `1d` rotation with a 09:00 hand-off hands off at 09:00 every day and a shift on a DST day is
 * 23 h or 25 h long. A hand-off in a DST gap happens at the end of the gap; one in a repeated hour
 * at its first occurrence (instantOf). A sub-day rotation can lose a whole shift to a gap: that
 * user is skipped that day rather than given a zero-length shift.
 */

export interface LayerShift {
  user: string;
  start: number;
  end: number;
  /** Rotation shift number since the layer's start; unique and increasing within the layer. */
  index: number;
}

function rotationEpoch(layer: LayerConfig): number {
  return parseDate(layer.start)! + parseClock(layer.handoff)! * MINUTE_MS;
}

/** Rotation shifts overlapping [from, to), ignoring `restrict`. None before the layer's start. */
export function rotationShifts(layer: LayerConfig, zone: string, from: number, to: number): LayerShift[] {
  const epoch = rotationEpoch(layer);
  const boundary = (k: number) => instantOf(epoch + k * layer.rotation, zone);
  const t0 = Math.max(from, boundary(0));
  if (t0 >= to) return [];
  // First guess from the wall clock, then correct for the offset change of a DST day.
  let k = Math.max(0, Math.floor((wallAt(t0, zone) - epoch) / layer.rotation));
  while (k > 0 && boundary(k) > t0) k--;
  while (boundary(k + 1) <= t0) k++;
  const out: LayerShift[] = [];
  for (let start = boundary(k); start < to; k++) {
    const end = boundary(k + 1);
    if (end > start) out.push({ user: layer.users[k % layer.users.length], start, end, index: k });
    start = end;
  }
  return out;
}

/** The layer's `restrict` windows overlapping [from, to), touching windows merged. */
export function restrictWindows(restrict: NonNullable<LayerConfig['restrict']>, zone: string, from: number, to: number): Array<{ start: number; end: number }> {
  const fromMin = parseClock(restrict.from)!;
  let toMin = parseClock(restrict.to, true)!;
  if (toMin <= fromMin) toMin += 24 * 60;
  const days = new Set((restrict.days ?? WEEKDAYS).map((d) => WEEKDAYS.indexOf(d)));
  const out: Array<{ start: number; end: number }> = [];
  // A window that opened the day before may still be open at `from` (night shifts).
  for (let day = startOfDay(wallAt(from, zone)) - DAY_MS; day <= startOfDay(wallAt(to, zone)); day += DAY_MS) {
    if (!days.has(weekdayOf(day))) continue;
    const start = instantOf(day + fromMin * MINUTE_MS, zone);
    const end = instantOf(day + toMin * MINUTE_MS, zone);
    if (end <= from || start >= to || end <= start) continue;
    const last = out[out.length - 1];
    if (last && last.end >= start) last.end = Math.max(last.end, end);
    else out.push({ start, end });
  }
  return out;
}

/** When the layer has someone on call, overlapping [from, to): rotation shifts cut to `restrict`. */
export function layerShifts(layer: LayerConfig, zone: string, from: number, to: number): LayerShift[] {
  const shifts = rotationShifts(layer, zone, from, to);
  const restrict = layer.restrict;
  if (!restrict) return shifts;
  const out: LayerShift[] = [];
  for (const s of shifts) {
    // Windows are taken over the whole shift so a piece's start is its real start, not `from`.
    for (const w of restrictWindows(restrict, zone, s.start, s.end)) {
      const start = Math.max(s.start, w.start);
      const end = Math.min(s.end, w.end);
      if (end > start && end > from && start < to) out.push({ ...s, start, end });
    }
  }
  return out;
}
