import { FakeVendor } from '../../support/vendors/fakeVendor';
import { zendesk } from '../../support/vendors/fakes';
import { ctx, deliveryError, expectDocumentedShape, expectNoSecrets, message, partlyResolved, receiver } from '../../support/vendors/messages';
import { zendeskNotifier } from '../../../src/notifiers/zendesk';
import fx from '../../fixtures/vendors/zendesk.json';

const EMAIL = 'oncall@example.com';
const TOKEN = '6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv';

describe('zendesk', () => {
  let vendor: FakeVendor;
  let fake: ReturnType<typeof zendesk>;
  beforeAll(async () => {
    fake = zendesk({ email: EMAIL, token: TOKEN });
    vendor = await FakeVendor.start(fake);
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());
  const cfg = () => receiver({ type: 'zendesk', url: vendor.url, email: EMAIL, apiToken: '${ZD}' }, { ZD: TOKEN });

  it('creates a ticket with POST /api/v2/tickets.json and "{email}/token" Basic auth', async () => {
    const res = await zendeskNotifier.send(cfg(), message(), ctx());
    const req = vendor.last();
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/api/v2/tickets.json');
    expect(req.headers.authorization).toBe('Basic ' + Buffer.from(`${EMAIL}/token:${TOKEN}`).toString('base64'));
    expectDocumentedShape(req.json(), fx);
    expect(req.json().ticket).toMatchObject({ priority: 'urgent', external_id: 'inc-7f3a9c', tags: ['klaxon'] });
    expect(res.thread).toEqual({ ticketId: '35436' });
  });

  it('resolve PUTs status solved with a comment', async () => {
    const sent = await zendeskNotifier.send(cfg(), message(), ctx());
    await zendeskNotifier.update!(cfg(), { ...message('resolved'), thread: sent.thread! }, ctx());
    const req = vendor.last();
    expect([req.method, req.path]).toEqual(['PUT', `/api/v2/tickets/${sent.thread!.ticketId}.json`]);
    expectDocumentedShape(req.json(), { example: fx.exampleUpdate, required: ['ticket.status', 'ticket.comment.body', 'ticket.comment.public'] });
    expect(req.json().ticket.status).toBe('solved');
    expect(fake.tickets.get(Number(sent.thread!.ticketId)).status).toBe('solved');
  });

  it('a partial resolve is one internal comment on the ticket, with no status', async () => {
    const sent = await zendeskNotifier.send(cfg(), message(), ctx());
    vendor.reset();
    await zendeskNotifier.update!(cfg(), { ...message('updated', partlyResolved(), { text: 'Update: 1 of 2 alerts resolved' }), thread: sent.thread! }, ctx());
    const req = vendor.last();
    expect(vendor.requests).toHaveLength(1);
    expect([req.method, req.path]).toEqual(['PUT', `/api/v2/tickets/${sent.thread!.ticketId}.json`]);
    expect(req.json()).toEqual({ ticket: { comment: { body: '🔄 [FIRING] HighLatency on api (2 alerts)\nUpdate: 1 of 2 alerts resolved', public: false } } });
    const ticket = fake.tickets.get(Number(sent.thread!.ticketId));
    expect(ticket.status).toBe('new');
    expect(ticket.comments).toHaveLength(2);
  });

  it('422 RecordInvalid is final with Zendesk’s details; 429 honours Retry-After', async () => {
    vendor.replyOnce({ status: 422, body: fx.responses.recordInvalid });
    const err = await deliveryError(() => zendeskNotifier.send(cfg(), message(), ctx()));
    expect(err.retryable).toBe(false);
    expect(err.opts.vendorMessage).toContain('Subject: cannot be blank');
    expectNoSecrets(err, [TOKEN]);
    vendor.replyOnce({ status: 429, headers: { 'retry-after': '93' }, body: 'Rate limited' });
    const limited = await deliveryError(() => zendeskNotifier.send(cfg(), message(), ctx()));
    expect(limited.opts.retryAfterMs).toBeGreaterThanOrEqual(93_000);
  });
});
