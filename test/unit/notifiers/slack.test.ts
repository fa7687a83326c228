import { FakeVendor } from '../../support/vendors/fakeVendor';
import { slackApi, slackWebhook } from '../../support/vendors/fakes';
import { ctx, deliveryError, expectDocumentedShape, expectNoSecrets, incident, message, partlyResolved, receiver } from '../../support/vendors/messages';
import { renderMessage } from '../../../src/templates/render';
import { slackNotifier } from '../../../src/notifiers/slack';
import { SLACK_ACTIONS } from '../../../src/notifiers/slackInteractivity';
import fx from '../../fixtures/vendors/slack.json';

const TOKEN = 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx';
const HOOK_PATH = '/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX';

describe('slack (Web API)', () => {
  let vendor: FakeVendor;
  let api: ReturnType<typeof slackApi>;
  beforeAll(async () => {
    api = slackApi({ token: TOKEN });
    vendor = await FakeVendor.start(api);
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());

  const cfg = (over: Record<string, unknown> = {}) =>
    receiver({ type: 'slack', token: '${SLACK_TOKEN}', channel: 'C123ABC456', apiUrl: `${vendor.url}/api`, ...over }, { SLACK_TOKEN: TOKEN });

  it('posts a Block Kit message with chat.postMessage exactly as documented', async () => {
    const res = await slackNotifier.send(cfg(), message(), ctx());
    const req = vendor.last();
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/api/chat.postMessage');
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = req.json();
    expectDocumentedShape(body, fx);
    expect(body.channel).toBe('C123ABC456');
    expect(body.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    expect(body.blocks[1].text.type).toBe('mrkdwn');
    expect(res.thread).toEqual({ channel: 'C123ABC456', ts: expect.stringMatching(/^\d+\.\d+$/) });
  });

  it('carries Acknowledge / Resolve / Snooze 1h buttons with the incident id', async () => {
    await slackNotifier.send(cfg(), message(), ctx());
    const actions = vendor.last().json().blocks.find((b: any) => b.type === 'actions');
    expect(actions.elements.map((e: any) => [e.action_id, e.text.text, e.value])).toEqual([
      [SLACK_ACTIONS.ack, 'Acknowledge', 'inc-7f3a9c'],
      [SLACK_ACTIONS.resolve, 'Resolve', 'inc-7f3a9c'],
      [SLACK_ACTIONS.snooze1h, 'Snooze 1h', 'inc-7f3a9c'],
    ]);
  });

  it('mentions the paged person (recipient.slack) so Slack notifies them', async () => {
    await slackNotifier.send(cfg(), message('firing', incident(), { recipient: { id: 'u1', name: 'Alice', slack: 'U024BE7LH' } }), ctx());
    const body = vendor.last().json();
    expect(body.text.startsWith('<@U024BE7LH> ')).toBe(true);
    expect(body.blocks[1].text.text.startsWith('<@U024BE7LH> ')).toBe(true);
  });

  it('escapes &, < and > in mrkdwn text', async () => {
    const m = message('firing', incident(), { text: 'a <b> & <!channel>' });
    await slackNotifier.send(cfg(), m, ctx());
    expect(vendor.last().json().blocks[1].text.text).toBe('a &lt;b&gt; &amp; &lt;!channel&gt;');
  });

  it('on resolve, updates the original (chat.update) and replies in its thread (thread_ts)', async () => {
    const sent = await slackNotifier.send(cfg(), message(), ctx());
    vendor.reset();
    const resolved = message('resolved');
    await slackNotifier.update!(cfg(), { ...resolved, thread: sent.thread! }, ctx());
    expect(vendor.requests.map((r) => r.path)).toEqual(['/api/chat.update', '/api/chat.postMessage']);
    const [update, reply] = vendor.requests.map((r) => r.json());
    expectDocumentedShape(update, { example: fx.exampleUpdate, required: ['channel', 'ts', 'text', 'blocks'] });
    expect(update.ts).toBe(sent.thread!.ts);
    expect(update.blocks.some((b: any) => b.type === 'actions')).toBe(false);
    expect(update.blocks[0].text.text).toContain('RESOLVED');
    expect(reply.thread_ts).toBe(sent.thread!.ts);
    expect(api.messages.get(sent.thread!.ts).text).toContain('RESOLVED');
  });

  it('a partial resolve replies in the thread without reply_broadcast and refreshes the original to what still fires', async () => {
    const sent = await slackNotifier.send(cfg(), message(), ctx());
    vendor.reset();
    const inc = partlyResolved();
    const update = { ...message('updated', inc), ...renderMessage('slack', {}, { kind: 'updated', incident: inc, now: '2025-01-02T03:40:00Z' }) };
    const res = await slackNotifier.update!(cfg(), { ...update, recipient: { id: 'u1', name: 'Alice', slack: 'U024BE7LH' }, thread: sent.thread! }, ctx());
    expect(vendor.requests.map((r) => r.path)).toEqual(['/api/chat.update', '/api/chat.postMessage']);
    const [edit, reply] = vendor.requests.map((r) => r.json());
    expectDocumentedShape(reply, { example: fx.exampleThreadReply, required: ['channel', 'thread_ts', 'text'] });
    expect(reply.thread_ts).toBe(sent.thread!.ts);
    // Not a page: the reply stays in the thread and mentions nobody.
    expect(reply).not.toHaveProperty('reply_broadcast');
    expect(reply.text).not.toContain('<@');
    expect(reply.text).toContain('Update: 1 of 2 alerts resolved');
    // The original shows the incident now: still firing (one alert), buttons kept, only api-1 listed.
    expect(edit.ts).toBe(sent.thread!.ts);
    expect(edit.blocks[0].text.text).toBe('🔄 [FIRING:1] HighLatency on api (2 alerts)');
    expect(edit.blocks[1].text.text).toContain('api-1.prod:9090');
    expect(edit.blocks[1].text.text).not.toContain('api-0.prod:9090');
    expect(edit.blocks[2].elements[0].text).toContain('*Status:* FIRING');
    expect(edit.blocks.find((b: any) => b.type === 'actions').elements.map((e: any) => e.action_id)).toContain(SLACK_ACTIONS.ack);
    expect(api.messages.get(sent.thread!.ts).blocks[0].text.text).toContain('[FIRING:1]');
    expect(res.thread).toEqual(sent.thread);
  });

  it("a runbook's approval request: a thread reply with Approve and Deny buttons carrying the run id, not broadcast", async () => {
    const sent = await slackNotifier.send(cfg({ updates: 'thread' }), message(), ctx());
    const approval = { runId: 'runbook/inc-7f3a9c/restart-service/1', runbook: 'restart-service', reason: 'Restart api?', until: '2025-01-02T04:10:00Z' };
    const inc = { ...incident(), approval };
    const update = { ...message('updated', inc), ...renderMessage('slack', {}, { kind: 'updated', incident: inc, now: '2025-01-02T03:40:00Z' }) };
    await slackNotifier.update!(cfg({ updates: 'thread' }), { ...update, thread: sent.thread! }, ctx());
    const reply = vendor.last().json();
    expect(reply.thread_ts).toBe(sent.thread!.ts);
    expect(reply).not.toHaveProperty('reply_broadcast');
    expect(reply.text).toContain('Runbook restart-service asks for approval');
    const buttons = reply.blocks.find((b: any) => b.type === 'actions').elements;
    expect(buttons.map((e: any) => [e.action_id, e.value])).toEqual([
      [SLACK_ACTIONS.runbookApprove, approval.runId],
      [SLACK_ACTIONS.runbookDeny, approval.runId],
    ]);
  });

  it('a re-page in the thread is broadcast to the channel; an update is not', async () => {
    const sent = await slackNotifier.send(cfg({ updates: 'thread' }), message(), ctx());
    await slackNotifier.update!(cfg({ updates: 'thread' }), { ...message('escalated'), thread: sent.thread! }, ctx());
    await slackNotifier.update!(cfg({ updates: 'thread' }), { ...message('updated', partlyResolved()), thread: sent.thread! }, ctx());
    expect(api.replies.slice(-2).map((r) => r.reply_broadcast)).toEqual([true, undefined]);
  });

  it('updates only in the thread when configured so', async () => {
    const sent = await slackNotifier.send(cfg({ updates: 'thread' }), message(), ctx());
    vendor.reset();
    await slackNotifier.update!(cfg({ updates: 'thread' }), { ...message('acknowledged'), thread: sent.thread! }, ctx());
    expect(vendor.requests.map((r) => r.path)).toEqual(['/api/chat.postMessage']);
    expect(vendor.last().json().text).toContain('by alice');
  });

  it('classifies {"ok":false,"error":"channel_not_found"} as final, with the vendor error', async () => {
    const err = await deliveryError(() => slackNotifier.send(cfg({ channel: 'C0MISSING' }), message(), ctx()));
    expect(err.retryable).toBe(false);
    expect(err.opts.vendorMessage).toBe('channel_not_found');
    expectNoSecrets(err, [TOKEN]);
  });

  it('classifies {"ok":false,"error":"ratelimited"} as retryable after Retry-After', async () => {
    vendor.replyOnce({ status: 200, headers: { 'retry-after': '30' }, body: fx.responses.ratelimited });
    const err = await deliveryError(() => slackNotifier.send(cfg(), message(), ctx()));
    expect(err.retryable).toBe(true);
    expect(err.opts.retryAfterMs).toBeGreaterThanOrEqual(30_000);
  });

  it('HTTP 429 with Retry-After is retryable no sooner than asked, and never leaks the token', async () => {
    vendor.replyOnce({ status: 429, headers: { 'retry-after': '12' }, body: `rate limited for token ${TOKEN}` });
    const err = await deliveryError(() => slackNotifier.send(cfg(), message(), ctx()));
    expect(err.retryable).toBe(true);
    expect(err.opts.status).toBe(429);
    expect(err.opts.retryAfterMs).toBeGreaterThanOrEqual(12_000);
    expectNoSecrets(err, [TOKEN]);
  });

  it('rejects a bad token as final (invalid_auth)', async () => {
    const bad = receiver({ type: 'slack', token: '${T}', channel: 'C123ABC456', apiUrl: `${vendor.url}/api` }, { T: 'xoxb-wrong-token-value' });
    const err = await deliveryError(() => slackNotifier.send(bad, message(), ctx()));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('invalid_auth');
    expectNoSecrets(err, ['xoxb-wrong-token-value']);
  });
});

describe('slack (incoming webhook)', () => {
  let vendor: FakeVendor;
  beforeAll(async () => {
    vendor = await FakeVendor.start(slackWebhook);
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());

  const cfg = () => receiver({ type: 'slack', webhookUrl: '${SLACK_HOOK}' }, { SLACK_HOOK: `${vendor.url}${HOOK_PATH}` });

  it('posts text + blocks to the webhook URL', async () => {
    const res = await slackNotifier.send(cfg(), message(), ctx());
    const req = vendor.last();
    expect(req.method).toBe('POST');
    expect(req.path).toBe(HOOK_PATH);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.json().text).toContain('FIRING');
    expect(req.json().blocks.length).toBeGreaterThan(1);
    expect(res.response).toContain('200 ok');
  });

  it('404 channel_not_found is final, carries the vendor text and no part of the webhook URL', async () => {
    vendor.replyOnce({ status: 404, body: `channel_not_found ${HOOK_PATH}` });
    const err = await deliveryError(() => slackNotifier.send(cfg(), message(), ctx()));
    expect(err.retryable).toBe(false);
    expect(err.opts.vendorMessage).toContain('channel_not_found');
    expectNoSecrets(err, [`${vendor.url}${HOOK_PATH}`, HOOK_PATH]);
  });

  it('rejects a config with both a webhook and a token', () => {
    expect(() => receiver({ type: 'slack', webhookUrl: '${A}', token: '${A}', channel: 'C1' }, { A: 'https://hooks.slack.com/x' })).toThrow(/either webhookUrl/);
  });
});
