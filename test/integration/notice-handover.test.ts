import { eventually, opsTenantYaml, postAlert, startTestKlaxon, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import { IncidentStore } from '../../src/store/incidents';
import type { Klaxon } from '../../src/runtime';

/**
 * Found by `npm run chaos` (issue #8): an "acknowledged" notice still in flight when the incident
 * resolves is handed to the notices workflow, which retries it under the same key. The receiver
 * gets it once, and the timeline must say so once: the incident's own attempt, finishing while
 * its run ends, used to record a second "notified".
 */
describe('a notice handed over at resolve', () => {
  const tenant = uniqueTenant('handover');
  let klaxon: Klaxon;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let releaseAck: (() => void) | undefined;

  beforeAll(async () => {
    // Holds each "acknowledged" notice until the test lets it through, so the resolve lands mid-request.
    receiver = await startReceiver(async (r) => {
      if (JSON.parse(r.body).kind === 'acknowledged') await new Promise<void>((resolve) => (releaseAck = resolve));
      return { status: 200, body: 'ok' };
    });
    klaxon = await startTestKlaxon(opsTenantYaml(tenant), { HOOK: 'hook', API: 'api', URL: `${receiver.url}/hook` });
  });
  afterAll(async () => {
    releaseAck?.();
    await klaxon?.stop();
    await receiver?.close();
  });

  const act = (id: string, action: string) =>
    fetch(`${klaxon.url}/api/v1/incidents/${id}/${action}`, {
      method: 'POST',
      headers: { authorization: 'Bearer api', 'content-type': 'application/json' },
      body: JSON.stringify({ actor: 'alice' }),
    });
  const sent = (id: string, kind: string) => receiver.messages().filter((m) => m.incident?.id === id && m.kind === kind);

  test('is delivered once and recorded once', async () => {
    const { incidentId: id } = await postAlert(klaxon.url, tenant, { groupKey: '{}:{h}', labels: { alertname: 'Handover', service: 'api' }, fingerprint: 'h1' });
    await eventually(async () => sent(id, 'firing').length === 1, 15_000, 'the page');
    expect((await act(id, 'ack')).status).toBe(200);
    await eventually(async () => sent(id, 'acknowledged').length === 1 && releaseAck, 15_000, 'the ack notice in flight');

    expect((await act(id, 'resolve')).status).toBe(200);
    releaseAck!();
    await eventually(async () => sent(id, 'resolved').length === 1, 30_000, 'the resolve notice');

    const store = new IncidentStore(klaxon.db.pool, klaxon.audit);
    const ackNotices = async () => (await store.timeline(id)).filter((e) => e.kind === 'notified' && e.details.kind === 'acknowledged');
    await eventually(async () => (await ackNotices()).length > 0, 30_000, 'the ack notice recorded');
    // Both attempts have finished by now (the hand-over retries once the first attempt's lease ends).
    await new Promise((r) => setTimeout(r, 5000));
    expect(sent(id, 'acknowledged')).toHaveLength(1);
    expect(await ackNotices()).toHaveLength(1);
  }, 90_000);
});
