import { FakeVendor } from '../../support/vendors/fakeVendor';
import { pagerduty } from '../../support/vendors/fakes';
import { ctx, deliveryError, expectDocumentedShape, expectNoSecrets, incident, message, partlyResolved, receiver } from '../../support/vendors/messages';
import { pagerdutyNotifier } from '../../../src/notifiers/pagerduty';
import fx from '../../fixtures/vendors/pagerduty.json';

const KEY = 'R0ut1ngK3yR0ut1ngK3yR0ut1ngK3y12';

describe('pagerduty', () => {
  let vendor: FakeVendor;
  beforeAll(async () => {
    vendor = await FakeVendor.start(pagerduty);
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());
  const cfg = (key = KEY) => receiver({ type: 'pagerduty', routingKey: '${PD}', apiUrl: `${vendor.url}/v2/enqueue` }, { PD: key });

  it('triggers with dedup_key = incident id, routing_key and a PD-CEF payload', async () => {
    const res = await pagerdutyNotifier.send(cfg(), message(), ctx());
    const req = vendor.last();
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v2/enqueue');
    expect(req.headers['content-type']).toBe('application/json');
    const body = req.json();
    expectDocumentedShape(body, fx);
    expect(body).toMatchObject({ routing_key: KEY, event_action: 'trigger', dedup_key: 'inc-7f3a9c', payload: { severity: 'critical', source: 'api' } });
    expect(res.thread).toEqual({ dedupKey: 'inc-7f3a9c' });
    expect(res.response).toContain('Event processed');
  });

  it('maps Klaxon severities to PagerDuty severities', async () => {
    await pagerdutyNotifier.send(cfg(), message('firing', incident({ severity: 'warning' })), ctx());
    expect(vendor.last().json().payload.severity).toBe('warning');
  });

  it('caps payload.summary at 1,024 characters', async () => {
    await pagerdutyNotifier.send(cfg(), message('firing', incident(), { title: 'x'.repeat(5000) }), ctx());
    expect(vendor.last().json().payload.summary.length).toBe(1024);
  });

  it('acknowledge and resolve address the same dedup_key (documented minimal bodies)', async () => {
    const sent = await pagerdutyNotifier.send(cfg(), message(), ctx());
    await pagerdutyNotifier.update!(cfg(), { ...message('acknowledged'), thread: sent.thread! }, ctx());
    await pagerdutyNotifier.update!(cfg(), { ...message('resolved'), thread: sent.thread! }, ctx());
    const [, ack, resolve] = vendor.requests.map((r) => r.json());
    expect(Object.keys(resolve).sort()).toEqual(Object.keys(fx.exampleResolve).sort());
    expect(ack).toEqual({ routing_key: KEY, dedup_key: 'inc-7f3a9c', event_action: 'acknowledge' });
    expect(resolve).toEqual({ routing_key: KEY, dedup_key: 'inc-7f3a9c', event_action: 'resolve' });
  });

  it('a partial resolve sends nothing: Events API v2 has no update, and a trigger would re-page', async () => {
    const sent = await pagerdutyNotifier.send(cfg(), message(), ctx());
    vendor.reset();
    const res = await pagerdutyNotifier.update!(cfg(), { ...message('updated', partlyResolved()), thread: sent.thread! }, ctx());
    expect(vendor.requests).toHaveLength(0);
    expect(res).toEqual({ thread: sent.thread, skipped: true, response: expect.stringMatching(/^not sent: PagerDuty Events API v2 has no update event/) });
    // Nor through send (no thread yet).
    await pagerdutyNotifier.send(cfg(), message('updated', partlyResolved()), ctx());
    expect(vendor.requests).toHaveLength(0);
  });

  it('400 "invalid event" is final, carries PagerDuty’s errors and not the key', async () => {
    const bad = 'short-key-not-32-chars';
    const err = await deliveryError(() => pagerdutyNotifier.send(cfg(bad), message(), ctx()));
    expect(err.retryable).toBe(false);
    expect(err.opts.status).toBe(400);
    expect(err.opts.vendorMessage).toContain('Event object is invalid');
    expect(err.opts.vendorMessage).toContain("Length of 'routing_key' is incorrect");
    expectNoSecrets(err, [bad]);
  });

  it('429 with Retry-After and 5xx are retryable', async () => {
    vendor.replyOnce({ status: 429, headers: { 'retry-after': '60' }, body: { status: 'throttle event', message: `Requests for this service are arriving too quickly (${KEY})` } });
    const err = await deliveryError(() => pagerdutyNotifier.send(cfg(), message(), ctx()));
    expect(err.retryable).toBe(true);
    expect(err.opts.retryAfterMs).toBeGreaterThanOrEqual(60_000);
    expectNoSecrets(err, [KEY]);
    vendor.replyOnce({ status: 503, body: 'Service Unavailable' });
    expect((await deliveryError(() => pagerdutyNotifier.send(cfg(), message(), ctx()))).retryable).toBe(true);
  });

  it('each re-page cycle after an ack uses a new dedup_key (an acknowledged PD alert ignores triggers); resolve closes every cycle', async () => {
    const again = incident({ cycle: 2 });
    await pagerdutyNotifier.send(cfg(), message('firing', again), ctx());
    await pagerdutyNotifier.update!(cfg(), { ...message('acknowledged', again), thread: { dedupKey: 'inc-7f3a9c~2' } }, ctx());
    await pagerdutyNotifier.update!(cfg(), { ...message('resolved', again), thread: { dedupKey: 'inc-7f3a9c~2' } }, ctx());
    expect(vendor.requests.map((r) => [r.json().event_action, r.json().dedup_key])).toEqual([
      ['trigger', 'inc-7f3a9c~2'],
      ['acknowledge', 'inc-7f3a9c~2'],
      ['resolve', 'inc-7f3a9c'],
      ['resolve', 'inc-7f3a9c~1'],
      ['resolve', 'inc-7f3a9c~2'],
    ]);
  });
});
