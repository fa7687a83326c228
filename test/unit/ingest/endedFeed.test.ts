import type { Client } from '@temporalio/client';
import { IngestService } from '../../../src/ingest/ingest';
import { parseConfig } from '../../../src/config/load';
import { incidentId, incidentWorkflowId } from '../../../src/incident/ids';

// The ingest cache with an ends feed (src/store/endedFeed.ts): while the feed has listened since a
// group was cached, an unchanged re-send needs no audit-store read; otherwise it reads, as before.

const parsed = parseConfig(`
tenants:
  t:
    webhook: { token: "\${T}" }
    api: { token: "\${T}" }
    receivers: { ops: { type: webhook, url: "\${U}" } }
    escalationPolicies: { p: { steps: [{ notify: { receivers: [ops] } }] } }
    defaultPolicy: p
`, { T: 'tok', U: 'http://127.0.0.1:1/' });
if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
const tenant = parsed.config.tenants.t;

const payload = {
  version: '4', groupKey: '{}:{alertname="A"}', status: 'firing', receiver: 'k', groupLabels: { alertname: 'A' }, commonLabels: { alertname: 'A' }, commonAnnotations: {}, externalURL: 'http://am',
  alerts: [{ status: 'firing', labels: { alertname: 'A' }, annotations: {}, startsAt: '2026-12-06T10:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: 'f1' }],
} as never;

function setup(feed: { live: boolean; epoch: number } | undefined) {
  let starts = 0;
  const client = { workflow: { start: async () => ({ firstExecutionRunId: `run-${++starts}` }), getHandle: () => ({}) } } as unknown as Client;
  const reads: string[] = [];
  let endedIds = new Set<string>();
  const endings = feed && { current: () => (feed.live ? feed.epoch : undefined), trusted: (e: number | undefined) => feed.live && e === feed.epoch };
  const ingest = new IngestService(client, 'q', async (id) => (reads.push(id), endedIds.has(id)), async () => undefined, false, { searchAttributes: false, endings });
  return { ingest, reads, starts: () => starts, end: (id: string) => (endedIds = new Set([...endedIds, id])) };
}

describe('unchanged re-sends with the ends feed', () => {
  test('while the feed listens, re-sends read nothing; a heard end makes the next one a new incident', async () => {
    const s = setup({ live: true, epoch: 1 });
    const [first] = await s.ingest.ingest('t', tenant, payload);
    for (let i = 0; i < 5; i++) expect((await s.ingest.ingest('t', tenant, payload))[0].outcome).toBe('unchanged');
    expect(s.reads).toEqual([]);
    s.ingest.forget(first.workflowId, first.incidentId!);
    const [again] = await s.ingest.ingest('t', tenant, payload);
    expect(again.outcome).toBe('started');
    expect(s.starts()).toBe(2);
  });

  test('without a feed, or after it reconnected, each re-send reads the store until a read under the new connection', async () => {
    const none = setup(undefined);
    await none.ingest.ingest('t', tenant, payload);
    await none.ingest.ingest('t', tenant, payload);
    await none.ingest.ingest('t', tenant, payload);
    expect(none.reads).toHaveLength(2);

    const feed = { live: true, epoch: 1 };
    const s = setup(feed);
    await s.ingest.ingest('t', tenant, payload);
    feed.live = false; // connection lost: ends may go unheard
    await s.ingest.ingest('t', tenant, payload);
    expect(s.reads).toHaveLength(1);
    feed.live = true;
    feed.epoch = 2; // listening again: the entry was learned before, so it is read once more
    await s.ingest.ingest('t', tenant, payload);
    await s.ingest.ingest('t', tenant, payload);
    expect(s.reads).toHaveLength(2);
  });

  test('an end the store reports is a new incident even when the feed missed it', async () => {
    const feed = { live: false, epoch: 1 };
    const s = setup(feed);
    const [first] = await s.ingest.ingest('t', tenant, payload);
    s.end(first.incidentId!);
    expect((await s.ingest.ingest('t', tenant, payload))[0].outcome).toBe('started');
  });

  test('an end heard before its group was cached leaves the entry to the store', async () => {
    const s = setup({ live: true, epoch: 1 });
    // The incident the next start creates (its id comes from the run id) ended before the start
    // returned: the feed's notice came first.
    const workflowId = incidentWorkflowId('t', '{}:{alertname="A"}');
    s.ingest.forget(workflowId, incidentId('t', workflowId, 'run-1'));
    const [first] = await s.ingest.ingest('t', tenant, payload);
    expect(first.incidentId).toBe(incidentId('t', workflowId, 'run-1'));
    s.end(first.incidentId!);
    expect((await s.ingest.ingest('t', tenant, payload))[0].outcome).toBe('started');
    expect(s.reads).toEqual([first.incidentId]);
  });
});
