import { startEscalationHarness } from '../support/escalation';
import { eventually, uniqueTenant } from '../support/klaxon';
import { FakeVendor } from '../support/vendors/fakeVendor';
import { ntfy, twilio } from '../support/vendors/phonePush';
import { acknowledgeUpdate, resolveUpdate, stateQuery } from '../../workflows/definitions';
import type { Payload } from '@temporalio/common';
import { fixtureDataConverter } from '../support/encryption';

const MIN = 60_000;
const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
const FROM = '+15017122661';
const ALICE = '+4915112345678';

/**
 * Issue #13's done-line: a person with push, SMS and voice rules is reached in that order and stops
 * being reached at the ack, on the time-skipping server. The channels are the real notifiers (ntfy,
 * Twilio SMS and voice) talking to the local doubles of their APIs; the push goes to alice's own
 * ntfy topic on the receiver's server, not the receiver's shared topic.
 */
describe('push, SMS and a call by personal rules (time-skipping)', () => {
  const tenant = uniqueTenant('push');
  let h: Awaited<ReturnType<typeof startEscalationHarness>>;
  let nt: FakeVendor;
  let ntFake: ReturnType<typeof ntfy>;
  let tw: FakeVendor;
  let twFake: ReturnType<typeof twilio>;
  let stopWorker: () => Promise<void>;

  beforeAll(async () => {
    ntFake = ntfy({ topic: ['oncall-shared', 'alice-x7k2'], token: 'tk_0123456789abcdefghijklmnopqrs' });
    twFake = twilio({ accountSid: SID, authToken: TOKEN });
    [nt, tw] = await Promise.all([FakeVendor.start(ntFake), FakeVendor.start(twFake)]);
    h = await startEscalationHarness(
      `
tenants:
  ${tenant}:
    webhook: { token: "\${T}" }
    api: { token: "\${A}" }
    users:
      alice:
        name: Alice
        phone: "${ALICE}"
        push: alice-x7k2
        rules:
          high: [{ via: push }, { after: 2m, via: sms }, { after: 5m, via: voice }]
    receivers:
      phone-push: { type: ntfy, url: "${nt.url}", topic: oncall-shared, token: "\${NTFY}" }
      sms: { type: twilio-sms, accountSid: ${SID}, authToken: "\${TW}", from: "${FROM}", apiUrl: "${tw.url}" }
      call: { type: twilio-voice, accountSid: ${SID}, authToken: "\${TW}", from: "${FROM}", apiUrl: "${tw.url}" }
    userChannels: { push: phone-push, sms: sms, voice: call }
    escalationPolicies:
      urgent: { urgency: high, steps: [{ notify: { users: [alice] } }, { wait: 1h }] }
    defaultPolicy: urgent
`,
      { T: 't', A: 'a', TW: TOKEN, NTFY: 'tk_0123456789abcdefghijklmnopqrs' },
    );
    stopWorker = await h.startWorker();
  }, 60_000);

  afterAll(async () => {
    await stopWorker?.();
    await h?.stop();
    await Promise.all([nt?.close(), tw?.close()]);
  });

  /** Pages (not the quiet ack/resolve notices) about the incident named `alertname`, per channel. */
  const pushes = (alertname: string) => ntFake.published.filter((r) => String(r.headers.title).includes(alertname) && String(r.headers.tags).startsWith('rotating_light'));
  const texts = (alertname: string) => twFake.messages.filter((f) => f.get('Body')!.includes(alertname) && f.get('Body')!.includes('Reply "ack'));
  const calls = (alertname: string) => twFake.calls.filter((f) => f.get('Twiml')!.includes(alertname));
  /** Every payload of a workflow's stored history, decrypted (the harness encrypts as production does). */
  async function historyText(workflowId: string): Promise<string> {
    const history = await h.env.client.workflow.getHandle(workflowId).fetchHistory();
    const payloads: Payload[] = [];
    const walk = (v: unknown): void => {
      if (!v || typeof v !== 'object' || v instanceof Uint8Array) return;
      if (Array.isArray(v)) return v.forEach(walk);
      const o = v as Record<string, unknown>;
      if (o.metadata && o.data instanceof Uint8Array) return void payloads.push(o as Payload);
      Object.values(o).forEach(walk);
    };
    walk(history);
    const decoded = await fixtureDataConverter().payloadCodecs![0].decode(payloads);
    return decoded.map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8')).join('\n');
  }

  const reached = (alertname: string) => [pushes(alertname).length, texts(alertname).length, calls(alertname).length];

  test('nobody acknowledges: a push to her own topic at once, an SMS to her phone at 2 minutes, a call at 5', async () => {
    const handle = await h.startIncident(tenant, { alertname: 'ApiDown', severity: 'critical' });
    await eventually(async () => pushes('ApiDown').length === 1, 10_000, 'the push');
    expect(pushes('ApiDown')[0].path).toBe('/alice-x7k2');
    expect(pushes('ApiDown')[0].headers.authorization).toBe('Bearer tk_0123456789abcdefghijklmnopqrs');
    expect(reached('ApiDown')).toEqual([1, 0, 0]);
    await h.env.sleep(1 * MIN);
    expect(reached('ApiDown')).toEqual([1, 0, 0]);
    await h.env.sleep(1.5 * MIN);
    await eventually(async () => texts('ApiDown').length === 1, 10_000, 'the SMS');
    expect(texts('ApiDown')[0].get('To')).toBe(ALICE);
    expect(reached('ApiDown')).toEqual([1, 1, 0]);
    await h.env.sleep(2 * MIN);
    expect(calls('ApiDown')).toHaveLength(0);
    await h.env.sleep(1 * MIN);
    await eventually(async () => calls('ApiDown').length === 1, 10_000, 'the call');
    expect(calls('ApiDown')[0].get('To')).toBe(ALICE);
    expect(reached('ApiDown')).toEqual([1, 1, 1]);
    const scheduled = (await handle.query(stateQuery)).timeline.filter((e) => e.kind === 'notify.scheduled');
    expect(scheduled.map((e) => e.details.receiver)).toEqual(['sms', 'call']);
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice' }] });
    await h.finished(handle);
  }, 60_000);

  test('an ack between the SMS and the call stops the call, and nothing pages her after it', async () => {
    const handle = await h.startIncident(tenant, { alertname: 'DbSlow', severity: 'critical' });
    await eventually(async () => pushes('DbSlow').length === 1, 10_000, 'the push');
    await h.env.sleep(3 * MIN);
    await eventually(async () => texts('DbSlow').length === 1, 10_000, 'the SMS');
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: 'alice' }] });
    await h.env.sleep(15 * MIN);
    expect(reached('DbSlow')).toEqual([1, 1, 0]);
    const timeline = (await handle.query(stateQuery)).timeline;
    expect(timeline.filter((e) => e.kind === 'notify.dropped').map((e) => e.details)).toEqual([expect.objectContaining({ receiver: 'call', user: 'alice', reason: 'acknowledged' })]);
    // What she does get after the ack is the quiet notice on the channels that paged her (ntfy priority 2).
    await eventually(async () => ntFake.published.some((r) => String(r.headers.title).includes('DbSlow') && r.headers.priority === '2'), 10_000, 'the ack notice');
    await handle.executeUpdate(resolveUpdate, { args: [{ actor: 'alice' }] });
    await h.finished(handle);
    expect(reached('DbSlow')).toEqual([1, 1, 0]);
    // Her topic is looked up when the push is sent, so the history holds her phone (the recipient)
    // but never the topic (on ntfy.sh the topic name is its password).
    const { id } = await handle.query(stateQuery);
    const stored = (await historyText(handle.workflowId)) + (await historyText(`${handle.workflowId}/notices/${id}`));
    expect(stored).toContain(ALICE);
    expect(stored).not.toContain('alice-x7k2');
  }, 60_000);
});
