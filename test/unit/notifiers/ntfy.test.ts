import { FakeVendor } from '../../support/vendors/fakeVendor';
import { ntfy } from '../../support/vendors/phonePush';
import { ctx, deliveryError, expectDocumentedShape, expectNoSecrets, incident, message, receiver } from '../../support/vendors/messages';
import { ntfyNotifier, NTFY_MESSAGE_BYTES } from '../../../src/notifiers/ntfy';
import { receiverSchema } from '../../../src/config/receivers';
import { withEnv } from '../../../src/config/secret';
import fx from '../../fixtures/vendors/ntfy.json';

const TOKEN = 'tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2';
const ACK = 'https://klaxon.example/a/eyJpIjoiaW5jLTdmM2E5YyJ9.c2lnbmF0dXJl';

describe('ntfy', () => {
  let vendor: FakeVendor;
  let fake: ReturnType<typeof ntfy>;
  beforeAll(async () => {
    fake = ntfy({ topic: 'klaxon-oncall-x7', token: TOKEN });
    vendor = await FakeVendor.start(fake);
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());

  const cfg = (extra: Record<string, unknown> = {}) => receiver({ type: 'ntfy', url: vendor.url, topic: 'klaxon-oncall-x7', token: '${NTFY}', ...extra }, { NTFY: TOKEN });
  const withAck = (severity: 'critical' | 'warning' | 'info' = 'critical') => incident({ severity, links: { workflow: 'http://localhost:8233/wf', incident: 'https://klaxon.example/i/view', ack: ACK } });

  it('POSTs the text to /<topic> with Title, Priority 5, Tags, Click and an Acknowledge http action that POSTs the signed ack link', async () => {
    const res = await ntfyNotifier.send(cfg(), message('firing', withAck()), ctx());
    const req = vendor.last();
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/klaxon-oncall-x7');
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expectDocumentedShape(req.headers, fx);
    expect(req.headers).toMatchObject({
      title: '[FIRING] HighLatency on api (2 alerts)',
      priority: '5',
      tags: 'rotating_light,critical',
      click: 'https://klaxon.example/i/view',
      actions: `http, Acknowledge, ${ACK}, method=POST, clear=true; view, Open incident, https://klaxon.example/i/view`,
    });
    expect(req.body).toContain('p99 latency above 2s on api-0');
    expect(res.thread).toEqual({ id: 'msg0000001' });
  });

  it('priority follows severity (5 high … 3 low); acknowledge and resolve are new notices at priority 2 without the button', async () => {
    await ntfyNotifier.send(cfg(), message('firing', withAck('info')), ctx());
    expect(vendor.last().headers.priority).toBe('3');
    await ntfyNotifier.send(cfg({ priority: { critical: 5, warning: 4, info: 1 } }), message('firing', withAck('warning')), ctx());
    expect(vendor.last().headers.priority).toBe('4');
    await ntfyNotifier.update!(cfg(), { ...message('acknowledged', withAck()), thread: { id: 'msg0000001' } }, ctx());
    expect(vendor.last().headers).toMatchObject({ priority: '2', tags: 'eyes,critical', title: '[ACKNOWLEDGED] HighLatency on api (2 alerts)' });
    expect(vendor.last().headers.actions).not.toContain('Acknowledge');
    const done = await ntfyNotifier.update!(cfg(), { ...message('resolved', withAck()), thread: { id: 'msg0000001' } }, ctx());
    expect(vendor.last().headers).toMatchObject({ priority: '2', tags: 'white_check_mark,critical' });
    expect(done.thread).toEqual({ id: 'msg0000001' });
  });

  it('a partial resolve sends nothing', async () => {
    expect((await ntfyNotifier.update!(cfg(), { ...message('updated'), thread: { id: 'm' } }, ctx())).skipped).toBe(true);
    expect(vendor.requests).toHaveLength(0);
  });

  it('a non-ASCII title goes as an RFC 2047 encoded word; a 500-alert body stays within 4,096 bytes', async () => {
    const inc = { ...withAck(), title: 'Störung: Latenz 🔥' };
    await ntfyNotifier.send(cfg(), message('firing', incident({}, 500), { title: inc.title, incident: { ...incident({}, 500), title: inc.title } }), ctx());
    const req = vendor.last();
    expect(req.headers.title).toBe(`=?UTF-8?B?${Buffer.from('[FIRING] Störung: Latenz 🔥').toString('base64')}?=`);
    expect(Buffer.byteLength(req.body)).toBeLessThanOrEqual(NTFY_MESSAGE_BYTES);
    expect(req.body).toMatch(/… and \d+ more alerts$/);
  });

  it('basic auth when username and password are set; no Authorization when neither', async () => {
    const basic = await FakeVendor.start(ntfy({ topic: 't1', basic: ['phil', 'mypass-123'] }));
    try {
      await ntfyNotifier.send(receiver({ type: 'ntfy', url: basic.url, topic: 't1', username: 'phil', password: '${P}' }, { P: 'mypass-123' }), message(), ctx());
      expect(basic.last().headers.authorization).toBe('Basic ' + Buffer.from('phil:mypass-123').toString('base64'));
      await ntfyNotifier.send(receiver({ type: 'ntfy', url: basic.url, topic: 't1' }, {}), message(), ctx()).catch(() => undefined);
      expect(basic.last().headers.authorization).toBeUndefined();
    } finally {
      await basic.close();
    }
  });

  it('401/403 are final with ntfy\'s error text and no token; 429 is retried after Retry-After', async () => {
    const wrong = receiver({ type: 'ntfy', url: vendor.url, topic: 'klaxon-oncall-x7', token: '${NTFY}' }, { NTFY: 'tk_wrongwrongwrongwrongwrongwrong' });
    const refused = await deliveryError(() => ntfyNotifier.send(wrong, message(), ctx()));
    expect(refused).toMatchObject({ retryable: false, opts: { status: 403 } });
    expect(refused.opts.vendorMessage).toContain('forbidden');
    expectNoSecrets(refused, ['tk_wrongwrongwrongwrongwrongwrong']);
    vendor.replyOnce({ status: 429, headers: { 'retry-after': '5' }, body: fx.responses.tooManyRequests });
    const limited = await deliveryError(() => ntfyNotifier.send(cfg(), message(), ctx()));
    expect(limited).toMatchObject({ retryable: true, opts: { status: 429, retryAfterMs: 5000 } });
    vendor.replyOnce({ status: 502, body: 'Bad Gateway' });
    expect((await deliveryError(() => ntfyNotifier.send(cfg(), message(), ctx()))).retryable).toBe(true);
  });

  it('bad config names the field', () => {
    const issues = (raw: Record<string, unknown>) => {
      const r = withEnv({ T: TOKEN }, () => receiverSchema.safeParse({ type: 'ntfy', topic: 'ok', ...raw }));
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ topic: 'has space' })).toEqual(['topic: an ntfy topic is 1-64 letters, digits, - or _']);
    expect(issues({ token: '${T}', username: 'u' })).toEqual([': set token, or username and password, or neither']);
    expect(issues({ priority: { critical: 7 } })).toEqual(['priority.critical: Too big: expected number to be <=5']);
    expect(issues({})).toEqual([]);
  });
});
