import { temporal } from '@temporalio/proto';
import { eventually, opsTenantYaml, postAlert, startTestKlaxon, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import { incidentWorkflowId } from '../../src/incident/ids';
import type { Klaxon } from '../../src/runtime';

const { EventType } = temporal.api.enums.v1;

/**
 * What one incident costs the Temporal server (issue #11): every patch marker also upserts
 * TemporalChangeVersion (a visibility write), so a new run carries one marker for the whole
 * baseline of changes (workflows/patches.ts), not one per change.
 */
describe("an incident's history", () => {
  let klaxon: Klaxon;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const tenant = uniqueTenant('hist');

  beforeAll(async () => {
    receiver = await startReceiver();
    klaxon = await startTestKlaxon(opsTenantYaml(tenant), { HOOK: 'hook', API: 'api', URL: `${receiver.url}/ops` });
  }, 60_000);
  afterAll(async () => {
    await klaxon?.stop();
    await receiver?.close();
  });

  test('a paged and resolved incident records one patch marker and one search-attribute upsert per status', async () => {
    const alert = { groupKey: '{}:{case="history"}', labels: { alertname: 'HistorySize', service: 'api' }, fingerprint: 'hist-1' };
    const { incidentId } = await postAlert(klaxon.url, tenant, alert);
    await eventually(async () => receiver.messages().some((m) => m.incident.id === incidentId && m.kind !== 'resolved'), 20_000, 'the page');
    await postAlert(klaxon.url, tenant, { ...alert, status: 'resolved' });
    const handle = klaxon.client.workflow.getHandle(incidentWorkflowId(tenant, alert.groupKey));
    await handle.result();
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const patches = events.filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes?.markerName === 'core_patch');
    const upserts = events.filter((e) => e.eventType === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
    expect(patches).toHaveLength(1);
    // The patch marker's own TemporalChangeVersion, then the status going firing → resolved.
    expect(upserts.length).toBeLessThanOrEqual(2);
  }, 60_000);

  /** What the server ran for the incident so far: activity tasks by type, timers, workflow tasks. */
  async function costs(workflowId: string) {
    const events = (await klaxon.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const activities: Record<string, number> = {};
    for (const e of events) {
      const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
      if (name) activities[name] = (activities[name] ?? 0) + 1;
    }
    const count = (t: number) => events.filter((e) => e.eventType === t).length;
    const localActivities = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
    return { activities, localActivities, timers: count(EventType.EVENT_TYPE_TIMER_STARTED), timersOpen: count(EventType.EVENT_TYPE_TIMER_STARTED) - count(EventType.EVENT_TYPE_TIMER_CANCELED) - count(EventType.EVENT_TYPE_TIMER_FIRED), tasks: count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) };
  }

  /** Posts a one-alert group, waits for its page and for the page's outcome in the audit store. */
  async function pageOf(name: string, labels: Record<string, string>) {
    const alert = { groupKey: `{}:{case="${name}"}`, labels: { alertname: name, service: 'api', ...labels }, fingerprint: `${name}-1` };
    const { incidentId } = await postAlert(klaxon.url, tenant, alert);
    await eventually(async () => receiver.messages().some((m) => m.incident.id === incidentId), 20_000, 'the page');
    await eventually(async () => (await klaxon.db.pool.query('SELECT 1 FROM incident_events WHERE incident_id = $1 AND kind = $2', [incidentId, 'notified'])).rowCount === 1, 20_000, 'the audit row of the page');
    // Nothing else comes: the incident waits for an ack.
    await new Promise((r) => setTimeout(r, 1500));
    const rows = await klaxon.db.pool.query<{ kind: string }>('SELECT kind FROM incident_events WHERE incident_id = $1 ORDER BY seq', [incidentId]);
    return { costs: await costs(incidentWorkflowId(tenant, alert.groupKey)), rows: rows.rows.map((r) => r.kind) };
  }

  // Issue #11 (server CPU per incident 9.3× a bare start): a first page that mutes nobody and
  // matches no runbook schedules its send and one audit write (the opening rows wait for the page's
  // outcome), not a re-check of muted incidents, a runbook match and an audit write per moment; the
  // SLA clock runs on one timer, not one per target.
  // The page's send writes the opening rows and its own outcome row: no audit activity and no
  // workflow task for it, and no timer waiting for the page's outcome (issue #11, baseline 3).
  test('a first page costs one local activity, one send (which writes the audit rows) and one SLA timer', async () => {
    const { costs: c, rows } = await pageOf('LeanOpen', { severity: 'warning' });
    expect(c.activities).toEqual({ notify: 1 });
    // Scored, planned and the first step's recipients looked up in one local activity.
    expect(c.localActivities).toBe(1);
    // The SLA clock (standard tier: ack within 1h, then resolve within 1d) waits on one timer; no other.
    expect(c.timers).toBe(1);
    expect(c.timersOpen).toBe(1);
    expect(c.tasks).toBeLessThanOrEqual(2);
    expect(rows).toEqual(['opened', 'classified', 'policy.selected', 'notified']);
  }, 60_000);

  test('an incident that may mute others tells nobody when it mutes nobody', async () => {
    // critical: under the default inhibit rule it could mute a warning of the same alertname and service.
    const { costs: c, rows } = await pageOf('LeanCritical', { severity: 'critical' });
    expect(c.activities).toEqual({ notify: 1 });
    expect(c.timersOpen).toBe(1);
    expect(rows).toEqual(['opened', 'classified', 'policy.selected', 'notified']);
  }, 60_000);
});
