import { matches, parseMatcher } from '../../src/routing/matchers';
import { maintenanceHold } from '../../src/routing/hold';
import { inhibitionHold } from '../../src/routing/inhibition';
import { parseConfig } from '../../src/config/load';

describe('label matchers (Alertmanager syntax)', () => {
  test.each([
    ['severity="critical"', { severity: 'critical' }, true],
    ['severity="critical"', { severity: 'warning' }, false],
    ['severity!="critical"', {}, true],
    ['service=~"api|web"', { service: 'web' }, true],
    ['service=~"api|web"', { service: 'webapp' }, false],
    ['service!~"api.*"', { service: 'db' }, true],
    ['env=""', {}, true],
    ['team=ops', { team: 'ops' }, true],
    ['msg="say \\"hi\\""', { msg: 'say "hi"' }, true],
  ])('%s against %j → %s', (text, labels, expected) => {
    expect(matches(parseMatcher(text), labels as Record<string, string>)).toBe(expected);
  });

  test('bad matchers say what is wrong', () => {
    expect(() => parseMatcher('severity')).toThrow(/not a matcher/);
    expect(() => parseMatcher('a=~"("')).toThrow(/bad regex/);
  });
});

describe('holds', () => {
  const r = parseConfig(
    `
tenants:
  t:
    webhook: { token: "\${X}" }
    api: { token: "\${X}" }
    escalationPolicies: { p: { steps: [{ wait: 1m }] } }
    defaultPolicy: p
    maintenanceWindows:
      - { name: upgrade, matchers: ['service="db"'], from: "2026-01-01T00:00:00Z", to: "2026-01-01T02:00:00Z" }
`,
    { X: 'x' },
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const t = r.config.tenants.t;

  test('maintenance windows hold matching incidents only inside the window', () => {
    expect(maintenanceHold(t, { service: 'db' }, new Date('2026-01-01T01:00:00Z'))?.detail).toBe('upgrade');
    expect(maintenanceHold(t, { service: 'db' }, new Date('2026-01-01T02:00:00Z'))).toBeUndefined();
    expect(maintenanceHold(t, { service: 'api' }, new Date('2026-01-01T01:00:00Z'))).toBeUndefined();
  });

  test('default inhibition: critical mutes warning of the same alertname and service, never itself', () => {
    const at = new Date();
    const crit = { id: 'c', labels: { alertname: 'Lat', service: 's', severity: 'critical' } };
    const warn = { id: 'w', labels: { alertname: 'Lat', service: 's', severity: 'warning' } };
    const other = { id: 'o', labels: { alertname: 'Lat', service: 'x', severity: 'warning' } };
    expect(inhibitionHold(t, warn, [crit, warn], at)?.detail).toBe('by incident c');
    expect(inhibitionHold(t, other, [crit, other], at)).toBeUndefined();
    expect(inhibitionHold(t, crit, [crit, warn], at)).toBeUndefined();
  });
});
