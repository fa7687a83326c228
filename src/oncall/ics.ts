import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { ScheduleConfig, UserConfig } from '../config/schedules';
import { DAY_MS, HOUR_MS, MINUTE_MS, instantOf, isTimeZone, startOfDay, wallAt } from './localTime';
import type { CalendarEvent, Recurrence } from './recurrence';
import type { OnCallSchedule } from './schedule';

/**
 * iCalendar (RFC 5545) import: the VEVENTs of a feed become an on-call layer that sits above the
 * configured layers and below overrides: a team calendar (exported from another tool, or kept by
 * hand) replaces the rotation where it has an event, and a config override still has the last word.
 * Where calendar events overlap, the one that started last wins (the more specific claim).
 *
 * Supported: line unfolding; DTSTART/DTEND as UTC (`Z`), TZID (IANA names) or floating (read in
 * the schedule's zone) date-times, or all-day DATE values; DURATION; RRULE with FREQ=DAILY/WEEKLY,
 * INTERVAL, COUNT, UNTIL, BYDAY, WKST; EXDATE; RECURRENCE-ID (moved instances); STATUS:CANCELLED.
 * The user is the one ATTENDEE that is a known user (by email, id or CN name), else the one user
 * SUMMARY names (its id, name or email). Every problem names its line.
 */

export interface IcsProblem {
  line: number;
  message: string;
}

export class IcsError extends Error {
  constructor(readonly file: string, readonly problems: IcsProblem[]) {
    super(`${file}: invalid calendar:\n` + problems.map((p) => `  line ${p.line}: ${p.message}`).join('\n'));
    this.name = 'IcsError';
  }
}

interface Property {
  line: number;
  name: string;
  params: Record<string, string>;
  value: string;
}

/** Joins folded lines (CRLF or LF followed by a space or tab), keeping each one's first line number. */
function unfold(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if ((raw.startsWith(' ') || raw.startsWith('\t')) && out.length > 0) out[out.length - 1].text += raw.slice(1);
    else if (raw.trim() !== '') out.push({ line: i + 1, text: raw });
  });
  return out;
}

/** `NAME;P1=v;P2="a:b":value`: parameter values may be quoted and contain `:` and `;`. */
function parseProperty(line: number, text: string): Property | undefined {
  const m = /^([A-Za-z0-9-]+)/.exec(text);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  let i = m[1].length;
  while (text[i] === ';') {
    const p = /^([A-Za-z0-9-]+)=("[^"]*"|[^";:]*)/.exec(text.slice(i + 1));
    if (!p) return undefined;
    params[p[1].toUpperCase()] = p[2].replace(/^"|"$/g, '');
    i += 1 + p[0].length;
  }
  if (text[i] !== ':') return undefined;
  return { line, name: m[1].toUpperCase(), params, value: text.slice(i + 1) };
}

function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

class Problem extends Error {
  constructor(readonly line: number, message: string) {
    super(message);
  }
}

interface Moment {
  /** Wall time in `zone`. */
  wall: number;
  zone: string;
  isDate: boolean;
}

/** A DATE or DATE-TIME value with its TZID / `Z` / floating reading. */
function moment(p: Property, value: string, floatingZone: string): Moment {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$/.exec(value.trim());
  if (!m) throw new Problem(p.line, `${p.name}: "${value}" is not a date or date-time (e.g. 20240311T090000Z)`);
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  if (new Date(wall).getUTCDate() !== +m[3] || +(m[4] ?? 0) > 23 || +(m[5] ?? 0) > 59) throw new Problem(p.line, `${p.name}: "${value}" is not a valid date`);
  const isDate = m[4] === undefined;
  if (m[7]) return { wall, zone: 'UTC', isDate };
  const tzid = p.params.TZID;
  if (tzid !== undefined && !isDate) {
    if (!isTimeZone(tzid)) throw new Problem(p.line, `${p.name}: unknown TZID "${tzid}" (only IANA zone names like Europe/Berlin are supported)`);
    return { wall, zone: tzid, isDate };
  }
  return { wall, zone: floatingZone, isDate };
}

/** The same moment as a wall time in another zone. */
function inZone(m: Moment, zone: string): number {
  return m.zone === zone ? m.wall : wallAt(instantOf(m.wall, m.zone), zone);
}

/** `P1W`, `PT8H`, `P1DT12H`: length in wall-clock time. */
function parseIcsDuration(p: Property): number {
  const m = /^\+?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(p.value.trim());
  if (!m || p.value.trim().match(/^\+?PT?$/)) throw new Problem(p.line, `DURATION: "${p.value}" is not a positive duration (e.g. PT12H, P1W)`);
  return +(m[1] ?? 0) * 7 * DAY_MS + +(m[2] ?? 0) * DAY_MS + +(m[3] ?? 0) * HOUR_MS + +(m[4] ?? 0) * MINUTE_MS + +(m[5] ?? 0) * 1000;
}

const ICS_DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

function parseRule(p: Property, start: Moment): Recurrence {
  const parts = new Map<string, string>();
  for (const kv of p.value.split(';')) {
    const [k, v] = kv.split('=');
    if (!k || v === undefined) throw new Problem(p.line, `RRULE: "${kv}" is not KEY=VALUE`);
    parts.set(k.toUpperCase(), v);
  }
  const unsupported = [...parts.keys()].filter((k) => !['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'BYDAY', 'WKST'].includes(k));
  if (unsupported.length) throw new Problem(p.line, `RRULE: ${unsupported.join(', ')} not supported (only FREQ, INTERVAL, COUNT, UNTIL, BYDAY, WKST)`);
  const freq = parts.get('FREQ');
  if (freq !== 'DAILY' && freq !== 'WEEKLY') throw new Problem(p.line, `RRULE: FREQ=${freq ?? '(missing)'} not supported (only DAILY and WEEKLY)`);
  const positive = (key: string): number | undefined => {
    const v = parts.get(key);
    if (v === undefined) return undefined;
    if (!/^[1-9]\d*$/.test(v)) throw new Problem(p.line, `RRULE: ${key}=${v} is not a positive integer`);
    return Number(v);
  };
  const day = (text: string): number => {
    const i = ICS_DAYS.indexOf(text.toUpperCase());
    if (i < 0) throw new Problem(p.line, `RRULE: "${text}" is not a weekday (MO…SU; ordinals like 1MO are not supported)`);
    return i;
  };
  const count = positive('COUNT');
  const untilText = parts.get('UNTIL');
  if (count !== undefined && untilText !== undefined) throw new Problem(p.line, 'RRULE: COUNT and UNTIL together are not allowed');
  let until: number | undefined;
  if (untilText !== undefined) {
    const u = moment({ ...p, name: 'RRULE UNTIL', params: {} }, untilText, start.zone);
    // A DATE UNTIL includes instances that start on that day.
    until = u.isDate ? instantOf(u.wall + DAY_MS, start.zone) - 1 : instantOf(u.wall, u.zone);
  }
  const byDay = parts.get('BYDAY')?.split(',').map(day);
  return { freq: freq === 'DAILY' ? 'daily' : 'weekly', interval: positive('INTERVAL') ?? 1, count, until, byDay, weekStart: parts.has('WKST') ? day(parts.get('WKST')!) : 1 };
}

/** Finds the user an event is for: its one known ATTENDEE, else the one user its SUMMARY names. */
function userMatcher(users: Record<string, UserConfig>) {
  const entries = Object.entries(users);
  const norm = (s: string) => s.trim().toLowerCase();
  const byKey = (text: string) => entries.filter(([id, u]) => [id, u.name, u.email].some((k) => k !== undefined && norm(k) === norm(text))).map(([id]) => id);
  // Whole words only: "On call: Alice Smith (primary)" names "Alice Smith", not "al".
  const words = (s: string) =>
    ` ${norm(s)
      .split(/[^\p{L}\p{N}@._+-]+/u)
      .map((w) => w.replace(/^[._+-]+|[._+-]+$/g, ''))
      .filter(Boolean)
      .join(' ')} `;
  const mentions = (text: string) => {
    const hay = words(text);
    return entries.filter(([id, u]) => [id, u.name, u.email].some((k) => k !== undefined && words(k).trim() !== '' && hay.includes(words(k)))).map(([id]) => id);
  };
  return (event: { line: number; attendees: Property[]; summary?: Property }): string => {
    const fromAttendees = new Set(
      event.attendees.flatMap((a) => [...byKey(a.value.replace(/^mailto:/i, '')), ...(a.params.CN ? byKey(a.params.CN) : [])]),
    );
    if (fromAttendees.size === 1) return [...fromAttendees][0];
    if (fromAttendees.size > 1) throw new Problem(event.attendees[0].line, `ATTENDEE: several known users (${[...fromAttendees].join(', ')}); an on-call event needs exactly one`);
    if (!event.summary) throw new Problem(event.line, 'event names no user (no known ATTENDEE and no SUMMARY)');
    const summary = unescapeText(event.summary.value);
    const exact = byKey(summary);
    const found = exact.length ? exact : mentions(summary);
    if (found.length === 1) return found[0];
    if (found.length === 0) throw new Problem(event.summary.line, `SUMMARY "${summary}" names no known user (by id, name or email)`);
    throw new Problem(event.summary.line, `SUMMARY "${summary}" names several users (${found.join(', ')})`);
  };
}

/**
 * Parses an iCalendar text into on-call events. Floating times and all-day dates are read in
 * `zone` (the schedule's). Returns every event it could read and every problem with its line.
 */
export function parseIcs(text: string, users: Record<string, UserConfig>, zone: string): { events: CalendarEvent[]; problems: IcsProblem[] } {
  const problems: IcsProblem[] = [];
  const lines = unfold(text);
  if (lines.length === 0 || lines[0].text.trim().toUpperCase() !== 'BEGIN:VCALENDAR') {
    return { events: [], problems: [{ line: lines[0]?.line ?? 1, message: 'not an iCalendar file (expected BEGIN:VCALENDAR)' }] };
  }
  const findUser = userMatcher(users);
  const stack: Array<{ name: string; line: number }> = [];
  const raw: Array<{ line: number; props: Property[] }> = [];
  for (const l of lines) {
    const p = parseProperty(l.line, l.text);
    if (!p) {
      problems.push({ line: l.line, message: `cannot read "${l.text.slice(0, 40)}" (expected NAME[;PARAM=…]:VALUE)` });
      continue;
    }
    if (p.name === 'BEGIN') {
      stack.push({ name: p.value.toUpperCase(), line: p.line });
      if (p.value.toUpperCase() === 'VEVENT' && stack.length === 2) raw.push({ line: p.line, props: [] });
    } else if (p.name === 'END') {
      const open = stack.pop();
      if (!open || open.name !== p.value.toUpperCase()) {
        problems.push({ line: p.line, message: `END:${p.value} does not close ${open ? `BEGIN:${open.name} (line ${open.line})` : 'anything'}` });
        if (open) stack.push(open);
      }
    } else if (stack.length === 2 && stack[1].name === 'VEVENT') {
      raw[raw.length - 1].props.push(p); // properties of nested components (VALARM) are skipped
    }
  }
  for (const open of stack.reverse()) problems.push({ line: open.line, message: `BEGIN:${open.name} is never closed` });

  const events: Array<CalendarEvent & { uid?: string; recurrenceId?: number }> = [];
  for (const ev of raw) {
    const one = (name: string) => ev.props.find((p) => p.name === name);
    try {
      if (one('STATUS')?.value.toUpperCase() === 'CANCELLED') continue;
      const dtstart = one('DTSTART');
      if (!dtstart) throw new Problem(ev.line, 'event has no DTSTART');
      const start = moment(dtstart, dtstart.value, zone);
      const dtend = one('DTEND');
      const dur = one('DURATION');
      let end: number;
      if (dtend) end = inZone(moment(dtend, dtend.value, zone), start.zone);
      else if (dur) end = start.wall + parseIcsDuration(dur);
      else if (start.isDate) end = start.wall + DAY_MS;
      else throw new Problem(ev.line, 'event has neither DTEND nor DURATION');
      if (end <= start.wall) throw new Problem((dtend ?? dur ?? dtstart).line, 'event ends at or before it starts');
      const rrule = one('RRULE');
      const timeOfDay = start.wall - startOfDay(start.wall);
      // An instance is named by its start; a DATE names the instance starting that day.
      const instant = (p: Property, value: string) => {
        const m = moment(p, value, start.zone);
        return instantOf(m.isDate ? m.wall + timeOfDay : m.wall, m.zone);
      };
      const exclude = ev.props.filter((p) => p.name === 'EXDATE').flatMap((p) => p.value.split(',').map((v) => instant(p, v)));
      const rid = one('RECURRENCE-ID');
      events.push({
        line: ev.line,
        user: findUser({ line: ev.line, attendees: ev.props.filter((p) => p.name === 'ATTENDEE'), summary: one('SUMMARY') }),
        zone: start.zone,
        start: start.wall,
        end,
        rule: rrule ? parseRule(rrule, start) : undefined,
        exclude,
        uid: one('UID')?.value,
        recurrenceId: rid ? instant(rid, rid.value) : undefined,
      });
    } catch (err) {
      if (!(err instanceof Problem)) throw err;
      problems.push({ line: err.line, message: err.message });
    }
  }
  // A RECURRENCE-ID event replaces one instance of the recurring event with the same UID.
  for (const moved of events) {
    if (moved.recurrenceId === undefined) continue;
    const master = events.find((e) => e.rule && e.uid === moved.uid);
    if (master) master.exclude.push(moved.recurrenceId);
  }
  return { events: events.map(({ uid: _uid, recurrenceId: _rid, ...e }) => e), problems };
}

/** Reads and parses a calendar file; throws IcsError listing every problem with its line. */
export function loadIcs(file: string, users: Record<string, UserConfig>, zone: string): CalendarEvent[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new IcsError(file, [{ line: 0, message: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message }]);
  }
  const { events, problems } = parseIcs(text, users, zone);
  if (problems.length) throw new IcsError(file, problems);
  return events;
}

/** The schedule with its `ics` file (resolved against `baseDir`, the tenants file's folder) loaded. */
export function withCalendar(schedule: ScheduleConfig, users: Record<string, UserConfig>, baseDir: string): OnCallSchedule {
  if (!schedule.ics) return schedule;
  return { ...schedule, imported: loadIcs(resolvePath(baseDir, schedule.ics), users, schedule.timeZone) };
}
