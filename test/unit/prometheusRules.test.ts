import { join } from 'node:path';
import { checkExpressions, promtool } from '../support/promtool';

const dir = join(__dirname, '..', '..', 'deploy', 'prometheus');

describe("Prometheus rules for Klaxon itself", () => {
  test('promtool check rules accepts the rules file', () => {
    const r = promtool(['check', 'rules', join(dir, 'klaxon-rules.yml')]);
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.status).toBe(0);
  });

  test('the alerts fire when they should and stay quiet when they should not (promtool test rules)', () => {
    const r = promtool(['test', 'rules', 'klaxon-rules.test.yml'], dir);
    expect({ status: r.status, output: r.output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  test('the expression check names an expression that does not parse', () => {
    // The dashboard test relies on this helper: it must fail on a broken query, not pass everything.
    const r = checkExpressions(['sum(rate(klaxon_alerts_received_total[5m]))', 'sum by (tenant (klaxon_incidents_open)']);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/expr_1|parse error/);
    expect(checkExpressions(['sum(rate(klaxon_alerts_received_total[5m]))']).status).toBe(0);
  });
});
