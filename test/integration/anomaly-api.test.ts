import { startTestKlaxon, uniqueTenant } from '../support/klaxon';
import type { Klaxon } from '../../src/runtime';
import { model } from '../../src/cli/commands/model';
import { retrainScheduleId, syncRetrainSchedules } from '../../src/temporal/schedules';
import { ConfigStore } from '../../src/config/store';
import { insertHistory, syntheticIncidents } from '../unit/anomaly/syntheticHistory';

/**
 * The anomaly side of the real product (shared Temporal dev server, real store): feedback on
 * incidents, the per-tenant retrain schedule, and `klaxon model retrain|list|report` over the API.
 */
describe('anomaly models through the API and CLI', () => {
  let klaxon: Klaxon;
  const tenant = uniqueTenant('anm');
  const other = uniqueTenant('anx');
  const api = (path: string, body?: unknown, token = 'api-token') =>
    fetch(`${klaxon.url}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  const cli = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    process.env.KLAXON_URL = klaxon.url;
    process.env.KLAXON_TOKEN = 'api-token';
    const code = await model(args, { out: (s) => out.push(s), err: (s) => err.push(s), tty: false, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 200))) });
    return { code, out: out.join(''), err: err.join('') };
  };

  beforeAll(async () => {
    const t = (name: string, apiToken: string, anomaly: string) => `
  ${name}:
    webhook: { token: "\${HOOK}" }
    api: { token: "\${${apiToken}}" }
    receivers: { ops: { type: webhook, url: "\${URL}" } }
    escalationPolicies: { p: { steps: [ { notify: { receivers: [ops] } } ] } }
    defaultPolicy: p
    anomaly: ${anomaly}`;
    klaxon = await startTestKlaxon(
      `
tenants:${t(tenant, 'API', '{ mode: shadow, minTrainingRows: 40, retrainCron: "30 4 * * *", timeZone: Europe/Berlin }')}${t(other, 'API2', '{ mode: "off" }')}
`,
      { HOOK: 'hook-token', API: 'api-token', API2: 'api2', URL: 'http://127.0.0.1:9/' },
    );
    await insertHistory(klaxon.db.pool, tenant, syntheticIncidents({ tenant, n: 90, days: 10, seed: 5 }));
    await insertHistory(klaxon.db.pool, other, syntheticIncidents({ tenant: other, n: 2, days: 1, seed: 6 }));
  });
  afterAll(async () => {
    await klaxon?.stop();
  });

  test('feedback on an incident is stored and counts as a label', async () => {
    const before = (await (await api('/api/v1/models')).json()) as { trainingRows: { labelled: number } };
    const id = `${tenant}-syn-0000`;
    // LatencyHigh incidents are unlabelled by their outcome; pick one without feedback.
    const rows = await klaxon.db.pool.query(
      `SELECT i.id FROM incidents i WHERE i.tenant = $1 AND i.alertname = 'LatencyHigh' AND NOT EXISTS (SELECT 1 FROM model_feedback f WHERE f.incident_id = i.id) LIMIT 1`,
      [tenant],
    );
    const unlabelled = rows.rows[0].id as string;
    const res = await api(`/api/v1/incidents/${encodeURIComponent(unlabelled)}/feedback`, { label: 'noise', actor: 'carol', note: 'known flappy check' });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ feedback: { incidentId: unlabelled, label: 'noise', actor: 'api-token', note: 'known flappy check' } });
    const after = (await (await api('/api/v1/models')).json()) as { trainingRows: { labelled: number } };
    expect(after.trainingRows.labelled).toBe(before.trainingRows.labelled + 1);
    expect(id).toBeDefined();
  });

  test('a bad label is refused with the field named', async () => {
    const res = await api(`/api/v1/incidents/${tenant}-syn-0001/feedback`, { label: 'meh' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: Array<{ path: string; message: string }> };
    expect(body.issues.map((i) => i.path)).toEqual(['label']);
  });

  test("another tenant's incident is not found, and an unknown one neither", async () => {
    expect((await api(`/api/v1/incidents/${other}-syn-0000/feedback`, { label: 'noise' })).status).toBe(404);
    expect((await api(`/api/v1/incidents/nope/feedback`, { label: 'noise' })).status).toBe(404);
    expect((await api(`/api/v1/incidents/${tenant}-syn-0000/feedback`, { label: 'noise' }, 'wrong')).status).toBe(401);
  });

  test('each tenant gets a retrain schedule from its config; mode off gets none', async () => {
    const d = await klaxon.client.schedule.getHandle(retrainScheduleId(tenant)).describe();
    expect(d.spec.timezone).toBe('Europe/Berlin');
    expect(d.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 4, end: 4, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] });
    expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'retrainWorkflow', args: [{ tenant, trigger: 'schedule' }] });
    await expect(klaxon.client.schedule.getHandle(retrainScheduleId(other)).describe()).rejects.toThrow();
  });

  test('syncing the schedules again is a no-op until the cron changes', async () => {
    const taskQueue = (await klaxon.client.schedule.getHandle(retrainScheduleId(tenant)).describe()).action;
    const queue = taskQueue.type === 'startWorkflow' ? taskQueue.taskQueue : '';
    const only = (c: ConfigStore['config']) => ({ ...c, tenants: { [tenant]: c.tenants[tenant] } });
    expect(await syncRetrainSchedules(klaxon.client, only(klaxon.config.config), queue)).toMatchObject({ unchanged: [tenant], created: [], updated: [] });
    const changed = only(klaxon.config.config);
    changed.tenants[tenant] = { ...changed.tenants[tenant], anomaly: { ...changed.tenants[tenant].anomaly, retrainCron: '0 5 * * 1' } };
    expect(await syncRetrainSchedules(klaxon.client, changed, queue)).toMatchObject({ updated: [tenant] });
    const d = await klaxon.client.schedule.getHandle(retrainScheduleId(tenant)).describe();
    expect(d.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 5, end: 5, step: 1 }], dayOfWeek: [{ start: 'MONDAY', end: 'MONDAY', step: 1 }] });
    expect(d.spec.timezone).toBe('Europe/Berlin');
    await syncRetrainSchedules(klaxon.client, only(klaxon.config.config), queue);
  });

  test('klaxon model retrain follows the workflow to a promoted model; list and report show it', async () => {
    const r = await cli(['retrain', tenant]);
    expect(r.err).toMatch(/\[#*\.*\]\s+\d+% /);
    expect(r.out).toMatch(/^v1 promoted: ROC AUC [\d.]+; first model \(holdout ROC AUC [\d.]+, \d+ labelled\)\n$/);
    expect(r.code).toBe(0);

    const list = await cli(['list', tenant]);
    expect(list.out).toMatch(new RegExp(`^${tenant}: mode shadow, \\d+ labelled incidents in the window \\(minimum 40\\), active v1\\n`));
    expect(list.out).toMatch(/v1\s+active\s+/);

    const report = await cli(['report', tenant, '--days', '3', '--json']);
    expect(JSON.parse(report.out)).toMatchObject({ days: 3, classified: 0, scored: 0, held: { incidents: 0 } });
  });

  test('a token cannot retrain or read another tenant, and a tenant with mode off has nothing to retrain', async () => {
    expect((await api('/api/v1/models/retrain', { tenant: other })).status).toBe(403);
    expect((await api('/api/v1/models?tenant=' + other)).status).toBe(403);
    expect((await api(`/api/v1/models/retrains/${encodeURIComponent(`retrain/${other}/manual`)}`)).status).toBe(404);
    const off = await api('/api/v1/models/retrain', {}, 'api2');
    expect(off.status).toBe(409);
  });
});
