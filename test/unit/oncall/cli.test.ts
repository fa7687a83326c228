import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oncall } from '../../../src/cli/commands/oncall';

const TENANTS = `
tenants:
  acme:
    users:
      alice: { name: Alice Smith, email: alice@example.com }
      bob: { name: Bob Jones }
      carol: { name: Carol Wu }
    schedules:
      primary:
        timeZone: America/New_York
        layers:
          - name: weekly
            users: [alice, bob, carol]
            rotation: weekly
            handoff: "09:00"
            start: "2024-03-04"
        overrides:
          - { user: carol, from: "2024-03-13T12:00", to: "2024-03-13T14:00" }
`;

// The whole tenant is validated, as the server will: one broken schedule blocks them all.
const BROKEN = `
tenants:
  acme:
    users: { alice: { name: Alice } }
    schedules:
      primary: { timeZone: UTC, layers: [{ users: [alice], rotation: daily, start: "2024-03-04" }] }
      broken:
        timeZone: Mars/Olympus_Mons
        layers: [{ users: [alice, zoe], rotation: daily, start: "2024-03-04" }]
`;

describe('klaxon oncall', () => {
  let dir: string;
  let file: string;
  let out: string;
  let err: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'klaxon-oncall-'));
    file = join(dir, 'tenants.yaml');
    writeFileSync(file, TENANTS);
    writeFileSync(join(dir, 'broken.yaml'), BROKEN);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    out = '';
    err = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  });
  afterEach(() => jest.restoreAllMocks());

  it('prints who is on call at --at, with since, until and layer', async () => {
    expect(await oncall(['acme', 'primary', '--config', file, '--at', '2024-03-12T10:00'])).toBe(0);
    expect(out).toContain('on call: bob (Bob Jones)');
    expect(out).toContain('since  2024-03-11 09:00 EDT  (2024-03-11T13:00:00.000Z)');
    expect(out).toContain('until  2024-03-13 12:00 EDT  (2024-03-13T16:00:00.000Z)'); // the override cuts the shift
    expect(out).toContain('layer  weekly');
  });

  it('--at with an offset is an exact instant; an override shows as such', async () => {
    expect(await oncall(['acme', 'primary', '--at', '2024-03-13T16:30:00Z', '--config', file])).toBe(0);
    expect(out).toContain('on call: carol (Carol Wu)');
    expect(out).toContain('layer  override');
  });

  it('--next N lists the shifts after the current one', async () => {
    expect(await oncall(['acme', 'primary', '--config', file, '--at', '2024-03-12T10:00', '--next', '3'])).toBe(0);
    expect(out.split('\n').filter((l) => l.includes('→'))).toEqual([
      '  2024-03-13 12:00 EDT → 2024-03-13 14:00 EDT  carol (Carol Wu)  override',
      '  2024-03-13 14:00 EDT → 2024-03-18 09:00 EDT  bob (Bob Jones)  weekly',
      '  2024-03-18 09:00 EDT → 2024-03-25 09:00 EDT  carol (Carol Wu)  weekly',
    ]);
  });

  it('reads KLAXON_CONFIG when there is no --config', async () => {
    process.env.KLAXON_CONFIG = file;
    try {
      expect(await oncall(['acme', 'primary', '--at', '2024-03-05T10:00'])).toBe(0);
    } finally {
      delete process.env.KLAXON_CONFIG;
    }
    expect(out).toContain('on call: alice (Alice Smith)');
  });

  it('an unknown tenant or schedule exits 1 naming it', async () => {
    expect(await oncall(['nope', 'primary', '--config', file])).toBe(1);
    expect(err).toContain('unknown tenant "nope" (tenants: acme)');
    expect(await oncall(['acme', 'secondary', '--config', file])).toBe(1);
    expect(err).toContain('tenant "acme" has no schedule "secondary" (schedules: primary)');
  });

  it('an invalid schedule exits 1 with the path of the problem', async () => {
    expect(await oncall(['acme', 'primary', '--config', join(dir, 'broken.yaml')])).toBe(1);
    expect(err).toContain('tenants.acme.schedules.broken.timeZone: unknown time zone "Mars/Olympus_Mons"');
  });

  it('unknown users are reported after the schema passes', async () => {
    writeFileSync(join(dir, 'zoe.yaml'), BROKEN.replace('Mars/Olympus_Mons', 'UTC'));
    expect(await oncall(['acme', 'primary', '--config', join(dir, 'zoe.yaml')])).toBe(1);
    expect(err).toContain('tenants.acme.schedules.broken.layers.0.users.1: unknown user "zoe"');
  });

  it('bad arguments exit 2 with the usage', async () => {
    expect(await oncall(['acme'])).toBe(2);
    expect(await oncall(['acme', 'primary', '--config', file, '--at', 'yesterday'])).toBe(2);
    expect(err).toContain('--at: "yesterday" is not an ISO date-time');
  });
});
