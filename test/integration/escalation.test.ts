import { startEscalationHarness } from '../support/escalation';
import { startReceiver, type Received } from '../support/receiver';
import { uniqueTenant } from '../support/klaxon';
import { acknowledgeUpdate, alertsSignal, escalateUpdate, resolveUpdate, snoozeUpdate, stateQuery, unacknowledgeUpdate } from '../../workflows/definitions';

const MIN = 60_000;

/**
 * The escalation engine on the time-skipping server: policies that span an hour run in seconds,
 * with real activities, the real audit store and real HTTP receivers.
 */
describe('escalation policies (time-skipping)', () => {
  const tenant = uniqueTenant('esc');
  let h: Awaited<ReturnType<typeof startEscalationHarness>>;
  let l1: Awaited<ReturnType<typeof startReceiver>>;
  let l2: Awaited<ReturnType<typeof startReceiver>>;
  let people: Awaited<ReturnType<typeof startReceiver>>;
  let stopWorker: () => Promise<void>;

  beforeAll(async () => {
    [l1, l2, people] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
    h = await startEscalationHarness(
      `
tenants:
  ${tenant}:
    webhook: { token: "\${T}" }
    api: { token: "\${A}" }
    users:
      alice: { name: Alice, email: alice@example.com }
      bob: { name: Bob, email: bob@example.com }
    schedules:
      primary:
        timeZone: UTC
        layers:
          - users: [alice, bob]
            rotation: 1d
            handoff: "00:00"
            start: "2020-01-01"
    receivers:
      l1: { type: webhook, url: "\${L1}" }
      l2: { type: webhook, url: "\${L2}" }
      people: { type: webhook, url: "\${PEOPLE}" }
    userChannels: { email: people }
    escalationPolicies:
      three-step:
        steps:
          - notify: { receivers: [l1] }
          - wait: 5m
          - notify: { receivers: [l2] }
          - wait: 10m
          - notify: { schedules: [primary] }
      repeating:
        steps:
          - notify: { receivers: [l1] }
          - wait: 10m
          - repeat: { from: 0, times: 2 }
      quiet:
        steps:
          - notify: { receivers: [l1] }
          - resolveAfter: 30m
      acktimeout:
        ackTimeout: 30m
        steps:
          - notify: { receivers: [l1] }
          - wait: 5m
          - notify: { receivers: [l2] }
    routes:
      - { matchers: ['policy="repeating"'], policy: repeating }
      - { matchers: ['policy="quiet"'], policy: quiet }
      - { matchers: ['policy="acktimeout"'], policy: acktimeout }
      - { matchers: ['severity="critical"', 'policy="reroute"'], policy: repeating }
    defaultPolicy: three-step
`,
      { T: 't', A: 'a', L1: l1.url, L2: l2.url, PEOPLE: people.url },
    );
    stopWorker = await h.startWorker();
  });
  afterAll(async () => {
    await stopWorker?.();
    await h?.stop();
    await Promise.all([l1?.close(), l2?.close(), people?.close()]);
  });

  const forIncident = (r: { received: Received[] }, id: string) => r.received.map((x) => JSON.parse(x.body)).filter((b) => b.incident.id === id);
  /** Notification times on the workflow clock, in minutes since the incident opened. */
  async function notifiedAt(handle: Awaited<ReturnType<typeof h.startIncident>>) {
    const state = await handle.query(stateQuery);
    const t0 = Date.parse(state.startedAt);
    return state.timeline
      .filter((e) => e.kind === 'notified' && e.details.kind === 'firing')
      .map((e) => ({ receiver: e.details.receiver as string, user: e.details.user as string | undefined, min: Math.round((Date.parse(e.at) - t0) / MIN) }));
  }

  test('with no ack, a 3-step policy pages L1, then L2 after 5m, then the on-call user after 15m', async () => {
    const handle = await h.startIncident(tenant, { alertname: 'Disk', service: 'db', severity: 'warning' });
    await h.env.sleep(20 * MIN);
    const sent = await notifiedAt(handle);
    const state = await handle.query(stateQuery);
    const onCall = ['alice', 'bob'];
    expect(sent).toEqual([
      { receiver: 'l1', user: undefined, min: 0 },
      { receiver: 'l2', user: undefined, min: 5 },
      { receiver: 'people', user: expect.stringMatching(new RegExp(onCall.join('|'))), min: 15 },
    ]);
    expect(forIncident(l1, state.id)).toHaveLength(1);
    expect(forIncident(l2, state.id)).toHaveLength(1);
    const paged = forIncident(people, state.id);
    expect(paged).toHaveLength(1);
    expect(paged[0].recipient.id).toBe(sent[2].user);

    // Resolve: exactly the three that were paged get "resolved", once each.
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice' }] });
    await h.finished(handle);
    for (const r of [l1, l2, people]) expect(forIncident(r, state.id).map((b) => b.kind)).toEqual(['firing', 'resolved']);
  });

  test('an ack during the first wait stops every later page; the incident stays open until resolved', async () => {
    const handle = await h.startIncident(tenant, { alertname: 'Ack', service: 'api' });
    await h.env.sleep(2 * MIN);
    const acked = await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice', note: 'on it' }] });
    expect(acked.status).toBe('acknowledged');
    await h.env.sleep(60 * MIN);
    expect(await notifiedAt(handle)).toEqual([{ receiver: 'l1', user: undefined, min: 0 }]);
    expect((await handle.query(stateQuery)).status).toBe('acknowledged');
    // A second ack is refused with a reason, and the refusal is audited.
    const refused = await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'bob' }] }).catch((err: { cause?: Error }) => err.cause?.message);
    expect(refused).toMatch(/already acknowledged by alice/);
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice' }] });
    await handle.result();
    const timeline = await h.incidents.timeline((await handle.query(stateQuery)).id);
    expect(timeline.map((e) => e.kind)).toEqual(expect.arrayContaining(['acknowledged', 'action.rejected', 'resolved']));
  });

  test('property: for random ack times, nothing is paged after the ack', async () => {
    // Seeded so a failure reproduces; each case is a whole incident on the skipped clock.
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 6; i++) {
      const ackAfter = Math.floor(rand() * 20 * MIN);
      const handle = await h.startIncident(tenant, { alertname: `Prop${i}` });
      await h.env.sleep(ackAfter);
      const acked = await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'prop' }] });
      const ackAt = Date.parse(acked.timeline.find((e) => e.kind === 'acknowledged')!.at);
      await h.env.sleep(40 * MIN);
      const state = await handle.query(stateQuery);
      const pages = state.timeline.filter((e) => e.kind === 'notified' && e.details.kind === 'firing');
      for (const p of pages) expect(Date.parse(p.at)).toBeLessThanOrEqual(ackAt);
      // And what was paged is exactly the policy's prefix up to the ack.
      const expected = ackAfter < 5 * MIN ? 1 : ackAfter < 15 * MIN ? 2 : 3;
      expect(pages.length).toBeLessThanOrEqual(expected);
      await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'prop' }] });
    }
  });

  test('repeat loops back at most N times, then the policy rests', async () => {
    const handle = await h.startIncident(tenant, { alertname: 'Loop', policy: 'repeating' });
    await h.env.sleep(90 * MIN);
    expect((await notifiedAt(handle)).map((s) => s.min)).toEqual([0, 10, 20]);
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'x' }] });
  });

  test('resolveAfter resolves a quiet incident by itself; alert changes restart the quiet period', async () => {
    const handle = await h.startIncident(tenant, { alertname: 'Quiet', policy: 'quiet' });
    await h.env.sleep(20 * MIN);
    const s0 = await handle.query(stateQuery);
    await handle.signal(alertsSignal, { alerts: [{ ...s0.alerts[0], fingerprint: 'extra', status: 'firing' }], receivedAt: new Date().toISOString() });
    await h.env.sleep(20 * MIN);
    expect((await handle.query(stateQuery)).status).toBe('firing');
    await handle.result();
    const s = await h.incidents.get(s0.id);
    expect(s?.status).toBe('resolved');
    const resolvedAt = Date.parse(s!.resolvedAt!);
    expect(Math.round((resolvedAt - Date.parse(s0.startedAt)) / MIN)).toBe(50);
  });

  test('ack timeout re-opens escalation from the top; snooze resumes where it was', async () => {
    const handle = await h.startIncident(tenant, { alertname: 'Timeout', policy: 'acktimeout' });
    await h.env.sleep(1 * MIN);
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });
    await h.env.sleep(33 * MIN);
    const s = await handle.query(stateQuery);
    expect(s.status).toBe('firing');
    expect(s.timeline.map((e) => e.kind)).toContain('ack.timeout');
    expect((await notifiedAt(handle)).map((x) => `${x.receiver}@${x.min}`)).toEqual(['l1@0', 'l1@31']);
    // The re-page is a new paging cycle: vendors that dedupe by key get a new one (PagerDuty, Opsgenie).
    expect(forIncident(l1, s.id).filter((b) => b.kind === 'firing').map((b) => b.incident.cycle ?? 0)).toEqual([0, 1]);

    // Snooze for 20m at minute 34, during the 5m wait: the wait starts over after the snooze (L2 at 34+20+5).
    await handle.executeUpdate(snoozeUpdate, { args: [{ actor: 'alice', durationMs: 20 * MIN }] });
    await h.env.sleep(15 * MIN);
    expect((await notifiedAt(handle)).map((x) => x.receiver)).toEqual(['l1', 'l1']);
    await h.env.sleep(15 * MIN);
    const after = await notifiedAt(handle);
    expect(after.map((x) => x.receiver)).toEqual(['l1', 'l1', 'l2']);
    expect(after[2].min).toBe(34 + 20 + 5);
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'x' }] });
  });

  test('escalate-now skips the wait; unack resumes paging; severity raise re-routes', async () => {
    const handle = await h.startIncident(tenant, { alertname: 'Esc', service: 'web', severity: 'warning', policy: 'reroute' });
    await h.env.sleep(1 * MIN);
    await handle.executeUpdate(escalateUpdate, { args: [{ actor: 'bob' }] });
    await h.env.sleep(1 * MIN);
    expect((await notifiedAt(handle)).map((x) => `${x.receiver}@${x.min}`)).toEqual(['l1@0', 'l2@1']);

    await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'bob' }] });
    const unacked = await handle.executeUpdate(unacknowledgeUpdate, { args: [{ actor: 'bob' }] });
    expect(unacked.status).toBe('firing');

    // Warning → critical: the `reroute` route now matches and the repeating policy takes over.
    const s = await handle.query(stateQuery);
    await handle.signal(alertsSignal, {
      alerts: [{ ...s.alerts[0], fingerprint: 'crit', labels: { ...s.alerts[0].labels, severity: 'critical' } }],
      receivedAt: new Date().toISOString(),
    });
    await h.env.sleep(2 * MIN);
    const after = await handle.query(stateQuery);
    expect(after.severity).toBe('critical');
    expect(after.policy).toBe('repeating');
    expect(after.timeline.map((e) => e.kind)).toEqual(expect.arrayContaining(['severity.raised', 'policy.rerouted']));
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'x' }] });
    await expect(handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'late' }] })).rejects.toThrow();
  });
});

describe('long incidents (time-skipping)', () => {
  const tenant = uniqueTenant('long');
  let h: Awaited<ReturnType<typeof startEscalationHarness>>;
  let pager: Awaited<ReturnType<typeof startReceiver>>;
  let stopWorker: () => Promise<void>;
  beforeAll(async () => {
    pager = await startReceiver();
    h = await startEscalationHarness(
      `
tenants:
  ${tenant}:
    webhook: { token: "\${T}" }
    api: { token: "\${A}" }
    receivers:
      pager: { type: webhook, url: "\${URL}" }
    escalationPolicies:
      every5m:
        steps:
          - notify: { receivers: [pager] }
          - wait: 5m
          - repeat: { from: 0, times: 100 }
    defaultPolicy: every5m
`,
      { T: 't', A: 'a', URL: pager.url },
    );
    stopWorker = await h.startWorker();
  });
  afterAll(async () => {
    await stopWorker?.();
    await h?.stop();
    await pager?.close();
  });

  test('an incident paging every 5 minutes continues as new and keeps its identity, count and audit trail', async () => {
    const handle = await h.startIncident(tenant, { alertname: 'Flood' }, { continueAsNewAfterEvents: 150 });
    const first = await handle.query(stateQuery);
    await h.env.sleep(3 * 60 * MIN - 2 * MIN);
    const latest = h.env.client.workflow.getHandle(handle.workflowId);
    const now = await latest.query(stateQuery);
    expect(now.runId).not.toBe(first.runId);
    expect(now.id).toBe(first.id);
    expect(now.startedAt).toBe(first.startedAt);
    const pages = pager.received.map((r) => JSON.parse(r.body)).filter((b) => b.incident.id === first.id);
    // Just under 3 hours at one page every 5 minutes (0, 5, …, 175): 36 pages, each with its own key.
    expect(pages).toHaveLength(36);
    expect(new Set(pages.map((p) => p.idempotencyKey)).size).toBe(36);
    // The audit store has the whole story across runs, in order, with no gaps in the numbering.
    const timeline = await h.incidents.timeline(first.id);
    expect(timeline.map((e) => e.seq)).toEqual(timeline.map((_, i) => i + 1));
    expect(timeline.filter((e) => e.kind === 'notified')).toHaveLength(36);
    const row = await h.incidents.get(first.id);
    expect(row?.runId).toBe(now.runId);

    await latest.executeUpdate(resolveUpdate, { args: [{ actor: 'x' }] });
    await h.finished(latest);
    expect(pager.received.map((r) => JSON.parse(r.body)).filter((b) => b.incident.id === first.id && b.kind === 'resolved')).toHaveLength(1);
  });
});
