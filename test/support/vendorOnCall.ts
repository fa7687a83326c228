/**
 * Who is on call according to a vendor export, computed from the vendor's documented semantics
 * alone (no Klaxon code), so the import's round-trip test compares two independent readings.
 *
 * Opsgenie (https://docs.opsgenie.com/docs/schedule-rotation-api, …/schedule-override-api): a
 * rotation hands over every `length` × hour/day/week from `startDate`, through its participants in
 * order; a time restriction masks when its participant is on call; rotations do not rank, so all
 * overlapping participants are on call; an override replaces everyone in the rotations it names.
 *
 * Grafana OnCall (https://grafana.com/docs/oncall/latest/oncall-api-reference/on_call_shifts/): a
 * shift's occurrences follow its recurrence (FREQ, INTERVAL, BYDAY, WKST) from `start` (wall time in
 * the shift's zone, else the schedule's) and last `duration` seconds; rolling_users moves to the
 * next list every frequency × interval; the highest `level` wins; overrides beat every level.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** Wall-clock parts of an instant in a zone. */
const formats = new Map<string, Intl.DateTimeFormat>();
export function localParts(t: number, zone: string) {
  let f = formats.get(zone);
  if (!f) formats.set(zone, (f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short' })));
  const parts = Object.fromEntries(
    f
      .formatToParts(t)
      .map((p) => [p.type, p.value]),
  );
  const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return { wall, weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.weekday), minuteOfDay: +parts.hour * 60 + +parts.minute };
}

/** The instant of a wall-clock time (encoded as UTC ms) in a zone; test windows avoid DST changes. */
export function zoned(wall: number, zone: string): number {
  let t = wall;
  for (let i = 0; i < 3; i++) t = wall - (localParts(t, zone).wall - t);
  return t;
}

// ---------- Opsgenie ----------

interface OgRotation {
  startDate: string;
  endDate?: string;
  type: 'hourly' | 'daily' | 'weekly';
  length?: number;
  participants: Array<{ type: string; id?: string }>;
  timeRestriction?: { type: string; restriction?: Record<string, number>; restrictions?: Array<Record<string, string | number>> };
  id?: string;
}
interface OgSchedule {
  timezone: string;
  rotations: OgRotation[];
}
interface OgOverride {
  user: { id?: string };
  startDate: string;
  endDate: string;
  rotations?: Array<{ id?: string }>;
}

const OG_DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const UNIT = { hourly: HOUR, daily: DAY, weekly: 7 * DAY };

function inOgRestriction(r: NonNullable<OgRotation['timeRestriction']>, t: number, zone: string): boolean {
  const { weekday, minuteOfDay } = localParts(t, zone);
  if (r.type === 'time-of-day') {
    const s = r.restriction!.startHour * 60 + r.restriction!.startMin;
    const e = r.restriction!.endHour * 60 + r.restriction!.endMin;
    return e > s ? minuteOfDay >= s && minuteOfDay < e : minuteOfDay >= s || minuteOfDay < e;
  }
  const m = weekday * 1440 + minuteOfDay;
  return r.restrictions!.some((x) => {
    const s = OG_DAYS.indexOf(x.startDay as string) * 1440 + (x.startHour as number) * 60 + (x.startMin as number);
    let e = OG_DAYS.indexOf(x.endDay as string) * 1440 + (x.endHour as number) * 60 + (x.endMin as number);
    if (e <= s) e += 7 * 1440;
    return (m >= s && m < e) || (m + 7 * 1440 >= s && m + 7 * 1440 < e);
  });
}

/** Opsgenie user ids on call at `t`. */
export function opsgenieOnCall(schedule: OgSchedule, overrides: OgOverride[], t: number): Set<string> {
  const rotationIds = schedule.rotations.map((r) => r.id);
  for (const o of overrides) {
    const named = (o.rotations ?? []).map((r) => r.id);
    const all = named.length === 0 || rotationIds.every((id) => named.includes(id));
    if (all && Date.parse(o.startDate) <= t && t < Date.parse(o.endDate)) return new Set([o.user.id!]);
  }
  const out = new Set<string>();
  for (const r of schedule.rotations) {
    const start = Date.parse(r.startDate);
    if (t < start || (r.endDate && t >= Date.parse(r.endDate))) continue;
    const k = Math.floor((t - start) / ((r.length ?? 1) * UNIT[r.type]));
    const p = r.participants[k % r.participants.length];
    if (r.timeRestriction && !inOgRestriction(r.timeRestriction, t, schedule.timezone)) continue;
    if (p.type === 'user') out.add(p.id!);
  }
  return out;
}

// ---------- Grafana OnCall ----------

interface OcShift {
  type: string;
  time_zone?: string | null;
  level?: number | null;
  start: string;
  duration: number;
  frequency?: string | null;
  interval?: number | null;
  week_start?: string | null;
  by_day?: string[] | null;
  users?: string[] | null;
  rolling_users?: string[][] | null;
  start_rotation_from_user_index?: number | null;
}

const ICAL = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

/** The users of the occurrence of `s` that covers `t`, if any. */
function ocOccurrence(s: OcShift, scheduleZone: string, t: number): string[] | undefined {
  const zone = s.time_zone ?? scheduleZone;
  const startWall = Date.parse(`${s.start}Z`);
  const length = s.duration * 1000;
  const groups = s.type === 'rolling_users' ? s.rolling_users! : [s.users ?? []];
  const pick = (frame: number) => groups[(frame + (s.start_rotation_from_user_index ?? 0)) % groups.length];
  const startAt = zoned(startWall, zone);
  if (s.type === 'single_event' || s.type === 'override') return startAt <= t && t < startAt + length ? groups[0] : undefined;
  const interval = s.interval ?? 1;
  if (s.frequency === 'hourly') {
    const k = Math.floor((t - startAt) / (interval * HOUR));
    return k >= 0 && t < startAt + k * interval * HOUR + length ? pick(k) : undefined;
  }
  const timeOfDay = startWall % DAY;
  const startDay = startWall - timeOfDay;
  const wkst = ICAL.indexOf(s.week_start ?? 'SU');
  const weekOf = (day: number) => day - ((new Date(day).getUTCDay() - wkst + 7) % 7) * DAY;
  const today = localParts(t, zone).wall;
  // Occurrences that started up to `duration` (plus a day) before t.
  for (let day = today - (today % DAY) - Math.ceil(length / DAY) * DAY - DAY; day <= today; day += DAY) {
    if (day < startDay) continue;
    const weekday = ICAL[new Date(day).getUTCDay()];
    let frame: number;
    if (s.frequency === 'daily') {
      const d = Math.round((day - startDay) / DAY);
      if (d % interval !== 0 || (s.by_day?.length && !s.by_day.includes(weekday))) continue;
      frame = d / interval;
    } else if (s.frequency === 'weekly') {
      const w = Math.round((weekOf(day) - weekOf(startDay)) / (7 * DAY));
      const days = s.by_day?.length ? s.by_day : [ICAL[new Date(startDay).getUTCDay()]];
      if (w % interval !== 0 || !days.includes(weekday)) continue;
      frame = w / interval;
    } else {
      throw new Error(`evaluator: frequency ${s.frequency} not supported`);
    }
    const from = zoned(day + timeOfDay, zone);
    if (from <= t && t < from + length) return pick(frame);
  }
  return undefined;
}

/** OnCall user ids on call at `t`: overrides, else the highest level with someone on call. */
export function oncallOnCall(schedule: { time_zone?: string | null }, shifts: OcShift[], t: number): Set<string> {
  const zone = schedule.time_zone ?? 'UTC';
  const active = shifts.flatMap((s) => {
    const users = ocOccurrence(s, zone, t);
    return users ? [{ level: s.type === 'override' ? Infinity : (s.level ?? 0), users }] : [];
  });
  if (!active.length) return new Set();
  const top = Math.max(...active.map((a) => a.level));
  return new Set(active.filter((a) => a.level === top).flatMap((a) => a.users));
}
