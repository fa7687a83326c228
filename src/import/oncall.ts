import { formatDuration } from '../config/duration';
import { RESERVED_LAYER_NAMES, userSchema, WEEKDAYS } from '../config/schedules';
import { DAY_MS, HOUR_MS, instantOf, isTimeZone, weekdayOf } from '../oncall/localTime';
import { layerLabels, NameTable } from './names';
import { readOncallExport, type OncallExport, type OncallSchedule, type OncallShift } from './oncallExport';
import { ImportReport } from './report';
import { isoInstant, type ImportedStep, type ImportedTenant } from './tenantFile';
import { clockText, describeMinute, firstOverlap, windowMask, type DailyWindow, type WeekMask } from './weekMask';

/**
 * Grafana OnCall → Klaxon, following OnCall's documented semantics (sources in oncallExport.ts):
 *
 * - A shift's `start` is wall-clock time in its `time_zone`, else the schedule's; each occurrence
 *   lasts `duration` seconds. A `rolling_users` shift hands over to the next list of users every
 *   `frequency` × `interval` (a week starts on `week_start`), starting with
 *   `start_rotation_from_user_index`.
 * - Where shifts overlap, the higher `level` wins; overrides beat every level.
 * - So each rotation with one person per turn becomes a layer, ordered by level: `daily`/`weekly`/
 *   `hourly` × `interval` the rotation when each turn is on call throughout; a shorter `duration`
 *   becomes `restrict` (a daily window, on the `by_day` days for weekly rotations). Overrides and a
 *   one-off shift above every level become Klaxon overrides.
 * - Escalation chains become policies, their policies (steps) by `position`.
 * Several people on call at once, monthly rules, iCal schedules, user groups, webhooks and the
 * like have no exact Klaxon equivalent and go into the report.
 */

type Layer = NonNullable<ImportedTenant['schedules'][string]['layers']>[number];
type Override = NonNullable<ImportedTenant['schedules'][string]['overrides']>[number];

const ICAL_DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'] as const;

function wallOf(local: string): number {
  return Date.parse(`${local}Z`);
}

/** ` (calendar.example.com)`: calendar URLs often carry a secret in their path or query, so only the host is shown. */
function host(url: string | null | undefined): string {
  try {
    return url ? ` (${new URL(url).host})` : '';
  } catch {
    return '';
  }
}

/** The turn order: the list `start_rotation_from_user_index` names goes first. */
function turnOrder<T>(list: T[], from: number): T[] {
  const k = from % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

type LayerPlan = { ok: true; rotation: string; restrict?: DailyWindow } | { ok: false; why: string };

/** How a rotation's recurrence maps to a Klaxon rotation and restrict, or why it does not. */
function planLayer(s: OncallShift, startWall: number, turns: number): LayerPlan {
  const D = s.duration * 1000;
  const interval = s.interval ?? 1;
  const t = (startWall % DAY_MS) / 60_000;
  const window = (days?: string[]): DailyWindow => ({ ...(days && { days: days.map((d) => WEEKDAYS[ICAL_DAYS.indexOf(d as (typeof ICAL_DAYS)[number])]) }), from: clockText(t), to: clockText(t + D / 60_000) });
  const byDay = s.by_day?.length ? s.by_day : undefined;
  if (s.by_month?.length || s.by_monthday?.length) return { ok: false, why: 'by_month / by_monthday have no Klaxon equivalent' };
  if (D % 60_000 !== 0) return { ok: false, why: 'duration is not whole minutes' };
  switch (s.frequency) {
    case 'hourly':
      if (!byDay && D === interval * HOUR_MS) return { ok: true, rotation: `${interval}h` };
      return { ok: false, why: 'an hourly rotation maps only when each turn lasts the whole interval' };
    case 'daily':
      if (!byDay && D === interval * DAY_MS) return { ok: true, rotation: `${interval}d` };
      if (!byDay && interval === 1 && D < DAY_MS) return { ok: true, rotation: '1d', restrict: window() };
      // With by_day, OnCall's daily turn order is not documented beyond "every day"; one person has no order.
      if (byDay && turns === 1 && interval === 1 && D <= DAY_MS) return { ok: true, rotation: '1d', restrict: window(byDay) };
      return { ok: false, why: `a daily rotation with interval ${interval}, duration ${formatDuration(D)}${byDay ? ` and by_day ${byDay.join(',')}` : ''} has no exact Klaxon layer` };
    case 'weekly': {
      const startDay = ICAL_DAYS[weekdayOf(startWall)];
      const days = byDay ?? [startDay];
      if (days.length === 1 && days[0] === startDay && D === interval * 7 * DAY_MS) return { ok: true, rotation: `${interval}w` };
      // Klaxon's week turns at the start's weekday and time, OnCall's at week_start: the same turn for every occurrence when none falls before the start's weekday.
      const weekStart = ICAL_DAYS.indexOf(s.week_start ?? 'SU');
      const offset = (d: string) => (ICAL_DAYS.indexOf(d as (typeof ICAL_DAYS)[number]) - weekStart + 7) % 7;
      if (interval === 1 && D <= DAY_MS && days.every((d) => offset(d) >= offset(startDay))) return { ok: true, rotation: '1w', restrict: window(days.length === 7 ? undefined : days) };
      return { ok: false, why: `a weekly rotation with interval ${interval}, duration ${formatDuration(D)} and by_day ${days.join(',')} (week_start ${s.week_start ?? 'SU'}) has no exact Klaxon layer` };
    }
    default:
      return { ok: false, why: `frequency ${s.frequency ?? '(none)'} has no Klaxon equivalent (rotations are hourly, daily or weekly)` };
  }
}

export function mapOncall(exp: OncallExport): { tenant: ImportedTenant; report: ImportReport } {
  const report = new ImportReport();
  const tenant: ImportedTenant = { users: {}, schedules: {}, escalationPolicies: {} };

  const userNames = new NameTable();
  exp.users.forEach((u, i) => {
    const src = `users.json results[${i}]`;
    const key = userNames.name(u.id, u.username);
    const email = u.email && userSchema.shape.email.safeParse(u.email).success ? u.email : undefined;
    const slack = u.slack?.map((s) => s.user_id).find((id) => userSchema.shape.slack.safeParse(id).success);
    tenant.users[key] = { name: u.name?.trim() || u.username, ...(email && { email }), ...(slack && { slack }) };
    if (u.timezone) {
      if (isTimeZone(u.timezone)) tenant.users[key].timeZone = u.timezone;
      else report.note(`${src}.timezone`, `time zone "${u.timezone}" of ${u.username}`, 'not an IANA zone name; left out');
    }
  });
  exp.teams.forEach((t, i) => report.note(`teams.json results[${i}]`, `team ${t.name}`, 'Klaxon has no teams: its people, schedules and escalation chains are imported into the one tenant'));

  const byId = new Map(exp.shifts.map((x) => [x.shift.id, x]));
  const scheduleNames = new NameTable();
  exp.schedules.forEach((s, i) => {
    const src = `schedules.json results[${i}]`;
    if (s.type === 'ical') {
      report.unmapped(src, `iCal schedule ${s.name}`, `its events live in an external calendar${host(s.ical_url_primary)}; download it and set the schedule's ics: file`);
      return;
    }
    const zone = s.time_zone ?? 'UTC';
    if (!isTimeZone(zone)) {
      report.unmapped(`${src}.time_zone`, `schedule ${s.name}`, `"${zone}" is not an IANA time zone; schedule left out`);
      return;
    }
    if (s.ical_url_overrides) report.unmapped(`${src}.ical_url_overrides`, `override calendar of ${s.name}`, `an external calendar${host(s.ical_url_overrides)}; download it and set the schedule's ics: file`);
    const ids = exp.shiftsBySchedule.get(s.id) ?? s.shifts ?? [];
    if (!exp.shiftsBySchedule.has(s.id) && !s.shifts) report.unmapped(src, `schedule ${s.name} lists no shifts`, `export GET /api/v1/on_call_shifts/?schedule_id=${s.id} as on_call_shifts/${s.id}.json`);
    const shifts = ids.flatMap((id, k) => {
      const found = byId.get(id);
      if (!found) report.unmapped(`${src}.shifts[${k}]`, `shift ${id} of ${s.name}`, 'not in on_call_shifts.json; left out');
      return found ? [found] : [];
    });
    tenant.schedules[scheduleNames.name(s.id, s.name)] = mapShifts(s, zone, shifts, userNames, report);
  });

  const used = new Set([...exp.schedules.flatMap((s) => s.shifts ?? []), ...[...exp.shiftsBySchedule.values()].flat()]);
  for (const { shift, file, index } of exp.shifts) {
    if (!used.has(shift.id)) report.note(`${file} results[${index}]`, `shift ${shift.name}`, 'in no schedule of schedules.json; not imported');
  }

  const chainNames = new NameTable();
  exp.chains.forEach((c, i) => {
    const src = `escalation_chains.json results[${i}]`;
    const steps = mapChain(exp, c.id, c.name, userNames, scheduleNames, report);
    if (!steps.some((st) => 'notify' in st)) {
      report.unmapped(src, `escalation chain ${c.name}`, 'none of its steps could be mapped to a notification; left out');
      return;
    }
    tenant.escalationPolicies[chainNames.name(c.id, c.name)] = { steps };
  });
  return { tenant, report };
}

function mapShifts(s: OncallSchedule, zone: string, shifts: OncallExport['shifts'], users: NameTable, report: ImportReport): ImportedTenant['schedules'][string] {
  const layers: Array<{ level: number; layer: Layer; mask: WeekMask; src: string }> = [];
  const unique = layerLabels(RESERVED_LAYER_NAMES);
  const oneOffs: Array<{ override: Override; span: [number, number]; level: number | undefined; src: string; what: string }> = [];
  for (const { shift: sh, file, index } of shifts) {
    const src = `${file} results[${index}]`;
    const what = `shift ${sh.name} of ${s.name}`;
    const shiftZone = sh.time_zone ?? zone;
    const startWall = wallOf(sh.start);
    const person = (id: string) => users.get(id);
    if (sh.type === 'single_event' || sh.type === 'override') {
      const people = sh.users ?? [];
      if (people.length !== 1 || !person(people[0])) {
        report.unmapped(`${src}.users`, what, people.length === 1 ? `user ${people[0]} is not in users.json; left out` : `${people.length} people on call at once; a Klaxon override names one user; left out`);
        continue;
      }
      const from = instantOf(startWall, shiftZone);
      const span: [number, number] = [from, from + sh.duration * 1000];
      oneOffs.push({ override: { user: person(people[0])!, from: isoInstant(span[0]), to: isoInstant(span[1]) }, span, level: sh.type === 'override' ? undefined : (sh.level ?? 0), src, what });
      continue;
    }
    const groups = sh.type === 'rolling_users' ? (sh.rolling_users ?? []) : [sh.users ?? []];
    const crowded = groups.findIndex((g) => g.length !== 1);
    if (groups.length === 0 || crowded >= 0) {
      const n = crowded >= 0 ? groups[crowded].length : 0;
      report.unmapped(`${src}.${sh.type === 'rolling_users' ? `rolling_users[${crowded}]` : 'users'}`, what, n === 0 ? 'a turn with nobody on call; a Klaxon layer rotates through users; left out' : `${n} people on call at once; Klaxon pages one person per schedule; left out`);
      continue;
    }
    const unknown = groups.find((g) => !person(g[0]));
    if (unknown) {
      report.unmapped(src, what, `user ${unknown[0]} is not in users.json; left out`);
      continue;
    }
    if (shiftZone !== zone) {
      report.unmapped(`${src}.time_zone`, what, `its time zone ${shiftZone} differs from the schedule's (${zone}); a Klaxon schedule has one zone; left out`);
      continue;
    }
    if (startWall % 60_000 !== 0) {
      report.unmapped(`${src}.start`, what, 'starts at a second that is not a whole minute; left out');
      continue;
    }
    const plan = planLayer(sh, startWall, groups.length);
    if (!plan.ok) {
      report.unmapped(src, what, `${plan.why}; left out`);
      continue;
    }
    if (sh.until) report.unmapped(`${src}.until`, what, `ends ${sh.until}; Klaxon layers do not end (imported without the end; remove the layer then)`);
    if (sh.rotation_start && sh.rotation_start > sh.start) report.unmapped(`${src}.rotation_start`, what, `the rotation takes effect at ${sh.rotation_start}, later than start; imported as starting at start`);
    const start = new Date(startWall).toISOString();
    const layer: Layer = {
      name: unique(sh.name),
      users: turnOrder(groups.map((g) => person(g[0])!), sh.start_rotation_from_user_index ?? 0),
      rotation: plan.rotation,
      handoff: start.slice(11, 16),
      start: start.slice(0, 10),
      ...(plan.restrict && { restrict: plan.restrict }),
    };
    layers.push({ level: sh.level ?? 0, layer, mask: windowMask(plan.restrict), src });
  }

  layers.sort((a, b) => a.level - b.level);
  for (let a = 0; a < layers.length; a++) {
    for (let b = a + 1; b < layers.length && layers[b].level === layers[a].level; b++) {
      const minute = firstOverlap(layers[a].mask, layers[b].mask);
      if (minute !== undefined) report.unmapped(layers[b].src, `shifts ${layers[a].layer.name} and ${layers[b].layer.name} of ${s.name} share level ${layers[a].level} and overlap (e.g. ${describeMinute(minute)})`, `OnCall puts both people on call then; Klaxon pages the later layer (${layers[b].layer.name}) only`);
    }
  }

  const top = layers.length ? layers[layers.length - 1].level : -Infinity;
  const overrides: Array<{ override: Override; span: [number, number] }> = [];
  for (const o of oneOffs) {
    if (o.level !== undefined && o.level <= top) {
      report.unmapped(o.src, o.what, `a one-off shift at level ${o.level} ranks with the rotations (highest level ${top}); a Klaxon override beats every layer; left out`);
      continue;
    }
    const clash = overrides.find((p) => p.span[0] < o.span[1] && o.span[0] < p.span[1]);
    if (clash) {
      report.unmapped(o.src, o.what, `overlaps the override of ${clash.override.user} ${clash.override.from} – ${clash.override.to}; Klaxon needs overrides not to overlap; left out`);
      continue;
    }
    overrides.push(o);
  }
  return { timeZone: zone, layers: layers.map((l) => l.layer), overrides: overrides.map((o) => o.override) };
}

/** What OnCall step types do, for the report. */
const UNMAPPED_STEP: Record<string, string> = {
  notify_person_next_each_time: 'round-robin paging (the next person each time) has no Klaxon equivalent',
  notify_user_group: 'Klaxon has no user groups (Slack user groups are reached through a receiver)',
  notify_team_members: 'Klaxon has no teams',
  trigger_webhook: 'outgoing webhooks are receivers in Klaxon; add one and notify it',
  notify_whole_channel: 'Slack channel notifications are receivers in Klaxon; add one and notify it',
  resolve: 'Klaxon does not resolve as an escalation step (resolveAfter counts quiet time instead)',
  notify_if_time_from_to: 'stopping the chain outside a time window has no Klaxon equivalent (notifyIf guards one notification)',
  notify_if_num_alerts_in_window: 'alert-count conditions have no Klaxon equivalent',
  declare_incident: 'Klaxon has no incident declaration step',
};

/** OnCall's "repeat escalation from the beginning" runs at most 5 times (its UI says "(5 times max)"). */
const ONCALL_REPEAT_TIMES = 5;

function mapChain(exp: OncallExport, chainId: string, chainName: string, users: NameTable, schedules: NameTable, report: ImportReport): ImportedStep[] {
  const steps: ImportedStep[] = [];
  const policies = exp.policies.map((p, i) => ({ p, i })).filter(({ p }) => p.escalation_chain_id === chainId).sort((a, b) => a.p.position - b.p.position);
  for (const { p, i } of policies) {
    const src = `escalation_policies.json results[${i}]`;
    const what = `step ${p.position} (${p.type}) of ${chainName}`;
    if (p.important) report.note(`${src}.important`, what, 'important notifications map to a policy urgency in Klaxon (urgency: high is the default); personal rules are not imported');
    switch (p.type) {
      case 'wait':
        if (p.duration) steps.push({ wait: formatDuration(p.duration * 1000) });
        else report.unmapped(`${src}.duration`, what, 'a wait without a duration; left out');
        break;
      case 'notify_persons': {
        const ids = p.persons_to_notify ?? [];
        const known = ids.flatMap((id) => users.get(id) ?? []);
        ids.forEach((id, k) => users.get(id) ?? report.unmapped(`${src}.persons_to_notify[${k}]`, what, `user ${id} is not in users.json; left out`));
        if (known.length) steps.push({ notify: { users: known } });
        break;
      }
      case 'notify_on_call_from_schedule': {
        const name = p.notify_on_call_from_schedule ? schedules.get(p.notify_on_call_from_schedule) : undefined;
        if (name) steps.push({ notify: { schedules: [name] } });
        else report.unmapped(`${src}.notify_on_call_from_schedule`, what, `schedule ${p.notify_on_call_from_schedule ?? '(none)'} was not imported; left out`);
        break;
      }
      case 'repeat_escalation':
        if (steps.length) steps.push({ repeat: { from: 0, times: ONCALL_REPEAT_TIMES } });
        break;
      default:
        report.unmapped(src, what, `${UNMAPPED_STEP[p.type] ?? `step type "${p.type}" has no Klaxon equivalent`}; left out`);
    }
  }
  return steps;
}

export function importOncall(dir: string): { tenant: ImportedTenant; report: ImportReport } {
  return mapOncall(readOncallExport(dir));
}
