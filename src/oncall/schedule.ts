import { layerName, type ScheduleConfig } from '../config/schedules';
import { parseDateTime } from './localTime';
import { occurrences, type CalendarEvent } from './recurrence';
import { layerShifts } from './rotation';

/**
 * Who is on call: layers stacked bottom to top, the imported calendar (if any) above them, config
 * overrides above everything. Pure and deterministic: time is always a parameter, so workflow code
 * can call this with its replay-safe clock.
 */

/** A schedule as configured, plus the events of its `ics` file once loaded (see ics.ts). */
export type OnCallSchedule = ScheduleConfig & { imported?: readonly CalendarEvent[] };

export interface OnCallShift {
  user: string;
  /** The layer's name, `ics` for an imported calendar event, or `override`. */
  layer: string;
  shiftStart: Date;
  shiftEnd: Date;
}

/** One source's claim that `user` is on call over [start, end). */
interface Claim {
  user: string;
  layer: string;
  start: number;
  end: number;
  /** Layer position; the calendar ranks above every layer, overrides above the calendar. */
  rank: number;
  /** Stable position within its source, so equal claims compare the same way in every window. */
  order: number;
}

/** Higher rank wins; within a rank the later start (the more specific claim), then the later entry. */
function beats(a: Claim, b: Claim): boolean {
  if (a.rank !== b.rank) return a.rank > b.rank;
  if (a.start !== b.start) return a.start > b.start;
  return a.order > b.order;
}

function claims(schedule: OnCallSchedule, from: number, to: number): Claim[] {
  const zone = schedule.timeZone;
  const out: Claim[] = [];
  schedule.layers.forEach((layer, i) => {
    for (const s of layerShifts(layer, zone, from, to)) out.push({ user: s.user, layer: layerName(layer, i), start: s.start, end: s.end, rank: i, order: s.index });
  });
  const calendarRank = schedule.layers.length;
  (schedule.imported ?? []).forEach((event, i) => {
    for (const o of occurrences(event, from, to)) out.push({ user: event.user, layer: 'ics', start: o.start, end: o.end, rank: calendarRank, order: i });
  });
  schedule.overrides.forEach((o, i) => {
    const start = parseDateTime(o.from, zone)!;
    const end = parseDateTime(o.to, zone)!;
    if (end > start && end > from && start < to) out.push({ user: o.user, layer: 'override', start, end, rank: calendarRank + 1, order: i });
  });
  return out;
}

/** Sweeps [from, to): at every moment the best claim wins; consecutive moments of one claim merge. */
function resolve(all: Claim[], from: number, to: number): Array<{ claim: Claim; start: number; end: number }> {
  const points = new Set([from, to]);
  for (const c of all) {
    if (c.start > from && c.start < to) points.add(c.start);
    if (c.end > from && c.end < to) points.add(c.end);
  }
  const cuts = [...points].sort((a, b) => a - b);
  const byStart = [...all].sort((a, b) => a.start - b.start);
  const out: Array<{ claim: Claim; start: number; end: number }> = [];
  let active: Claim[] = [];
  let next = 0;
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [p, q] = [cuts[i], cuts[i + 1]];
    while (next < byStart.length && byStart[next].start <= p) active.push(byStart[next++]);
    active = active.filter((c) => c.end > p);
    if (active.length === 0) continue;
    const winner = active.reduce((a, b) => (beats(b, a) ? b : a));
    const last = out[out.length - 1];
    if (last && last.claim === winner && last.end === p) last.end = q;
    else out.push({ claim: winner, start: p, end: q });
  }
  return out;
}

function toShift(piece: { claim: Claim; start: number; end: number }): OnCallShift {
  return { user: piece.claim.user, layer: piece.claim.layer, shiftStart: new Date(piece.start), shiftEnd: new Date(piece.end) };
}

function millis(d: Date, name: string): number {
  const t = d.getTime();
  if (Number.isNaN(t)) throw new RangeError(`${name} is not a valid date`);
  return t;
}

/**
 * Who is on call at `at`, and the stretch of time they are on call for uninterrupted: a shift that
 * an override cuts in two reports the part `at` falls in. Undefined when nobody is.
 */
export function onCallAt(schedule: OnCallSchedule, at: Date): OnCallShift | undefined {
  const t = millis(at, 'at');
  const here = claims(schedule, t, t + 1);
  if (here.length === 0) return undefined;
  const winner = here.reduce((a, b) => (beats(b, a) ? b : a));
  // Only claims that outrank the winner can cut its stretch short.
  const above = claims(schedule, winner.start, winner.end).filter((c) => beats(c, winner));
  const piece = resolve([winner, ...above], winner.start, winner.end).find((p) => p.start <= t && t < p.end)!;
  return toShift(piece);
}

/**
 * The final shifts (after layering and overrides) that overlap [from, to), in order. Shifts keep
 * their real start and end even where they reach outside the window; gaps with nobody on call
 * appear as gaps. Adjacent shifts of the same user from different claims are not merged, so every
 * hand-off in the rotation shows.
 */
export function shifts(schedule: OnCallSchedule, from: Date, to: Date): OnCallShift[] {
  const [f, t] = [millis(from, 'from'), millis(to, 'to')];
  if (t <= f) return [];
  // Widen the window to the real edges of the first and last shifts, so they are not cut at f / t.
  const lo = onCallAt(schedule, from)?.shiftStart.getTime() ?? f;
  const hi = onCallAt(schedule, new Date(t - 1))?.shiftEnd.getTime() ?? t;
  return resolve(claims(schedule, lo, hi), lo, hi)
    .filter((p) => p.end > f && p.start < t)
    .map(toShift);
}
