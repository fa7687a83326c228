import { scheduleSchema } from '../../../src/config/schedules';
import { onCallAt, shifts } from '../../../src/oncall/schedule';

const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);
const schedule = (timeZone: string, layer: Record<string, unknown>) => scheduleSchema.parse({ timeZone, layers: [layer] });
const iso = (d: Date | undefined) => d?.toISOString();

describe('weekly rotation, Monday 09:00 America/New_York', () => {
  const s = schedule('America/New_York', { users: ['alice', 'bob', 'carol'], rotation: 'weekly', handoff: '09:00', start: '2024-03-04' });

  it('puts the next user on call every Monday at 09:00 local, in order, wrapping around', () => {
    const week = (n: number) => onCallAt(s, new Date(Date.parse('2024-03-06T15:00:00Z') + n * 7 * 24 * HOUR))?.user;
    expect([0, 1, 2, 3, 4, 5, 6].map(week)).toEqual(['alice', 'bob', 'carol', 'alice', 'bob', 'carol', 'alice']);
  });

  it('the shift containing the March DST change hands off at 09:00 EDT (13:00Z), an hour short', () => {
    const shift = onCallAt(s, at('2024-03-10T12:00:00Z'))!; // Sunday, the day clocks go forward
    expect(shift.user).toBe('alice');
    expect(iso(shift.shiftStart)).toBe('2024-03-04T14:00:00.000Z'); // 09:00 EST
    expect(iso(shift.shiftEnd)).toBe('2024-03-11T13:00:00.000Z'); // 09:00 EDT
    expect(shift.shiftEnd.getTime() - shift.shiftStart.getTime()).toBe(7 * 24 * HOUR - HOUR);
  });

  it('the shift containing the November DST change hands off at 09:00 EST (14:00Z), an hour long', () => {
    const shift = onCallAt(s, at('2024-11-03T12:00:00Z'))!; // Sunday, the day clocks go back
    expect(shift.user).toBe('bob'); // 34 weeks after the epoch
    expect(iso(shift.shiftStart)).toBe('2024-10-28T13:00:00.000Z');
    expect(iso(shift.shiftEnd)).toBe('2024-11-04T14:00:00.000Z');
    expect(onCallAt(s, at('2024-11-04T14:00:00Z'))?.user).toBe('carol');
  });

  it('nobody is on call before the rotation starts', () => {
    expect(onCallAt(s, at('2024-03-04T13:59:59.999Z'))).toBeUndefined();
    expect(onCallAt(s, at('2024-03-04T14:00:00Z'))?.user).toBe('alice');
  });
});

describe('hand-off boundaries', () => {
  const s = schedule('Europe/Berlin', { users: ['alice', 'bob'], rotation: 'daily', handoff: '09:00', start: '2024-06-01' });
  const handoff = at('2024-06-02T07:00:00Z'); // 09:00 CEST

  it('at exactly the end of a shift the next user is on call', () => {
    const now = onCallAt(s, handoff)!;
    expect(now.user).toBe('bob');
    expect(iso(now.shiftStart)).toBe(iso(handoff));
  });

  it('one millisecond before, the previous user still is', () => {
    const before = onCallAt(s, new Date(handoff.getTime() - 1))!;
    expect(before.user).toBe('alice');
    expect(iso(before.shiftEnd)).toBe(iso(handoff));
  });
});

describe('daily rotation in Europe/Berlin across DST', () => {
  const s = schedule('Europe/Berlin', { users: ['alice', 'bob', 'carol'], rotation: '1d', handoff: '09:00', start: '2024-01-01' });
  const lengths = (from: string, to: string) =>
    shifts(s, at(from), at(to)).map((x) => [x.shiftStart.toISOString().slice(0, 10), (x.shiftEnd.getTime() - x.shiftStart.getTime()) / HOUR]);

  it('the shift over the March change is 23 h, its neighbours 24 h', () => {
    expect(lengths('2024-03-29T12:00:00Z', '2024-04-01T12:00:00Z')).toEqual([
      ['2024-03-29', 24],
      ['2024-03-30', 23],
      ['2024-03-31', 24],
      ['2024-04-01', 24],
    ]);
    expect(iso(onCallAt(s, at('2024-03-31T06:59:59.999Z'))?.shiftEnd)).toBe('2024-03-31T07:00:00.000Z'); // 09:00 CEST
  });

  it('the shift over the October change is 25 h', () => {
    expect(lengths('2024-10-26T12:00:00Z', '2024-10-27T12:00:00Z')).toEqual([
      ['2024-10-26', 25],
      ['2024-10-27', 24],
    ]);
    expect(iso(onCallAt(s, at('2024-10-27T07:30:00Z'))?.shiftEnd)).toBe('2024-10-27T08:00:00.000Z'); // 09:00 CET
  });
});

describe('hand-offs at local times DST skips or repeats', () => {
  const s = schedule('Europe/Berlin', { users: ['alice', 'bob'], rotation: 'daily', handoff: '02:30', start: '2024-03-01' });

  it('a 02:30 hand-off on the spring-forward day happens at 03:00 CEST, the first instant after the gap', () => {
    const list = shifts(s, at('2024-03-30T12:00:00Z'), at('2024-03-31T12:00:00Z'));
    expect(list.map((x) => [iso(x.shiftStart), iso(x.shiftEnd)])).toEqual([
      ['2024-03-30T01:30:00.000Z', '2024-03-31T01:00:00.000Z'], // 02:30 CET → 03:00 CEST
      ['2024-03-31T01:00:00.000Z', '2024-04-01T00:30:00.000Z'], // → 02:30 CEST
    ]);
  });

  it('a 02:30 hand-off on the fall-back day happens at the first 02:30 (CEST)', () => {
    const s2 = schedule('Europe/Berlin', { users: ['alice', 'bob'], rotation: 'daily', handoff: '02:30', start: '2024-10-01' });
    expect(iso(onCallAt(s2, at('2024-10-27T00:00:00Z'))?.shiftEnd)).toBe('2024-10-27T00:30:00.000Z');
  });
});

describe('sub-day rotations', () => {
  it('a 12h rotation hands off at 09:00 and 21:00 local', () => {
    const s = schedule('America/New_York', { users: ['day', 'night'], rotation: '12h', handoff: '09:00', start: '2024-03-09' });
    expect(shifts(s, at('2024-03-09T14:00:00Z'), at('2024-03-11T02:00:00Z')).map((x) => `${x.user}@${iso(x.shiftStart)}`)).toEqual([
      'day@2024-03-09T14:00:00.000Z', // 09:00 EST
      'night@2024-03-10T02:00:00.000Z', // 21:00 EST
      'day@2024-03-10T13:00:00.000Z', // 09:00 EDT: the night shift was 11 h
      'night@2024-03-11T01:00:00.000Z',
    ]);
  });
});
