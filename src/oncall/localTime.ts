/**
 * Local (wall-clock) time in an IANA zone, on top of Intl only.
 *
 * A "wall" value is a local date and time encoded as milliseconds on a UTC-like timeline that has
 * no DST: 2024-03-31 09:00 in Berlin is `Date.UTC(2024, 2, 31, 9, 0)`. Calendar arithmetic (add a
 * day, add a week, find the weekday) is plain addition on wall values; `instantOf` turns the result
 * into a real instant once, at the end, which is what keeps a 09:00 hand-off at 09:00 across DST.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    // hourCycle h23: with hour12:false some ICU versions print midnight as "24".
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

export function isTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock reading in `zone` at an instant. */
export function wallAt(instant: number, zone: string): number {
  const ms = ((instant % 1000) + 1000) % 1000;
  // en-US prints M/D/YYYY, HH:MM:SS; format() is ~3x faster than formatToParts(), and this is hot.
  const [month, day, year, hour, minute, second] = formatter(zone).format(instant - ms).match(/\d+/g)!.map(Number);
  return Date.UTC(year, month - 1, day, hour, minute, second) + ms;
}

function offsetAt(instant: number, zone: string): number {
  return wallAt(instant, zone) - instant;
}

/**
 * The instant a wall-clock time happens in `zone`.
 *
 * - A time that does not exist (the spring-forward gap, e.g. 02:30 in Europe/Berlin on the last
 *   Sunday of March) maps to the first instant after the gap (03:00 CEST): a hand-off scheduled in
 *   the gap happens as soon as the clock allows, never skipped and never an hour early.
 * - A time that exists twice (fall back) maps to its first occurrence, so a shift never ends an hour
 *   late because the clock happened to read the same time again.
 *
 * Offsets are sampled a day either side, which assumes at most one transition per two days (true
 * of every IANA zone in practical use).
 */
export function instantOf(wall: number, zone: string): number {
  // Hand-offs and restrict windows ask for the same few wall times over and over.
  const key = `${zone}|${wall}`;
  let t = instants.get(key);
  if (t === undefined) {
    if (instants.size >= 50_000) instants.clear();
    t = resolveWall(wall, zone);
    instants.set(key, t);
  }
  return t;
}

const instants = new Map<string, number>();

function resolveWall(wall: number, zone: string): number {
  const before = offsetAt(wall - DAY_MS, zone);
  const after = offsetAt(wall + DAY_MS, zone);
  const valid = [wall - before, wall - after].filter((t) => t + offsetAt(t, zone) === wall);
  if (valid.length > 0) return Math.min(...valid);
  // In the gap: the transition lies between the two candidates; find it (ms precision).
  let lo = wall - after;
  let hi = wall - before;
  if (hi <= lo) return wall - before;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (offsetAt(mid, zone) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** 0 = Sunday … 6 = Saturday, of a wall value. */
export function weekdayOf(wall: number): number {
  return new Date(wall).getUTCDay();
}

/** Midnight (wall) of the day a wall value falls on. */
export function startOfDay(wall: number): number {
  return Math.floor(wall / DAY_MS) * DAY_MS;
}

/** `HH:MM` → minutes after midnight; `24:00` only when `allowEndOfDay` (end of a window). */
export function parseClock(text: string, allowEndOfDay = false): number | undefined {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(text);
  if (!m) return undefined;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  if (minutes > 24 * 60 || (minutes === 24 * 60 && !allowEndOfDay)) return undefined;
  return minutes;
}

/** `YYYY-MM-DD` → wall midnight of that day, if it is a real date. */
export function parseDate(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  return m ? civil(+m[1], +m[2], +m[3], 0, 0, 0, 0) : undefined;
}

function civil(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number | undefined {
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59) return undefined;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  return new Date(wall).getUTCDate() === d ? wall : undefined; // rejects 2024-02-30
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * An ISO date-time as written in config or on the command line. With `Z` or an offset it is an
 * exact instant; without one it is wall-clock time in `zone` (so people can write an override in
 * the schedule's own time). Undefined when the text is not a valid date-time.
 */
export function parseDateTime(text: string, zone: string): number | undefined {
  const m = DATE_TIME.exec(text.trim());
  if (!m) return undefined;
  const wall = civil(+m[1], +m[2], +m[3], +m[4], +m[5], +(m[6] ?? 0), Number((m[7] ?? '0').padEnd(3, '0')));
  if (wall === undefined) return undefined;
  const offset = m[8];
  if (offset === undefined) return instantOf(wall, zone);
  if (offset.toUpperCase() === 'Z') return wall;
  const o = /^([+-])(\d{2}):?(\d{2})$/.exec(offset)!;
  return wall - (o[1] === '-' ? -1 : 1) * (Number(o[2]) * HOUR_MS + Number(o[3]) * MINUTE_MS);
}

/** `2024-03-11 09:00 EDT`: how the CLI shows an instant in a schedule's zone. */
export function formatLocal(instant: number, zone: string): string {
  const wall = new Date(wallAt(instant, zone)).toISOString();
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'short' })
    .formatToParts(instant)
    .find((p) => p.type === 'timeZoneName')?.value;
  return `${wall.slice(0, 10)} ${wall.slice(11, 16)}${name ? ` ${name}` : ''}`;
}
