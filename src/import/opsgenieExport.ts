import { z } from 'zod';
import { pagedList, readExportFile } from './exportFile';

/**
 * An Opsgenie export: what Opsgenie's REST API v2 returns, one response per file. Only the fields
 * the import reads are checked; everything else in a response is allowed and ignored.
 *
 *   users.json        GET /v2/users                         https://docs.opsgenie.com/docs/user-api (List User)
 *   teams.json        GET /v2/teams (optional; members from GET /v2/teams/:id)  https://docs.opsgenie.com/docs/team-api
 *   schedules.json    GET /v2/schedules?expand=rotation     https://docs.opsgenie.com/docs/schedule-api (List Schedules),
 *                     rotations as in https://docs.opsgenie.com/docs/schedule-rotation-api (type, length, participants, timeRestriction)
 *   overrides/<schedule id or name>.json (optional)
 *                     GET /v2/schedules/:id/overrides       https://docs.opsgenie.com/docs/schedule-override-api (List Schedule Overrides)
 *   escalations.json  GET /v2/escalations                   https://docs.opsgenie.com/docs/escalation-api (List Escalations)
 *
 * A list that came in several pages may be saved as a JSON array of the page responses.
 */

const ref = z.looseObject({ id: z.string().optional(), name: z.string().optional() });

const pages = <T extends z.ZodType>(item: T) => pagedList('data', item);

export const opsgenieUser = z.looseObject({
  id: z.string(),
  username: z.string().min(1),
  fullName: z.string().optional(),
  timeZone: z.string().optional(),
  blocked: z.boolean().optional(),
});

export const opsgenieTeam = z.looseObject({
  id: z.string(),
  name: z.string(),
  members: z.array(z.looseObject({ user: z.looseObject({ id: z.string().optional(), username: z.string().optional() }), role: z.string().optional() })).optional(),
});

/** `user` (id/username), `team`, `escalation`, or the reserved `none` (nobody on call in that slot). */
export const opsgenieParticipant = z.looseObject({
  type: z.enum(['user', 'team', 'escalation', 'none']),
  id: z.string().optional(),
  username: z.string().optional(),
  name: z.string().optional(),
});

const hour = z.number().int().min(0).max(23);
const minute = z.number().int().min(0).max(59);
const weekday = z.enum(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']);

/** `time-of-day` has one `restriction`; `weekday-and-time-of-day` a list of `restrictions`, each a span from day/time to day/time. */
export const opsgenieTimeRestriction = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('time-of-day'),
    restriction: z.looseObject({ startHour: hour, startMin: minute, endHour: hour, endMin: minute }),
  }),
  z.looseObject({
    type: z.literal('weekday-and-time-of-day'),
    restrictions: z.array(z.looseObject({ startDay: weekday, startHour: hour, startMin: minute, endDay: weekday, endHour: hour, endMin: minute })).min(1),
  }),
]);

/** Dates are `yyyy-MM-dd'T'HH:mm:ssZ`: exact instants. */
const instant = z.iso.datetime({ offset: true });

export const opsgenieRotation = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  startDate: instant,
  endDate: instant.optional(),
  type: z.enum(['daily', 'weekly', 'hourly']),
  length: z.number().int().positive().default(1),
  participants: z.array(opsgenieParticipant).default([]),
  timeRestriction: opsgenieTimeRestriction.optional(),
});

export const opsgenieSchedule = z.looseObject({
  id: z.string(),
  name: z.string(),
  timezone: z.string(),
  enabled: z.boolean().default(true),
  ownerTeam: ref.optional(),
  rotations: z.array(opsgenieRotation).default([]),
});

export const opsgenieOverride = z.looseObject({
  alias: z.string().optional(),
  user: opsgenieParticipant,
  startDate: instant,
  endDate: instant,
  rotations: z.array(ref).default([]),
});

export const opsgenieEscalationRule = z.looseObject({
  condition: z.enum(['if-not-acked', 'if-not-closed']),
  /** `default` for users; for schedules also `next`, `previous`, `users`; for teams `users`, `admins`, `random`. */
  notifyType: z.string().default('default'),
  delay: z.looseObject({ timeAmount: z.number().int().min(0), timeUnit: z.enum(['minutes', 'hours', 'days']).default('minutes') }),
  recipient: z.looseObject({ type: z.enum(['user', 'schedule', 'team']), id: z.string().optional(), username: z.string().optional(), name: z.string().optional() }),
});

export const opsgenieEscalation = z.looseObject({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  ownerTeam: ref.optional(),
  rules: z.array(opsgenieEscalationRule),
  repeat: z
    .looseObject({
      waitInterval: z.number().int().min(0).default(0),
      count: z.number().int().min(0).default(0),
      resetRecipientStates: z.boolean().default(false),
      closeAlertAfterAll: z.boolean().default(false),
    })
    .optional(),
});

export type OpsgenieUser = z.infer<typeof opsgenieUser>;
export type OpsgenieTeam = z.infer<typeof opsgenieTeam>;
export type OpsgenieSchedule = z.infer<typeof opsgenieSchedule>;
export type OpsgenieRotation = z.infer<typeof opsgenieRotation>;
export type OpsgenieOverride = z.infer<typeof opsgenieOverride>;
export type OpsgenieEscalation = z.infer<typeof opsgenieEscalation>;
export type OpsgenieTimeRestriction = z.infer<typeof opsgenieTimeRestriction>;

export interface OpsgenieExport {
  users: OpsgenieUser[];
  teams: OpsgenieTeam[];
  schedules: OpsgenieSchedule[];
  /** By schedule id; the file may be named for the schedule's id or its name. */
  overrides: Map<string, { file: string; list: OpsgenieOverride[] }>;
  escalations: OpsgenieEscalation[];
}

export function readOpsgenieExport(dir: string): OpsgenieExport {
  const schedules = readExportFile(dir, 'schedules.json', pages(opsgenieSchedule))!;
  const overrides = new Map<string, { file: string; list: OpsgenieOverride[] }>();
  for (const s of schedules) {
    for (const key of [s.id, s.name]) {
      const file = `overrides/${key}.json`;
      const list = readExportFile(dir, file, pages(opsgenieOverride), true);
      if (list) {
        overrides.set(s.id, { file, list });
        break;
      }
    }
  }
  return {
    users: readExportFile(dir, 'users.json', pages(opsgenieUser))!,
    teams: readExportFile(dir, 'teams.json', pages(opsgenieTeam), true) ?? [],
    schedules,
    overrides,
    escalations: readExportFile(dir, 'escalations.json', pages(opsgenieEscalation))!,
  };
}
