import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { freePort } from '../../src/temporal/devServer';
import type { Klaxon } from '../../src/runtime';
import { eventually, installRuntime, postAlert, startTestKlaxon, tenantYaml, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import { startPrometheus } from '../support/prometheus';
import { checkExpressions } from '../support/promtool';
import { dashboardQueries, metricNames, RULES_FILE, ruleExpressions, withVariables } from '../support/dashboard';

/**
 * Queries that need an event this test does not cause. Keep it short: every entry is a panel an
 * operator may see empty.
 */
const NEEDS_OTHER_EVENTS: Record<string, string> = {
  // A score needs a trained model (test/integration/anomaly-retrain.test.ts trains one; minutes here).
  klaxon_anomaly_score_bucket: 'a trained anomaly model',
  klaxon_model_retrains_total: 'a retrain',
  // Appears with the first failed workflow task (non-determinism, a bug): nothing to provoke here.
  temporal_workflow_task_execution_failed_total: 'a failed workflow task',
};

const skipReason = (expr: string) => metricNames(expr).map((m) => NEEDS_OTHER_EVENTS[m]).find(Boolean);

describe('the Grafana dashboard and the alert rules against a real Prometheus scraping Klaxon', () => {
  let klaxon: Klaxon;
  let prometheus: Awaited<ReturnType<typeof startPrometheus>>;
  let ok: Awaited<ReturnType<typeof startReceiver>>;
  let broken: Awaited<ReturnType<typeof startReceiver>>;
  const tenant = uniqueTenant('dash');
  const vars = { tenant, job: '.+', __rate_interval: '1m', __interval: '15s', __range: '1h' };

  const promQuery = async (expr: string) => {
    const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data!.result;
  };
  const api = (path: string, body?: unknown) =>
    fetch(`${klaxon.url}${path}`, { method: body ? 'POST' : 'GET', headers: { authorization: 'Bearer api', ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });

  beforeAll(async () => {
    // The SDK's worker metrics, appended to Klaxon's /metrics as in production.
    installRuntime({ temporalMetricsAddress: `127.0.0.1:${await freePort()}` });
    ok = await startReceiver();
    broken = await startReceiver(() => ({ status: 500, body: 'vendor down' }));
    klaxon = await startTestKlaxon(
      tenantYaml(
        tenant,
        `    receivers:
      ops: { type: webhook, url: "\${OK}" }
      flaky: { type: webhook, url: "\${BROKEN}", circuitBreaker: { failures: 2, cooldown: 10m } }
    escalationPolicies:
      p: { steps: [{ notify: { receivers: [ops] } }] }
      down: { steps: [{ notify: { receivers: [flaky] } }] }
    routes:
      - { matchers: ['service="legacy"'], policy: down }
    defaultPolicy: p
    runbooks: { http: { allowHosts: ["127.0.0.1"] } }
    # Every incident not acknowledged within 2 s breaches: klaxon_sla_breaches_total has data.
    sla: { ackWithin: 2s }
`,
      ),
      { HOOK: 'hook', API: 'api', OK: `${ok.url}/ops`, BROKEN: `${broken.url}/hook` },
    );
    prometheus = await startPrometheus({ targets: [new URL(klaxon.url).host] });
  }, 90_000);
  afterAll(async () => {
    await klaxon?.stop();
    await prometheus?.stop();
    await ok?.close();
    await broken?.close();
  });

  test('every dashboard query and rule expression parses (promtool)', () => {
    const exprs = [...dashboardQueries().map((q) => withVariables(q.expr, vars)), ...ruleExpressions(readFileSync(RULES_FILE, 'utf8'), parse).map((r) => r.expr)];
    expect(exprs.length).toBeGreaterThan(30);
    const r = checkExpressions(exprs);
    expect({ status: r.status, output: r.output }).toEqual({ status: 0, output: expect.stringContaining(`SUCCESS: ${exprs.length} rules found`) });
  });

  test('after alerts, an ack, resolves, a failing vendor and a runbook run, every dashboard query returns data', async () => {
    const run = Date.now();
    const acked = await postAlert(klaxon.url, tenant, { groupKey: `a-${run}`, labels: { alertname: 'DiskFull', severity: 'critical', service: 'db' }, fingerprint: 'a' });
    const resolvedByPerson = await postAlert(klaxon.url, tenant, { groupKey: `b-${run}`, labels: { alertname: 'HighLatency', severity: 'warning', service: 'api' }, fingerprint: 'b' });
    await postAlert(klaxon.url, tenant, { groupKey: `c-${run}`, labels: { alertname: 'Flapping', severity: 'warning', service: 'web' }, fingerprint: 'c' });
    await postAlert(klaxon.url, tenant, { groupKey: `d-${run}`, labels: { alertname: 'OldThing', severity: 'critical', service: 'legacy' }, fingerprint: 'd' });
    await postAlert(klaxon.url, tenant, { groupKey: `e-${run}`, labels: { alertname: 'RunbookProbe', severity: 'warning', service: 'probe', probe: `${ok.url}/probe`, pause: '1s' }, fingerprint: 'e' });

    // Paged first, so the ack and the resolve are answered by the running workflow.
    await eventually(async () => ok.received.filter((r) => r.path === '/ops').length >= 3, 30_000, 'the first pages');
    expect((await api(`/api/v1/incidents/${acked.incidentId}/ack`, { note: 'on it' })).status).toBe(200);
    expect((await api(`/api/v1/incidents/${resolvedByPerson.incidentId}/resolve`, {})).status).toBe(200);
    await postAlert(klaxon.url, tenant, { groupKey: `c-${run}`, labels: { alertname: 'Flapping', severity: 'warning', service: 'web' }, fingerprint: 'c', status: 'resolved' });
    // The failing vendor: its circuit opens after two failed tries.
    await eventually(async () => broken.received.length >= 2, 30_000, 'two tries at the failing vendor');

    const queries = dashboardQueries().map((q) => ({ ...q, expr: withVariables(q.expr, vars) }));
    const skipped = queries.filter((q) => skipReason(q.expr));
    const checked = queries.filter((q) => !skipReason(q.expr));
    expect(skipped.length).toBeLessThanOrEqual(4);
    // Polled until each has data (Prometheus scrapes every second), then the ones still empty are named.
    let empty: string[] = [];
    for (const until = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 1000))) {
      const results = await Promise.all(checked.map(async (q) => ({ q, n: (await promQuery(q.expr)).length })));
      empty = results.filter((r) => r.n === 0).map((r) => `${r.q.panel}: ${r.q.expr}`);
      if (empty.length === 0 || Date.now() > until) break;
    }
    expect(empty).toEqual([]);

    // What the queries show is what happened to this tenant.
    const open = await promQuery(`sum by (status) (klaxon_incidents_open{tenant="${tenant}"})`);
    const byStatus = Object.fromEntries((open as Array<{ metric: { status: string }; value: [number, string] }>).map((r) => [r.metric.status, Number(r.value[1])]));
    expect(byStatus.acknowledged).toBe(1);
    const circuit = await promQuery(`klaxon_receiver_circuit_state{tenant="${tenant}", receiver="flaky", state="open"} == 1`);
    expect(circuit).toHaveLength(1);
    const acks = await promQuery(`sum(klaxon_time_to_ack_seconds_count{tenant="${tenant}", tier="standard"})`);
    expect(Number((acks[0] as { value: [number, string] }).value[1])).toBe(1);
  }, 150_000);

  test('every metric the alert rules read is exported by a running Klaxon (but those that need another event)', async () => {
    const names = [...new Set(ruleExpressions(readFileSync(RULES_FILE, 'utf8'), parse).flatMap((r) => metricNames(r.expr)))];
    expect(names).toEqual(expect.arrayContaining(['up', 'klaxon_notifications_total', 'klaxon_receiver_circuit_state', 'temporal_num_pollers']));
    const absent: string[] = [];
    for (const name of names.filter((n) => !NEEDS_OTHER_EVENTS[n])) if ((await promQuery(`count({__name__="${name}"})`)).length === 0) absent.push(name);
    expect(absent).toEqual([]);
  });
});
