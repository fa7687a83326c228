import { eventually, installRuntime, opsTenantYaml, postAlert, startTestKlaxon, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import { freePort } from '../../src/temporal/devServer';
import type { Klaxon } from '../../src/runtime';

/**
 * A worker whose memory budget holds fewer workflows than there are open incidents (issue #11):
 * the sticky cache evicts, and an evicted incident replays its history when its timer fires, so
 * every escalation step still pages, once, on schedule. Real dev server, worker, Postgres, HTTP.
 */
describe('a worker with a memory budget smaller than its open incidents', () => {
  let klaxon: Klaxon;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const tenant = uniqueTenant('cache');
  const incidents = 8;
  const waitMs = 4000;

  beforeAll(async () => {
    installRuntime({ temporalMetricsAddress: `127.0.0.1:${await freePort()}` });
    receiver = await startReceiver();
    // 1MiB is below what the worker itself needs: the cache gets the SDK's least, 2 workflows.
    klaxon = await startTestKlaxon(
      opsTenantYaml(tenant, `[{ notify: { receivers: [ops] } }, { wait: ${waitMs / 1000}s }, { notify: { receivers: [ops] } }]`),
      { HOOK: 'hook', API: 'api', URL: `${receiver.url}/ops` },
      { KLAXON_WORKER_MEMORY: '1MiB' },
    );
  }, 60_000);
  afterAll(async () => {
    await klaxon?.stop();
    await receiver?.close();
  });

  test('every parked incident pages its second step after the wait, once, though most were evicted', async () => {
    const ids: string[] = [];
    const posted = new Map<string, number>();
    for (let i = 0; i < incidents; i++) {
      const at = Date.now();
      const r = await postAlert(klaxon.url, tenant, { groupKey: `{}:{n="${i}"}`, labels: { alertname: 'CacheBound', n: String(i) }, fingerprint: `cache-${i}` });
      ids.push(r.incidentId);
      posted.set(r.incidentId, at);
    }
    const pages = await eventually(async () => {
      const m = receiver.messages().filter((x) => ids.includes(x.incident.id) && x.kind !== 'resolved');
      return m.length >= 2 * incidents ? m : undefined;
    }, 60_000, `${2 * incidents} pages`);
    for (const id of ids) {
      const mine = pages.filter((p) => p.incident.id === id).sort((a, b) => a.at - b.at);
      // Exactly the two steps: an evicted workflow's replay does not send its first page again.
      expect(mine).toHaveLength(2);
      // The wait runs from the first step (not from its delivery), so from the post it is at least the wait.
      expect(mine[1].at - posted.get(id)!).toBeGreaterThanOrEqual(waitMs);
    }
    // The cache really was smaller than the incidents: the SDK reports forced evictions.
    const metrics = await (await fetch(`${klaxon.url}/metrics`)).text();
    const size = metrics.match(/^temporal_sticky_cache_size\{[^}]*\} (\d+)/m);
    const evicted = metrics.match(/^temporal_sticky_cache_total_forced_eviction(?:_total)?\{[^}]*\} (\d+)/m);
    expect(size && Number(size[1])).toBeLessThanOrEqual(2);
    expect(evicted && Number(evicted[1])).toBeGreaterThan(0);
  }, 90_000);
});
