import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { flag } from '../args';
import { ConfigError, type ConfigProblem } from '../../config/load';
import { checkSchedules, scheduleSchema, userSchema, type UserConfig } from '../../config/schedules';
import { withCalendar } from '../../oncall/ics';
import { DAY_MS, formatLocal, parseDateTime } from '../../oncall/localTime';
import { onCallAt, shifts, type OnCallSchedule, type OnCallShift } from '../../oncall/schedule';

const USAGE = 'usage: klaxon oncall <tenant> <schedule> [--at ISO] [--next N] [--config FILE]\n';
const VALUE_FLAGS = ['--at', '--next', '--config'];

/**
 * One tenant's users and one of its schedules, validated, with its calendar file loaded.
 * Reads the tenant's `users:`/`schedules:` itself for now: once the tenant schema has them this
 * becomes `loadConfigFile(file).tenants[tenant]` plus `withCalendar`.
 */
export function loadSchedule(file: string, tenant: string, scheduleId: string): { users: Record<string, UserConfig>; schedule: OnCallSchedule } {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message.split('\n')[0];
    throw new ConfigError(file, [{ path: '(file)', message: reason }]);
  }
  const tenants = (doc as { tenants?: Record<string, { users?: unknown; schedules?: Record<string, unknown> }> } | null)?.tenants ?? {};
  const t = Object.hasOwn(tenants, tenant) ? tenants[tenant] : undefined;
  if (!t) throw new Error(`${file}: unknown tenant "${tenant}" (tenants: ${Object.keys(tenants).join(', ') || 'none'})`);
  const known = Object.keys(t.schedules ?? {});
  if (!known.includes(scheduleId)) {
    throw new Error(`${file}: tenant "${tenant}" has no schedule "${scheduleId}" (schedules: ${known.join(', ') || 'none'})`);
  }
  const at = `tenants.${tenant}`;
  const parsed = z
    .object({ users: z.record(z.string(), userSchema).default({}), schedules: z.record(z.string(), scheduleSchema) })
    .safeParse({ users: t.users ?? undefined, schedules: t.schedules });
  if (!parsed.success) {
    throw new ConfigError(file, parsed.error.issues.map((i): ConfigProblem => ({ path: [at, ...i.path.map(String)].join('.'), message: i.message })));
  }
  const { users, schedules } = parsed.data;
  const problems = checkSchedules(at, users, schedules);
  if (problems.length) throw new ConfigError(file, problems);
  return { users, schedule: withCalendar(schedules[scheduleId], users, dirname(file)) };
}

function positionals(args: string[]): string[] {
  return args.filter((a, i) => !a.startsWith('--') && !VALUE_FLAGS.includes(args[i - 1]));
}

/** The first `count` shifts starting at or after `from`, looking at most a year ahead. */
function upcoming(schedule: OnCallSchedule, from: number, count: number): OnCallShift[] {
  const out: OnCallShift[] = [];
  const step = 28 * DAY_MS;
  for (let cursor = from; out.length < count && cursor < from + 366 * DAY_MS; cursor += step) {
    for (const s of shifts(schedule, new Date(cursor), new Date(cursor + step))) {
      if (s.shiftStart.getTime() >= cursor && out.length < count) out.push(s);
    }
  }
  return out;
}

/** `klaxon oncall <tenant> <schedule> [--at ISO] [--next N] [--config FILE]`: who is on call. */
export async function oncall(args: string[]): Promise<number> {
  const [tenant, scheduleId, extra] = positionals(args);
  const nextText = flag(args, '--next');
  const next = nextText === undefined ? 0 : Number(nextText);
  if (!tenant || !scheduleId || extra !== undefined || !Number.isInteger(next) || next < 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  const file = flag(args, '--config') ?? process.env.KLAXON_CONFIG ?? 'config/tenants.yaml';
  let loaded: ReturnType<typeof loadSchedule>;
  try {
    loaded = loadSchedule(file, tenant, scheduleId);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  const { users, schedule } = loaded;
  const zone = schedule.timeZone;
  const atText = flag(args, '--at');
  // Without an offset, --at is read in the schedule's zone, like override times in the config.
  const at = atText === undefined ? Date.now() : parseDateTime(atText, zone);
  if (at === undefined) {
    process.stderr.write(`--at: "${atText}" is not an ISO date-time (e.g. 2024-03-11T09:00 or 2024-03-11T13:00:00Z)\n${USAGE}`);
    return 2;
  }

  const who = (id: string) => (users[id] ? `${id} (${users[id].name})` : id);
  const when = (d: Date) => `${formatLocal(d.getTime(), zone)}  (${d.toISOString()})`;
  const out: string[] = [`${tenant}/${scheduleId} at ${when(new Date(at))}`];
  const now = onCallAt(schedule, new Date(at));
  if (now) out.push(`on call: ${who(now.user)}`, `  since  ${when(now.shiftStart)}`, `  until  ${when(now.shiftEnd)}`, `  layer  ${now.layer}`);
  else out.push('on call: nobody');
  if (next > 0) {
    const list = upcoming(schedule, now?.shiftEnd.getTime() ?? at, next);
    out.push(list.length ? `next ${list.length} shift(s):` : 'no shifts in the next year');
    for (const s of list) out.push(`  ${formatLocal(s.shiftStart.getTime(), zone)} → ${formatLocal(s.shiftEnd.getTime(), zone)}  ${who(s.user)}  ${s.layer}`);
  }
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}
