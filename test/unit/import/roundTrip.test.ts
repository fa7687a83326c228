import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSchedule } from '../../../src/cli/commands/oncall';
import { parseConfig } from '../../../src/config/load';
import { importOncall } from '../../../src/import/oncall';
import { importOpsgenie } from '../../../src/import/opsgenie';
import { tenantsYaml } from '../../../src/import/tenantFile';
import { onCallAt, shifts } from '../../../src/oncall/schedule';
import { oncallOnCall, opsgenieOnCall } from '../../support/vendorOnCall';

/**
 * The import round trip: who is on call according to the vendor export (read with the vendor's
 * documented semantics, test/support/vendorOnCall.ts) and according to the imported tenants file
 * (loaded and asked exactly as `klaxon oncall` does) agree at every half hour over four weeks, and
 * one second either side of every hand-off and override edge.
 */

const FIXTURES = join(__dirname, '../../fixtures/import');
const FROM = Date.parse('2026-01-06T00:00:00Z');
const TO = FROM + 28 * 24 * 3_600_000;
const ENV = { ACME_WEBHOOK_TOKEN: 'w', ACME_API_TOKEN: 'a' };

const json = (exportDir: string, file: string) => JSON.parse(readFileSync(join(exportDir, file), 'utf8'));

/** Sample instants: every half hour, and ±1 s around every edge Klaxon or the vendor has. */
function samples(edges: number[]): number[] {
  const out = new Set<number>();
  for (let t = FROM; t < TO; t += 30 * 60_000) out.add(t);
  for (const e of edges) for (const d of [-1000, 0, 1000]) if (e + d >= FROM && e + d < TO) out.add(e + d);
  return [...out].sort((a, b) => a - b);
}

describe('import round trip: on call in the export = on call in Klaxon', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'klaxon-import-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function writeTenants(name: string, yaml: string): string {
    const file = join(dir, name);
    writeFileSync(file, yaml);
    return file;
  }

  /** Compares at every sample; returns the number of instants compared and how many had someone on call. */
  function compare(file: string, scheduleKey: string, vendorIdByEmail: Map<string, string>, vendorAt: (t: number) => Set<string>, vendorEdges: number[]) {
    const { users, schedule } = loadSchedule(file, 'acme', scheduleKey);
    const klaxonEdges = shifts(schedule, new Date(FROM), new Date(TO)).flatMap((s) => [s.shiftStart.getTime(), s.shiftEnd.getTime()]);
    const points = samples([...klaxonEdges, ...vendorEdges]);
    const mismatches: string[] = [];
    let covered = 0;
    for (const t of points) {
      const expected = [...vendorAt(t)].sort();
      const klaxon = onCallAt(schedule, new Date(t));
      const got = klaxon ? [vendorIdByEmail.get(users[klaxon.user].email!)!] : [];
      if (expected.length) covered++;
      if (JSON.stringify(expected) !== JSON.stringify(got)) mismatches.push(`${new Date(t).toISOString()}: export ${expected.join('+') || 'nobody'}, klaxon ${got.join('+') || 'nobody'}`);
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    return { points: points.length, covered, handoffs: klaxonEdges.length / 2 };
  }

  /** A copy of a fixture export with some files changed. */
  function variant(vendor: string, edits: Record<string, (doc: any) => void>): string {
    const out = join(dir, `${vendor}-${Object.keys(edits).length}-${Math.random().toString(36).slice(2)}`);
    cpSync(join(FIXTURES, vendor), out, { recursive: true });
    for (const [file, edit] of Object.entries(edits)) {
      const doc = json(out, file);
      edit(doc);
      writeFileSync(join(out, file), JSON.stringify(doc));
    }
    return out;
  }

  function opsgenieRoundTrip(exp: string) {
    const { tenant, report } = importOpsgenie(exp);
    const yaml = tenantsYaml('acme', 'Opsgenie', tenant);
    expect(parseConfig(yaml, ENV)).toMatchObject({ ok: true });
    expect(report.items.filter((i) => i.severity === 'unmapped')).toEqual([]);
    const file = writeTenants(`opsgenie-${Math.random().toString(36).slice(2)}.yaml`, yaml);
    const users = json(exp, 'users.json').data as Array<{ id: string; username: string }>;
    const idByEmail = new Map(users.map((u) => [u.username, u.id]));
    const schedules = json(exp, 'schedules.json').data as Array<{ name: string; timezone: string; rotations: never[] }>;
    const overrides = json(exp, 'overrides/Platform_schedule.json').data as Array<{ startDate: string; endDate: string; user: { id: string } }>;
    const overrideEdges = overrides.flatMap((o) => [Date.parse(o.startDate), Date.parse(o.endDate)]);
    return {
      platform: compare(file, 'platform_schedule', idByEmail, (t) => opsgenieOnCall(schedules[0], overrides, t), overrideEdges),
      data: compare(file, 'data_schedule', idByEmail, (t) => opsgenieOnCall(schedules[1], [], t), []),
    };
  }

  function oncallRoundTrip(exp: string) {
    const { tenant, report } = importOncall(exp);
    const yaml = tenantsYaml('acme', 'Grafana OnCall', tenant);
    expect(parseConfig(yaml, ENV)).toMatchObject({ ok: true });
    expect(report.items.filter((i) => i.severity === 'unmapped')).toEqual([]);
    const file = writeTenants(`oncall-${Math.random().toString(36).slice(2)}.yaml`, yaml);
    const users = json(exp, 'users.json').results as Array<{ id: string; email: string }>;
    const idByEmail = new Map(users.map((u) => [u.email, u.id]));
    const schedules = json(exp, 'schedules.json').results as Array<{ id: string; time_zone: string; shifts?: string[] }>;
    const platformShifts = json(exp, 'on_call_shifts.json').results.filter((s: { id: string }) => schedules[0].shifts!.includes(s.id));
    const dataShifts = json(exp, 'on_call_shifts/S3Z477AHDXTMF.json').results;
    return {
      platform: compare(file, 'platform-primary', idByEmail, (t) => oncallOnCall(schedules[0], platformShifts, t), []),
      data: compare(file, 'data-weekly', idByEmail, (t) => oncallOnCall(schedules[1], dataShifts, t), []),
    };
  }

  it('Opsgenie: business hours over after hours, 12-hour shifts, two overrides', () => {
    const { platform, data } = opsgenieRoundTrip(join(FIXTURES, 'opsgenie'));
    expect(platform.covered).toBe(platform.points); // after hours fills every gap of business hours
    expect(platform.handoffs).toBeGreaterThan(40); // 28 daily + 20 business-day pieces + overrides
    expect(data.handoffs).toBeGreaterThanOrEqual(56); // two 12-hour shifts a day
  });

  it('Opsgenie: an overnight time-of-day restriction, and rotations with the same name', () => {
    const exp = variant('opsgenie', {
      'schedules.json': (d) => {
        d.data[1].rotations[0].type = 'daily';
        d.data[1].rotations[0].length = 2;
        d.data[1].rotations[0].timeRestriction = { type: 'time-of-day', restriction: { startHour: 22, startMin: 0, endHour: 6, endMin: 30 } };
        d.data[0].rotations[1].name = d.data[0].rotations[0].name;
      },
    });
    const { platform, data } = opsgenieRoundTrip(exp);
    expect(platform.covered).toBe(platform.points);
    expect(data.covered).toBeGreaterThan(0);
    expect(data.covered).toBeLessThan(data.points / 2); // 8.5 hours a night
  });

  it('Grafana OnCall: levels, weekday business hours, a daily rotation, an override and a one-off above every level', () => {
    const { platform, data } = oncallRoundTrip(join(FIXTURES, 'oncall'));
    expect(platform.covered).toBe(platform.points);
    expect(platform.handoffs).toBeGreaterThan(40);
    expect(data.handoffs).toBeGreaterThanOrEqual(5); // four weekly turns, cut by Carol's day
  });

  it('Grafana OnCall: night shifts with a start index, week_start SU, 12-hour turns', () => {
    const exp = variant('oncall', {
      'on_call_shifts.json': (d) => {
        Object.assign(d.results[0], { start: '2026-01-05T22:00:00', duration: 8 * 3600, start_rotation_from_user_index: 1 });
        Object.assign(d.results[1], { week_start: 'SU', start_rotation_from_user_index: 2 });
      },
      'on_call_shifts/S3Z477AHDXTMF.json': (d) => {
        Object.assign(d.results[0], { frequency: 'hourly', interval: 12, duration: 12 * 3600, by_day: null, week_start: undefined });
      },
    });
    const { platform, data } = oncallRoundTrip(exp);
    expect(platform.covered).toBeGreaterThan(0);
    expect(platform.covered).toBeLessThan(platform.points); // gaps between night and business hours
    expect(data.handoffs).toBeGreaterThanOrEqual(56);
  });
  it('Grafana OnCall: weekend days and weekday business hours at the same level', () => {
    const exp = variant('oncall', {
      'on_call_shifts.json': (d) => {
        d.results[1].level = 0;
        Object.assign(d.results[0], { frequency: 'weekly', week_start: 'MO', by_day: ['SA', 'SU'], duration: 86400, start: '2026-01-10T09:00:00', rotation_start: '2026-01-10T09:00:00' });
      },
    });
    const { platform } = oncallRoundTrip(exp);
    expect(platform.covered).toBeGreaterThan(platform.points / 3); // weekends plus 40 business hours a week
    expect(platform.covered).toBeLessThan(platform.points);
  });
});
