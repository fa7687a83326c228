import { FakeVendor } from '../../support/vendors/fakeVendor';
import { telegram, telegramVisibleLength } from '../../support/vendors/fakes';
import { ctx, deliveryError, expectDocumentedShape, expectNoSecrets, incident, message, partlyResolved, receiver } from '../../support/vendors/messages';
import { telegramNotifier, TELEGRAM_TEXT_MAX } from '../../../src/notifiers/telegram';
import fx from '../../fixtures/vendors/telegram.json';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const CHAT = '-1001234567890';

describe('telegram', () => {
  let vendor: FakeVendor;
  let fake: ReturnType<typeof telegram>;
  beforeAll(async () => {
    fake = telegram({ token: TOKEN, chatId: CHAT });
    vendor = await FakeVendor.start(fake);
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());

  const cfg = (chatId = CHAT) => receiver({ type: 'telegram', botToken: '${TG}', chatId, apiUrl: vendor.url }, { TG: TOKEN });

  it('calls sendMessage with HTML parse mode and escaped text', async () => {
    const m = message('firing', incident(), { text: 'latency <2s> & "rising"' });
    const res = await telegramNotifier.send(cfg(), m, ctx());
    const req = vendor.last();
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/bot${TOKEN}/sendMessage`);
    expect(req.headers['content-type']).toBe('application/json');
    const body = req.json();
    expectDocumentedShape(body, fx);
    expect(body.chat_id).toBe(CHAT);
    expect(body.text).toContain('latency &lt;2s&gt; &amp; &quot;rising&quot;');
    expect(body.text).toMatch(/^<b>.*FIRING.*<\/b>/);
    expect(res.thread).toEqual({ messageId: expect.stringMatching(/^\d+$/), chatId: CHAT });
  });

  it('resolve replies to the first message with reply_parameters', async () => {
    const sent = await telegramNotifier.send(cfg(), message(), ctx());
    await telegramNotifier.update!(cfg(), { ...message('resolved'), thread: sent.thread! }, ctx());
    const body = vendor.last().json();
    expect(body.reply_parameters).toEqual({ message_id: Number(sent.thread!.messageId), allow_sending_without_reply: true });
    expect(fake.sent.some((s) => s.message_id === body.reply_parameters.message_id && !s.reply_parameters)).toBe(true);
    expect(body.text).toContain('RESOLVED');
  });

  it('a partial resolve is a silent reply to the first message', async () => {
    const sent = await telegramNotifier.send(cfg(), message(), ctx());
    expect(vendor.last().json().disable_notification).toBe(false);
    const res = await telegramNotifier.update!(cfg(), { ...message('updated', partlyResolved(), { text: 'Update: 1 of 2 alerts resolved' }), thread: sent.thread! }, ctx());
    expect(vendor.requests).toHaveLength(2);
    const body = vendor.last().json();
    expectDocumentedShape(body, fx);
    expect(body.reply_parameters).toEqual({ message_id: Number(sent.thread!.messageId), allow_sending_without_reply: true });
    expect(body.disable_notification).toBe(true);
    expect(body.text).toMatch(/^<b>🔄 \[FIRING\] HighLatency on api \(2 alerts\)<\/b>\nUpdate: 1 of 2 alerts resolved\n/);
    expect(res.thread).toEqual(sent.thread);
    expect(res.response).toMatch(/^update reply \d+$/);
  });

  it('keeps a 500-alert group within 4,096 visible characters, ending with the marker', async () => {
    const inc = incident({}, 500);
    await telegramNotifier.send(cfg(), message('firing', inc), ctx());
    const text: string = vendor.last().json().text;
    expect(telegramVisibleLength(text)).toBeLessThanOrEqual(TELEGRAM_TEXT_MAX);
    const body = text.split('\n').slice(1, -2);
    expect(body[body.length - 1]).toBe(`… and ${500 - (body.length - 1)} more alerts`);
  });

  it('400 chat not found is final, with Telegram’s description and without the token', async () => {
    const err = await deliveryError(() => telegramNotifier.send(cfg('-100999'), message(), ctx()));
    expect(err.retryable).toBe(false);
    expect(err.opts.vendorMessage).toContain('chat not found');
    expectNoSecrets(err, [TOKEN]);
  });

  it('429 takes parameters.retry_after from the body', async () => {
    vendor.replyOnce({ status: 429, body: fx.responses.tooManyRequests });
    const err = await deliveryError(() => telegramNotifier.send(cfg(), message(), ctx()));
    expect(err.retryable).toBe(true);
    expect(err.opts.retryAfterMs).toBeGreaterThanOrEqual(7000);
    expectNoSecrets(err, [TOKEN]);
  });

  it('network failure is retryable and the URL in the error has no token', async () => {
    const dead = receiver({ type: 'telegram', botToken: '${TG}', chatId: CHAT, apiUrl: 'http://127.0.0.1:9', timeout: '2s' }, { TG: TOKEN });
    const err = await deliveryError(() => telegramNotifier.send(dead, message(), ctx()));
    expect(err.retryable).toBe(true);
    expectNoSecrets(err, [TOKEN]);
  });
});
