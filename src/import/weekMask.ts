import { WEEKDAYS } from '../config/schedules';

/**
 * A weekly pattern as one flag per minute of the week (Sunday 00:00 = minute 0), in the schedule's
 * zone. Vendors describe "when a rotation may be on call" in ways Klaxon's `restrict` (days plus one
 * daily window) covers only in part; comparing masks says exactly when a translation is faithful
 * and whether two rotations can be on call at the same moment.
 */

export const WEEK_MINUTES = 7 * 24 * 60;
const DAY_MINUTES = 24 * 60;

export type WeekMask = Uint8Array;

export function emptyMask(): WeekMask {
  return new Uint8Array(WEEK_MINUTES);
}

export function fullMask(): WeekMask {
  return new Uint8Array(WEEK_MINUTES).fill(1);
}

/** Sets [start, start + length) minutes of the week, wrapping past Saturday into Sunday. */
export function addSpan(mask: WeekMask, start: number, length: number): WeekMask {
  for (let m = 0; m < Math.min(length, WEEK_MINUTES); m++) mask[(start + m) % WEEK_MINUTES] = 1;
  return mask;
}

/** Klaxon's `restrict`: on `days` (default every day) from `from` for (to - from) minutes, overnight when to <= from. */
export interface DailyWindow {
  days?: Array<(typeof WEEKDAYS)[number]>;
  from: string;
  to: string;
}

export function clockMinutes(text: string): number {
  const [h, m] = text.split(':').map(Number);
  return h * 60 + m;
}

export function clockText(minutes: number): string {
  const m = ((minutes % DAY_MINUTES) + DAY_MINUTES) % DAY_MINUTES;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

export function windowMask(w: DailyWindow | undefined): WeekMask {
  if (!w) return fullMask();
  const from = clockMinutes(w.from);
  let to = clockMinutes(w.to);
  if (to <= from) to += DAY_MINUTES;
  const mask = emptyMask();
  for (const day of w.days ?? WEEKDAYS) addSpan(mask, WEEKDAYS.indexOf(day) * DAY_MINUTES + from, to - from);
  return mask;
}

/** A span of the week: from day/minute to day/minute (the end may wrap into the next week). */
export interface WeekSpan {
  startDay: number;
  startMinute: number;
  endDay: number;
  endMinute: number;
}

function spanLength(s: WeekSpan): number {
  const start = s.startDay * DAY_MINUTES + s.startMinute;
  const end = s.endDay * DAY_MINUTES + s.endMinute;
  return end > start ? end - start : end - start + WEEK_MINUTES;
}

export function spansMask(spans: WeekSpan[]): WeekMask {
  const mask = emptyMask();
  for (const s of spans) addSpan(mask, s.startDay * DAY_MINUTES + s.startMinute, spanLength(s));
  return mask;
}

/** The spans as one Klaxon `restrict`, when they are one daily window on some days (each at most 24 h). */
export function spansAsWindow(spans: WeekSpan[]): DailyWindow | undefined {
  if (!spans.length) return undefined;
  const [first] = spans;
  const length = spanLength(first);
  if (length > DAY_MINUTES) return undefined;
  if (!spans.every((s) => s.startMinute === first.startMinute && spanLength(s) === length)) return undefined;
  const days = [...new Set(spans.map((s) => s.startDay))].sort((a, b) => a - b);
  if (days.length !== spans.length) return undefined;
  const window: DailyWindow = { from: clockText(first.startMinute), to: clockText(first.startMinute + length) };
  return days.length === 7 ? window : { days: days.map((d) => WEEKDAYS[d]), ...window };
}

/** The first minute both masks set, or undefined. */
export function firstOverlap(a: WeekMask, b: WeekMask): number | undefined {
  for (let m = 0; m < WEEK_MINUTES; m++) if (a[m] && b[m]) return m;
  return undefined;
}

export function union(masks: WeekMask[]): WeekMask {
  const out = emptyMask();
  for (const mask of masks) for (let m = 0; m < WEEK_MINUTES; m++) if (mask[m]) out[m] = 1;
  return out;
}

export function isFull(mask: WeekMask): boolean {
  return mask.every((v) => v === 1);
}

/** `mon 09:00`, for messages. */
export function describeMinute(minute: number): string {
  return `${WEEKDAYS[Math.floor(minute / DAY_MINUTES)]} ${clockText(minute % DAY_MINUTES)}`;
}
