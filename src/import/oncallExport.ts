import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { pagedList, readExportFile } from './exportFile';

/**
 * A Grafana OnCall export: what the OnCall HTTP API v1 returns, one list response per file (a
 * paged list may be saved as a JSON array of its pages). Only the fields the import reads are
 * checked; everything else is allowed and ignored. Docs: https://grafana.com/docs/oncall/latest/oncall-api-reference/
 *
 *   users.json                 GET /api/v1/users/                  …/users/
 *   teams.json (optional)      GET /api/v1/teams/                  …/teams/
 *   schedules.json             GET /api/v1/schedules/              …/schedules/ (type ical | calendar | web, time_zone, shifts)
 *   on_call_shifts.json        GET /api/v1/on_call_shifts/         …/on_call_shifts/ (single_event | recurrent_event |
 *                              rolling_users, start, duration, frequency, interval, until, week_start, by_day, level,
 *                              users, rolling_users, start_rotation_from_user_index; `override` and `rotation_start` as
 *                              the API's serializer writes them: engine/apps/public_api/serializers/on_call_shifts.py)
 *   on_call_shifts/<schedule id>.json (optional)
 *                              GET /api/v1/on_call_shifts/?schedule_id=<id>: a schedule's shifts when its
 *                              `shifts` list is not in schedules.json (web schedules)
 *   escalation_chains.json     GET /api/v1/escalation_chains/      …/escalation_chains/
 *   escalation_policies.json   GET /api/v1/escalation_policies/    …/escalation_policies/
 */

const results = <T extends z.ZodType>(item: T) => pagedList('results', item);

export const oncallUser = z.looseObject({
  id: z.string(),
  username: z.string().min(1),
  email: z.string().nullish(),
  name: z.string().nullish(),
  timezone: z.string().nullish(),
  slack: z.array(z.looseObject({ user_id: z.string() })).nullish(),
});

export const oncallTeam = z.looseObject({ id: z.string(), name: z.string() });

export const oncallSchedule = z.looseObject({
  id: z.string(),
  name: z.string(),
  type: z.enum(['ical', 'calendar', 'web']),
  team_id: z.string().nullish(),
  time_zone: z.string().nullish(),
  shifts: z.array(z.string()).nullish(),
  ical_url_primary: z.string().nullish(),
  ical_url_overrides: z.string().nullish(),
});

/** `yyyy-MM-dd'T'HH:mm:ss`, a wall-clock time in the shift's zone (else the schedule's). */
const localDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/, "use yyyy-MM-dd'T'HH:mm:ss, as the OnCall API writes it");
const icalDay = z.enum(['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU']);

export const oncallShift = z.looseObject({
  id: z.string(),
  name: z.string(),
  type: z.enum(['single_event', 'recurrent_event', 'rolling_users', 'override']),
  team_id: z.string().nullish(),
  time_zone: z.string().nullish(),
  level: z.number().int().nullish(),
  start: localDateTime,
  rotation_start: localDateTime.nullish(),
  /** Seconds. */
  duration: z.number().int().positive(),
  frequency: z.enum(['hourly', 'daily', 'weekly', 'monthly']).nullish(),
  interval: z.number().int().positive().nullish(),
  until: localDateTime.nullish(),
  week_start: icalDay.nullish(),
  by_day: z.array(icalDay).nullish(),
  by_month: z.array(z.number().int()).nullish(),
  by_monthday: z.array(z.number().int()).nullish(),
  users: z.array(z.string()).nullish(),
  rolling_users: z.array(z.array(z.string())).nullish(),
  start_rotation_from_user_index: z.number().int().min(0).nullish(),
});

export const oncallChain = z.looseObject({ id: z.string(), name: z.string(), team_id: z.string().nullish() });

export const oncallEscalationPolicy = z.looseObject({
  id: z.string(),
  escalation_chain_id: z.string(),
  position: z.number().int(),
  type: z.string().min(1),
  /** Seconds, for `wait`. */
  duration: z.number().int().positive().nullish(),
  important: z.boolean().nullish(),
  persons_to_notify: z.array(z.string()).nullish(),
  persons_to_notify_next_each_time: z.array(z.string()).nullish(),
  notify_on_call_from_schedule: z.string().nullish(),
});

export type OncallUser = z.infer<typeof oncallUser>;
export type OncallSchedule = z.infer<typeof oncallSchedule>;
export type OncallShift = z.infer<typeof oncallShift>;
export type OncallEscalationPolicy = z.infer<typeof oncallEscalationPolicy>;

export interface OncallExport {
  users: OncallUser[];
  teams: Array<z.infer<typeof oncallTeam>>;
  schedules: OncallSchedule[];
  /** Every shift with the file it came from and its index there, for the report. */
  shifts: Array<{ shift: OncallShift; file: string; index: number }>;
  /** Shift ids per schedule id, from a per-schedule shifts file. */
  shiftsBySchedule: Map<string, string[]>;
  chains: Array<z.infer<typeof oncallChain>>;
  policies: OncallEscalationPolicy[];
}

export function readOncallExport(dir: string): OncallExport {
  const schedules = readExportFile(dir, 'schedules.json', results(oncallSchedule))!;
  const shifts: OncallExport['shifts'] = [];
  const add = (file: string, list: OncallShift[]) => list.forEach((shift, index) => shifts.push({ shift, file, index }));
  add('on_call_shifts.json', readExportFile(dir, 'on_call_shifts.json', results(oncallShift), true) ?? []);
  const shiftsBySchedule = new Map<string, string[]>();
  for (const s of schedules) {
    const file = `on_call_shifts/${s.id}.json`;
    if (!existsSync(join(dir, file))) continue;
    const list = readExportFile(dir, file, results(oncallShift))!;
    add(file, list);
    shiftsBySchedule.set(s.id, list.map((x) => x.id));
  }
  return {
    users: readExportFile(dir, 'users.json', results(oncallUser))!,
    teams: readExportFile(dir, 'teams.json', results(oncallTeam), true) ?? [],
    schedules,
    shifts,
    shiftsBySchedule,
    chains: readExportFile(dir, 'escalation_chains.json', results(oncallChain))!,
    policies: readExportFile(dir, 'escalation_policies.json', results(oncallEscalationPolicy))!,
  };
}
