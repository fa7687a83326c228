import { eventually, startTestKlaxon, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import { verifyTenant } from '../../src/audit/verify';
import type { Klaxon } from '../../src/runtime';
import { ScheduleNotFoundError } from '@temporalio/client';
import { retentionScheduleId } from '../../src/temporal/schedules';

/**
 * Issue #10: a tenant's redaction rules apply before its audit rows are written. An alert whose
 * annotation carries an e-mail address and a bearer token reaches the receiver, which refuses it
 * quoting the annotation (vendors echo what they were sent), and the refusal is audited with the
 * vendor's text; the acknowledgement's note names a person. A tenant without rules, served by the
 * same Klaxon, shows the values do reach incident_events when nothing redacts them.
 */
describe('redaction before the audit trail', () => {
  const secret = { email: 'alice.oncall@example.com', token: 'sk_live_51HxZ9q2eZvKYlo2C0ffee' };
  const privateTenant = uniqueTenant('private');
  const plainTenant = uniqueTenant('plain');
  let klaxon: Klaxon;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    // Refuses for good (400, not retried), quoting the annotation it was sent.
    receiver = await startReceiver((r) => ({ status: 400, body: `refused: ${/contact [^"\\]*/.exec(r.body)?.[0] ?? 'no annotation'}` }));
    const tenant = (name: string, extra: string) =>
      `  ${name}:\n    webhook: { token: "\${HOOK}" }\n    api: { token: "\${API_${name === privateTenant ? 'PRIVATE' : 'PLAIN'}}" }\n    receivers:\n      ops: { type: webhook, url: "\${URL}" }\n    escalationPolicies:\n      p: { steps: [{ notify: { receivers: [ops] } }] }\n    defaultPolicy: p\n${extra}`;
    const yaml = `tenants:\n${tenant(privateTenant, '    privacy: { redact: [email, bearer] }\n    retention: 400d\n')}${tenant(plainTenant, '')}`;
    klaxon = await startTestKlaxon(yaml, { HOOK: 'hook', API_PRIVATE: 'api-private', API_PLAIN: 'api-plain', URL: `${receiver.url}/hook` });
  });
  afterAll(async () => {
    await klaxon?.stop();
    await receiver?.close();
  });

  async function incidentWithPersonalData(tenant: string): Promise<string> {
    const labels = { alertname: 'PaymentsDown', service: 'payments' };
    const res = await fetch(`${klaxon.url}/webhook/${tenant}`, {
      method: 'POST',
      headers: { authorization: 'Bearer hook', 'content-type': 'application/json' },
      body: JSON.stringify({
        version: '4', groupKey: `{}:{pay-${tenant}}`, status: 'firing', receiver: 'klaxon', commonLabels: labels,
        alerts: [{ status: 'firing', labels, fingerprint: 'pay1', startsAt: new Date().toISOString(),
          annotations: { summary: `contact ${secret.email} with Authorization: Bearer ${secret.token}` } }],
      }),
    });
    expect(res.status).toBe(202);
    const id = ((await res.json()) as { incidents: Array<{ incidentId: string }> }).incidents[0].incidentId;
    await eventually(async () => (await events(tenant)).some((e) => e.kind === 'notify.failed'), 20_000, 'the refused page audited');
    const ack = await fetch(`${klaxon.url}/api/v1/incidents/${id}/ack`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant === privateTenant ? 'api-private' : 'api-plain'}`, 'content-type': 'application/json' },
      body: JSON.stringify({ note: `called ${secret.email}` }),
    });
    expect(ack.status).toBe(200);
    await eventually(async () => (await events(tenant)).some((e) => e.kind === 'acknowledged'), 20_000, 'the ack audited');
    return id;
  }
  const events = async (tenant: string) =>
    (await klaxon.db.pool.query<{ kind: string; actor: string; details: Record<string, unknown> }>('SELECT kind, actor, details FROM incident_events WHERE tenant = $1 ORDER BY chain_seq', [tenant])).rows;

  test('without rules the values land in incident_events (the path this test guards)', async () => {
    await incidentWithPersonalData(plainTenant);
    const text = JSON.stringify(await events(plainTenant));
    expect(text).toContain(secret.email);
    expect(text).toContain(secret.token);
  });

  test('with email and bearer rules neither the e-mail address nor the token is stored; placeholders are, and the chain verifies', async () => {
    const id = await incidentWithPersonalData(privateTenant);
    const rows = await events(privateTenant);
    const text = JSON.stringify(rows);
    expect(text).not.toContain(secret.email);
    expect(text).not.toContain(secret.token);
    expect(rows.find((e) => e.kind === 'notify.failed')!.details.error).toContain('refused: contact [email] with Authorization: Bearer [bearer]');
    expect(rows.find((e) => e.kind === 'acknowledged')!.details).toEqual({ note: 'called [email]' });
    const title = (await klaxon.db.pool.query('SELECT title FROM incidents WHERE id = $1', [id])).rows[0].title;
    expect(title).not.toContain(secret.email);
    expect(await verifyTenant(klaxon.db.pool, klaxon.audit.key, privateTenant)).toMatchObject({ ok: true });
  });

  test('a tenant with retention gets a daily retention Schedule that runs on this worker; one without gets none', async () => {
    const schedule = await klaxon.client.schedule.getHandle(retentionScheduleId(privateTenant)).describe();
    expect(schedule.spec.calendars?.length).toBe(1);
    expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'retentionWorkflow', args: [{ tenant: privateTenant }] });
    await expect(klaxon.client.schedule.getHandle(retentionScheduleId(plainTenant)).describe()).rejects.toThrow(ScheduleNotFoundError);
    // Run it now: nothing of this tenant is 400 days old, so nothing goes, and the chain still verifies.
    await klaxon.client.schedule.getHandle(retentionScheduleId(privateTenant)).trigger();
    const run = await eventually(async () => {
      const d = await klaxon.client.schedule.getHandle(retentionScheduleId(privateTenant)).describe();
      return d.info.recentActions[0]?.action.workflow;
    }, 15_000, 'the triggered retention run');
    const result = await klaxon.client.workflow.getHandle(run.workflowId, run.firstExecutionRunId).result();
    expect(result).toMatchObject({ events: 0, incidents: 0 });
    expect(await verifyTenant(klaxon.db.pool, klaxon.audit.key, privateTenant)).toMatchObject({ ok: true });
    await klaxon.client.schedule.getHandle(retentionScheduleId(privateTenant)).delete();
  });
});
