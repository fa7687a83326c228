import { join } from 'node:path';
import { scheduleSchema, userSchema } from '../../../src/config/schedules';
import { IcsError, loadIcs, parseIcs, withCalendar } from '../../../src/oncall/ics';
import { occurrences } from '../../../src/oncall/recurrence';
import { onCallAt, shifts } from '../../../src/oncall/schedule';

const FIXTURES = join(__dirname, '../../fixtures/ics');
const users = {
  alice: userSchema.parse({ name: 'Alice Smith' }),
  dbrown: userSchema.parse({ name: 'Dave Brown' }),
  erin: userSchema.parse({ name: 'Erin Stone', email: 'erin@example.com' }),
};
const at = (iso: string) => new Date(iso);
const calendar = (...lines: string[]) => ['BEGIN:VCALENDAR', 'VERSION:2.0', ...lines, 'END:VCALENDAR'].join('\r\n');
const event = (...lines: string[]) => ['BEGIN:VEVENT', ...lines, 'END:VEVENT'];
const instants = (text: string, from: string, to: string, zone = 'Europe/Berlin') => {
  const { events, problems } = parseIcs(text, users, zone);
  expect(problems).toEqual([]);
  return events.flatMap((e) => occurrences(e, Date.parse(from), Date.parse(to))).map((o) => new Date(o.start).toISOString());
};

describe('the calendar fixture', () => {
  const events = loadIcs(join(FIXTURES, 'oncall.ics'), users, 'Europe/Berlin');

  it('reads a SUMMARY folded in the middle of a word, and ignores the VALARM inside the event', () => {
    expect(events.map((e) => e.user)).toEqual(['dbrown', 'erin', 'dbrown']);
    expect(events[0].line).toBe(19);
  });

  it('expands the weekly TZID rule at 09:00 Berlin time on both sides of the DST change, COUNT times', () => {
    const list = occurrences(events[0], Date.parse('2024-03-01T00:00:00Z'), Date.parse('2024-05-01T00:00:00Z'));
    expect(list.map((o) => [new Date(o.start).toISOString(), new Date(o.end).toISOString()])).toEqual([
      ['2024-03-25T08:00:00.000Z', '2024-03-25T20:00:00.000Z'], // Monday, CET
      ['2024-03-28T08:00:00.000Z', '2024-03-28T20:00:00.000Z'], // Thursday
      ['2024-04-01T07:00:00.000Z', '2024-04-01T19:00:00.000Z'], // Monday, CEST
      ['2024-04-04T07:00:00.000Z', '2024-04-04T19:00:00.000Z'],
    ]);
  });

  describe('as a layer of a schedule', () => {
    const s = withCalendar(
      scheduleSchema.parse({
        timeZone: 'Europe/Berlin',
        layers: [{ name: 'base', users: ['alice'], rotation: 'daily', start: '2024-03-01' }],
        overrides: [{ user: 'alice', from: '2024-04-04T12:00', to: '2024-04-04T13:00' }],
        ics: 'oncall.ics', // relative to the tenants file's folder
      }),
      users,
      FIXTURES,
    );

    it('calendar events beat the layers', () => {
      expect(onCallAt(s, at('2024-03-28T12:00:00Z'))).toEqual({ user: 'dbrown', layer: 'ics', shiftStart: at('2024-03-28T08:00:00Z'), shiftEnd: at('2024-03-28T20:00:00Z') });
      expect(onCallAt(s, at('2024-03-28T20:00:00Z'))).toMatchObject({ user: 'alice', layer: 'base' });
    });

    it('a floating event is read in the schedule zone', () => {
      expect(onCallAt(s, at('2024-04-05T16:00:00Z'))).toMatchObject({ user: 'dbrown', shiftStart: at('2024-04-05T16:00:00Z'), shiftEnd: at('2024-04-05T20:00:00Z') });
    });

    it('overlapping calendar events: the later start wins; overrides beat the calendar', () => {
      expect(shifts(s, at('2024-04-01T07:00:00Z'), at('2024-04-01T19:00:00Z')).map((x) => `${x.user}/${x.layer} ${x.shiftStart.toISOString().slice(11, 16)}`)).toEqual([
        'dbrown/ics 07:00',
        'erin/ics 08:00', // ATTENDEE erin@example.com
        'dbrown/ics 12:00',
      ]);
      expect(onCallAt(s, at('2024-04-04T10:30:00Z'))).toMatchObject({ user: 'alice', layer: 'override' });
    });
  });
});

describe('recurrence rules', () => {
  it('DAILY with INTERVAL and UNTIL (inclusive)', () => {
    const text = calendar(...event('DTSTART:20240301T090000Z', 'DTEND:20240301T100000Z', 'RRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20240307T090000Z', 'SUMMARY:alice'));
    expect(instants(text, '2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z')).toEqual([
      '2024-03-01T09:00:00.000Z',
      '2024-03-03T09:00:00.000Z',
      '2024-03-05T09:00:00.000Z',
      '2024-03-07T09:00:00.000Z',
    ]);
  });

  it('DAILY with BYDAY keeps only those weekdays; EXDATE removes an instance', () => {
    const text = calendar(
      ...event('DTSTART:20240304T090000Z', 'DURATION:PT8H', 'RRULE:FREQ=DAILY;BYDAY=MO,WE,FR', 'EXDATE:20240306T090000Z', 'SUMMARY:alice'),
    );
    expect(instants(text, '2024-03-04T00:00:00Z', '2024-03-12T00:00:00Z').map((s) => s.slice(0, 10))).toEqual(['2024-03-04', '2024-03-08', '2024-03-11']);
  });

  it('WEEKLY with INTERVAL=2 counts weeks from the week of DTSTART, far into the future', () => {
    const text = calendar(...event('DTSTART;TZID=America/New_York:20240304T090000', 'DTEND;TZID=America/New_York:20240311T090000', 'RRULE:FREQ=WEEKLY;INTERVAL=2', 'SUMMARY:alice'));
    expect(instants(text, '2030-01-01T00:00:00Z', '2030-01-20T00:00:00Z')).toEqual(['2029-12-31T14:00:00.000Z', '2030-01-14T14:00:00.000Z']);
  });

  it('WEEKLY with INTERVAL=2 and BYDAY groups days into weeks starting at WKST (RFC 5545 example)', () => {
    const rule = (wkst: string) =>
      calendar(...event('DTSTART:20240304T090000Z', 'DTEND:20240304T100000Z', `RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=MO,SU${wkst}`, 'SUMMARY:alice'));
    const days = (wkst: string) => instants(rule(wkst), '2024-03-01T00:00:00Z', '2024-04-01T00:00:00Z').map((d) => d.slice(5, 10));
    expect(days('')).toEqual(['03-04', '03-10', '03-18', '03-24']); // weeks start on Monday by default
    expect(days(';WKST=SU')).toEqual(['03-04', '03-17', '03-18', '03-31']);
  });

  it('where calendar events overlap, the one that started later wins, whatever the file order', () => {
    const text = calendar(
      ...event('DTSTART:20240304T120000Z', 'DTEND:20240304T140000Z', 'SUMMARY:erin'),
      ...event('DTSTART:20240304T090000Z', 'DTEND:20240304T170000Z', 'SUMMARY:alice'),
    );
    const s = { ...scheduleSchema.parse({ timeZone: 'UTC' }), imported: parseIcs(text, users, 'UTC').events };
    expect(shifts(s, at('2024-03-04T00:00:00Z'), at('2024-03-05T00:00:00Z')).map((x) => `${x.user} ${x.shiftStart.toISOString().slice(11, 16)}`)).toEqual([
      'alice 09:00',
      'erin 12:00',
      'alice 14:00',
    ]);
  });

  it('a RECURRENCE-ID event replaces that one instance', () => {
    const text = calendar(
      ...event('UID:r1', 'DTSTART:20240304T090000Z', 'DTEND:20240304T170000Z', 'RRULE:FREQ=DAILY;COUNT=3', 'SUMMARY:alice'),
      ...event('UID:r1', 'RECURRENCE-ID:20240305T090000Z', 'DTSTART:20240305T120000Z', 'DTEND:20240305T200000Z', 'SUMMARY:Dave Brown'),
    );
    expect(instants(text, '2024-03-01T00:00:00Z', '2024-03-10T00:00:00Z')).toEqual(['2024-03-04T09:00:00.000Z', '2024-03-06T09:00:00.000Z', '2024-03-05T12:00:00.000Z']);
  });
});

describe('calendar problems name their line', () => {
  const problems = (text: string) => parseIcs(text, users, 'UTC').problems;

  it('an unsupported rule, an unknown TZID and an event with no user', () => {
    const text = calendar(
      ...event('DTSTART:20240301T090000Z', 'DTEND:20240301T100000Z', 'RRULE:FREQ=MONTHLY', 'SUMMARY:alice'),
      ...event('DTSTART;TZID=W. Europe Standard Time:20240301T090000', 'DTEND:20240301T100000Z', 'SUMMARY:alice'),
      ...event('DTSTART:20240301T090000Z', 'DTEND:20240301T100000Z', 'SUMMARY:Team lunch'),
      ...event('DTSTART:20240301T090000Z', 'SUMMARY:alice'),
    );
    expect(problems(text)).toEqual([
      { line: 6, message: 'RRULE: FREQ=MONTHLY not supported (only DAILY and WEEKLY)' },
      { line: 10, message: 'DTSTART: unknown TZID "W. Europe Standard Time" (only IANA zone names like Europe/Berlin are supported)' },
      { line: 17, message: 'SUMMARY "Team lunch" names no known user (by id, name or email)' },
      { line: 19, message: 'event has neither DTEND nor DURATION' },
    ]);
  });

  it('several users in one event is ambiguous', () => {
    const text = calendar(...event('DTSTART:20240301T090000Z', 'DTEND:20240301T100000Z', 'SUMMARY:alice and Dave Brown'));
    expect(problems(text)).toEqual([{ line: 6, message: 'SUMMARY "alice and Dave Brown" names several users (alice, dbrown)' }]);
  });

  it('a file that is not a calendar, or a component left open', () => {
    expect(problems('hello')).toEqual([{ line: 1, message: 'not an iCalendar file (expected BEGIN:VCALENDAR)' }]);
    expect(problems('BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20240301T090000Z\n')).toContainEqual({ line: 2, message: 'BEGIN:VEVENT is never closed' });
  });

  it('loadIcs throws with the file and every line', () => {
    expect(() => loadIcs(join(FIXTURES, 'missing.ics'), users, 'UTC')).toThrow(IcsError);
    expect(() => loadIcs(join(FIXTURES, 'missing.ics'), users, 'UTC')).toThrow(/missing\.ics: invalid calendar:\n {2}line 0: file not found/);
  });
});
