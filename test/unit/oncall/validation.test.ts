import { checkSchedules, scheduleSchema, userSchema } from '../../../src/config/schedules';

const users = {
  alice: userSchema.parse({ name: 'Alice', email: 'alice@example.com', phone: '+14155550100', timeZone: 'America/New_York' }),
  carol: userSchema.parse({ name: 'Carol' }),
};
const layer = (extra: Record<string, unknown> = {}) => ({ users: ['alice'], rotation: 'weekly', start: '2024-03-04', ...extra });

describe('schedule validation', () => {
  it('reports a user a layer names that does not exist, with its path', () => {
    const primary = scheduleSchema.parse({ timeZone: 'Europe/Berlin', layers: [layer({ users: ['alice', 'carol', 'bob'] })] });
    expect(checkSchedules('tenants.acme', users, { primary })).toEqual([
      { path: 'tenants.acme.schedules.primary.layers.0.users.2', message: 'unknown user "bob"' },
    ]);
  });

  it('reports overlapping overrides of one schedule, and an override that ends before it starts', () => {
    const primary = scheduleSchema.parse({
      timeZone: 'Europe/Berlin',
      layers: [layer()],
      overrides: [
        { user: 'alice', from: '2024-03-11T09:00', to: '2024-03-11T18:00' },
        { user: 'carol', from: '2024-03-11T18:00', to: '2024-03-12T09:00' }, // touches, no overlap
        { user: 'carol', from: '2024-03-11T16:00:00Z', to: '2024-03-11T20:00:00Z' }, // 17:00–21:00 local
        { user: 'alice', from: '2024-03-14T10:00', to: '2024-03-14T09:00' },
      ],
    });
    const problems = checkSchedules('tenants.acme', users, { primary });
    expect(problems.map((p) => p.path)).toEqual([
      'tenants.acme.schedules.primary.overrides.3.to',
      'tenants.acme.schedules.primary.overrides.2',
      'tenants.acme.schedules.primary.overrides.2',
    ]);
    expect(problems[1].message).toMatch(/^overlaps overrides\.0 \(alice/);
    expect(problems[2].message).toMatch(/^overlaps overrides\.1 \(carol/);
  });

  it('reports unknown override users and duplicate or reserved layer names', () => {
    const primary = scheduleSchema.parse({
      timeZone: 'UTC',
      layers: [layer({ name: 'base' }), layer({ name: 'base' }), layer({ name: 'override' })],
      overrides: [{ user: 'mallory', from: '2024-03-11T09:00Z', to: '2024-03-11T10:00Z' }],
    });
    expect(checkSchedules('tenants.acme', users, { primary })).toEqual([
      { path: 'tenants.acme.schedules.primary.layers.1.name', message: 'duplicate layer name "base" (also layers.0)' },
      { path: 'tenants.acme.schedules.primary.layers.2.name', message: '"override" is reserved' },
      { path: 'tenants.acme.schedules.primary.overrides.0.user', message: 'unknown user "mallory"' },
    ]);
  });

  it('a valid schedule has no problems', () => {
    const primary = scheduleSchema.parse({ timeZone: 'Europe/Berlin', layers: [layer(), layer({ users: ['carol'] })] });
    expect(checkSchedules('tenants.acme', users, { primary })).toEqual([]);
  });

  it('the schema rejects a zone Intl does not know, at the zone field', () => {
    const r = scheduleSchema.safeParse({ timeZone: 'Europe/Atlantis', layers: [layer()] });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['timeZone', 'unknown time zone "Europe/Atlantis" (use an IANA name like Europe/Berlin)']]);
    expect(userSchema.safeParse({ name: 'Bob', timeZone: 'EST5EDTX' }).error!.issues[0].path).toEqual(['timeZone']);
  });

  it('the schema rejects malformed layers with the field that is wrong', () => {
    const r = scheduleSchema.safeParse({
      timeZone: 'UTC',
      layers: [{ users: [], rotation: '10m', handoff: '9am', start: '2024-02-30', restrict: { days: ['monday'] } }],
      overrides: [{ user: 'alice', from: 'tomorrow', to: '2024-03-11T10:00Z' }],
    });
    expect(r.error!.issues.map((i) => i.path.join('.'))).toEqual([
      'layers.0.users',
      'layers.0.rotation',
      'layers.0.handoff',
      'layers.0.start',
      'layers.0.restrict.days.0',
      'overrides.0.from',
    ]);
  });

  it('rotation accepts daily, weekly and durations, in milliseconds', () => {
    const r = (rotation: string) => scheduleSchema.parse({ timeZone: 'UTC', layers: [layer({ rotation })] }).layers[0].rotation;
    expect([r('daily'), r('weekly'), r('12h'), r('2w')]).toEqual([86_400_000, 604_800_000, 43_200_000, 1_209_600_000]);
  });
});
