import { startEscalationHarness } from '../support/escalation';
import { startReceiver } from '../support/receiver';
import { eventually, uniqueTenant } from '../support/klaxon';
import { acknowledgeUpdate, resolveUpdate, stateQuery } from '../../workflows/definitions';

const MIN = 60_000;

/** Durability: what happens when workers die, and holds (maintenance, inhibition) that must stay silent. */
describe('escalation durability and holds (time-skipping)', () => {
  const tenant = uniqueTenant('dur');
  let h: Awaited<ReturnType<typeof startEscalationHarness>>;
  let l1: Awaited<ReturnType<typeof startReceiver>>;
  let l2: Awaited<ReturnType<typeof startReceiver>>;
  let slowFirst = false;
  let release: (() => void) | undefined;

  beforeAll(async () => {
    l1 = await startReceiver();
    // l2 can be told to hold its first request open, to kill a worker mid-send.
    l2 = await startReceiver(async () => {
      if (slowFirst) {
        slowFirst = false;
        // Longer than the receiver's 5s timeout: the sender gives up, the message did arrive.
        await new Promise<void>((r) => {
          release = r;
          setTimeout(r, 6000);
        });
      }
      return { status: 200, body: 'ok' };
    });
    h = await startEscalationHarness(
      `
tenants:
  ${tenant}:
    webhook: { token: "\${T}" }
    api: { token: "\${A}" }
    receivers:
      l1: { type: webhook, url: "\${L1}" }
      l2: { type: webhook, url: "\${L2}", timeout: 5s }
    escalationPolicies:
      standard:
        steps:
          - notify: { receivers: [l1] }
          - wait: 5m
          - notify: { receivers: [l2] }
    defaultPolicy: standard
`,
      { T: 't', A: 'a', L1: l1.url, L2: l2.url },
    );
  });
  afterAll(async () => {
    release?.();
    await h?.stop();
    await Promise.all([l1?.close(), l2?.close()]);
  });

  const kinds = (state: { timeline: Array<{ kind: string }> }) => state.timeline.map((e) => e.kind);
  /** Runs `fn` with a worker polling, and always shuts the worker down (a failed test must not leave it registered). */
  async function withWorker(fn: () => Promise<void>, opts: { cache?: boolean } = { cache: false }) {
    const stop = await h.startWorker(opts);
    try {
      await fn();
    } finally {
      await stop();
    }
  }

  test('an ack survives a worker restart: nothing is sent after it, even once a new worker takes over', async () => {
    let worker = await h.makeWorker({ cache: false });
    let running = worker.run();
    const handle = await h.startIncident(tenant, { alertname: 'Restart', service: 'api' });
    await h.env.sleep(1 * MIN);
    const acked = await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });
    // Let the ack reach L1's thread first: the time-skipping server never skips past a pending activity.
    await eventually(async () => l1.received.some((r) => JSON.parse(r.body).incident.id === acked.id && JSON.parse(r.body).kind === 'acknowledged'), 10_000, 'the ack update');
    // ...and its audit row (a regular activity): nor past a pending audit write.
    await eventually(async () => (await h.incidents.timeline(acked.id)).some((e) => e.kind === 'notified' && e.details.kind === 'acknowledged'), 10_000, 'the audit row of the ack notice');
    worker.shutdown();
    await running;

    // Time passes with no worker at all; then a fresh worker replays the history.
    await h.env.sleep(30 * MIN);
    worker = await h.makeWorker({ cache: false });
    running = worker.run();
    await h.env.sleep(30 * MIN);
    const state = await handle.query(stateQuery);
    expect(state.status).toBe('acknowledged');
    expect(state.timeline.filter((e) => e.kind === 'notified' && e.details.kind === 'firing').map((e) => e.details.receiver)).toEqual(['l1']);
    // L1 was told of the ack in its thread; nothing else went anywhere.
    expect(state.timeline.filter((e) => e.kind === 'notified' && e.details.kind === 'acknowledged').map((e) => e.details.receiver)).toEqual(['l1']);
    expect(l2.received.filter((r) => JSON.parse(r.body).incident.id === state.id)).toHaveLength(0);
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice' }] });
    await handle.result();
    worker.shutdown();
    await running;
  });

  test('a worker killed in the middle of a notify: the retry carries the same idempotency key and is recorded once', async () => {
    const worker1 = await h.makeWorker({ cache: false });
    const running1 = worker1.run();
    const handle = await h.startIncident(tenant, { alertname: 'Kill', service: 'api' });
    const id = (await handle.query(stateQuery)).id;
    // The L2 endpoint takes the first request and then goes silent, as a vendor would during a partition.
    const before = l2.received.length;
    slowFirst = true;
    await h.env.sleep(5 * MIN);
    // Wait (real time) until the send reached L2, then kill the worker mid-request.
    for (let i = 0; i < 400 && l2.received.length === before; i++) await new Promise((r) => setTimeout(r, 50));
    expect(l2.received.length).toBe(before + 1);
    worker1.shutdown();
    await running1;

    const worker2 = await h.makeWorker({ cache: false });
    const running2 = worker2.run();
    await h.env.sleep(10 * MIN);
    const state = await handle.query(stateQuery);
    const mine = l2.received.slice(before).filter((r) => JSON.parse(r.body).incident.id === id);
    // Every delivery attempt carried the same key (vendors dedupe on it) ...
    expect(new Set(mine.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    // ... the ledger marks it sent once, and the timeline records one page to L2.
    expect(state.timeline.filter((e) => e.kind === 'notified' && e.details.receiver === 'l2')).toHaveLength(1);
    const ledger = (await h.ledger.forIncident(id)).filter((n) => n.receiver === 'l2');
    expect(ledger).toHaveLength(1);
    expect(ledger[0].status).toBe('sent');
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'x' }] });
    worker2.shutdown();
    await running2;
  });

  test('a maintenance window holds a matching incident silently; others page as usual', () => withWorker(async () => {
    // The window is set on the test server's (skipped) clock, which is far ahead of the wall clock by now.
    const now = await h.env.currentTimeMs();
    h.config.config.tenants[tenant].maintenanceWindows = [
      { name: 'db-upgrade', matchers: ['service="db"'], from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString() },
    ];
    const held = await h.startIncident(tenant, { alertname: 'Slow', service: 'db' });
    const normal = await h.startIncident(tenant, { alertname: 'Slow', service: 'web' });
    await h.env.sleep(10 * MIN);
    const hs = await held.query(stateQuery);
    expect(hs.held).toMatch(/maintenance: db-upgrade/);
    expect(kinds(hs)).toContain('held');
    expect(kinds(hs)).not.toContain('notified');
    expect(kinds(await normal.query(stateQuery))).toContain('notified');
    await held.executeUpdate(resolveUpdate, { args: [{ actor: 'x' }] });
    await normal.executeUpdate(resolveUpdate, { args: [{ actor: 'x' }] });
  }));

  test('a critical incident inhibits a warning of the same alertname and service until it resolves', () => withWorker(async () => {
    const critical = await h.startIncident(tenant, { alertname: 'Latency', service: 'checkout', severity: 'critical' });
    await h.env.sleep(1 * MIN);
    const warning = await h.startIncident(tenant, { alertname: 'Latency', service: 'checkout', severity: 'warning' });
    const other = await h.startIncident(tenant, { alertname: 'Latency', service: 'search', severity: 'warning' });
    await h.env.sleep(1 * MIN);
    const ws = await warning.query(stateQuery);
    expect(ws.held).toMatch(/inhibited/);
    expect(kinds(ws)).not.toContain('notified');
    expect(kinds(await other.query(stateQuery))).toContain('notified');

    await critical.executeUpdate(resolveUpdate, { args: [{ actor: 'x' }] });
    await critical.result();
    await h.env.sleep(3 * MIN);
    const after = await warning.query(stateQuery);
    expect(after.held).toBeUndefined();
    expect(kinds(after)).toEqual(expect.arrayContaining(['released', 'notified']));
    for (const hd of [warning, other]) await hd.executeUpdate(resolveUpdate, { args: [{ actor: 'x' }] });
    // Without the workflow cache every activation ends in an eviction: the re-check's lookup was a
    // local activity that outlived one and was lost until the 10 s workflow task timeout retried it
    // (core logged "Tried to complete untracked local activity"); it is a regular activity now.
  }), 120_000);
});
