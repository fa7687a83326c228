import { register } from 'prom-client';
import { FakeVendor } from '../../support/vendors/fakeVendor';
import { slackApi, pagerduty } from '../../support/vendors/fakes';
import { anyReceiver, ctx, deliveryError, expectNoSecrets, incident, message, partlyResolved } from '../../support/vendors/messages';
import { deliver, type DeliveryRequest } from '../../../src/notifiers/deliver';
import { RateLimiter } from '../../../src/notifiers/rateLimit';
import { CircuitBreakers, type ReceiverHealth } from '../../../src/notifiers/circuitBreaker';
import { CircuitOpenError } from '../../../src/notifiers/errors';
import type { ReceiverConfig } from '../../../src/config/receivers';
import { renderMessage } from '../../../src/templates/render';

const TOKEN = 'xoxb-1111111111-2222222222-DeliverTestTokenValue';
const PD_KEY = 'R0ut1ngK3yR0ut1ngK3yR0ut1ngK3y12';

describe('deliver()', () => {
  let slack: FakeVendor;
  let pd: FakeVendor;
  beforeAll(async () => {
    slack = await FakeVendor.start(slackApi({ token: TOKEN }));
    pd = await FakeVendor.start(pagerduty);
  });
  afterAll(async () => {
    await slack.close();
    await pd.close();
  });
  beforeEach(() => {
    slack.reset();
    pd.reset();
  });

  const slackReceiver = (over: Record<string, unknown> = {}) =>
    anyReceiver({ type: 'slack', token: '${T}', channel: 'C123ABC456', apiUrl: `${slack.url}/api`, ...over }, { T: TOKEN });
  const pdReceiver = () => anyReceiver({ type: 'pagerduty', routingKey: '${PD}', apiUrl: `${pd.url}/v2/enqueue` }, { PD: PD_KEY });
  const req = (receiver: ReceiverConfig, over: Partial<DeliveryRequest> = {}): DeliveryRequest => ({
    tenant: 'acme',
    receiverName: 'slack-oncall',
    receiver,
    message: message(),
    mode: 'send',
    ...over,
  });

  it('a burst of 100 to one Slack channel is queued within 20/s and every message arrives exactly once', async () => {
    const limiter = new RateLimiter();
    const receiver = slackReceiver({ rateLimit: { per: 20, every: '1s' } });
    // Warm the connection pool (another receiver, another bucket) so TCP set-up of the first burst
    // does not blur the arrival times the test measures.
    const warm = slackReceiver({ rateLimit: { per: 100, every: '1s' } });
    await Promise.all(Array.from({ length: 20 }, () => deliver(req(warm, { receiverName: 'warm-up' }), ctx(), { rateLimiter: limiter, breakers: new CircuitBreakers() })));
    slack.reset();
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        deliver(req(receiver, { message: message('firing', incident(), { title: `storm #${i}` }) }), ctx(), { rateLimiter: limiter, breakers: new CircuitBreakers() }),
      ),
    );
    const elapsed = performance.now() - started;
    expect(results).toHaveLength(100);
    const titles = slack.requests.map((r) => r.json().blocks[0].text.text as string);
    expect(titles).toHaveLength(100);
    expect(new Set(titles).size).toBe(100);
    const arrivals = slack.requests.map((r) => r.at).sort((a, b) => a - b);
    // Sliding window at the server: the 21st message after any message arrives ~1 s later or more
    // (100 ms for event-loop and socket jitter on a loaded CI machine), i.e. no window of 0.9 s ever
    // holds more than 20. A limiter that let twice the rate through would fail this by ~0.5 s.
    for (let i = 0; i + 20 < arrivals.length; i++) expect(arrivals[i + 20] - arrivals[i]).toBeGreaterThanOrEqual(900);
    for (let i = 0; i < arrivals.length; i++) expect(arrivals.filter((t) => t >= arrivals[i] && t < arrivals[i] + 900).length).toBeLessThanOrEqual(20);
    // 100 messages at 20/s with a first burst of 20: four more windows.
    expect(elapsed).toBeGreaterThanOrEqual(3900);
    expect(elapsed).toBeLessThan(8000);
  }, 20_000);

  it('heartbeats while queued and can be aborted', async () => {
    const limiter = new RateLimiter();
    const receiver = slackReceiver({ rateLimit: { per: 1, every: '5s' } });
    await deliver(req(receiver), ctx(), { rateLimiter: limiter, breakers: new CircuitBreakers() });
    const beats: number[] = [];
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(new Error('activity cancelled')), 2300);
    const err = await deliveryError(() => deliver(req(receiver), ctx(), { rateLimiter: limiter, breakers: new CircuitBreakers(), signal: ctrl.signal, heartbeat: (ms) => beats.push(ms) }));
    expect(err.message).toContain('cancelled while queued');
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats[1]).toBeGreaterThanOrEqual(1900);
    expect(slack.requests).toHaveLength(1);
  });

  it('opens the circuit after 5 failures, uses the fallback, half-opens after the cool-down and closes on success', async () => {
    let now = Date.parse('2025-01-02T03:00:00Z');
    const breakers = new CircuitBreakers(() => now);
    const changes: Array<[string, string]> = [];
    breakers.onStateChange((h, prev) => changes.push([prev, h.state]));
    const broken = slackReceiver({ fallback: 'pager', circuitBreaker: { failures: 5, cooldown: '60s' }, rateLimit: { per: 100, every: '1s' } });
    const receivers = { 'slack-oncall': broken, pager: pdReceiver() };
    const opts = { breakers, rateLimiter: new RateLimiter() };

    slack.handle(() => ({ status: 503, body: 'upstream unavailable' }));
    for (let i = 0; i < 5; i++) {
      const err = await deliveryError(() => deliver(req(broken, { receivers }), ctx(), opts));
      expect(err.retryable).toBe(true);
    }
    expect(breakers.stateOf('acme', 'slack-oncall')).toBe('open');
    expect(slack.requests).toHaveLength(5);

    // Open: the message goes to the fallback (PagerDuty), Slack is not called.
    const viaFallback = await deliver(req(broken, { receivers }), ctx(), opts);
    expect(viaFallback.response).toMatch(/^via fallback pager:/);
    // The fallback's own reference comes back, named as the fallback's: follow-ups go there.
    expect(viaFallback.deliveredBy).toBe('pager');
    expect(viaFallback.thread).toEqual({ dedupKey: expect.any(String) });
    expect(slack.requests).toHaveLength(5);
    expect(pd.requests).toHaveLength(1);

    // Without a usable fallback, a retryable CircuitOpenError with the remaining cool-down.
    now += 10_000;
    const open = await deliveryError(() => deliver(req(broken), ctx(), opts));
    expect(open).toBeInstanceOf(CircuitOpenError);
    expect(open.retryable).toBe(true);
    expect(open.opts.retryAfterMs).toBe(50_000);

    // After the cool-down one trial goes through; it fails → open again.
    now += 50_000;
    await deliveryError(() => deliver(req(broken, { receivers }), ctx(), opts));
    expect(slack.requests).toHaveLength(6);
    expect(breakers.stateOf('acme', 'slack-oncall')).toBe('open');

    // Next cool-down: Slack is back; the trial succeeds and the circuit closes.
    now += 60_000;
    slack.handle(slackApi({ token: TOKEN }));
    await deliver(req(broken, { receivers }), ctx(), opts);
    expect(breakers.stateOf('acme', 'slack-oncall')).toBe('closed');
    const health = breakers.health().find((h) => h.receiver === 'slack-oncall') as ReceiverHealth;
    expect(health).toMatchObject({ tenant: 'acme', state: 'closed', failures: 0 });
    expect(changes).toEqual([
      ['closed', 'open'],
      ['open', 'half-open'],
      ['half-open', 'open'],
      ['open', 'half-open'],
      ['half-open', 'closed'],
    ]);
  });

  it('429s do not open the circuit', async () => {
    const breakers = new CircuitBreakers();
    const receiver = slackReceiver({ circuitBreaker: { failures: 2, cooldown: '60s' } });
    slack.handle(() => ({ status: 429, headers: { 'retry-after': '1' }, body: 'slow down' }));
    for (let i = 0; i < 4; i++) await deliveryError(() => deliver(req(receiver), ctx(), { breakers, rateLimiter: new RateLimiter() }));
    expect(breakers.stateOf('acme', 'slack-oncall')).toBe('closed');
    slack.handle(slackApi({ token: TOKEN }));
  });

  it('mode update passes the thread returned by send to the notifier', async () => {
    const opts = { breakers: new CircuitBreakers(), rateLimiter: new RateLimiter() };
    const receiver = slackReceiver({ rateLimit: { per: 10, every: '1s' } });
    const sent = await deliver(req(receiver), ctx(), opts);
    await deliver(req(receiver, { mode: 'update', message: { ...message('resolved'), thread: sent.thread } }), ctx(), opts);
    expect(slack.requests.slice(1).map((r) => [r.path, r.json().ts ?? r.json().thread_ts])).toEqual([
      ['/api/chat.update', sent.thread!.ts],
      ['/api/chat.postMessage', sent.thread!.ts],
    ]);
  });

  describe('a partial resolve (updated)', () => {
    const opts = () => ({ breakers: new CircuitBreakers(), rateLimiter: new RateLimiter() });
    const updated = (thread?: Record<string, string>) => ({ ...message('updated', partlyResolved()), ...(thread ? { thread } : {}) });

    it('goes through the notifier’s update into the thread', async () => {
      const sent = await deliver(req(slackReceiver()), ctx(), opts());
      const res = await deliver(req(slackReceiver(), { mode: 'update', message: updated(sent.thread) }), ctx(), opts());
      expect(slack.requests.slice(1).map((r) => [r.path, r.json().ts ?? r.json().thread_ts])).toEqual([
        ['/api/chat.update', sent.thread!.ts],
        ['/api/chat.postMessage', sent.thread!.ts],
      ]);
      expect(res.skipped).toBeUndefined();
    });

    it('without a thread sends nothing (no new top-level message) and says so', async () => {
      const res = await deliver(req(slackReceiver(), { message: updated() }), ctx(), opts());
      expect(slack.requests).toHaveLength(0);
      expect(res).toEqual({ skipped: true, response: 'not sent: no conversation to update (no thread from an earlier send)' });
    });

    it.each([
      ['teams', { url: '${U}' }],
      ['mattermost', { url: '${U}' }],
      ['rocketchat', { url: '${U}' }],
    ])('to %s, which cannot change what it sent, sends nothing even with a thread', async (type, fields) => {
      const receiver = anyReceiver({ type, ...fields }, { U: `${slack.url}/hooks/${type}` });
      const res = await deliver(req(receiver, { receiverName: type, mode: 'update', message: updated({ ts: '1.2' }) }), ctx(), opts());
      expect(slack.requests).toHaveLength(0);
      expect(res).toEqual({ skipped: true, response: `not sent: no conversation to update (${type} cannot change what it sent)` });
      // The same receiver does post a resolve (as a new card): only the update is held back.
      await deliver(req(receiver, { receiverName: type, mode: 'update', message: { ...message('resolved'), thread: { ts: '1.2' } } }), ctx(), opts());
      expect(slack.requests).toHaveLength(1);
    });

    it('to PagerDuty reaches no vendor, and does not count as the half-open circuit’s trial', async () => {
      let now = Date.parse('2025-01-02T03:00:00Z');
      const breakers = new CircuitBreakers(() => now);
      const o = { breakers, rateLimiter: new RateLimiter() };
      const pager = (over: Partial<DeliveryRequest>) => req(pdReceiver(), { receiverName: 'pager', ...over });
      pd.handle(() => ({ status: 503, body: 'Service Unavailable' }));
      for (let i = 0; i < 5; i++) await deliveryError(() => deliver(pager({}), ctx(), o));
      expect(breakers.stateOf('acme', 'pager')).toBe('open');
      pd.handle(pagerduty);
      pd.reset();
      now += 61_000;
      const res = await deliver(pager({ mode: 'update', message: updated({ dedupKey: 'inc-7f3a9c' }) }), ctx(), o);
      expect(pd.requests).toHaveLength(0);
      expect(res.skipped).toBe(true);
      expect(res.response).toMatch(/^not sent: PagerDuty Events API v2 has no update event/);
      // Nothing was learnt about PagerDuty: still half-open, and the next real event is the trial.
      expect(breakers.stateOf('acme', 'pager')).toBe('half-open');
      await deliver(pager({}), ctx(), o);
      expect(pd.requests).toHaveLength(1);
      expect(breakers.stateOf('acme', 'pager')).toBe('closed');
    });

    it('is not handed to the fallback while the circuit is open (the fallback has no thread): it waits', async () => {
      const breakers = new CircuitBreakers();
      const broken = slackReceiver({ fallback: 'pager', circuitBreaker: { failures: 1, cooldown: '60s' } });
      const receivers = { 'slack-oncall': broken, pager: pdReceiver() };
      slack.handle(() => ({ status: 503, body: 'upstream unavailable' }));
      await deliveryError(() => deliver(req(broken, { receivers }), ctx(), { breakers, rateLimiter: new RateLimiter() }));
      slack.handle(slackApi({ token: TOKEN }));
      const err = await deliveryError(() => deliver(req(broken, { receivers, mode: 'update', message: updated({ channel: 'C123ABC456', ts: '1.2' }) }), ctx(), { breakers, rateLimiter: new RateLimiter() }));
      expect(err).toBeInstanceOf(CircuitOpenError);
      expect(err.retryable).toBe(true);
      expect(pd.requests).toHaveLength(0);
      expect(slack.requests).toHaveLength(1);
    });
  });

  it('truncates a 500-alert group to Slack’s section limit with the marker', async () => {
    const inc = incident({}, 500);
    await deliver(req(slackReceiver(), { message: message('firing', inc) }), ctx(), { breakers: new CircuitBreakers(), rateLimiter: new RateLimiter() });
    const section: string = slack.last().json().blocks[1].text.text;
    expect(section.length).toBeLessThanOrEqual(3000);
    const kept = section.split('\n').length - 1;
    expect(section.endsWith(`… and ${500 - kept} more alerts`)).toBe(true);
  });

  it('a default-template message keeps every alert line in Slack (long summaries cut), the footer, and the escaping', async () => {
    const base = incident({}, 15);
    const inc = { ...base, alerts: base.alerts.map((a) => ({ ...a, annotations: { summary: `p99 <${'x'.repeat(600)}> & more` } })) };
    const m = message('firing', inc);
    const rendered = renderMessage('slack', {}, { kind: 'firing', incident: m.incident, now: '2025-01-02T03:10:00Z' });
    await deliver(req(slackReceiver(), { message: { ...m, ...rendered } }), ctx(), { breakers: new CircuitBreakers(), rateLimiter: new RateLimiter() });
    const section: string = slack.last().json().blocks[1].text.text;
    expect(section.length).toBeLessThanOrEqual(3000);
    const alerts = section.split('\n').filter((l) => l.startsWith('- '));
    expect(alerts).toHaveLength(15);
    for (const line of alerts) expect(line).toMatch(/: p99 &lt;x+…$/);
    expect(section).not.toContain('more alert');
    expect(section.endsWith(`Incident: ${inc.links.incident}`)).toBe(true);
  });

  it('scrubs secrets from errors, and counts outcomes in klaxon_notifications_total', async () => {
    slack.replyOnce({ status: 500, body: `internal error while using ${TOKEN}` });
    const err = await deliveryError(() => deliver(req(slackReceiver()), ctx(), { breakers: new CircuitBreakers(), rateLimiter: new RateLimiter() }));
    expectNoSecrets(err, [TOKEN]);
    const metrics = await register.getSingleMetricAsString('klaxon_notifications_total');
    expect(metrics).toMatch(/klaxon_notifications_total\{tenant="acme",channel="slack",outcome="retryable_error"\} [1-9]/);
    expect(metrics).toMatch(/outcome="success"/);
    expect(await register.getSingleMetricAsString('klaxon_notification_duration_seconds')).toMatch(/channel="slack"/);
    expect(await register.getSingleMetricAsString('klaxon_receiver_up')).toMatch(/klaxon_receiver_up\{tenant="acme",receiver="slack-oncall"\} 1/);
  });
});
