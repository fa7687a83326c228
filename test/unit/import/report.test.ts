import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImportInputError } from '../../../src/import/exportFile';
import { importOncall } from '../../../src/import/oncall';
import { importOpsgenie } from '../../../src/import/opsgenie';

const FIXTURES = join(__dirname, '../../fixtures/import');

/** A copy of a fixture export with one file changed by `edit`. */
function variant(vendor: string, file: string, edit: (doc: any) => void): string {
  const dir = mkdtempSync(join(tmpdir(), `klaxon-import-${vendor}-`));
  cpSync(join(FIXTURES, vendor), dir, { recursive: true });
  const doc = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  edit(doc);
  writeFileSync(join(dir, file), JSON.stringify(doc));
  return dir;
}

const dirs: string[] = [];
const make = (...a: Parameters<typeof variant>) => {
  const d = variant(...a);
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const unmapped = (r: ReturnType<typeof importOpsgenie>['report']) => r.items.filter((i) => i.severity === 'unmapped').map((i) => `${i.source} | ${i.why}`);

describe('import report: what cannot be mapped exactly is named with its place in the export', () => {
  it('Opsgenie: a team recipient, a "next" on-call rule, a "none" participant, a partial override, an after-hours restriction that no longer complements business hours', () => {
    const esc = make('opsgenie', 'escalations.json', (d) => {
      d.data[0].rules.push({ condition: 'if-not-acked', notifyType: 'default', delay: { timeAmount: 30 }, recipient: { type: 'team', name: 'Data' } });
      d.data[1].rules.push({ condition: 'if-not-acked', notifyType: 'next', delay: { timeAmount: 20 }, recipient: { type: 'schedule', name: 'Data_schedule' } });
    });
    expect(unmapped(importOpsgenie(esc).report)).toEqual([
      expect.stringMatching(/^escalations\.json data\[0\]\.rules\[3\]\.recipient \| Klaxon has no teams/),
      expect.stringMatching(/^escalations\.json data\[1\]\.rules\[2\]\.notifyType \| notifyType "next"/),
    ]);

    const sched = make('opsgenie', 'schedules.json', (d) => {
      d.data[1].rotations[0].participants.push({ type: 'none' });
      delete d.data[0].rotations[0].timeRestriction; // business hours 24/7: overlaps after hours
    });
    const r = importOpsgenie(sched);
    expect(unmapped(r.report)).toEqual([
      expect.stringMatching(/^schedules\.json data\[0\]\.rotations\[1\]\.timeRestriction \| restriction is not one daily window/),
      expect.stringMatching(/^schedules\.json data\[1\]\.rotations\[0\]\.participants\[2\] \| a "none" participant/),
    ]);
    expect(r.tenant.schedules.data_schedule.layers).toEqual([]);

    const over = make('opsgenie', 'overrides/Platform_schedule.json', (d) => (d.data[1].rotations = [{ name: 'Business hours' }]));
    const o = importOpsgenie(over);
    expect(unmapped(o.report)).toEqual([expect.stringMatching(/^overrides\/Platform_schedule\.json data\[1\]\.rotations \| it overrides only some rotations/)]);
    expect(o.tenant.schedules.platform_schedule.overrides).toHaveLength(1);
  });

  it('Grafana OnCall: a monthly shift, two people in one turn, a user group step, a resolve step, an iCal schedule', () => {
    const shifts = make('oncall', 'on_call_shifts.json', (d) => {
      d.results[0].frequency = 'monthly';
      d.results[1].rolling_users[2].push('UDAVE9F2L6S4M');
    });
    const r = importOncall(shifts);
    expect(unmapped(r.report)).toEqual([
      expect.stringMatching(/^on_call_shifts\.json results\[0\] \| frequency monthly has no Klaxon equivalent/),
      expect.stringMatching(/^on_call_shifts\.json results\[1\]\.rolling_users\[2\] \| 2 people on call at once/),
    ]);
    expect(r.tenant.schedules['platform-primary'].layers).toEqual([]);

    const steps = make('oncall', 'escalation_policies.json', (d) => {
      d.results.push({ id: 'EX1', escalation_chain_id: 'F5JU6KJET33FE', position: 3, type: 'notify_user_group', group_to_notify: 'G1' });
      d.results.push({ id: 'EX2', escalation_chain_id: 'F5JU6KJET33FE', position: 4, type: 'resolve' });
    });
    expect(unmapped(importOncall(steps).report)).toEqual([
      expect.stringMatching(/^escalation_policies\.json results\[9\] \| Klaxon has no user groups/),
      expect.stringMatching(/^escalation_policies\.json results\[10\] \| Klaxon does not resolve/),
    ]);

    // Calendar addresses carry secrets in their path: the report names the host only.
    const stray = make('oncall', 'on_call_shifts.json', (d) => d.results.push({ ...d.results[2], id: 'OSTRAY1', name: 'Old override' }));
    const strayReport = importOncall(stray).report;
    expect(strayReport.unmappedCount).toBe(0);
    expect(strayReport.items).toContainEqual({ severity: 'note', source: 'on_call_shifts.json results[3]', what: 'shift Old override', why: 'in no schedule of schedules.json; not imported' });

    const ical = make('oncall', 'schedules.json', (d) => d.results.push({ id: 'SICAL', name: 'Imported', type: 'ical', ical_url_primary: 'https://calendar.example.com/ical/team/private-9f8e7d6c5b/basic.ics' }));
    const icalReport = importOncall(ical).report;
    expect(unmapped(icalReport)).toEqual([expect.stringMatching(/^schedules\.json results\[2\] \| its events live in an external calendar \(calendar\.example\.com\)/)]);
    expect(icalReport.format()).not.toContain('private-9f8e7d6c5b');
  });
});

describe('import report: people on call at once', () => {
  it('Opsgenie rotations whose windows overlap are reported: Opsgenie pages both, Klaxon the upper layer', () => {
    const dir = make('opsgenie', 'schedules.json', (d) =>
      d.data[1].rotations.push({ name: 'Weekend backup', startDate: '2026-01-10T14:00:00Z', type: 'weekly', length: 1, participants: [{ type: 'user', username: 'carol@example.com' }], timeRestriction: { type: 'weekday-and-time-of-day', restrictions: [{ startDay: 'saturday', startHour: 9, startMin: 0, endDay: 'saturday', endHour: 18, endMin: 0 }] } }),
    );
    const r = importOpsgenie(dir);
    expect(unmapped(r.report)).toEqual([expect.stringMatching(/^schedules\.json data\[1\]\.rotations\[1\] \| Opsgenie pages both people then; Klaxon pages the upper layer \(Weekend backup\) only/)]);
    expect(r.report.items[r.report.items.length - 1].what).toBe('rotations Twelve hours and Weekend backup of Data_schedule overlap (e.g. sat 09:00)');
    expect(r.tenant.schedules.data_schedule.layers!.map((l) => l.name)).toEqual(['Twelve hours', 'Weekend backup']);
  });

  it('OnCall shifts at the same level that overlap are reported; at different levels they are not', () => {
    const same = make('oncall', 'on_call_shifts.json', (d) => (d.results[1].level = 0));
    expect(unmapped(importOncall(same).report)).toEqual([expect.stringMatching(/^on_call_shifts\.json results\[1\] \| OnCall puts both people on call then/)]);
    const disjoint = make('oncall', 'on_call_shifts.json', (d) => {
      d.results[1].level = 0;
      Object.assign(d.results[0], { frequency: 'weekly', week_start: 'MO', by_day: ['SA', 'SU'], duration: 86400, start: '2026-01-10T09:00:00' });
    });
    expect(unmapped(importOncall(disjoint).report)).toEqual([]);
  });
});

describe('import of a malformed export names the file and the field', () => {
  it('a rotation type Opsgenie does not have', () => {
    const dir = make('opsgenie', 'schedules.json', (d) => (d.data[0].rotations[1].type = 'monthly'));
    expect(() => importOpsgenie(dir)).toThrow(ImportInputError);
    expect(() => importOpsgenie(dir)).toThrow(/schedules\.json: not a valid export:\n {2}data\[0\]\.rotations\[1\]\.type: /);
  });

  it('an OnCall start with a zone offset, and a missing required file', () => {
    const dir = make('oncall', 'on_call_shifts.json', (d) => (d.results[1].start = '2026-01-05T09:00:00+01:00'));
    expect(() => importOncall(dir)).toThrow(/on_call_shifts\.json: not a valid export:\n {2}results\[1\]\.start: use yyyy-MM-dd'T'HH:mm:ss/);
    const missing = make('oncall', 'users.json', () => undefined);
    rmSync(join(missing, 'users.json'));
    expect(() => importOncall(missing)).toThrow(/users\.json: not a valid export:\n {2}\(file\): file not found/);
  });

  it('a paged export saved as an array of pages points into the page', () => {
    const dir = make('oncall', 'users.json', (d) => (d.results = d.results.slice(0, 3)));
    const pages = JSON.parse(readFileSync(join(dir, 'users.json'), 'utf8'));
    const second = { ...pages, results: JSON.parse(readFileSync(join(FIXTURES, 'oncall', 'users.json'), 'utf8')).results.slice(3) };
    second.results[1].username = 42;
    writeFileSync(join(dir, 'users.json'), JSON.stringify([pages, second]));
    expect(() => importOncall(dir)).toThrow(/\[1\]\.results\[1\]\.username: /);
  });
});
