import { FakeVendor } from '../../support/vendors/fakeVendor';
import { googlechat } from '../../support/vendors/fakes';
import { ctx, deliveryError, expectDocumentedShape, expectNoSecrets, message, partlyResolved, receiver } from '../../support/vendors/messages';
import { teamsNotifier } from '../../../src/notifiers/teams';
import { googlechatNotifier } from '../../../src/notifiers/googlechat';
import { mattermostNotifier } from '../../../src/notifiers/mattermost';
import { rocketchatNotifier } from '../../../src/notifiers/rocketchat';
import teamsFx from '../../fixtures/vendors/teams.json';
import gchatFx from '../../fixtures/vendors/googlechat.json';
import mmFx from '../../fixtures/vendors/mattermost.json';

/** Webhook-URL channels: the URL is the credential, so it must never show in an error. */

describe('teams', () => {
  let vendor: FakeVendor;
  const PATH = '/workflows/8f2c1e/triggers/manual/paths/invoke';
  const SIG = 'sig=Qm9ndXNTaWduYXR1cmVWYWx1ZTEyMzQ1Njc4OTA';
  beforeAll(async () => {
    vendor = await FakeVendor.start(() => ({ status: 202 }));
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());
  const cfg = (format?: string) => receiver({ type: 'teams', url: '${TEAMS}', ...(format ? { format } : {}) }, { TEAMS: `${vendor.url}${PATH}?api-version=2016-06-01&${SIG}` });

  it('posts an Adaptive Card 1.4 message activity to the Workflows URL', async () => {
    await teamsNotifier.send(cfg(), message(), ctx());
    const req = vendor.last();
    expect(req.method).toBe('POST');
    expect(req.path).toBe(PATH);
    expect(req.headers['content-type']).toBe('application/json');
    const body = req.json();
    expectDocumentedShape(body, teamsFx);
    expect(body.attachments[0].content.version).toBe('1.4');
    expect(body.attachments[0].content.actions[0]).toEqual({ type: 'Action.OpenUrl', title: 'Open incident', url: 'http://localhost:8080/incidents/inc-7f3a9c' });
  });

  it('legacy connector: MessageCard, and a 200 "429" text body is a retryable throttle', async () => {
    vendor.handle(() => ({ status: 200, body: teamsFx.responses.legacyOk }));
    await teamsNotifier.send(cfg('messagecard'), message(), ctx());
    expectDocumentedShape(vendor.last().json(), { example: teamsFx.exampleMessageCard, required: ['@type', '@context', 'summary', 'themeColor', 'title', 'text', 'sections', 'potentialAction'] });
    vendor.replyOnce({ status: 200, body: teamsFx.responses.legacyThrottled });
    const err = await deliveryError(() => teamsNotifier.send(cfg('messagecard'), message(), ctx()));
    expect(err.retryable).toBe(true);
    vendor.handle(() => ({ status: 202 }));
  });

  it('400 is final and the error carries no part of the signed URL', async () => {
    vendor.replyOnce({ status: 400, body: `{"error":{"code":"TriggerInputSchemaMismatch","message":"bad input for ${PATH}?${SIG}"}}` });
    const err = await deliveryError(() => teamsNotifier.send(cfg(), message(), ctx()));
    expect(err.retryable).toBe(false);
    expect(err.opts.vendorMessage).toContain('TriggerInputSchemaMismatch');
    expectNoSecrets(err, [SIG.slice(4)]);
  });
});

describe('google chat', () => {
  let vendor: FakeVendor;
  const KEY = 'AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI';
  const TOKEN = 'b3RJ1Yk7xq8n2Y0zTqW5vVh9ZkLmNoPqRsTuVwXyZ0A%3D';
  beforeAll(async () => {
    vendor = await FakeVendor.start(googlechat({ key: KEY, token: decodeURIComponent(TOKEN) }));
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());
  const cfg = () => receiver({ type: 'googlechat', url: '${GCHAT}' }, { GCHAT: `${vendor.url}/v1/spaces/AAAA/messages?key=${KEY}&token=${TOKEN}` });

  it('posts cardsV2 with threadKey = incident id and REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD', async () => {
    const res = await googlechatNotifier.send(cfg(), message(), ctx());
    const req = vendor.last();
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/spaces/AAAA/messages');
    expect(req.query.get('messageReplyOption')).toBe('REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD');
    expect(req.query.get('key')).toBe(KEY);
    expect(req.headers['content-type']).toBe('application/json; charset=UTF-8');
    expectDocumentedShape(req.json(), gchatFx);
    expect(req.json().thread).toEqual({ threadKey: 'inc-7f3a9c' });
    expect(res.thread).toEqual({ threadKey: 'inc-7f3a9c', threadName: 'spaces/AAAA/threads/inc-7f3a9c' });
  });

  it('resolve posts into the same thread', async () => {
    const sent = await googlechatNotifier.send(cfg(), message(), ctx());
    await googlechatNotifier.update!(cfg(), { ...message('resolved'), thread: sent.thread! }, ctx());
    expect(vendor.requests.map((r) => r.json().thread.threadKey)).toEqual(['inc-7f3a9c', 'inc-7f3a9c']);
    expect(vendor.last().json().text).toContain('RESOLVED');
  });

  it('a partial resolve is one reply in the page’s thread', async () => {
    const sent = await googlechatNotifier.send(cfg(), message(), ctx());
    vendor.reset();
    await googlechatNotifier.update!(cfg(), { ...message('updated', partlyResolved(), { text: 'Update: 1 of 2 alerts resolved' }), thread: sent.thread! }, ctx());
    expect(vendor.requests).toHaveLength(1);
    const req = vendor.last();
    expect(req.query.get('messageReplyOption')).toBe('REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD');
    expectDocumentedShape(req.json(), gchatFx);
    expect(req.json().thread).toEqual({ threadKey: 'inc-7f3a9c' });
    expect(req.json().text).toBe('🔄 [FIRING] HighLatency on api (2 alerts)');
    expect(req.json().cardsV2[0].card.sections[0].widgets[0].textParagraph.text).toBe('Update: 1 of 2 alerts resolved');
  });

  it('400 INVALID_ARGUMENT is final, with Google’s message and without key or token', async () => {
    vendor.replyOnce({ status: 400, body: gchatFx.responses.invalidArgument });
    const err = await deliveryError(() => googlechatNotifier.send(cfg(), message(), ctx()));
    expect(err.retryable).toBe(false);
    expect(err.opts.vendorMessage).toContain('INVALID_ARGUMENT');
    expectNoSecrets(err, [KEY, TOKEN]);
  });
});

describe('mattermost and rocket.chat', () => {
  let vendor: FakeVendor;
  const HOOK = '/hooks/x4d8w5b3a7f9e1c2y6z0q8r4t2';
  beforeAll(async () => {
    vendor = await FakeVendor.start((req) => (req.path.startsWith('/hooks/rc') ? { status: 200, body: mmFx.responses.rocketOk } : { status: 200, body: mmFx.responses.mattermostOk }));
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());

  it('mattermost: text plus a Slack-compatible attachment', async () => {
    const c = receiver({ type: 'mattermost', url: '${MM}', channel: 'town-square' }, { MM: `${vendor.url}${HOOK}` });
    await mattermostNotifier.send(c, message(), ctx());
    const req = vendor.last();
    expect(req.path).toBe(HOOK);
    expectDocumentedShape(req.json(), mmFx);
    expect(req.json().channel).toBe('town-square');
    expect(req.json().attachments[0].color).toBe('#e01e5a');
  });

  it('rocket.chat: {"success":false} is a final error; the hook token stays hidden', async () => {
    const url = `${vendor.url}/hooks/rc9f8e7d6c5b4a3/AbCdEfGhIjKlMnOpQrStUvWx`;
    const c = receiver({ type: 'rocketchat', url: '${RC}' }, { RC: url });
    await rocketchatNotifier.send(c, message(), ctx());
    expectDocumentedShape(vendor.last().json(), mmFx);
    vendor.replyOnce({ status: 400, body: { ...mmFx.responses.rocketError, hook: url } });
    const err = await deliveryError(() => rocketchatNotifier.send(c, message(), ctx()));
    expect(err.retryable).toBe(false);
    expect(err.opts.vendorMessage).toContain('error-invalid-channel');
    expectNoSecrets(err, [url, 'AbCdEfGhIjKlMnOpQrStUvWx']);
  });
});
