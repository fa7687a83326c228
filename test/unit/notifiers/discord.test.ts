import { FakeVendor } from '../../support/vendors/fakeVendor';
import { discord } from '../../support/vendors/fakes';
import { ctx, deliveryError, expectDocumentedShape, expectNoSecrets, incident, message, partlyResolved, receiver } from '../../support/vendors/messages';
import { discordNotifier, DISCORD_LIMITS } from '../../../src/notifiers/discord';
import fx from '../../fixtures/vendors/discord.json';

const ID = '1170000000000000000';
const TOKEN = 'Zx9-webhook-token-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_abcdefghijklmnop';

describe('discord', () => {
  let vendor: FakeVendor;
  let fake: ReturnType<typeof discord>;
  beforeAll(async () => {
    fake = discord({ id: ID, token: TOKEN });
    vendor = await FakeVendor.start(fake);
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());

  const cfg = () => receiver({ type: 'discord', url: '${DISCORD_URL}' }, { DISCORD_URL: `${vendor.url}/api/webhooks/${ID}/${TOKEN}` });

  it('executes the webhook with ?wait=true and an embed, and returns the message id', async () => {
    const res = await discordNotifier.send(cfg(), message(), ctx());
    const req = vendor.last();
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/api/webhooks/${ID}/${TOKEN}`);
    expect(req.query.get('wait')).toBe('true');
    expect(req.headers['content-type']).toBe('application/json');
    expectDocumentedShape(req.json(), fx);
    expect(req.json().allowed_mentions).toEqual({ parse: [] });
    expect(res.thread).toEqual({ messageId: '1190000000000000001' });
  });

  it('resolve edits the original message (PATCH …/messages/{id})', async () => {
    const sent = await discordNotifier.send(cfg(), message(), ctx());
    await discordNotifier.update!(cfg(), { ...message('resolved'), thread: sent.thread! }, ctx());
    const req = vendor.last();
    expect(req.method).toBe('PATCH');
    expect(req.path).toBe(`/api/webhooks/${ID}/${TOKEN}/messages/${sent.thread!.messageId}`);
    expect(fake.messages.get(sent.thread!.messageId).embeds[0].title).toContain('RESOLVED');
    expect(fake.messages.get(sent.thread!.messageId).embeds[0].color).toBe(0x2eb67d);
  });

  it('a partial resolve edits the original to the incident now (no new message, no mentions)', async () => {
    const sent = await discordNotifier.send(cfg(), message(), ctx());
    vendor.reset();
    await discordNotifier.update!(cfg(), { ...message('updated', partlyResolved(), { text: 'Update: 1 of 2 alerts resolved' }), thread: sent.thread! }, ctx());
    expect(vendor.requests.map((r) => [r.method, r.path])).toEqual([['PATCH', `/api/webhooks/${ID}/${TOKEN}/messages/${sent.thread!.messageId}`]]);
    expect(vendor.last().json().allowed_mentions).toEqual({ parse: [] });
    const embed = fake.messages.get(sent.thread!.messageId).embeds[0];
    expect(embed.title).toBe('🔄 [FIRING] HighLatency on api (2 alerts)');
    expect(embed.description).toBe('Update: 1 of 2 alerts resolved');
    // Still firing: the severity's colour, not the resolved green.
    expect(embed.color).toBe(0xe01e5a);
    expect(embed.fields.find((f: any) => f.name === 'Status').value).toBe('FIRING');
  });

  it('keeps a 500-alert group within 4,096 description / 6,000 embed characters, ending with the marker', async () => {
    const inc = incident({}, 500);
    await discordNotifier.send(cfg(), message('firing', inc), ctx());
    expect(vendor.last().json().embeds[0]).toBeDefined();
    const embed = vendor.last().json().embeds[0];
    expect(embed.description.length).toBeLessThanOrEqual(DISCORD_LIMITS.description);
    const total = embed.title.length + embed.description.length + embed.footer.text.length + embed.fields.reduce((n: number, f: any) => n + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(DISCORD_LIMITS.embedTotal);
    const kept = embed.description.split('\n').length - 1;
    expect(embed.description).toMatch(new RegExp(`… and ${500 - kept} more alerts$`));
  });

  it('429 uses the larger of Retry-After and the body retry_after; no token in the error', async () => {
    vendor.replyOnce({ status: 429, headers: { 'retry-after': '1' }, body: fx.responses.rateLimited });
    const err = await deliveryError(() => discordNotifier.send(cfg(), message(), ctx()));
    expect(err.retryable).toBe(true);
    expect(err.opts.retryAfterMs).toBeGreaterThanOrEqual(2500);
    expectNoSecrets(err, [TOKEN]);
  });

  it('400 Invalid Form Body is final and carries Discord’s message', async () => {
    vendor.replyOnce({ status: 400, body: fx.responses.invalidFormBody });
    const err = await deliveryError(() => discordNotifier.send(cfg(), message(), ctx()));
    expect(err.retryable).toBe(false);
    expect(err.opts.vendorMessage).toContain('Invalid Form Body');
    expectNoSecrets(err, [TOKEN]);
  });
});
