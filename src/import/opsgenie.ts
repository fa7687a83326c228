import { formatDuration } from '../config/duration';
import { RESERVED_LAYER_NAMES, userSchema, WEEKDAYS } from '../config/schedules';
import { isTimeZone, wallAt } from '../oncall/localTime';
import { layerLabels, NameTable } from './names';
import { readOpsgenieExport, type OpsgenieExport, type OpsgenieRotation, type OpsgenieSchedule, type OpsgenieTimeRestriction } from './opsgenieExport';
import { ImportReport } from './report';
import { isoInstant, type ImportedStep, type ImportedTenant } from './tenantFile';
import { describeMinute, firstOverlap, fullMask, isFull, spansAsWindow, spansMask, union, windowMask, type DailyWindow, type WeekMask } from './weekMask';

/**
 * Opsgenie → Klaxon, following Opsgenie's documented semantics (sources in opsgenieExport.ts):
 *
 * - A user becomes a Klaxon user named after the local part of their username (an e-mail).
 * - A schedule becomes a schedule in its `timezone`; each rotation a layer: `type`/`length` the
 *   rotation (`weekly` 2 → `2w`), `startDate` (read in the schedule's zone) the layer's `start` and
 *   `handoff`, participants its users in order. A time restriction becomes `restrict` when it is one
 *   daily window on some days; a rotation whose restriction is exactly the hours all other rotations
 *   leave free (the usual "after hours" rotation) becomes the bottom layer, unrestricted.
 * - Rotations in Opsgenie do not rank: where two overlap, both people are on call. Klaxon pages one,
 *   so any overlap of restriction windows is reported.
 * - An override of all rotations becomes a Klaxon override (which beats every layer).
 * - An escalation becomes a policy: rules by their delay (measured from the alert, so a rule at 5m
 *   after one at 0m is `wait: 5m`), a user or a schedule's current on-call (`notifyType: default`)
 *   as targets, `repeat` as a wait plus `repeat: { from: 0 }`.
 * Everything else goes into the report with where it is in the export.
 */

const ROTATION_UNIT = { hourly: 'h', daily: 'd', weekly: 'w' } as const;
const DAY_INDEX: Record<string, number> = { sunday: 0, monday: 1, tuesday: 2, wednesday: 3, thursday: 4, friday: 5, saturday: 6 };

type Layer = NonNullable<ImportedTenant['schedules'][string]['layers']>[number];

/** Restriction as a Klaxon `restrict` (undefined = none), plus its weekly mask; `window: false` when no `restrict` can say it. */
function restriction(r: OpsgenieTimeRestriction | undefined): { window: DailyWindow | undefined | false; mask: WeekMask } {
  if (!r) return { window: undefined, mask: fullMask() };
  if (r.type === 'time-of-day') {
    const { startHour, startMin, endHour, endMin } = r.restriction;
    const [from, to] = [startHour * 60 + startMin, endHour * 60 + endMin];
    // An end at or before the start is the next morning (a night shift), as in Klaxon's restrict.
    const spans = WEEKDAYS.map((_, d) => ({ startDay: d, startMinute: from, endDay: to <= from ? (d + 1) % 7 : d, endMinute: to }));
    return { window: spansAsWindow(spans) ?? false, mask: spansMask(spans) };
  }
  const spans = r.restrictions.map((s) => ({ startDay: DAY_INDEX[s.startDay], startMinute: s.startHour * 60 + s.startMin, endDay: DAY_INDEX[s.endDay], endMinute: s.endHour * 60 + s.endMin }));
  return { window: spansAsWindow(spans) ?? false, mask: spansMask(spans) };
}

function isoDate(wall: number): { date: string; clock: string; seconds: number } {
  const iso = new Date(wall).toISOString();
  return { date: iso.slice(0, 10), clock: iso.slice(11, 16), seconds: new Date(wall).getUTCSeconds() };
}

interface MappedRotation {
  index: number;
  label: string;
  layer: Layer;
  mask: WeekMask;
  /** A restriction no `restrict` can say; mapped only as the complement of the others. */
  unrestrictable: boolean;
  start: number;
}

export function mapOpsgenie(exp: OpsgenieExport): { tenant: ImportedTenant; report: ImportReport } {
  const report = new ImportReport();
  const tenant: ImportedTenant = { users: {}, schedules: {}, escalationPolicies: {} };

  // Users: keyed by id and by username, as participants and recipients may carry either.
  const userNames = new NameTable();
  const userKey = new Map<string, string>();
  exp.users.forEach((u, i) => {
    const src = `users.json data[${i}]`;
    const key = userNames.name(u.id, u.username.split('@')[0]);
    userKey.set(u.id, key);
    userKey.set(u.username, key);
    const email = userSchema.shape.email.safeParse(u.username).success ? u.username : undefined;
    tenant.users[key] = { name: u.fullName?.trim() || u.username, ...(email && { email }) };
    if (u.timeZone !== undefined) {
      if (isTimeZone(u.timeZone)) tenant.users[key].timeZone = u.timeZone;
      else report.note(`${src}.timeZone`, `time zone "${u.timeZone}" of ${u.username}`, 'not an IANA zone name; left out');
    }
    if (u.blocked) report.note(src, `${u.username} is blocked in Opsgenie`, 'imported as a regular user; remove them if they should not be paged');
  });
  const participant = (p: { type: string; id?: string; username?: string }) =>
    p.type === 'user' ? (p.id !== undefined ? userKey.get(p.id) : undefined) ?? (p.username !== undefined ? userKey.get(p.username) : undefined) : undefined;

  exp.teams.forEach((t, i) => {
    const members = t.members ? ` (${t.members.length} member(s))` : '';
    report.note(`teams.json data[${i}]`, `team ${t.name}${members}`, 'Klaxon has no teams: its people, schedules and escalations are imported into the one tenant');
  });

  const scheduleNames = new NameTable();
  const scheduleKey = new Map<string, string>();
  exp.schedules.forEach((s, i) => {
    const src = `schedules.json data[${i}]`;
    if (!isTimeZone(s.timezone)) {
      report.unmapped(`${src}.timezone`, `schedule ${s.name}`, `"${s.timezone}" is not an IANA time zone; schedule left out`);
      return;
    }
    const name = scheduleNames.name(s.id, s.name);
    scheduleKey.set(s.id, name);
    scheduleKey.set(s.name, name);
    if (!s.enabled) report.unmapped(`${src}.enabled`, `schedule ${s.name} is disabled`, 'Klaxon schedules are always in effect; imported as enabled');
    tenant.schedules[name] = { timeZone: s.timezone, layers: mapRotations(s, src, participant, report), overrides: mapOverrides(exp, s, participant, report) };
  });

  const policyNames = new NameTable();
  exp.escalations.forEach((e, i) => {
    const src = `escalations.json data[${i}]`;
    const steps = mapEscalation(e, src, userKey, scheduleKey, report);
    if (!steps.some((s) => 'notify' in s)) {
      report.unmapped(src, `escalation ${e.name}`, 'none of its rules could be mapped; policy left out');
      return;
    }
    tenant.escalationPolicies[policyNames.name(e.id, e.name)] = { steps };
  });
  return { tenant, report };
}

function mapRotations(s: OpsgenieSchedule, src: string, participant: (p: OpsgenieRotation['participants'][number]) => string | undefined, report: ImportReport): Layer[] {
  const mapped: MappedRotation[] = [];
  const unique = layerLabels(RESERVED_LAYER_NAMES);
  s.rotations.forEach((r, j) => {
    const at = `${src}.rotations[${j}]`;
    const label = r.name ?? `rotation ${j + 1}`;
    const users = r.participants.map(participant);
    const missing = r.participants.findIndex((_, k) => users[k] === undefined);
    if (missing >= 0 || users.length === 0) {
      const p = r.participants[missing];
      const why = p ? (p.type === 'user' ? `user ${p.username ?? p.id} is not in users.json` : `a "${p.type}" participant has no Klaxon equivalent (a layer rotates through users)`) : 'it has no participants';
      report.unmapped(missing >= 0 ? `${at}.participants[${missing}]` : `${at}.participants`, `rotation ${label} of ${s.name}`, `${why}; rotation left out`);
      return;
    }
    const start = Date.parse(r.startDate);
    const wall = isoDate(wallAt(start, s.timezone));
    if (wall.seconds !== 0) report.unmapped(`${at}.startDate`, `rotation ${label} hand-off`, `${r.startDate} has seconds; Klaxon hand-offs are whole minutes (rounded down)`);
    if (r.endDate !== undefined) report.unmapped(`${at}.endDate`, `rotation ${label} ends ${r.endDate}`, 'Klaxon layers do not end; imported without the end (remove the layer then)');
    const { window, mask } = restriction(r.timeRestriction);
    const layer: Layer = {
      name: unique(label),
      users: users as string[],
      rotation: `${r.length}${ROTATION_UNIT[r.type]}`,
      handoff: wall.clock,
      start: wall.date,
      ...(window && { restrict: window }),
    };
    mapped.push({ index: j, label, layer, mask, unrestrictable: window === false, start });
  });

  // A restriction no `restrict` can say is exact only as "whenever no other rotation is on call".
  const odd = mapped.filter((m) => m.unrestrictable);
  const bottom: MappedRotation[] = [];
  for (const m of odd) {
    const others = mapped.filter((o) => o !== m);
    const complement =
      odd.length === 1 &&
      others.every((o) => firstOverlap(o.mask, m.mask) === undefined && o.start <= m.start) &&
      isFull(union(mapped.map((o) => o.mask)));
    if (complement) {
      bottom.push(m);
      report.note(`${src}.rotations[${m.index}].timeRestriction`, `rotation ${m.label}`, 'its restriction is exactly the hours the other rotations leave free: mapped as the bottom layer without restrict');
    } else {
      report.unmapped(`${src}.rotations[${m.index}].timeRestriction`, `rotation ${m.label} of ${s.name}`, 'restriction is not one daily window on some days (Klaxon restrict: days, from, to); rotation left out');
    }
  }
  const kept = [...bottom, ...mapped.filter((m) => !m.unrestrictable)];
  for (let a = 0; a < kept.length; a++) {
    for (let b = a + 1; b < kept.length; b++) {
      const minute = firstOverlap(kept[a].mask, kept[b].mask);
      if (minute !== undefined) {
        report.unmapped(`${src}.rotations[${kept[b].index}]`, `rotations ${kept[a].label} and ${kept[b].label} of ${s.name} overlap (e.g. ${describeMinute(minute)})`, `Opsgenie pages both people then; Klaxon pages the upper layer (${kept[b].label}) only`);
      }
    }
  }
  return kept.map((m) => m.layer);
}

function mapOverrides(exp: OpsgenieExport, s: OpsgenieSchedule, participant: (p: OpsgenieRotation['participants'][number]) => string | undefined, report: ImportReport) {
  const found = exp.overrides.get(s.id);
  if (!found) return [];
  const rotationRefs = new Set(s.rotations.flatMap((r) => [r.id, r.name].filter((x): x is string => x !== undefined)));
  const out: Array<{ user: string; from: string; to: string; span: [number, number] }> = [];
  found.list.forEach((o, k) => {
    const at = `${found.file} data[${k}]`;
    const what = `override ${o.alias ?? k} of ${s.name} (${o.startDate} – ${o.endDate})`;
    const user = participant(o.user);
    if (user === undefined) {
      report.unmapped(`${at}.user`, what, o.user.type === 'user' ? `user ${o.user.username ?? o.user.id} is not in users.json; left out` : `a "${o.user.type}" override has no Klaxon equivalent (an override names one user); left out`);
      return;
    }
    const covered = new Set(o.rotations.flatMap((r) => [r.id, r.name].filter((x): x is string => x !== undefined)));
    const partial = o.rotations.length > 0 && s.rotations.some((r) => ![r.id, r.name].some((x) => x !== undefined && covered.has(x)));
    if (partial && rotationRefs.size > 0) {
      report.unmapped(`${at}.rotations`, what, 'it overrides only some rotations; a Klaxon override replaces the whole schedule; left out');
      return;
    }
    const span: [number, number] = [Date.parse(o.startDate), Date.parse(o.endDate)];
    if (span[1] <= span[0]) {
      report.note(at, what, 'ends before it starts; left out');
      return;
    }
    const clash = out.find((p) => p.span[0] < span[1] && span[0] < p.span[1]);
    if (clash) {
      report.unmapped(at, what, `overlaps the override of ${clash.user} ${clash.from} – ${clash.to}; Klaxon needs overrides not to overlap; left out`);
      return;
    }
    out.push({ user, from: isoInstant(span[0]), to: isoInstant(span[1]), span });
  });
  return out.map(({ user, from, to }) => ({ user, from, to }));
}

const UNIT_MS = { minutes: 60_000, hours: 3_600_000, days: 86_400_000 };

function mapEscalation(e: OpsgenieExport['escalations'][number], src: string, userKey: Map<string, string>, scheduleKey: Map<string, string>, report: ImportReport): ImportedStep[] {
  const rules = e.rules.map((r, j) => ({ r, j, delay: r.delay.timeAmount * UNIT_MS[r.delay.timeUnit] })).sort((a, b) => a.delay - b.delay || a.j - b.j);
  const steps: ImportedStep[] = [];
  let at = 0;
  for (let k = 0; k < rules.length; ) {
    const delay = rules[k].delay;
    const targets = { users: [] as string[], schedules: [] as string[] };
    for (; k < rules.length && rules[k].delay === delay; k++) {
      const { r, j } = rules[k];
      const where = `${src}.rules[${j}]`;
      const who = r.recipient.username ?? r.recipient.name ?? r.recipient.id ?? '?';
      if (r.condition === 'if-not-closed') {
        report.unmapped(`${where}.condition`, `rule for ${who} in ${e.name}`, 'if-not-closed keeps notifying after an acknowledgement; Klaxon stops at the ack (mapped as if-not-acked)');
      }
      if (r.recipient.type === 'user') {
        const key = (r.recipient.id !== undefined ? userKey.get(r.recipient.id) : undefined) ?? (r.recipient.username !== undefined ? userKey.get(r.recipient.username) : undefined);
        if (key) targets.users.push(key);
        else report.unmapped(`${where}.recipient`, `rule for user ${who} in ${e.name}`, 'user not in users.json; left out');
      } else if (r.recipient.type === 'schedule') {
        const name = (r.recipient.id !== undefined ? scheduleKey.get(r.recipient.id) : undefined) ?? (r.recipient.name !== undefined ? scheduleKey.get(r.recipient.name) : undefined);
        if (r.notifyType !== 'default') report.unmapped(`${where}.notifyType`, `rule for schedule ${who} in ${e.name}`, `notifyType "${r.notifyType}": Klaxon notifies whoever is on call now; left out`);
        else if (name) targets.schedules.push(name);
        else report.unmapped(`${where}.recipient`, `rule for schedule ${who} in ${e.name}`, 'schedule not imported; left out');
      } else {
        report.unmapped(`${where}.recipient`, `rule for team ${who} in ${e.name}`, 'Klaxon has no teams (a team is paged through its own routing in Opsgenie); left out');
      }
    }
    if (!targets.users.length && !targets.schedules.length) continue;
    if (delay > at) steps.push({ wait: formatDuration(delay - at) });
    at = delay;
    steps.push({ notify: { ...(targets.users.length && { users: targets.users }), ...(targets.schedules.length && { schedules: targets.schedules }) } });
  }
  const repeat = e.repeat;
  if (repeat && repeat.count > 0 && steps.length) {
    if (repeat.waitInterval > 0) steps.push({ wait: formatDuration(repeat.waitInterval * 60_000) });
    steps.push({ repeat: { from: 0, times: Math.min(repeat.count, 100) } });
    if (repeat.count > 100) report.unmapped(`${src}.repeat.count`, `${e.name} repeats ${repeat.count} times`, 'Klaxon repeats at most 100 times');
  }
  if (repeat?.closeAlertAfterAll) report.unmapped(`${src}.repeat.closeAlertAfterAll`, `${e.name} closes the alert after the last repeat`, 'Klaxon does not close an incident when escalation runs out (resolveAfter counts quiet time instead)');
  if (repeat?.resetRecipientStates) report.note(`${src}.repeat.resetRecipientStates`, `${e.name} resets recipient states on repeat`, 'Klaxon has no per-recipient alert states');
  return steps;
}

export function importOpsgenie(dir: string): { tenant: ImportedTenant; report: ImportReport } {
  return mapOpsgenie(readOpsgenieExport(dir));
}
