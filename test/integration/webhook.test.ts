import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { startTestKlaxon, eventually, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import type { Klaxon } from '../../src/runtime';
import { incidentWorkflowId } from '../../src/incident/ids';
import { stateQuery } from '../../workflows/definitions';

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'alertmanager', name), 'utf8'));
const firing = fixture('firing-group.json');
const resolved = fixture('resolved-group.json');

function yaml(tenants: string[]) {
  return `
server:
  bodyLimitBytes: 65536
tenants:
${tenants
  .map(
    (t) => `
  ${t}:
    webhook: { token: "\${HOOK_TOKEN_${t.replace(/-/g, '_')}}" }
    api: { token: "\${API_TOKEN_${t.replace(/-/g, '_')}}" }
    receivers:
      hook:
        type: webhook
        url: \${RECEIVER_URL}
        secret: \${RECEIVER_SECRET}
    escalationPolicies:
      standard:
        steps:
          - notify: { receivers: [hook] }
    defaultPolicy: standard
`,
  )
  .join('')}`;
}

describe('Alertmanager webhook → incident workflow', () => {
  let klaxon: Klaxon;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const a = uniqueTenant('acme');
  const b = uniqueTenant('globex');
  const secrets: Record<string, string> = {};
  const hookToken = (t: string) => secrets[`HOOK_TOKEN_${t.replace(/-/g, '_')}`];
  const apiToken = (t: string) => secrets[`API_TOKEN_${t.replace(/-/g, '_')}`];

  beforeAll(async () => {
    receiver = await startReceiver();
    for (const t of [a, b]) {
      secrets[`HOOK_TOKEN_${t.replace(/-/g, '_')}`] = `hook-${t}-token`;
      secrets[`API_TOKEN_${t.replace(/-/g, '_')}`] = `api-${t}-token`;
    }
    secrets.RECEIVER_URL = `${receiver.url}/hooks/klaxon`;
    secrets.RECEIVER_SECRET = 'shh-signing-key';
    klaxon = await startTestKlaxon(yaml([a, b]), secrets);
  });
  afterAll(async () => {
    await klaxon?.stop();
    await receiver?.close();
  });

  const post = (tenant: string, body: unknown, token = hookToken(tenant), extra: Record<string, string> = {}) =>
    fetch(`${klaxon.url}/webhook/${tenant}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  const withGroup = (payload: typeof firing, groupKey: string) => ({ ...payload, groupKey });

  test('a captured payload creates exactly one workflow with the search attributes set', async () => {
    // Alertmanager's max_alerts left 3 alerts out of this group: the incident says so.
    const payload = { ...withGroup(firing, `{}:{alertname="HighLatency", run="${Date.now()}"}`), truncatedAlerts: 3 };
    const res = await post(a, payload);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { incidents: Array<{ incidentId: string; workflowId: string; outcome: string }> };
    expect(body.incidents).toHaveLength(1);
    expect(body.incidents[0].outcome).toBe('started');
    expect(body.incidents[0].workflowId).toBe(incidentWorkflowId(a, payload.groupKey));

    const found = await eventually(async () => {
      const list = [];
      for await (const wf of klaxon.client.workflow.list({ query: `KlaxonTenant = "${a}" AND KlaxonAlertName = "HighLatency"` })) list.push(wf);
      return list.length > 0 ? list : undefined;
    }, 20_000, 'visibility');
    expect(found).toHaveLength(1);
    const sa = found[0].typedSearchAttributes;
    const get = (name: string) => sa.getAll().find((p) => p.key.name === name)?.value;
    expect(get('KlaxonTenant')).toBe(a);
    expect(get('KlaxonAlertName')).toBe('HighLatency');
    expect(get('KlaxonService')).toBe('checkout');
    expect(get('KlaxonSeverity')).toBe('critical');
    expect(get('KlaxonStatus')).toBe('firing');

    const state = await klaxon.client.workflow.getHandle(body.incidents[0].workflowId).query(stateQuery);
    expect(state.timeline.find((e) => e.kind === 'opened')?.details).toMatchObject({ alerts: 2, severity: 'critical', truncatedAlerts: 3 });
    expect(state.tenant).toBe(a);
    expect(state.status).toBe('firing');
    expect(state.alerts.map((x) => x.fingerprint).sort()).toEqual(firing.alerts.map((x: { fingerprint: string }) => x.fingerprint).sort());
    expect(state.timeline.map((e) => e.kind)).toContain('opened');
  });

  test('the same payload posted 5 times yields one workflow and one signed notification; resolving completes it', async () => {
    const groupKey = `{}:{alertname="HighLatency", run="dedup-${Date.now()}"}`;
    const payload = withGroup(firing, groupKey);
    const before = receiver.received.length;
    const outcomes: string[] = [];
    let incidentId = '';
    for (let i = 0; i < 5; i++) {
      const res = await post(a, payload);
      expect(res.status).toBe(202);
      const body = (await res.json()) as { incidents: Array<{ incidentId: string; outcome: string }> };
      outcomes.push(body.incidents[0].outcome);
      incidentId ||= body.incidents[0].incidentId;
      expect(body.incidents[0].incidentId).toBe(incidentId);
    }
    expect(outcomes).toEqual(['started', 'unchanged', 'unchanged', 'unchanged', 'unchanged']);

    const mine = () => receiver.received.slice(before).filter((r) => JSON.parse(r.body).incident.id === incidentId);
    await eventually(async () => mine().length >= 1, 15_000, 'the firing notification');
    await new Promise((r) => setTimeout(r, 1000));
    expect(mine()).toHaveLength(1);

    const msg = mine()[0];
    const expected = 'sha256=' + createHmac('sha256', 'shh-signing-key').update(msg.body).digest('hex');
    expect(msg.headers['x-klaxon-signature']).toBe(expected);
    expect(msg.path).toBe('/hooks/klaxon');
    const sent = JSON.parse(msg.body);
    expect(sent.kind).toBe('firing');
    expect(sent.text).toContain('HighLatency');
    expect(sent.incident.alerts).toHaveLength(2);

    const handle = klaxon.client.workflow.getHandle(incidentWorkflowId(a, groupKey));
    const res = await post(a, withGroup(resolved, groupKey));
    expect(res.status).toBe(202);
    await handle.result();
    await eventually(async () => mine().some((r) => JSON.parse(r.body).kind === 'resolved'), 10_000, 'the resolved notification');
    expect(mine().map((r) => JSON.parse(r.body).kind)).toEqual(['firing', 'resolved']);

    // The audit trail has every step, readable through the API.
    // The resolve notice's outcome is written by the notices workflow, just after the incident's run ends.
    const { incident, timeline } = await eventually(async () => {
      const api = await fetch(`${klaxon.url}/api/v1/incidents/${incidentId}`, { headers: { authorization: `Bearer ${apiToken(a)}` } });
      const body = (await api.json()) as { incident: { status: string }; timeline: Array<{ kind: string; details: Record<string, unknown> }> };
      return api.status === 200 && body.timeline.length >= 7 ? body : undefined;
    }, 10_000, 'the whole audit trail');
    expect(incident.status).toBe('resolved');
    expect(timeline.map((e) => e.kind)).toEqual(['opened', 'classified', 'policy.selected', 'notified', 'alerts.updated', 'resolved', 'notified']);
    // A new tenant has no model yet: shadow mode says so and pages on the declared severity.
    expect(timeline[1].details).toMatchObject({ mode: 'shadow', declared: 'critical', effective: 'critical', hold: false });
    expect(String(timeline[1].details.reason)).toMatch(/model off: \d+ of 200 training rows/);

    // Firing again after resolution is a new incident (a fresh run of the same workflow id).
    const again = await post(a, payload);
    const body = (await again.json()) as { incidents: Array<{ incidentId: string; outcome: string }> };
    expect(body.incidents[0].outcome).toBe('started');
    expect(body.incidents[0].incidentId).not.toBe(incidentId);
  });

  test('a resolved payload for a group with no open incident opens nothing', async () => {
    const res = await post(a, withGroup(resolved, `{}:{never-fired="${Date.now()}"}`));
    expect(res.status).toBe(202);
    const body = (await res.json()) as { incidents: Array<{ outcome: string }> };
    expect(body.incidents[0].outcome).toBe('no-incident');
  });

  test('auth: 401 without or with a wrong token or for an unknown tenant, and no cross-tenant reads', async () => {
    expect((await post(a, firing, '')).status).toBe(401);
    expect((await post(a, firing, hookToken(b))).status).toBe(401);
    // An unknown tenant answers as a bad token does: no tenant enumeration.
    const unknown = await post('nosuchtenant', firing, 'whatever');
    expect(unknown.status).toBe(401);
    expect(JSON.stringify(await unknown.json())).not.toMatch(new RegExp(`${a}|${b}`));

    const res = await post(b, withGroup(firing, `{}:{b="${Date.now()}"}`));
    const { incidents } = (await res.json()) as { incidents: Array<{ incidentId: string }> };
    const idB = incidents[0].incidentId;
    await eventually(async () => (await fetch(`${klaxon.url}/api/v1/incidents/${idB}`, { headers: { authorization: `Bearer ${apiToken(b)}` } })).status === 200, 10_000, 'audit row');
    expect((await fetch(`${klaxon.url}/api/v1/incidents/${idB}`, { headers: { authorization: `Bearer ${apiToken(a)}` } })).status).toBe(404);
    expect((await fetch(`${klaxon.url}/api/v1/incidents/${idB}`)).status).toBe(401);
    expect((await fetch(`${klaxon.url}/api/v1/incidents?tenant=${b}`, { headers: { authorization: `Bearer ${apiToken(a)}` } })).status).toBe(403);
    const listA = (await (await fetch(`${klaxon.url}/api/v1/incidents`, { headers: { authorization: `Bearer ${apiToken(a)}` } })).json()) as { incidents: Array<{ tenant: string }> };
    expect(listA.incidents.every((i) => i.tenant === a)).toBe(true);
    // A webhook token is not an API token.
    expect((await fetch(`${klaxon.url}/api/v1/incidents`, { headers: { authorization: `Bearer ${hookToken(b)}` } })).status).toBe(401);
  });

  test('400 lists every failing field path; 413 over the body limit; the process keeps serving', async () => {
    const bad = { ...firing, version: '3', alerts: [{ ...firing.alerts[0], startsAt: 'yesterday', fingerprint: '' }, { status: 'burning' }] };
    const res = await post(a, bad);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: Array<{ path: string; message: string }> };
    const paths = body.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['version', 'alerts.0.startsAt', 'alerts.0.fingerprint', 'alerts.1.status', 'alerts.1.labels']));

    const notJson = await post(a, '{"receiver": ');
    expect(notJson.status).toBe(400);

    const big = { ...firing, commonAnnotations: { description: 'x'.repeat(70_000) } };
    const tooBig = await post(a, big);
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { message: string }).message).toMatch(/65536/);

    const ok = await post(a, withGroup(firing, `{}:{after-errors="${Date.now()}"}`));
    expect(ok.status).toBe(202);
  });

  test('health, readiness and metrics', async () => {
    expect((await fetch(`${klaxon.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${klaxon.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { temporal: 'ok', postgres: 'ok' } });
    const metrics = await (await fetch(`${klaxon.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`klaxon_alerts_received_total\\{tenant="${a}",status="firing"\\} \\d+`));
    expect(metrics).toMatch(/klaxon_webhook_duration_seconds_bucket/);
    expect(metrics).toMatch(new RegExp(`klaxon_incidents_started_total\\{tenant="${a}"\\} \\d+`));
    expect(metrics).toMatch(/process_cpu_user_seconds_total/);
    // Secrets never show up in metrics.
    expect(metrics).not.toContain(hookToken(a));
  });
});
