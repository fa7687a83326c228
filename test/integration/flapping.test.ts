import { startEscalationHarness } from '../support/escalation';
import { startReceiver } from '../support/receiver';
import { eventually, uniqueTenant } from '../support/klaxon';
import { alertsSignal, stateQuery } from '../../workflows/definitions';
import type { AlertView } from '../../src/incident/view';

const MIN = 60_000;

/**
 * Flapping (issue #12) on the time-skipping server: a group that resolves and fires again becomes
 * one flapping incident at the tenant's threshold; its further resolves and re-fires fold into it
 * (no new incident, no new page), and it resolves after a quiet window.
 */
describe('flapping (time-skipping)', () => {
  const tenant = uniqueTenant('flap');
  let h: Awaited<ReturnType<typeof startEscalationHarness>>;
  let l1: Awaited<ReturnType<typeof startReceiver>>;
  let stopWorker: () => Promise<void>;

  beforeAll(async () => {
    l1 = await startReceiver();
    h = await startEscalationHarness(
      `
tenants:
  ${tenant}:
    webhook: { token: "\${T}" }
    api: { token: "\${A}" }
    flapping: { window: 1h, threshold: 3 }
    receivers:
      l1: { type: webhook, url: "\${L1}" }
    escalationPolicies:
      p: { steps: [{ notify: { receivers: [l1] } }, { wait: 3h }, { notify: { receivers: [l1] } }] }
    defaultPolicy: p
`,
      { T: 't', A: 'a', L1: l1.url },
    );
    stopWorker = await h.startWorker();
  }, 60_000);

  afterAll(async () => {
    await stopWorker?.();
    await h?.stop();
    await l1?.close();
  });

  const groupKey = '{}:{alertname="Flappy"}';
  const alert = (status: 'firing' | 'resolved'): AlertView => ({ fingerprint: 'flappy', status, labels: { alertname: 'Flappy', service: 'disk' }, annotations: {}, startsAt: new Date().toISOString() });
  const pagesOf = (id: string) => l1.messages().filter((m) => m.incident.id === id && m.kind === 'firing');
  const kinds = async (handle: { query: (q: typeof stateQuery) => Promise<{ timeline: Array<{ kind: string; details: Record<string, unknown> }> }> }) => (await handle.query(stateQuery)).timeline;

  test('the third firing within the hour is one flapping incident: re-fires fold into it, and an hour of quiet resolves it', async () => {
    // Twice: fire, page, resolve.
    for (let i = 0; i < 2; i++) {
      const handle = await h.startIncident(tenant, alert('firing').labels, { groupKey, alerts: [alert('firing')] });
      const { id } = await handle.query(stateQuery);
      await eventually(async () => pagesOf(id).length === 1, 10_000, `page ${i + 1}`);
      await h.env.sleep(5 * MIN);
      await handle.signal(alertsSignal, { alerts: [alert('resolved')], receivedAt: new Date().toISOString() });
      // The run, not h.finished(): awaiting the notices workflow lets the time-skipping server jump
      // years ahead while its send is in flight, and the window would never see this incident.
      await handle.result();
      await eventually(async () => l1.messages().some((m) => m.incident.id === id && m.kind === 'resolved'), 10_000, `resolve ${i + 1} told`);
      expect((await kinds(handle)).some((e) => e.kind.startsWith('flapping'))).toBe(false);
    }
    // The third: paged once, as flapping.
    const handle = await h.startIncident(tenant, alert('firing').labels, { groupKey, alerts: [alert('firing')] });
    const { id } = await handle.query(stateQuery);
    const page = await eventually(async () => pagesOf(id)[0], 10_000, 'the flapping page');
    expect(page.incident.title).toBe('Flappy (disk) [flapping: fired 3 times]');
    expect((await kinds(handle)).find((e) => e.kind === 'flapping')!.details).toEqual({ count: 3, threshold: 3, window: '1h' });

    // It resolves and fires again twice more within the hour: no new incident, no new page.
    for (let i = 0; i < 2; i++) {
      await h.env.sleep(5 * MIN);
      await handle.signal(alertsSignal, { alerts: [alert('resolved')], receivedAt: new Date().toISOString() });
      await h.env.sleep(10 * MIN);
      await handle.signal(alertsSignal, { alerts: [alert('firing')], receivedAt: new Date().toISOString() });
    }
    await eventually(async () => (await kinds(handle)).filter((e) => e.kind === 'flapping.refired').length === 2, 10_000, 'two re-fires');
    const state = await handle.query(stateQuery);
    expect(state).toMatchObject({ id, status: 'firing', title: 'Flappy (disk) [flapping: fired 5 times]' });
    expect(pagesOf(id)).toHaveLength(1);

    // Quiet: an hour later it resolves by itself, and the paged receiver hears it.
    await handle.signal(alertsSignal, { alerts: [alert('resolved')], receivedAt: new Date().toISOString() });
    await h.env.sleep(59 * MIN);
    expect((await handle.query(stateQuery)).status).toBe('firing');
    await h.env.sleep(2 * MIN);
    await handle.result();
    const resolved = (await kinds(handle)).find((e) => e.kind === 'resolved')!;
    expect(resolved.details.reason).toBe('quiet for 1h after flapping (fired 5 times)');
    await eventually(async () => l1.messages().some((m) => m.incident.id === id && m.kind === 'resolved'), 10_000, 'the resolve told');
    expect(l1.messages().filter((m) => m.incident.id === id).map((m) => m.kind)).toEqual(['firing', 'resolved']);
  }, 120_000);
});
