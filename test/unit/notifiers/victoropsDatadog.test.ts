import { FakeVendor } from '../../support/vendors/fakeVendor';
import { datadog, victorops } from '../../support/vendors/fakes';
import { ctx, deliveryError, expectDocumentedShape, expectNoSecrets, incident, message, partlyResolved, receiver } from '../../support/vendors/messages';
import { victoropsNotifier } from '../../../src/notifiers/victorops';
import { datadogNotifier, datadogEventsUrl } from '../../../src/notifiers/datadog';
import voFx from '../../fixtures/vendors/victorops.json';
import ddFx from '../../fixtures/vendors/datadog.json';

describe('splunk on-call (victorops)', () => {
  const API_KEY = '8f2b4c1e-7d3a-4e5f-9b6c-0a1d2e3f4a5b';
  let vendor: FakeVendor;
  beforeAll(async () => {
    vendor = await FakeVendor.start(victorops({ apiKey: API_KEY, routingKey: 'database' }));
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());
  const cfg = (key = API_KEY) =>
    receiver({ type: 'victorops', apiKey: '${VO}', routingKey: 'database', apiUrl: `${vendor.url}/integrations/generic/20131114/alert` }, { VO: key });

  it('posts to …/alert/{api_key}/{routing_key} with message_type and entity_id = incident id', async () => {
    await victoropsNotifier.send(cfg(), message(), ctx());
    const req = vendor.last();
    expect([req.method, req.path]).toEqual(['POST', `/integrations/generic/20131114/alert/${API_KEY}/database`]);
    expectDocumentedShape(req.json(), voFx);
    expect(req.json()).toMatchObject({ message_type: 'CRITICAL', entity_id: 'inc-7f3a9c' });
  });

  it('maps ack and resolve to ACKNOWLEDGEMENT and RECOVERY for the same entity', async () => {
    const sent = await victoropsNotifier.send(cfg(), message('firing', incident({ severity: 'warning' })), ctx());
    await victoropsNotifier.update!(cfg(), { ...message('acknowledged'), thread: sent.thread! }, ctx());
    await victoropsNotifier.update!(cfg(), { ...message('resolved'), thread: sent.thread! }, ctx());
    expect(vendor.requests.map((r) => [r.json().message_type, r.json().entity_id])).toEqual([
      ['WARNING', 'inc-7f3a9c'],
      ['ACKNOWLEDGEMENT', 'inc-7f3a9c'],
      ['RECOVERY', 'inc-7f3a9c'],
    ]);
    expect(vendor.requests[1].json().ack_author).toBe('alice');
  });

  it('a partial resolve is an INFO timeline entry for the same entity, never CRITICAL/WARNING (a re-page)', async () => {
    const sent = await victoropsNotifier.send(cfg(), message(), ctx());
    const res = await victoropsNotifier.update!(cfg(), { ...message('updated', partlyResolved(), { text: 'Update: 1 of 2 alerts resolved' }), thread: sent.thread! }, ctx());
    expect(vendor.requests.map((r) => [r.json().message_type, r.json().entity_id])).toEqual([
      ['CRITICAL', 'inc-7f3a9c'],
      ['INFO', 'inc-7f3a9c'],
    ]);
    expectDocumentedShape(vendor.last().json(), voFx);
    expect(vendor.last().json().state_message).toContain('Update: 1 of 2 alerts resolved');
    expect(vendor.last().json()).not.toHaveProperty('ack_author');
    expect(res.response).toBe('INFO accepted');
  });

  it('a wrong key is final and the key in the URL path is scrubbed', async () => {
    const wrong = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
    vendor.replyOnce({ status: 404, body: { result: 'failure', message: `Invalid API key ${wrong}` } });
    const err = await deliveryError(() => victoropsNotifier.send(cfg(wrong), message(), ctx()));
    expect(err.retryable).toBe(false);
    expect(err.opts.vendorMessage).toContain('Invalid API key');
    expectNoSecrets(err, [wrong]);
  });
});

describe('datadog', () => {
  const API_KEY = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';
  let vendor: FakeVendor;
  beforeAll(async () => {
    vendor = await FakeVendor.start(datadog({ apiKey: API_KEY }));
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());
  const cfg = (key = API_KEY) => receiver({ type: 'datadog', apiKey: '${DD}', apiUrl: vendor.url, tags: ['team:sre'] }, { DD: key });

  it('posts a v1 event with DD-API-KEY, aggregation_key = incident id and alert_type', async () => {
    const res = await datadogNotifier.send(cfg(), message(), ctx());
    const req = vendor.last();
    expect([req.method, req.path]).toEqual(['POST', '/api/v1/events']);
    expect(req.headers['dd-api-key']).toBe(API_KEY);
    expect(req.headers['content-type']).toBe('application/json');
    expectDocumentedShape(req.json(), ddFx);
    expect(req.json()).toMatchObject({ aggregation_key: 'inc-7f3a9c', alert_type: 'error', priority: 'normal' });
    expect(req.json().tags).toContain('team:sre');
    expect(res.thread).toEqual({ aggregationKey: 'inc-7f3a9c', eventId: ddFx.responses.accepted.event.id_str });
  });

  it('resolve is a success event in the same aggregation; text stays under 4,000', async () => {
    const inc = incident({}, 500);
    await datadogNotifier.send(cfg(), message('firing', inc), ctx());
    expect(vendor.last().json().text.length).toBeLessThanOrEqual(4000);
    await datadogNotifier.update!(cfg(), { ...message('resolved'), thread: { aggregationKey: 'inc-7f3a9c' } }, ctx());
    expect(vendor.last().json()).toMatchObject({ alert_type: 'success', aggregation_key: 'inc-7f3a9c' });
  });

  it('a partial resolve is an info event in the incident’s aggregation, whatever the severity', async () => {
    await datadogNotifier.update!(cfg(), { ...message('updated', partlyResolved()), thread: { aggregationKey: 'inc-7f3a9c' } }, ctx());
    expectDocumentedShape(vendor.last().json(), ddFx);
    expect(vendor.last().json()).toMatchObject({ alert_type: 'info', aggregation_key: 'inc-7f3a9c', tags: expect.arrayContaining(['severity:critical']) });
    expect(vendor.requests).toHaveLength(1);
  });

  it('the site setting picks the regional endpoint', () => {
    const site = (s?: string) => datadogEventsUrl(receiver({ type: 'datadog', apiKey: '${DD}', ...(s ? { site: s } : {}) }, { DD: API_KEY }));
    expect(site()).toBe('https://api.datadoghq.com/api/v1/events');
    expect(site('datadoghq.eu')).toBe('https://api.datadoghq.eu/api/v1/events');
    expect(site('us3.datadoghq.com')).toBe('https://api.us3.datadoghq.com/api/v1/events');
  });

  it('403 {"errors":["Forbidden"]} is final and does not show the key', async () => {
    const wrong = 'ffffffffffffffffffffffffffffffff';
    const err = await deliveryError(() => datadogNotifier.send(cfg(wrong), message(), ctx()));
    expect(err.retryable).toBe(false);
    expect(err.opts.vendorMessage).toContain('Forbidden');
    expectNoSecrets(err, [wrong]);
  });
});
