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
});
