import { eventually, opsTenantYaml, postAlert, startTestKlaxon, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import { IncidentStore } from '../../src/store/incidents';
import type { Klaxon } from '../../src/runtime';

/**
 * Issue #8, scenario 11: inhibition decided from live incident state. A warning whose critical
 * arrives after it has paged is muted when the critical opens (Alertmanager's default rule here:
 * critical mutes warning of the same alertname and service), and released the moment the critical
 * resolves, not on a 60 s poll.
 */
describe('inhibition from live incident state', () => {
  const tenant = uniqueTenant('inhibit');
  const WAIT_S = 8;
  let klaxon: Klaxon;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let store: IncidentStore;

  beforeAll(async () => {
    receiver = await startReceiver();
    const steps = `[{ notify: { receivers: [ops] } }, { wait: ${WAIT_S}s }, { notify: { receivers: [ops] } }]`;
    klaxon = await startTestKlaxon(opsTenantYaml(tenant, steps), { HOOK: 'hook', API: 'api', URL: `${receiver.url}/hook` });
    store = new IncidentStore(klaxon.db.pool, klaxon.audit);
  });
  afterAll(async () => {
    await klaxon?.stop();
    await receiver?.close();
  });

  const pagesOf = (id: string) => receiver.messages().filter((m) => m.incident?.id === id && (m.kind === 'firing' || m.kind === 'escalated'));
  const event = (id: string, kind: string) => async () => (await store.timeline(id)).find((e) => e.kind === kind);
  const labels = (severity: string) => ({ alertname: 'Race', service: 'api', severity });

  test('a warning that paged before its critical existed is muted when the critical opens, and released when it resolves', async () => {
    const warning = await postAlert(klaxon.url, tenant, { groupKey: '{}:{w}', labels: labels('warning'), fingerprint: 'w1' });
    await eventually(async () => pagesOf(warning.incidentId).length === 1, 15_000, "the warning's first page");
    const firstPageAt = Date.now();

    const critical = await postAlert(klaxon.url, tenant, { groupKey: '{}:{c}', labels: labels('critical'), fingerprint: 'c1' });
    const held = await eventually(event(warning.incidentId, 'held'), 10_000, 'the warning held');
    expect(held.details).toMatchObject({ reason: 'inhibited', detail: `by incident ${critical.incidentId}` });

    // Its policy stopped: the second step (due WAIT_S after the first page) never pages.
    await new Promise((r) => setTimeout(r, Math.max(0, firstPageAt + (WAIT_S + 4) * 1000 - Date.now())));
    expect(pagesOf(warning.incidentId)).toHaveLength(1);
    expect(pagesOf(critical.incidentId).length).toBeGreaterThanOrEqual(1);

    const resolvedAt = Date.now();
    await postAlert(klaxon.url, tenant, { groupKey: '{}:{c}', labels: labels('critical'), fingerprint: 'c1', status: 'resolved' });
    const released = await eventually(event(warning.incidentId, 'released'), 10_000, 'the warning released');
    expect(Date.parse(released.at) - resolvedAt).toBeLessThan(10_000);
    // Released mid-policy: the interrupted wait runs again, then the second step pages.
    await eventually(async () => pagesOf(warning.incidentId).length === 2, (WAIT_S + 10) * 1000, "the warning's second page");
  }, 90_000);

  test('warnings of another service are not muted', async () => {
    const critical = await postAlert(klaxon.url, tenant, { groupKey: '{}:{c2}', labels: { ...labels('critical'), alertname: 'Other' }, fingerprint: 'c2' });
    await eventually(async () => pagesOf(critical.incidentId).length === 1, 15_000, "the critical's page");
    const warning = await postAlert(klaxon.url, tenant, { groupKey: '{}:{w2}', labels: { alertname: 'Other', service: 'web', severity: 'warning' }, fingerprint: 'w2' });
    await eventually(async () => pagesOf(warning.incidentId).length === 1, 15_000, "the other service's page");
    expect(await event(warning.incidentId, 'held')()).toBeUndefined();
  }, 60_000);
});
