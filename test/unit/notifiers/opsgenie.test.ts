import { FakeVendor } from '../../support/vendors/fakeVendor';
import { opsgenie } from '../../support/vendors/fakes';
import { ctx, deliveryError, expectDocumentedShape, expectNoSecrets, incident, message, partlyResolved, receiver } from '../../support/vendors/messages';
import { opsgenieNotifier, opsgenieBaseUrl } from '../../../src/notifiers/opsgenie';
import { opsgenieReceiver } from '../../../src/config/receivers';
import { withEnv } from '../../../src/config/secret';
import fx from '../../fixtures/vendors/opsgenie.json';

const KEY = 'eb243592-faa2-4ba2-a551q-1afdf565c889';

describe('opsgenie', () => {
  let vendor: FakeVendor;
  beforeAll(async () => {
    vendor = await FakeVendor.start(opsgenie({ apiKey: KEY }));
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());
  const cfg = (key = KEY) => receiver({ type: 'opsgenie', apiKey: '${OG}', apiUrl: vendor.url, responders: [{ type: 'team', name: 'sre' }], tags: ['prod'] }, { OG: key });

  it('creates an alert with alias = incident id and GenieKey auth', async () => {
    const res = await opsgenieNotifier.send(cfg(), message(), ctx());
    const req = vendor.last();
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v2/alerts');
    expect(req.headers.authorization).toBe(`GenieKey ${KEY}`);
    expect(req.headers['content-type']).toBe('application/json');
    const body = req.json();
    expectDocumentedShape(body, fx);
    expect(body).toMatchObject({ alias: 'inc-7f3a9c', priority: 'P1', responders: [{ type: 'team', name: 'sre' }], tags: ['prod'] });
    expect(body.message.length).toBeLessThanOrEqual(130);
    expect(res.response).toContain(fx.responses.accepted.requestId);
  });

  it('acknowledges and closes by alias (identifierType=alias)', async () => {
    const sent = await opsgenieNotifier.send(cfg(), message(), ctx());
    await opsgenieNotifier.update!(cfg(), { ...message('acknowledged'), thread: sent.thread! }, ctx());
    await opsgenieNotifier.update!(cfg(), { ...message('resolved'), thread: sent.thread! }, ctx());
    const [, ack, close] = vendor.requests;
    expect([ack.method, ack.path, ack.query.get('identifierType')]).toEqual(['POST', '/v2/alerts/inc-7f3a9c/acknowledge', 'alias']);
    expect([close.method, close.path, close.query.get('identifierType')]).toEqual(['POST', '/v2/alerts/inc-7f3a9c/close', 'alias']);
    expectDocumentedShape(ack.json(), { example: fx.exampleAcknowledge, required: ['user', 'source', 'note'] });
    expect(ack.json().user).toBe('alice');
  });

  it('a partial resolve adds a note to the alert by alias; nothing is created, acknowledged or closed', async () => {
    const sent = await opsgenieNotifier.send(cfg(), message(), ctx());
    vendor.reset();
    const inc = partlyResolved(200, 250);
    const res = await opsgenieNotifier.update!(cfg(), { ...message('updated', inc, { text: 'Update: 200 of 250 alerts resolved\n' + 'x'.repeat(30_000) }), thread: sent.thread! }, ctx());
    expect(vendor.requests).toHaveLength(1);
    const req = vendor.last();
    expect([req.method, req.path, req.query.get('identifierType')]).toEqual(['POST', '/v2/alerts/inc-7f3a9c/notes', 'alias']);
    expect(req.headers.authorization).toBe(`GenieKey ${KEY}`);
    const body = req.json();
    expectDocumentedShape(body, { example: fx.exampleAddNote, required: ['user', 'source', 'note'] });
    expect(Object.keys(body).sort()).toEqual(['note', 'source', 'user']);
    expect(body.note.startsWith('HighLatency on api (2 alerts)\nUpdate: 200 of 250 alerts resolved')).toBe(true);
    expect(body.note.length).toBeLessThanOrEqual(25_000);
    expect(res).toEqual({ thread: { alias: 'inc-7f3a9c' }, response: `note requested ${fx.responses.accepted.requestId}` });
  });

  it('a re-page cycle after an ack creates a new alias (an acknowledged alert would only count up); resolve closes every cycle', async () => {
    const again = incident({ cycle: 1 });
    await opsgenieNotifier.send(cfg(), message('firing', again), ctx());
    await opsgenieNotifier.update!(cfg(), { ...message('resolved', again), thread: { alias: 'inc-7f3a9c~1' } }, ctx());
    const [create, ...closes] = vendor.requests;
    expect(create.json().alias).toBe('inc-7f3a9c~1');
    expect(closes.map((r) => r.path)).toEqual(['/v2/alerts/inc-7f3a9c/close', '/v2/alerts/inc-7f3a9c~1/close']);
  });

  it('region eu uses api.eu.opsgenie.com; us uses api.opsgenie.com', () => {
    const eu = withEnv({ OG: KEY }, () => opsgenieReceiver.parse({ type: 'opsgenie', apiKey: '${OG}', region: 'eu' }));
    const us = withEnv({ OG: KEY }, () => opsgenieReceiver.parse({ type: 'opsgenie', apiKey: '${OG}' }));
    expect(opsgenieBaseUrl(eu)).toBe('https://api.eu.opsgenie.com');
    expect(opsgenieBaseUrl(us)).toBe('https://api.opsgenie.com');
    expect(opsgenieBaseUrl(cfg())).toBe(vendor.url);
  });

  it('422 is final and carries Opsgenie’s errors', async () => {
    vendor.replyOnce({ status: 422, body: fx.responses.unprocessable });
    const err = await deliveryError(() => opsgenieNotifier.send(cfg(), message(), ctx()));
    expect(err.retryable).toBe(false);
    expect(err.opts.status).toBe(422);
    expect(err.opts.vendorMessage).toContain('Message can not be empty.');
  });

  it('401 with a wrong key is final and does not echo the key', async () => {
    const wrong = '00000000-0000-0000-0000-000000000000';
    const err = await deliveryError(() => opsgenieNotifier.send(cfg(wrong), message(), ctx()));
    expect(err.retryable).toBe(false);
    expect(err.opts.vendorMessage).toContain('Could not authenticate');
    expectNoSecrets(err, [wrong, `GenieKey ${wrong}`]);
  });
});
