import { currentDetails, describeStep, DETAILS_MAX_CHARS, staticDetails, staticSummary, SUMMARY_MAX_CHARS, type ConsoleState } from '../../src/incident/uiMetadata';
import { sendSummary } from '../../src/delivery/pager';
import type { AlertView, IncidentView } from '../../src/incident/view';
import type { PlanStep } from '../../activities/plan';

const alert = (i: number, over: Partial<AlertView> = {}): AlertView => ({
  fingerprint: `f${i}`,
  status: 'firing',
  labels: { alertname: 'HighLatency', instance: `web-${i}` },
  annotations: { summary: `p99 above 2s on web-${i}` },
  startsAt: '2026-01-01T00:00:00Z',
  ...over,
});
const view = (alerts: AlertView[], labels: Record<string, string> = { alertname: 'HighLatency', service: 'checkout' }) =>
  ({ tenant: 'acme', severity: 'critical', startedAt: '2026-01-01T00:00:00.000Z', alertname: 'HighLatency', alerts, commonLabels: labels }) as Pick<IncidentView, 'tenant' | 'severity' | 'startedAt' | 'alerts' | 'commonLabels' | 'alertname'>;

const steps: PlanStep[] = [
  { kind: 'notify', targets: { receivers: ['slack-ops'], users: [], schedules: [] } },
  { kind: 'wait', ms: 300_000 },
  { kind: 'wait', ms: 60_000 },
  { kind: 'notify', targets: { receivers: [], users: ['alice'], schedules: ['primary'] } },
];
const state = (over: Partial<ConsoleState> = {}, v: Partial<ConsoleState['view']> = {}): ConsoleState => ({
  view: { id: 'acme-1', title: 'HighLatency (checkout)', status: 'firing', severity: 'critical', policy: 'critical', step: 1, ...v },
  paged: [{ receiver: 'slack-ops' }],
  steps,
  ...over,
});

describe("the Web UI's summary and details of an incident", () => {
  test('the summary is the title on one line, cut to fit', () => {
    expect(staticSummary({ title: 'HighLatency (checkout)' })).toBe('HighLatency (checkout)');
    const long = staticSummary({ title: `A\nB ${'x'.repeat(500)}` });
    expect(long.startsWith('A B x')).toBe(true);
    expect(long.length).toBe(SUMMARY_MAX_CHARS);
    expect(long.endsWith('…')).toBe(true);
  });

  test('the static details list each alert (name, instance, summary), the labels and the runbook links', () => {
    const text = staticDetails(view([alert(1, { annotations: { summary: 'p99 above 2s', runbook_url: 'https://wiki.example/lat' } }), alert(2, { status: 'resolved' })]));
    expect(text).toContain('- **HighLatency** on web-1: p99 above 2s');
    expect(text).toContain('- **HighLatency** on web-2 (resolved): p99 above 2s on web-2');
    expect(text).toContain('### Alerts (2, 1 firing)');
    expect(text).toContain('alertname=HighLatency · service=checkout');
    expect(text).toContain('- [https://wiki.example/lat](https://wiki.example/lat)');
  });

  test("text from alerts is shown as itself: markup is escaped and only http(s) runbook URLs become links", () => {
    const text = staticDetails(
      view([alert(1, { labels: { alertname: '**boom**', instance: '<img src=x onerror=alert(1)>' }, annotations: { summary: '[click](https://evil.example)', runbook_url: 'javascript:alert(1)' } })], { team: '`core`_[x]' }),
    );
    expect(text).toContain('\\*\\*boom\\*\\*');
    expect(text).toContain('\\<img src=x onerror=alert\\(1\\)\\>');
    expect(text).toContain('\\[click\\]\\(https://evil.example\\)');
    expect(text).toContain('team=\\`core\\`\\_\\[x\\]');
    expect(text).not.toContain('javascript:');
    expect(text).not.toContain('### Runbooks');
  });

  test('a huge group stays small: 20 alerts listed, the rest counted, whole lines under the cap', () => {
    const alerts = Array.from({ length: 5000 }, (_, i) => alert(i, { annotations: { summary: 'y'.repeat(1000) } }));
    const text = staticDetails(view(alerts));
    expect(text.length).toBeLessThanOrEqual(DETAILS_MAX_CHARS);
    expect(text).toContain('- … and 4980 more');
    expect(text.match(/^- \*\*HighLatency\*\*/gm)).toHaveLength(20);
  });

  test('current details: status, who is paged, and the next step after the running wait, with its time', () => {
    const text = currentDetails(state({ next: { kind: 'step', at: '2026-01-01T00:05:00.000Z', cursor: 2 } }));
    expect(text).toContain('**Status:** firing · critical');
    expect(text).toContain('**Policy:** critical, step 2 of 4');
    expect(text).toContain('**Paged:** slack-ops');
    // Waits in a row are one wait: the next thing that happens is step 4's page.
    expect(text).toContain('**Next:** page schedule primary, alice, step 4 at 2026-01-01T00:05:00.000Z');
  });

  test('current details: who acknowledged or snoozed, when the ack times out, and nothing next once resolved', () => {
    expect(currentDetails(state({ next: { kind: 'ackTimeout', at: 'T1' } }, { status: 'acknowledged', acknowledgedBy: 'alice' }))).toMatch(/acknowledged by alice[\s\S]*acknowledgement times out at T1: page again from step 1/);
    expect(currentDetails(state({}, { status: 'acknowledged', acknowledgedBy: 'bob', snoozedUntil: 'T2' }))).toContain('snoozed by bob until T2');
    const resolved = currentDetails(state({ next: { kind: 'step', at: 'T3', cursor: 2 } }, { status: 'resolved', resolvedAt: 'T4' }));
    expect(resolved).toContain('**Status:** resolved at T4');
    expect(resolved).not.toContain('Next:');
  });

  test('current details: pages in flight, SLA targets and breaches, flapping, and Klaxon links', () => {
    const text = currentDetails(
      state({
        paged: [{ receiver: 'slack-ops' }, { receiver: 'mail', user: 'alice', unconfirmed: true }],
        sla: { tier: 'premium', ackDueAt: 'A', resolveDueAt: 'R', breached: ['ack'] },
        flapping: { count: 3, quietSince: 'Q', windowMs: 3_600_000 },
        links: { api: 'http://klaxon.test/api/v1/incidents/acme-1', page: 'javascript:alert(1)' },
      }),
    );
    expect(text).toContain('**Paged:** slack-ops, mail → alice (sending)');
    expect(text).toContain('**SLA (premium):** ack by A (breached), resolve by R');
    expect(text).toContain('**Flapping:** fired 3 times; quiet since Q');
    expect(text).toContain('[API](http://klaxon.test/api/v1/incidents/acme-1)');
    expect(text).not.toContain('javascript:');
  });

  test('activities and timers are named by what they do: "page slack-ops, step 1", "notify resolved to ops → alice"', () => {
    expect(describeStep(steps[0], 0)).toBe('page slack-ops, step 1');
    expect(describeStep({ kind: 'notifyIf', window: 'business', outside: false, targets: { receivers: [], users: ['lead'], schedules: [] } }, 4)).toBe('page lead if inside business, step 5');
    expect(describeStep({ kind: 'resolveAfter', ms: 4 * 3_600_000 }, 6)).toBe('resolve after 4h without change, step 7');
    expect(sendSummary({ purpose: 'page', kind: 'firing', receiver: 'slack-ops', step: 0 })).toBe('page slack-ops, step 1');
    expect(sendSummary({ purpose: 'page', kind: 'escalated', receiver: 'pd', step: 2 })).toBe('page pd (escalated)');
    // A page that writes the opening rows says so (the Web UI shows no audit activity for them).
    const opening = ['opened', 'classified', 'policy.selected'].map((kind, i) => ({ seq: i + 1, at: '2026-01-01T00:00:00.000Z', kind, actor: 'klaxon', details: {} }));
    expect(sendSummary({ purpose: 'page', kind: 'firing', receiver: 'slack-ops', step: 0 }, opening)).toBe('page slack-ops, step 1; audit opened, classified, policy.selected');
    expect(sendSummary({ purpose: 'notice', kind: 'resolved', receiver: 'ops', recipient: { id: 'alice', name: 'Alice' } })).toBe('notify resolved to ops → alice');
  });
});
