import { alertPayload, eventually, startTestKlaxon, tenantYaml, testConfig, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import type { Klaxon } from '../../src/runtime';
import { heartbeatStateQuery, heartbeatWorkflowId } from '../../workflows/heartbeatDefinitions';

/**
 * Heartbeats at the edge (issue #12), real dev server and HTTP: configured heartbeats watch from
 * the start, a check-in by POST /heartbeat and Alertmanager's Watchdog through the webhook beat
 * them (the Watchdog opens no incident), and a heartbeat removed from the config is retired.
 */
describe('heartbeats at the edge', () => {
  let klaxon: Klaxon;
  let ops: Awaited<ReturnType<typeof startReceiver>>;
  const tenant = uniqueTenant('hbe');
  const yaml = (heartbeats: string) =>
    tenantYaml(
      tenant,
      `    receivers:
      ops: { type: webhook, url: "\${URL}" }
    escalationPolicies:
      p: { steps: [{ notify: { receivers: [ops] } }] }
    defaultPolicy: p
    heartbeats:
${heartbeats}`,
    );
  const both = `      watchdog: { interval: 1h, matchers: ['alertname="Watchdog"'] }
      backup: { interval: 1d, grace: 2h }
`;
  const secrets = () => ({ HOOK: 'hook', API: 'api', URL: ops.url });

  beforeAll(async () => {
    ops = await startReceiver();
    klaxon = await startTestKlaxon(yaml(both), secrets());
  });
  afterAll(async () => {
    await klaxon?.stop();
    await ops?.close();
  });

  const state = (name: string) => klaxon.client.workflow.getHandle(heartbeatWorkflowId(tenant, name)).query(heartbeatStateQuery);
  const post = (path: string, token = 'hook', body?: unknown) =>
    fetch(`${klaxon.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });

  test('every configured heartbeat watches from the start, before any beat', async () => {
    expect(await state('watchdog')).toMatchObject({ beats: 0, missing: false, settings: { intervalMs: 3_600_000, graceMs: 60_000 } });
    const backup = await state('backup');
    expect(backup).toMatchObject({ beats: 0, settings: { intervalMs: 86_400_000, graceMs: 7_200_000 } });
    // Due a day and two hours after it started watching.
    expect(Date.parse(backup.dueBy!) - Date.now()).toBeGreaterThan(25 * 3_600_000);
  });

  test("Alertmanager's Watchdog beats its heartbeat and opens no incident; the alerts beside it do", async () => {
    const watchdog = alertPayload({ groupKey: '{}:{}', labels: { alertname: 'Watchdog', severity: 'none' }, fingerprint: 'wd' });
    const disk = alertPayload({ groupKey: '{}:{}', labels: { alertname: 'DiskFull', service: 'db' }, fingerprint: 'disk' }).alerts[0];
    const res = await post(`/webhook/${tenant}`, 'hook', { ...watchdog, alerts: [...watchdog.alerts, disk] });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { heartbeats: string[]; incidents: Array<{ incidentId: string }> };
    expect(body.heartbeats).toEqual(['watchdog']);
    expect(body.incidents).toHaveLength(1);
    await eventually(async () => (await state('watchdog')).beats === 1, 10_000, 'the beat');
    expect((await state('watchdog')).lastSource).toBe('webhook:Watchdog');
    const page = await eventually(async () => ops.messages().find((m) => m.incident.id === body.incidents[0].incidentId), 20_000, 'the page');
    expect(page.incident.alerts.map((a: { labels: { alertname: string } }) => a.labels.alertname)).toEqual(['DiskFull']);

    // The Watchdog alone: a beat, nothing to ingest.
    const alone = (await (await post(`/webhook/${tenant}`, 'hook', watchdog)).json()) as { heartbeats: string[]; incidents: unknown[] };
    expect(alone).toMatchObject({ heartbeats: ['watchdog'], incidents: [] });
    await eventually(async () => (await state('watchdog')).beats === 2, 10_000, 'the second beat');
  }, 60_000);

  test('POST /heartbeat/<tenant>/<name> checks in with the webhook token; a bad token, an unknown tenant or heartbeat are refused', async () => {
    expect((await post(`/heartbeat/${tenant}/backup`)).status).toBe(202);
    await eventually(async () => (await state('backup')).beats === 1, 10_000, 'the beat');
    expect((await state('backup')).lastSource).toBe('http');
    expect((await post(`/heartbeat/${tenant}/backup`, 'wrong')).status).toBe(401);
    // Unknown tenant and bad token answer alike: no tenant enumeration.
    expect((await post(`/heartbeat/no-such-tenant/backup`)).status).toBe(401);
    const unknown = await post(`/heartbeat/${tenant}/nightly`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toMatch(/no heartbeat "nightly"/);
  });

  test('a heartbeat removed from the config is retired; a changed interval takes effect', async () => {
    klaxon.config.replace(testConfig(yaml(`      watchdog: { interval: 30m, matchers: ['alertname="Watchdog"'] }\n`), secrets()));
    const synced = await klaxon.heartbeats.sync(klaxon.config.config);
    expect(synced.retired).toEqual([heartbeatWorkflowId(tenant, 'backup')]);
    const backup = klaxon.client.workflow.getHandle(heartbeatWorkflowId(tenant, 'backup'));
    await eventually(async () => (await backup.describe()).status.name === 'COMPLETED', 10_000, 'the retired heartbeat ends');
    await eventually(async () => (await state('watchdog')).settings.intervalMs === 1_800_000, 10_000, 'the new interval');
    expect((await state('watchdog')).beats).toBe(2);
  }, 30_000);
});
