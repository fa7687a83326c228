import { startEscalationHarness } from '../support/escalation';
import { startReceiver } from '../support/receiver';
import { eventually, uniqueTenant } from '../support/klaxon';
import { acknowledgeUpdate, resolveUpdate, stateQuery } from '../../workflows/definitions';

const MIN = 60_000;

/**
 * Personal notification rules (issue #13) on the time-skipping server: a person reached by a step
 * follows their own rules per urgency (e-mail now, SMS at 2m, a call at 5m), in order, and stops
 * being reached at the ack. Each contact method is a local receiver standing in for its channel
 * (the channels themselves have their contract tests).
 */
describe('personal notification rules (time-skipping)', () => {
  const tenant = uniqueTenant('rules');
  let h: Awaited<ReturnType<typeof startEscalationHarness>>;
  let email: Awaited<ReturnType<typeof startReceiver>>;
  let sms: Awaited<ReturnType<typeof startReceiver>>;
  let voice: Awaited<ReturnType<typeof startReceiver>>;
  let stopWorker: () => Promise<void>;

  beforeAll(async () => {
    [email, sms, voice] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
    h = await startEscalationHarness(
      `
tenants:
  ${tenant}:
    webhook: { token: "\${T}" }
    api: { token: "\${A}" }
    users:
      alice:
        name: Alice
        email: alice@example.com
        phone: "+14155550100"
        rules:
          high: [{ via: email }, { after: 2m, via: sms }, { after: 5m, via: voice }]
          low: [{ via: email }]
      bob: { name: Bob, email: bob@example.com }
    receivers:
      email: { type: webhook, url: "\${EMAIL}" }
      sms: { type: webhook, url: "\${SMS}" }
      voice: { type: webhook, url: "\${VOICE}" }
    userChannels: { email: email, sms: sms, voice: voice }
    escalationPolicies:
      urgent: { urgency: high, steps: [{ notify: { users: [alice, bob] } }, { wait: 1h }] }
      quiet: { urgency: low, steps: [{ notify: { users: [alice] } }, { wait: 1h }] }
    routes: [{ matchers: ['urgency="low"'], policy: quiet }]
    defaultPolicy: urgent
`,
      { T: 't', A: 'a', EMAIL: email.url, SMS: sms.url, VOICE: voice.url },
    );
    stopWorker = await h.startWorker();
  }, 60_000);

  afterAll(async () => {
    await stopWorker?.();
    await h?.stop();
    await Promise.all([email?.close(), sms?.close(), voice?.close()]);
  });

  const to = (r: Awaited<ReturnType<typeof startReceiver>>, id: string, user = 'alice') => r.messages().filter((m) => m.incident.id === id && m.recipient?.id === user && m.kind === 'firing');

  test('high urgency, nobody acknowledges: e-mail at once, SMS at 2 minutes, a call at 5; a person without rules gets every method at once', async () => {
    const handle = await h.startIncident(tenant, { alertname: 'Down', severity: 'critical' });
    const { id } = await handle.query(stateQuery);
    // Both at once (two sends in flight together): alice's first rule, and bob, who has no rules.
    await eventually(async () => to(email, id).length === 1 && to(email, id, 'bob').length === 1, 10_000, 'the e-mails');
    expect(to(sms, id)).toHaveLength(0);
    await h.env.sleep(1 * MIN);
    expect(to(sms, id)).toHaveLength(0);
    await h.env.sleep(2 * MIN);
    await eventually(async () => to(sms, id).length === 1, 10_000, 'the SMS');
    expect(to(voice, id)).toHaveLength(0);
    await h.env.sleep(3 * MIN);
    await eventually(async () => to(voice, id).length === 1, 10_000, 'the call');
    const timeline = (await handle.query(stateQuery)).timeline;
    expect(timeline.filter((e) => e.kind === 'notify.scheduled').map((e) => e.details.receiver)).toEqual(['sms', 'voice']);
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice' }] });
    await handle.result();
  }, 60_000);

  test('the ack stops her rules: the SMS went out, the call never does', async () => {
    const handle = await h.startIncident(tenant, { alertname: 'Slow', severity: 'critical' });
    const { id } = await handle.query(stateQuery);
    await eventually(async () => to(email, id).length === 1, 10_000, 'the e-mail');
    await h.env.sleep(3 * MIN);
    await eventually(async () => to(sms, id).length === 1, 10_000, 'the SMS');
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });
    await h.env.sleep(10 * MIN);
    expect(to(voice, id)).toHaveLength(0);
    const dropped = (await handle.query(stateQuery)).timeline.filter((e) => e.kind === 'notify.dropped');
    expect(dropped.map((e) => e.details)).toEqual([expect.objectContaining({ receiver: 'voice', user: 'alice', reason: 'acknowledged' })]);
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice' }] });
    await handle.result();
  }, 60_000);

  test('low urgency follows her low rules: e-mail only', async () => {
    const handle = await h.startIncident(tenant, { alertname: 'Disk', urgency: 'low' });
    const { id } = await handle.query(stateQuery);
    await eventually(async () => to(email, id).length === 1, 10_000, 'the e-mail');
    await h.env.sleep(10 * MIN);
    expect([to(sms, id).length, to(voice, id).length]).toEqual([0, 0]);
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice' }] });
    await handle.result();
  }, 60_000);
});
