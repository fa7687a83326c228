import { startEscalationHarness } from '../support/escalation';
import { startReceiver } from '../support/receiver';
import { uniqueTenant, eventually } from '../support/klaxon';
import { acknowledgeUpdate, resolveUpdate, stateQuery } from '../../workflows/definitions';

const MIN = 60_000;

/**
 * SLA tracking (issue #12) on the time-skipping server: the tenant's tier sets how soon an incident
 * must be acknowledged and resolved; a breach is a timeline entry, and while nobody has
 * acknowledged it pages the policy's onSlaBreach targets.
 */
describe('SLA targets (time-skipping)', () => {
  const premium = uniqueTenant('slap');
  const custom = uniqueTenant('slac');
  let h: Awaited<ReturnType<typeof startEscalationHarness>>;
  let l1: Awaited<ReturnType<typeof startReceiver>>;
  let managers: Awaited<ReturnType<typeof startReceiver>>;
  let stopWorker: () => Promise<void>;

  beforeAll(async () => {
    [l1, managers] = await Promise.all([startReceiver(), startReceiver()]);
    const tenant = (name: string, extra: string) => `
  ${name}:
    webhook: { token: "\${T}" }
    api: { token: "\${A}" }
${extra}
    receivers:
      l1: { type: webhook, url: "\${L1}" }
      managers: { type: webhook, url: "\${MANAGERS}" }
    escalationPolicies:
      p:
        onSlaBreach: { notify: { receivers: [managers] } }
        steps: [{ notify: { receivers: [l1] } }, { wait: 1h }, { notify: { receivers: [l1] } }, { wait: 1h }]
    defaultPolicy: p`;
    h = await startEscalationHarness(
      `tenants:${tenant(premium, '    tier: premium')}${tenant(custom, '    tier: basic\n    sla: { ackWithin: 3m }')}\n`,
      { T: 't', A: 'a', L1: l1.url, MANAGERS: managers.url },
    );
    stopWorker = await h.startWorker();
  }, 60_000);

  afterAll(async () => {
    await stopWorker?.();
    await h?.stop();
    await Promise.all([l1?.close(), managers?.close()]);
  });

  const breaches = async (handle: { query: (q: typeof stateQuery) => Promise<{ timeline: Array<{ kind: string; at: string; details: Record<string, unknown> }> }> }) =>
    (await handle.query(stateQuery)).timeline.filter((e) => e.kind === 'sla.breached');
  const managerPages = (id: string) => managers.messages().filter((m) => m.incident.id === id);

  test('premium: not acknowledged within 15 minutes is a breach that pages the managers; the resolve target breaches later, once', async () => {
    const handle = await h.startIncident(premium, { alertname: 'Slow', severity: 'critical' });
    const { id, startedAt } = await handle.query(stateQuery);
    await h.env.sleep(14 * MIN);
    expect(await breaches(handle)).toEqual([]);
    expect(managerPages(id)).toHaveLength(0);
    await h.env.sleep(2 * MIN);
    const [ack] = await eventually(async () => ((await breaches(handle)).length ? breaches(handle) : undefined), 10_000, 'the ack breach');
    expect(ack.details).toEqual({ target: 'ack', within: '15m', tier: 'premium' });
    expect(Date.parse(ack.at) - Date.parse(startedAt)).toBeGreaterThanOrEqual(15 * MIN);
    const page = await eventually(async () => managerPages(id)[0], 10_000, 'the managers paged');
    expect(page.kind).toBe('escalated');

    // Acknowledged now: the resolve breach at 8 hours is recorded, and pages nobody.
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });
    await h.env.sleep(8 * 60 * MIN);
    const all = await eventually(async () => ((await breaches(handle)).length === 2 ? breaches(handle) : undefined), 10_000, 'the resolve breach');
    expect(all.map((b) => b.details.target)).toEqual(['ack', 'resolve']);
    expect(all[1].details).toMatchObject({ within: '8h' });
    // Paged once; as everyone paged, they heard the ack.
    expect(managerPages(id).map((m) => m.kind)).toEqual(['escalated', 'acknowledged']);
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice' }] });
    await h.finished(handle);
    // And they hear it resolved, in their thread.
    expect(managerPages(id).map((m) => m.kind)).toEqual(['escalated', 'acknowledged', 'resolved']);
  }, 120_000);

  test('a tenant override shortens the tier\'s target; an incident acknowledged in time never breaches it', async () => {
    const late = await h.startIncident(custom, { alertname: 'Late' });
    const onTime = await h.startIncident(custom, { alertname: 'OnTime' });
    await h.env.sleep(2 * MIN);
    await onTime.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'bob' }] });
    await h.env.sleep(2 * MIN);
    const [b] = await eventually(async () => ((await breaches(late)).length ? breaches(late) : undefined), 10_000, 'the breach');
    expect(b.details).toEqual({ target: 'ack', within: '3m', tier: 'basic' });
    expect(await breaches(onTime)).toEqual([]);
    for (const x of [late, onTime]) {
      await x.executeUpdate(resolveUpdate, { args: [{ actor: 'bob' }] });
      await h.finished(x);
    }
  }, 120_000);
});
