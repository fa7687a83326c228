import { scheduleSchema } from '../../../src/config/schedules';
import { onCallAt, shifts, type OnCallShift } from '../../../src/oncall/schedule';

const at = (iso: string) => new Date(iso);
const show = (list: OnCallShift[]) => list.map((s) => `${s.user}/${s.layer} ${s.shiftStart.toISOString()} → ${s.shiftEnd.toISOString()}`);

// New York, 2024-03-13 is a Wednesday (EDT, UTC-4); 09:00 local = 13:00Z.
const base = { name: 'base', users: ['alice', 'bob'], rotation: 'weekly', handoff: '09:00', start: '2024-03-11' };
const business = {
  name: 'business',
  users: ['carol'],
  rotation: 'weekly',
  start: '2024-03-11',
  restrict: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00' },
};

describe('overrides', () => {
  const s = scheduleSchema.parse({
    timeZone: 'America/New_York',
    layers: [base],
    overrides: [{ user: 'dave', from: '2024-03-13T12:00', to: '2024-03-13T14:00' }], // local time
  });

  it('an override in the middle of a shift splits it into three', () => {
    expect(show(shifts(s, at('2024-03-12T00:00:00Z'), at('2024-03-15T00:00:00Z')))).toEqual([
      'alice/base 2024-03-11T13:00:00.000Z → 2024-03-13T16:00:00.000Z',
      'dave/override 2024-03-13T16:00:00.000Z → 2024-03-13T18:00:00.000Z',
      'alice/base 2024-03-13T18:00:00.000Z → 2024-03-18T13:00:00.000Z',
    ]);
  });

  it('onCallAt reports the part of the shift it falls in', () => {
    expect(onCallAt(s, at('2024-03-13T15:59:59.999Z'))).toMatchObject({ user: 'alice', shiftEnd: at('2024-03-13T16:00:00Z') });
    expect(onCallAt(s, at('2024-03-13T16:00:00Z'))).toEqual({ user: 'dave', layer: 'override', shiftStart: at('2024-03-13T16:00:00Z'), shiftEnd: at('2024-03-13T18:00:00Z') });
    expect(onCallAt(s, at('2024-03-13T18:00:00Z'))).toEqual({ user: 'alice', layer: 'base', shiftStart: at('2024-03-13T18:00:00Z'), shiftEnd: at('2024-03-18T13:00:00Z') });
  });

  it('an override with an offset is an exact instant, and covers a gap where no layer is active', () => {
    const s2 = scheduleSchema.parse({
      timeZone: 'America/New_York',
      layers: [base],
      overrides: [{ user: 'erin', from: '2024-03-10T00:00:00Z', to: '2024-03-11T14:00:00+01:00' }],
    });
    expect(onCallAt(s2, at('2024-03-10T12:00:00Z'))?.user).toBe('erin'); // before the layer's start
    expect(onCallAt(s2, at('2024-03-11T12:59:59Z'))?.user).toBe('erin');
    expect(onCallAt(s2, at('2024-03-11T13:00:00Z'))).toMatchObject({ user: 'alice', shiftStart: at('2024-03-11T13:00:00Z') });
  });
});

describe('a restricted layer above the base layer', () => {
  const s = scheduleSchema.parse({ timeZone: 'America/New_York', layers: [base, business] });

  it('wins inside its business-hours window only', () => {
    expect(onCallAt(s, at('2024-03-13T12:59:59Z'))?.user).toBe('alice'); // Wed 08:59
    expect(onCallAt(s, at('2024-03-13T13:00:00Z'))).toEqual({ user: 'carol', layer: 'business', shiftStart: at('2024-03-13T13:00:00Z'), shiftEnd: at('2024-03-13T21:00:00Z') });
    expect(onCallAt(s, at('2024-03-13T21:00:00Z'))?.user).toBe('alice'); // Wed 17:00
    expect(onCallAt(s, at('2024-03-16T16:00:00Z'))?.user).toBe('alice'); // Saturday noon
  });

  it('the base layer fills the evenings and the weekend between business days', () => {
    expect(show(shifts(s, at('2024-03-15T20:00:00Z'), at('2024-03-18T14:00:00Z')))).toEqual([
      'carol/business 2024-03-15T13:00:00.000Z → 2024-03-15T21:00:00.000Z',
      'alice/base 2024-03-15T21:00:00.000Z → 2024-03-18T13:00:00.000Z',
      'carol/business 2024-03-18T13:00:00.000Z → 2024-03-18T21:00:00.000Z',
    ]);
  });

  it('an override beats the restricted layer too', () => {
    const s2 = scheduleSchema.parse({ timeZone: 'America/New_York', layers: [base, business], overrides: [{ user: 'dave', from: '2024-03-13T10:00', to: '2024-03-13T11:00' }] });
    expect(onCallAt(s2, at('2024-03-13T14:30:00Z'))?.user).toBe('dave');
    expect(onCallAt(s2, at('2024-03-13T15:00:00Z'))).toMatchObject({ user: 'carol', shiftStart: at('2024-03-13T15:00:00Z') });
  });

  it('whole-day windows on consecutive days form one stretch (a weekend layer)', () => {
    const weekend = { ...business, name: 'weekend', restrict: { days: ['sat', 'sun'] } };
    const s2 = scheduleSchema.parse({ timeZone: 'America/New_York', layers: [base, weekend] });
    expect(onCallAt(s2, at('2024-03-17T16:00:00Z'))).toEqual({ user: 'carol', layer: 'weekend', shiftStart: at('2024-03-16T04:00:00Z'), shiftEnd: at('2024-03-18T04:00:00Z') });
  });

  it('a night window that wraps midnight belongs to the day it opens on', () => {
    const nights = { ...business, name: 'nights', restrict: { days: ['fri'], from: '22:00', to: '06:00' } };
    const s2 = scheduleSchema.parse({ timeZone: 'America/New_York', layers: [base, nights] });
    expect(onCallAt(s2, at('2024-03-16T09:00:00Z'))).toMatchObject({ user: 'carol', shiftStart: at('2024-03-16T02:00:00Z'), shiftEnd: at('2024-03-16T10:00:00Z') });
    expect(onCallAt(s2, at('2024-03-14T04:00:00Z'))?.user).toBe('alice'); // Wednesday night: not restricted to
  });
});

describe('several layers without restrictions', () => {
  it('the later layer wins wherever it is active', () => {
    const later = { name: 'top', users: ['zed'], rotation: 'daily', start: '2024-03-14' };
    const s = scheduleSchema.parse({ timeZone: 'America/New_York', layers: [base, later] });
    expect(onCallAt(s, at('2024-03-14T12:00:00Z'))?.user).toBe('alice'); // top starts at 09:00 local
    expect(onCallAt(s, at('2024-03-14T13:00:00Z'))).toMatchObject({ user: 'zed', layer: 'top' });
  });
});

describe('onCallAt and shifts() tell the same story', () => {
  it('at every sampled instant of a year with DST changes, 12h rotations, business hours and overrides', () => {
    const s = scheduleSchema.parse({
      timeZone: 'Europe/Berlin',
      layers: [
        { name: 'round-the-clock', users: ['a', 'b', 'c'], rotation: '12h', handoff: '08:00', start: '2024-01-01' },
        { name: 'office', users: ['d', 'e'], rotation: 'weekly', start: '2024-01-01', restrict: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:30' } },
      ],
      overrides: Array.from({ length: 30 }, (_, i) => ({ user: 'f', from: new Date(Date.UTC(2024, 0, 3 + i * 12, 15)).toISOString(), to: new Date(Date.UTC(2024, 0, 3 + i * 12, 17, 45)).toISOString() })),
    });
    const year = shifts(s, at('2024-01-01T00:00:00Z'), at('2025-01-01T00:00:00Z'));
    for (let i = 1; i < year.length; i++) expect(year[i].shiftStart.getTime()).toBeGreaterThanOrEqual(year[i - 1].shiftEnd.getTime());
    for (let t = Date.parse('2024-01-01T07:00:00Z'); t < Date.parse('2024-12-31T00:00:00Z'); t += 7_777_777) {
      expect(onCallAt(s, new Date(t))).toEqual(year.find((x) => x.shiftStart.getTime() <= t && t < x.shiftEnd.getTime()));
    }
  });
});
