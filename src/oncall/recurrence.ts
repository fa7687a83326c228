import { DAY_MS, instantOf, startOfDay, wallAt, weekdayOf } from './localTime';

/**
 * Calendar events imported from an iCalendar feed, and the instances of their recurrence rules.
 * Only what on-call calendars use: FREQ=DAILY/WEEKLY with INTERVAL, COUNT, UNTIL, BYDAY, WKST.
 * Everything is plain numbers, so parsed events survive a JSON round trip.
 */

export interface Recurrence {
  freq: 'daily' | 'weekly';
  interval: number;
  count?: number;
  /** Last possible instance start (instant, inclusive). */
  until?: number;
  /** Weekdays, 0 = Sunday. */
  byDay?: number[];
  /** First day of the week (WKST, default Monday); matters for WEEKLY with INTERVAL > 1. */
  weekStart: number;
}

export interface CalendarEvent {
  /** Line of the BEGIN:VEVENT, for messages. */
  line: number;
  user: string;
  /** Zone the wall times below are in (TZID, UTC for `Z` times, the schedule's zone if floating). */
  zone: string;
  /** Wall-clock start and end; every instance keeps the same local times (see occurrences()). */
  start: number;
  end: number;
  rule?: Recurrence;
  /** Instance starts (instants) removed by EXDATE or replaced by a RECURRENCE-ID event. */
  exclude: number[];
}

export interface Occurrence {
  start: number;
  end: number;
}

/**
 * Instances of an event that overlap [from, to), as instants, in order.
 *
 * Instances keep DTSTART's and DTEND's local clock times, so a weekly 09:00–09:00 shift still hands
 * off at 09:00 after a DST change. (RFC 5545 asks for the exact duration of DTEND–DTSTART instead,
 * which would move every hand-off after a DST change by an hour; on-call calendars mean wall time.)
 */
export function occurrences(event: CalendarEvent, from: number, to: number): Occurrence[] {
  const out: Occurrence[] = [];
  const length = event.end - event.start;
  const emit = (wall: number) => {
    const start = instantOf(wall, event.zone);
    const end = instantOf(wall + length, event.zone);
    if (end > start && end > from && start < to && !event.exclude.includes(start)) out.push({ start, end });
  };
  const rule = event.rule;
  if (!rule) {
    emit(event.start);
    return out;
  }

  const timeOfDay = event.start - startOfDay(event.start);
  const period = (rule.freq === 'daily' ? 1 : 7) * rule.interval * DAY_MS;
  // Candidate instance days within one period, as day offsets from the period's first day.
  let anchor: number;
  let offsets: number[];
  if (rule.freq === 'daily') {
    anchor = startOfDay(event.start);
    offsets = [0];
  } else {
    const fromWeekStart = (d: number) => (d - rule.weekStart + 7) % 7;
    anchor = startOfDay(event.start) - fromWeekStart(weekdayOf(event.start)) * DAY_MS;
    offsets = (rule.byDay ?? [weekdayOf(event.start)]).map(fromWeekStart).sort((a, b) => a - b);
  }
  const matches = (wall: number) => rule.freq === 'weekly' || !rule.byDay || rule.byDay.includes(weekdayOf(wall));

  // Without COUNT no instance needs counting, so skip straight to the window.
  let p = 0;
  if (rule.count === undefined) {
    p = Math.max(0, Math.floor((wallAt(from, event.zone) - length - anchor) / period) - 1);
  }
  let produced = 0;
  for (; ; p++) {
    for (const off of offsets) {
      const wall = anchor + p * period + off * DAY_MS + timeOfDay;
      if (wall < event.start) continue;
      // Stop checks come before the BYDAY filter, so a rule that never matches still ends.
      const start = instantOf(wall, event.zone);
      if ((rule.until !== undefined && start > rule.until) || start >= to) return out;
      if (!matches(wall)) continue;
      if (rule.count !== undefined && produced >= rule.count) return out;
      produced++;
      emit(wall);
    }
  }
}
