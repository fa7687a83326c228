import { createOpenActivity, CLASSIFY_BUDGET_MS, type OpenArgs } from '../../../activities/open';
import type { Classification, Plan } from '../../../activities';

const args: OpenArgs = {
  classify: { tenant: 't', incidentId: 'i', alerts: [], commonLabels: { alertname: 'A' }, declaredSeverity: 'warning', at: '2026-12-06T10:00:00.000Z' },
  plan: { tenant: 't', incidentId: 'i', commonLabels: { alertname: 'A', severity: 'warning' }, at: '2026-12-06T10:00:00.000Z', groupKey: 'g' },
};
const plan = (over: Partial<Plan> = {}): Plan => ({ policyName: 'p', route: 'default', urgency: 'high', steps: [{ kind: 'notify', targets: { receivers: ['ops'], users: [], schedules: [] } }], links: {} as Plan['links'], ...over });
const scored = (over: Partial<Classification> = {}): Classification => ({ mode: 'enforce', featureVersion: 1, topFeatures: [], effectiveSeverity: 'critical', hold: false, reason: 'unusual', ...over });

function steps(opts: { classify?: () => Promise<Classification>; plan?: Plan }) {
  const calls = { plan: [] as Array<Record<string, string>>, recipients: 0 };
  const open = createOpenActivity({
    classifyIncident: opts.classify ?? (async () => scored()),
    planIncident: async (a) => {
      calls.plan.push(a.labels);
      return opts.plan ?? plan();
    },
    resolveRecipients: async () => {
      calls.recipients++;
      return { sends: [{ receiver: 'ops' }], unreachable: [] };
    },
    openingFacts: async () => ({ mutes: 0, runbooks: false }),
  });
  return { open, calls };
}

describe('openIncident (one local activity: score, plan, first recipients)', () => {
  test('plans on the effective severity and looks up the first step', async () => {
    const { open, calls } = steps({});
    const o = await open(args);
    expect(o.classification?.effectiveSeverity).toBe('critical');
    expect(calls.plan).toEqual([{ alertname: 'A', severity: 'critical' }]);
    expect(o.first).toEqual({ sends: [{ receiver: 'ops' }], unreachable: [] });
    // What only the open needs rides on the plan.
    expect(o.plan).toMatchObject({ mutes: 0, runbooks: false });
  });

  test('scoring that fails leaves the declared severity and says why', async () => {
    const { open, calls } = steps({ classify: async () => Promise.reject(new Error('model store down')) });
    const o = await open(args);
    expect(o.classification).toBeUndefined();
    expect(o.classifyError).toBe('model store down');
    expect(calls.plan).toEqual([{ alertname: 'A', severity: 'warning' }]);
    expect(o.first?.sends).toHaveLength(1);
  });

  test('scoring that hangs is given up after its budget, and the page is planned anyway', async () => {
    jest.useFakeTimers();
    try {
      const { open, calls } = steps({ classify: () => new Promise(() => undefined) });
      const pending = open(args);
      await jest.advanceTimersByTimeAsync(CLASSIFY_BUDGET_MS + 1);
      const o = await pending;
      expect(o.classifyError).toBe(`no answer within ${CLASSIFY_BUDGET_MS / 1000}s`);
      expect(calls.plan).toHaveLength(1);
    } finally {
      jest.useRealTimers();
    }
  });

  test('nothing is looked up when a hold, a routine score or a first wait means no page now', async () => {
    for (const s of [
      steps({ plan: plan({ hold: { reason: 'maintenance', until: '2026-12-06T11:00:00.000Z' } as Plan['hold'] }) }),
      steps({ classify: async () => scored({ hold: true, effectiveSeverity: 'info' }) }),
      steps({ plan: plan({ steps: [{ kind: 'wait', ms: 60_000 }] }) }),
    ]) {
      const o = await s.open(args);
      expect(o.first).toBeUndefined();
      expect(s.calls.recipients).toBe(0);
    }
  });
});
