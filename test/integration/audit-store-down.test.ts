import { eventually, opsTenantYaml, postAlert, startTestKlaxon, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import { startTcpProxy } from '../support/tcpProxy';
import type { Klaxon } from '../../src/runtime';

// The machine's Postgres (.ci/run exports the same URL): PGlite lives inside Klaxon's own process,
// so only a server reached over TCP can be taken away.
const pg = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');

/**
 * Paging does not depend on the audit store (issue #8, scenario 10): Postgres behind a proxy that
 * the test cuts.
 */
describe('with the audit store down', () => {
  let klaxon: Klaxon;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  const tenant = uniqueTenant('down');
  let firstId = '';
  const timelineOf = async (id: string) => {
    const r = await fetch(`${klaxon.url}/api/v1/incidents/${id}`, { headers: { authorization: 'Bearer api' } });
    return r.status === 200 ? ((await r.json()) as { timeline: Array<{ kind: string; details: Record<string, unknown> }> }).timeline : undefined;
  };

  beforeAll(async () => {
    // Answers the first request of an alert named Flaky* with a 503, every other with 200.
    const failedOnce = new Set<string>();
    receiver = await startReceiver((r) => {
      const b = JSON.parse(r.body);
      if (!String(b.incident?.alertname).startsWith('Flaky') || failedOnce.has(b.incident.id)) return { status: 200, body: 'ok' };
      failedOnce.add(b.incident.id);
      return { status: 503, body: 'unavailable' };
    });
    proxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
    const viaProxy = new URL(pg.toString());
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    klaxon = await startTestKlaxon(
      opsTenantYaml(tenant, '[{ notify: { receivers: [ops] } }, { wait: 1h }]'),
      { HOOK: 'hook', API: 'api', URL: receiver.url },
      { DATABASE_URL: viaProxy.toString() },
    );
  });
  afterAll(async () => {
    await klaxon?.stop();
    await proxy?.close();
    await receiver?.close();
  });

  test('an alert is paged while Postgres is unreachable, and its audit trail is written once it is back', async () => {
    proxy.cut();
    const { incidentId: id } = await postAlert(klaxon.url, tenant, { groupKey: '{}:{alertname="StoreDown"}', labels: { alertname: 'StoreDown', service: 'api' }, fingerprint: 'store-down' });
    firstId = id;
    const page = await eventually(async () => receiver.received.map((r) => JSON.parse(r.body)).find((b) => b.incident.id === id), 30_000, 'the page with Postgres down');
    expect(page.kind).toBe('firing');

    proxy.restore();
    const timeline = await eventually(async () => {
      const r = await fetch(`${klaxon.url}/api/v1/incidents/${id}`, { headers: { authorization: 'Bearer api' } });
      if (r.status !== 200) return undefined;
      const t = ((await r.json()) as { timeline: Array<{ kind: string }> }).timeline;
      return t.some((e) => e.kind === 'notified') ? t : undefined;
    }, 60_000, 'the audit trail after Postgres is back');
    expect(timeline[0].kind).toBe('opened');
    // Sent once, even though the ledger could not guard it.
    expect(receiver.received.map((r) => JSON.parse(r.body)).filter((b) => b.incident.id === id && b.kind === 'firing')).toHaveLength(1);
    await fetch(`${klaxon.url}/api/v1/incidents/${id}/resolve`, { method: 'POST', headers: { authorization: 'Bearer api', 'content-type': 'application/json' }, body: JSON.stringify({ actor: 'x' }) });
  }, 120_000);

  test('a failed try while Postgres is unreachable is not recorded, and does not hold the page back', async () => {
    // The first incident's resolve is written in full before the cut (a cut in the middle of an
    // audit transaction is not what this test is about).
    await eventually(async () => (await timelineOf(firstId))?.some((e) => e.kind === 'notified' && e.details.kind === 'resolved'), 30_000, 'the first incident resolved');
    proxy.cut();
    const { incidentId: id } = await postAlert(klaxon.url, tenant, { groupKey: '{}:{alertname="FlakyStoreDown"}', labels: { alertname: 'FlakyStoreDown', service: 'api' }, fingerprint: 'flaky-store-down' });
    const tries = () => receiver.received.map((r) => JSON.parse(r.body)).filter((b) => b.incident.id === id);
    await eventually(async () => tries().length >= 2, 30_000, 'the retried page with Postgres down');

    proxy.restore();
    const timeline = await eventually(async () => {
      const t = await timelineOf(id);
      return t?.some((e) => e.kind === 'notified') ? t : undefined;
    }, 60_000, 'the audit trail after Postgres is back');
    // The 503 came while the store was away: its row is lost, the page is not.
    expect(timeline.filter((e) => e.kind === 'notify.attempt')).toEqual([]);
    expect(timeline.filter((e) => e.kind === 'notified')).toHaveLength(1);
    expect(tries()).toHaveLength(2);
    await fetch(`${klaxon.url}/api/v1/incidents/${id}/resolve`, { method: 'POST', headers: { authorization: 'Bearer api', 'content-type': 'application/json' }, body: JSON.stringify({ actor: 'x' }) });
  }, 120_000);
});
