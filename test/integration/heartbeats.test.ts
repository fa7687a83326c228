import { startEscalationHarness } from '../support/escalation';
import { startReceiver } from '../support/receiver';
import { eventually, uniqueTenant } from '../support/klaxon';
import { Heartbeats } from '../../src/heartbeat/heartbeats';
import { heartbeatStateQuery, heartbeatWorkflowId } from '../../workflows/heartbeatDefinitions';

const MIN = 60_000;

/**
 * Heartbeat monitors (issue #12) on the time-skipping server: a missed beat opens an incident
 * through the tenant's routes and policies (real ingest, real incident workflow, real HTTP to the
 * receiver), the next beat resolves it, and a worker restart in between loses nothing.
 */
describe('heartbeats (time-skipping)', () => {
  const tenant = uniqueTenant('hb');
  let h: Awaited<ReturnType<typeof startEscalationHarness>>;
  let oncall: Awaited<ReturnType<typeof startReceiver>>;
  let other: Awaited<ReturnType<typeof startReceiver>>;
  let beats: Heartbeats;
  let stopWorker: () => Promise<void>;

  beforeAll(async () => {
    [oncall, other] = await Promise.all([startReceiver(), startReceiver()]);
    h = await startEscalationHarness(
      `
tenants:
  ${tenant}:
    webhook: { token: "\${T}" }
    api: { token: "\${A}" }
    receivers:
      oncall: { type: webhook, url: "\${ONCALL}" }
      other: { type: webhook, url: "\${OTHER}" }
    escalationPolicies:
      default: { steps: [{ notify: { receivers: [other] } }] }
      backups: { steps: [{ notify: { receivers: [oncall] } }, { wait: 30m }, { notify: { receivers: [oncall] } }] }
    defaultPolicy: default
    heartbeats:
      nightly-backup: { interval: 10m, grace: 2m, policy: backups, labels: { service: backups } }
`,
      { T: 't', A: 'a', ONCALL: oncall.url, OTHER: other.url },
    );
    beats = new Heartbeats(h.env.client, h.taskQueue);
    // No workflow cache: the time-skipping server never moves a stopped worker's sticky tasks.
    stopWorker = await h.startWorker({ cache: false });
  }, 60_000);

  afterAll(async () => {
    await stopWorker?.();
    await h?.stop();
    await Promise.all([oncall?.close(), other?.close()]);
  });

  const config = () => h.config.tenant(tenant)!.heartbeats['nightly-backup'];
  const state = () => h.env.client.workflow.getHandle(heartbeatWorkflowId(tenant, 'nightly-backup')).query(heartbeatStateQuery);
  const pages = () => oncall.messages().filter((m) => m.kind === 'firing');

  test('beats within interval + grace page nobody; a missed one opens an incident on its policy after a worker restart; the next beat resolves it', async () => {
    await beats.beat(tenant, 'nightly-backup', config(), 'http');
    await h.env.sleep(11 * MIN);
    await beats.beat(tenant, 'nightly-backup', config(), 'http');
    await h.env.sleep(11 * MIN);
    expect(await state()).toMatchObject({ beats: 2, missing: false, lastSource: 'http' });
    expect(pages()).toHaveLength(0);

    // The worker goes away; the heartbeat's timer is Temporal's.
    await stopWorker();
    stopWorker = await h.startWorker({ cache: false });
    await h.env.sleep(2 * MIN);
    const page = await eventually(async () => pages()[0], 20_000, 'the missed-beat page');
    expect(page.incident.labels ?? page.incident.commonLabels).toMatchObject({ alertname: 'HeartbeatMissing', heartbeat: 'nightly-backup', service: 'backups', severity: 'critical' });
    expect(page.text).toMatch(/No heartbeat from nightly-backup since .* \(expected every 10m, grace 2m\)/);
    expect(other.messages()).toHaveLength(0);
    expect(await state()).toMatchObject({ missing: true, beats: 2 });
    const timeline = await h.incidents.timeline(page.incident.id);
    expect(timeline.find((e) => e.kind === 'policy.selected')!.details).toMatchObject({ route: 'heartbeat', policy: 'backups' });

    // Missing for a while: one incident, its own policy repeats, the heartbeat does not open more.
    await h.env.sleep(40 * MIN);
    expect(new Set(pages().map((m) => m.incident.id)).size).toBe(1);

    await beats.beat(tenant, 'nightly-backup', config(), 'http');
    await eventually(async () => oncall.messages().some((m) => m.kind === 'resolved' && m.incident.id === page.incident.id), 20_000, 'the resolve');
    expect(await state()).toMatchObject({ missing: false, beats: 3 });
  }, 120_000);
});
