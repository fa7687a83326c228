import { FakeVendor } from '../../support/vendors/fakeVendor';
import { pushover } from '../../support/vendors/phonePush';
import { ctx, deliveryError, expectDocumentedShape, expectNoSecrets, incident, message, receiver } from '../../support/vendors/messages';
import { pushoverNotifier, PUSHOVER_MESSAGE_MAX } from '../../../src/notifiers/pushover';
import { receiverSchema } from '../../../src/config/receivers';
import { withEnv } from '../../../src/config/secret';
import fx from '../../fixtures/vendors/pushover.json';

const TOKEN = 'azGDORePK8gMaC0QOYAMyEEuzJnyUi';
const USER = 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG';
const ACK = 'https://klaxon.example/a/eyJpIjoiaW5jLTdmM2E5YyJ9.c2lnbmF0dXJl';
/** A person's own user key (users.<u>.push), reached through userChannels.push. */
const BOB = 'bQ7xKp2mNw9rT4sV6yZ1aC3dE5fG8h';

describe('pushover', () => {
  let vendor: FakeVendor;
  let fake: ReturnType<typeof pushover>;
  beforeAll(async () => {
    fake = pushover({ token: TOKEN, user: [USER, BOB] });
    vendor = await FakeVendor.start(fake);
  });
  afterAll(() => vendor.close());
  beforeEach(() => {
    vendor.reset();
    fake.sent.length = 0;
    fake.cancelled.length = 0;
  });

  const cfg = (extra: Record<string, unknown> = {}) => receiver({ type: 'pushover', token: '${PO}', user: USER, apiUrl: vendor.url, ...extra }, { PO: TOKEN });
  const withAck = (severity: 'critical' | 'warning' | 'info' = 'critical') => incident({ severity, links: { workflow: 'http://localhost:8233/wf', incident: 'https://klaxon.example/i/view', ack: ACK } });

  it('a critical page is emergency priority 2 with retry, expire and a callback to the signed route', async () => {
    const res = await pushoverNotifier.send(cfg({ retry: '2m', expire: '3h' }), message('firing', withAck()), ctx());
    const req = vendor.last();
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/1/messages.json');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const f = Object.fromEntries(new URLSearchParams(req.body));
    expectDocumentedShape(f, fx);
    expect(f).toMatchObject({
      token: TOKEN,
      user: USER,
      title: '[FIRING] HighLatency on api (2 alerts)',
      priority: '2',
      retry: '120',
      expire: '10800',
      callback: 'https://klaxon.example/integrations/pushover/callback/eyJpIjoiaW5jLTdmM2E5YyJ9.c2lnbmF0dXJl',
      url: 'https://klaxon.example/i/view',
      url_title: 'Open incident',
      timestamp: String(Date.parse('2025-01-02T03:04:05Z') / 1000),
    });
    expect(f.message).toContain('p99 latency above 2s on api-0');
    expect(res.thread).toEqual({ receipt: expect.stringMatching(/^r\d{29}$/), request: fx.responses.emergency.request });
  });

  it('a person paged through userChannels.push gets it on their own user key, with the receiver\'s token; others on the receiver\'s key', async () => {
    await pushoverNotifier.send(cfg(), message('firing', withAck(), { recipient: { id: 'bob', name: 'Bob', push: BOB } }), ctx());
    await pushoverNotifier.send(cfg(), message('firing', withAck(), { recipient: { id: 'carol', name: 'Carol' } }), ctx());
    expect(fake.sent.map((f) => [f.get('token'), f.get('user')])).toEqual([
      [TOKEN, BOB],
      [TOKEN, USER],
    ]);
  });

  it('a warning is high priority 1: no retry, expire or callback', async () => {
    await pushoverNotifier.send(cfg(), message('firing', withAck('warning')), ctx());
    const f = fake.sent[0];
    expect(f.get('priority')).toBe('1');
    expect(f.has('retry') || f.has('expire') || f.has('callback')).toBe(false);
  });

  it('acknowledge cancels the emergency repeats, then sends a quiet notice; resolve after that still goes', async () => {
    const page = await pushoverNotifier.send(cfg(), message('firing', withAck()), ctx());
    const ack = await pushoverNotifier.update!(cfg(), { ...message('acknowledged', withAck()), thread: page.thread! }, ctx());
    expect(fake.cancelled).toEqual([page.thread!.receipt]);
    expect(vendor.requests[1]).toMatchObject({ method: 'POST', path: `/1/receipts/${page.thread!.receipt}/cancel.json` });
    expect(new URLSearchParams(vendor.requests[1].body).get('token')).toBe(TOKEN);
    expect(fake.sent[1].get('priority')).toBe('-1');
    expect(fake.sent[1].get('title')).toBe('[ACKNOWLEDGED] HighLatency on api (2 alerts)');
    expect(ack.thread).toEqual(page.thread);
    // A receipt Pushover no longer knows (expired, or cancelled) is refused: the notice still goes.
    await pushoverNotifier.update!(cfg(), { ...message('resolved', withAck()), thread: { ...page.thread!, receipt: 'r99999999999999999999999999999' } }, ctx());
    expect(fake.sent[2].get('title')).toBe('[RESOLVED] HighLatency on api (2 alerts)');
  });

  it('fits 500 alerts into 1,024 characters; a partial resolve sends nothing', async () => {
    await pushoverNotifier.send(cfg(), message('firing', incident({}, 500)), ctx());
    expect(fake.sent[0].get('message')!.length).toBeLessThanOrEqual(PUSHOVER_MESSAGE_MAX);
    expect(fake.sent[0].get('message')).toMatch(/… and \d+ more alerts/);
    expect((await pushoverNotifier.update!(cfg(), { ...message('updated'), thread: { receipt: 'x' } }, ctx())).skipped).toBe(true);
  });

  it('an invalid user key is a final 400 with Pushover\'s errors and no token; 5xx and 429 are retried', async () => {
    const other = receiver({ type: 'pushover', token: '${PO}', user: 'gznej3rKEVAvPUxu9vvNnqpmZpokzF', apiUrl: vendor.url }, { PO: TOKEN });
    const bad = await deliveryError(() => pushoverNotifier.send(other, message(), ctx()));
    expect(bad).toMatchObject({ retryable: false, opts: { status: 400 } });
    expect(bad.opts.vendorMessage).toContain('user identifier is invalid');
    expectNoSecrets(bad, [TOKEN]);
    vendor.replyOnce({ status: 500, body: 'Internal Server Error' });
    expect((await deliveryError(() => pushoverNotifier.send(cfg(), message(), ctx()))).retryable).toBe(true);
    vendor.replyOnce({ status: 429, headers: { 'retry-after': '60' }, body: { status: 0, errors: ['application over quota'] } });
    expect(await deliveryError(() => pushoverNotifier.send(cfg(), message(), ctx()))).toMatchObject({ retryable: true, opts: { retryAfterMs: 60_000 } });
  });

  it('bad config names the field: retry under 30s, expire over 3h, a malformed user key', () => {
    const issues = (raw: Record<string, unknown>) => {
      const r = withEnv({ PO: TOKEN }, () => receiverSchema.safeParse({ type: 'pushover', token: '${PO}', user: USER, ...raw }));
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ retry: '10s' })).toEqual(["retry: at least 30s (Pushover's minimum)"]);
    expect(issues({ expire: '4h' })).toEqual(["expire: at most 3h (Pushover's maximum)"]);
    expect(issues({ user: 'alice' })).toEqual(['user: a Pushover user or group key is 30 letters and digits']);
  });
});
