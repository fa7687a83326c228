import { existsSync } from 'node:fs';
import { startTestKlaxon, eventually, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import { startAlertmanager, ALERTMANAGER_BIN, AMTOOL_BIN } from '../support/alertmanager';
import type { Klaxon } from '../../src/runtime';

const haveAlertmanager = existsSync(ALERTMANAGER_BIN) && existsSync(AMTOOL_BIN);
if (!haveAlertmanager && process.env.CI) throw new Error(`CI needs Debian's prometheus-alertmanager (${ALERTMANAGER_BIN}, ${AMTOOL_BIN})`);
// Developers without Debian's prometheus-alertmanager get a visible notice instead of a failure.
const maybe = haveAlertmanager ? describe : describe.skip;
if (!haveAlertmanager) console.warn(`skipping the real-Alertmanager test: install prometheus-alertmanager (apt) to run it`);

maybe('a real Alertmanager → Klaxon → webhook receiver', () => {
  let klaxon: Klaxon;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let am: Awaited<ReturnType<typeof startAlertmanager>>;
  const tenant = uniqueTenant('am');

  beforeAll(async () => {
    receiver = await startReceiver();
    klaxon = await startTestKlaxon(
      `
tenants:
  ${tenant}:
    webhook: { token: "\${HOOK}" }
    api: { token: "\${API}" }
    receivers:
      ops: { type: webhook, url: "\${URL}" }
    escalationPolicies:
      standard:
        steps:
          - notify: { receivers: [ops] }
    defaultPolicy: standard
`,
      { HOOK: 'am-hook-token', API: 'am-api-token', URL: `${receiver.url}/ops` },
    );
    am = await startAlertmanager({ webhookUrl: `${klaxon.url}/webhook/${tenant}`, token: 'am-hook-token' });
  });
  afterAll(async () => {
    await am?.stop();
    await klaxon?.stop();
    await receiver?.close();
  });

  test('amtool fires an alert, the receiver is paged once; resolving it resolves the incident', async () => {
    const labels = { alertname: 'DiskFull', service: 'db', severity: 'critical', instance: 'db-1' };
    await am.addAlert(labels, { summary: 'disk 97% full' });
    const firing = await eventually(async () => receiver.received.find((r) => JSON.parse(r.body).kind === 'firing'), 20_000, 'the page');
    const incident = JSON.parse(firing.body).incident as { id: string; severity: string; alerts: Array<{ annotations: Record<string, string> }> };
    expect(incident.severity).toBe('critical');
    expect(incident.alerts[0].annotations.summary).toBe('disk 97% full');

    await am.addAlert(labels, { summary: 'disk 97% full' }, new Date(Date.now() - 1000));
    await eventually(async () => receiver.received.some((r) => JSON.parse(r.body).kind === 'resolved'), 20_000, 'the resolved message');
    const row = await eventually(async () => {
      const r = await fetch(`${klaxon.url}/api/v1/incidents/${incident.id}`, { headers: { authorization: 'Bearer am-api-token' } });
      const body = (await r.json()) as { incident?: { status: string } };
      return body.incident?.status === 'resolved' ? body : undefined;
    }, 10_000, 'resolved in the audit store');
    expect(row.incident!.status).toBe('resolved');
    // Alertmanager re-sent the group while it was firing (group_interval 2s); still one page.
    expect(receiver.received.filter((r) => JSON.parse(r.body).kind === 'firing')).toHaveLength(1);
  });
});
