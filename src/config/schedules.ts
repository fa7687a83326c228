import { z } from 'zod';
import { parseDuration } from './duration';
import { duration } from './durationSchema';
import { HOUR_MS, isTimeZone, parseClock, parseDate, parseDateTime } from '../oncall/localTime';

/**
 * Who can be paged (`users:`) and who is on call when (`schedules:`), per tenant. Times stay the
 * strings people wrote (`09:00`, `2024-03-11`, ISO date-times): they are wall-clock values that only
 * mean something together with the schedule's zone, and plain strings survive a JSON round trip
 * through Temporal payloads. Rotations are durations, parsed here once into milliseconds.
 */

export const timeZone = () => z.string().refine(isTimeZone, { error: (i) => `unknown time zone "${String(i.input)}" (use an IANA name like Europe/Berlin)` });

const clock = (allowEndOfDay = false) =>
  z.string().refine((s) => parseClock(s, allowEndOfDay) !== undefined, { error: (i) => `"${String(i.input)}" is not a time of day (use HH:MM, 24-hour)` });

/** A date-time with `Z`/offset (exact) or without (wall-clock time in the schedule's zone). */
const dateTime = () =>
  z.string().refine((s) => parseDateTime(s, 'UTC') !== undefined, { error: (i) => `"${String(i.input)}" is not an ISO date-time (e.g. 2024-03-11T09:00 or 2024-03-11T09:00:00Z)` });

/**
 * Contact methods a personal rule can use; `sms`, `voice` and `phone` reach the user's phone, `push`
 * the user's own ntfy topic or Pushover user key.
 */
export const CONTACT_METHODS = ['slack', 'email', 'telegram', 'phone', 'sms', 'voice', 'push'] as const;
export type ContactMethod = (typeof CONTACT_METHODS)[number];

const personalRuleSchema = z.object({ after: duration().prefault('0s'), via: z.enum(CONTACT_METHODS) }).strict();

export const userSchema = z
  .object({
    name: z.string().min(1),
    email: z.email().optional(),
    /** Slack user id (U…/W…), for mentions and DMs. */
    slack: z.string().regex(/^[UW][A-Z0-9]+$/, 'a Slack user id looks like U012AB3CD').optional(),
    phone: z.string().regex(/^\+[1-9]\d{1,14}$/, 'use E.164, e.g. +14155550100').optional(),
    /** Telegram chat id (numeric; negative for groups). */
    telegram: z.string().regex(/^-?\d+$/, 'a Telegram chat id is a number').optional(),
    /**
     * The person's own push address on the tenant's `userChannels.push` receiver, which supplies
     * the server and credentials: an ntfy topic, or a Pushover user key (30 letters and digits).
     */
    push: z.string().regex(/^[-_A-Za-z0-9]{1,64}$/, 'an ntfy topic (1-64 letters, digits, - or _) or a Pushover user key (30 letters and digits)').optional(),
    timeZone: timeZone().optional(),
    /**
     * Personal notification rules per urgency (the policy's `urgency`): when a step pages this
     * person, each rule sends through one contact method `after` the step, until someone
     * acknowledges (e.g. high: push now, SMS at 2m, a call at 5m). Without rules for the urgency,
     * every contact method with a channel is used at once.
     */
    rules: z
      .object({ high: z.array(personalRuleSchema).min(1).optional(), low: z.array(personalRuleSchema).min(1).optional() })
      .strict()
      .optional(),
  })
  .strict();

const ROTATION_WORDS: Record<string, number> = { daily: 24 * HOUR_MS, weekly: 7 * 24 * HOUR_MS };

/**
 * Length of one shift in wall-clock time: `1d` is "same time tomorrow" (23 h or 25 h on DST days),
 * `12h` is "09:00 and 21:00". At least an hour: shorter hand-offs are not on-call rotations.
 */
const rotation = () =>
  z.string().transform((raw, ctx) => {
    const ms = ROTATION_WORDS[raw] ?? parseDuration(raw);
    if (ms === undefined || ms < HOUR_MS) {
      ctx.addIssue({ code: 'custom', message: `"${raw}" is not a rotation (use daily, weekly or a duration of at least 1h, e.g. 12h, 1d, 2w)` });
      return z.NEVER;
    }
    return ms;
  });

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export const restrictSchema = z
  .object({
    days: z.array(z.enum(WEEKDAYS)).min(1).optional(),
    from: clock().default('00:00'),
    /** `24:00` is the end of the day; a `to` at or before `from` ends the next day (night shifts; equal = 24 h). */
    to: clock(true).default('24:00'),
  })
  .strict();

export const layerSchema = z
  .object({
    name: z.string().min(1).optional(),
    users: z.array(z.string()).min(1, 'a layer needs at least one user'),
    rotation: rotation(),
    /** Local time of the hand-off, in the schedule's zone. */
    handoff: clock().default('09:00'),
    /** The rotation's epoch (local date): the first shift starts then, at `handoff`, with users[0]. */
    start: z.string().refine((s) => parseDate(s) !== undefined, { error: (i) => `"${String(i.input)}" is not a date (use YYYY-MM-DD)` }),
    /** Only on call inside this weekly window (e.g. business hours); lower layers cover the rest. */
    restrict: restrictSchema.optional(),
  })
  .strict();

export const overrideSchema = z.object({ user: z.string(), from: dateTime(), to: dateTime() }).strict();

export const scheduleSchema = z
  .object({
    timeZone: timeZone(),
    /** Bottom to top: where several layers are active, the later one wins. */
    layers: z.array(layerSchema).default([]),
    /** Beat every layer and the imported calendar. */
    overrides: z.array(overrideSchema).default([]),
    /** iCalendar file (relative to the tenants file) whose events form a layer above `layers`. */
    ics: z.string().min(1).optional(),
  })
  .strict();

export type UserConfig = z.infer<typeof userSchema>;
export type ScheduleConfig = z.infer<typeof scheduleSchema>;
export type LayerConfig = z.infer<typeof layerSchema>;
export type OverrideConfig = z.infer<typeof overrideSchema>;

/** Layer names as they appear in shifts: the configured name, or `layer-1`, `layer-2`, … */
export function layerName(layer: LayerConfig, index: number): string {
  return layer.name ?? `layer-${index + 1}`;
}

/** Names the engine uses for non-layer sources; a layer may not take them. */
export const RESERVED_LAYER_NAMES = ['override', 'ics'];

export interface ScheduleProblem {
  path: string;
  message: string;
}

/**
 * What the schemas cannot check: references to users, overrides that end before they start, and
 * overrides that overlap (which one applies would be a guess), duplicate layer names.
 * `tenantPath` prefixes every path, e.g. `tenants.acme`.
 */
export function checkSchedules(
  tenantPath: string,
  users: Record<string, UserConfig>,
  schedules: Record<string, ScheduleConfig>,
): ScheduleProblem[] {
  const problems: ScheduleProblem[] = [];
  const userRef = (path: string, id: string) => {
    if (!Object.hasOwn(users, id)) problems.push({ path, message: `unknown user "${id}"` });
  };
  for (const [scheduleId, s] of Object.entries(schedules)) {
    const at = `${tenantPath}.schedules.${scheduleId}`;
    const seen = new Map<string, number>();
    s.layers.forEach((layer, i) => {
      layer.users.forEach((u, j) => userRef(`${at}.layers.${i}.users.${j}`, u));
      const name = layerName(layer, i);
      if (RESERVED_LAYER_NAMES.includes(name)) problems.push({ path: `${at}.layers.${i}.name`, message: `"${name}" is reserved` });
      const first = seen.get(name);
      if (first !== undefined) problems.push({ path: `${at}.layers.${i}.name`, message: `duplicate layer name "${name}" (also layers.${first})` });
      else seen.set(name, i);
    });
    const spans = s.overrides.map((o) => ({ from: parseDateTime(o.from, s.timeZone)!, to: parseDateTime(o.to, s.timeZone)! }));
    s.overrides.forEach((o, i) => {
      userRef(`${at}.overrides.${i}.user`, o.user);
      if (spans[i].to <= spans[i].from) problems.push({ path: `${at}.overrides.${i}.to`, message: `ends at or before it starts (${o.from})` });
    });
    for (let i = 0; i < spans.length; i++) {
      for (let j = i + 1; j < spans.length; j++) {
        if (spans[i].from < spans[j].to && spans[j].from < spans[i].to && spans[i].to > spans[i].from && spans[j].to > spans[j].from) {
          problems.push({ path: `${at}.overrides.${j}`, message: `overlaps overrides.${i} (${s.overrides[i].user} ${s.overrides[i].from} – ${s.overrides[i].to}); which applies would be ambiguous` });
        }
      }
    }
  }
  return problems;
}
