import { FakeVendor } from '../../support/vendors/fakeVendor';
import { twilio } from '../../support/vendors/phonePush';
import { ctx, deliveryError, expectDocumentedShape, expectNoSecrets, incident, message, receiver } from '../../support/vendors/messages';
import { twilioSmsNotifier, SMS_BODY_MAX } from '../../../src/notifiers/twilioSms';
import { twilioVoiceNotifier, TWIML_MAX } from '../../../src/notifiers/twilioVoice';
import { parseSmsAck, smsAckCode, twilioSignature, verifyTwilioSignature } from '../../../src/notifiers/twilio';
import { receiverSchema } from '../../../src/config/receivers';
import { withEnv } from '../../../src/config/secret';
import fx from '../../fixtures/vendors/twilio.json';

const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
const FROM = '+15017122661';
const ACK = 'https://klaxon.example/a/eyJpIjoiaW5jLTdmM2E5YyJ9.c2lnbmF0dXJl';

describe('twilio', () => {
  let vendor: FakeVendor;
  let fake: ReturnType<typeof twilio>;
  beforeAll(async () => {
    fake = twilio({ accountSid: SID, authToken: TOKEN });
    vendor = await FakeVendor.start(fake);
  });
  afterAll(() => vendor.close());
  beforeEach(() => {
    vendor.reset();
    fake.messages.length = 0;
    fake.calls.length = 0;
  });

  const sms = (extra: Record<string, unknown> = {}) => receiver({ type: 'twilio-sms', accountSid: SID, authToken: '${TW}', from: FROM, to: ['+15558675310'], apiUrl: vendor.url, ...extra }, { TW: TOKEN });
  const voice = (extra: Record<string, unknown> = {}) => receiver({ type: 'twilio-voice', accountSid: SID, authToken: '${TW}', from: FROM, to: ['+15558675310'], apiUrl: vendor.url, ...extra }, { TW: TOKEN });
  const withAck = () => incident({ links: { workflow: 'http://localhost:8233/wf', incident: 'https://klaxon.example/i/view', ack: ACK } });

  describe('SMS (Messages API)', () => {
    it('posts To/From/Body form-encoded with basic auth AccountSid:AuthToken, and the page names its ack code', async () => {
      const res = await twilioSmsNotifier.send(sms(), message('firing', withAck()), ctx());
      const req = vendor.last();
      expect(req.method).toBe('POST');
      expect(req.path).toBe(`/2010-04-01/Accounts/${SID}/Messages.json`);
      expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(req.headers.authorization).toBe('Basic ' + Buffer.from(`${SID}:${TOKEN}`).toString('base64'));
      const f = Object.fromEntries(new URLSearchParams(req.body));
      expectDocumentedShape(f, fx);
      expect(f).toMatchObject({ To: '+15558675310', From: FROM });
      expect(f.Body).toMatch(/^Klaxon \[FIRING\] HighLatency on api \(2 alerts\) \(critical\)\n/);
      expect(f.Body).toContain(`Reply "ack ${smsAckCode('inc-7f3a9c')}" to acknowledge.`);
      expect(f.Body).toContain('https://klaxon.example/i/view');
      expect(res.thread).toEqual({ sids: expect.stringMatching(/^SM\d{32}$/), to: '+15558675310' });
    });

    it('a paged person gets it on their own phone; ack and resolve follow to the same numbers as new SMS', async () => {
      const page = await twilioSmsNotifier.send(sms(), message('firing', withAck(), { recipient: { id: 'alice', name: 'Alice', phone: '+4915112345678' } }), ctx());
      expect(fake.messages[0].get('To')).toBe('+4915112345678');
      await twilioSmsNotifier.update!(sms(), { ...message('acknowledged'), thread: page.thread! }, ctx());
      await twilioSmsNotifier.update!(sms(), { ...message('resolved'), thread: page.thread! }, ctx());
      expect(fake.messages.map((m) => [m.get('To'), m.get('Body')])).toEqual([
        ['+4915112345678', expect.stringContaining('[FIRING]')],
        ['+4915112345678', 'Klaxon ACKNOWLEDGED by alice: HighLatency on api (2 alerts)'],
        ['+4915112345678', 'Klaxon RESOLVED: HighLatency on api (2 alerts)'],
      ]);
    });

    it('keeps a 500-alert page within 1,600 characters with the ack instruction and link intact, and without emoji (GSM, not UCS-2)', async () => {
      await twilioSmsNotifier.send(sms(), message('firing', incident({}, 500)), ctx());
      const body = fake.messages[0].get('Body')!;
      expect(body.length).toBeLessThanOrEqual(SMS_BODY_MAX);
      expect(body).toMatch(/… and \d+ more alerts\nReply "ack \d{4}" to acknowledge\.\nhttp:\/\/localhost:8080\/incidents\/inc-7f3a9c$/);
      expect(body).not.toMatch(/[\u{1F300}-\u{1FAFF}]/u);
    });

    it('a partial resolve sends nothing (news must not wake anyone)', async () => {
      const res = await twilioSmsNotifier.update!(sms(), { ...message('updated'), thread: { sids: 'SM1', to: '+15558675310' } }, ctx());
      expect(res.skipped).toBe(true);
      expect(vendor.requests).toHaveLength(0);
    });

    it('a paged user without a phone, or a receiver with no numbers, is a final error naming why', async () => {
      const noPhone = await deliveryError(() => twilioSmsNotifier.send(sms(), message('firing', incident(), { recipient: { id: 'bob', name: 'Bob' } }), ctx()));
      expect(noPhone).toMatchObject({ retryable: false, message: 'twilio-sms: bob has no phone number' });
      const nobody = await deliveryError(() => twilioSmsNotifier.send(sms({ to: [] }), message(), ctx()));
      expect(nobody.retryable).toBe(false);
      expect(nobody.message).toMatch(/set `to`, or page a user with a `phone`/);
      expect(vendor.requests).toHaveLength(0);
    });

    it('400 21211 (invalid To) is final with Twilio\'s message; 401 20003 is final; neither carries the auth token', async () => {
      const bad = await deliveryError(() => twilioSmsNotifier.send(sms(), message('firing', incident(), { recipient: { id: 'x', name: 'X', phone: '5551234567' } }), ctx()));
      expect(bad).toMatchObject({ retryable: false, opts: { status: 400 } });
      expect(bad.opts.vendorMessage).toContain('21211');
      expectNoSecrets(bad, [TOKEN]);
      const wrong = receiver({ type: 'twilio-sms', accountSid: SID, authToken: '${TW}', from: FROM, to: ['+15558675310'], apiUrl: vendor.url }, { TW: 'not-the-token-0000000000000000000' });
      const unauth = await deliveryError(() => twilioSmsNotifier.send(wrong, message(), ctx()));
      expect(unauth).toMatchObject({ retryable: false, opts: { status: 401 } });
      expect(unauth.opts.vendorMessage).toContain('20003');
      expectNoSecrets(unauth, ['not-the-token-0000000000000000000', Buffer.from(`${SID}:not-the-token-0000000000000000000`).toString('base64')]);
    });

    it('429 20429 is retried no sooner than Retry-After; 500 is retried', async () => {
      vendor.replyOnce({ status: 429, headers: { 'retry-after': '3' }, body: fx.responses.tooManyRequests });
      const limited = await deliveryError(() => twilioSmsNotifier.send(sms(), message(), ctx()));
      expect(limited).toMatchObject({ retryable: true, opts: { status: 429, retryAfterMs: 3000 } });
      vendor.replyOnce({ status: 500, body: fx.responses.internal });
      const down = await deliveryError(() => twilioSmsNotifier.send(sms(), message(), ctx()));
      expect(down).toMatchObject({ retryable: true, opts: { status: 500 } });
      expectNoSecrets(down, [TOKEN]);
    });
  });

  describe('voice (Calls API with inline TwiML)', () => {
    it('calls with To/From/Twiml: reads the title and gathers one digit to the signed keypress route', async () => {
      const res = await twilioVoiceNotifier.send(voice(), message('firing', withAck()), ctx());
      const req = vendor.last();
      expect(req.path).toBe(`/2010-04-01/Accounts/${SID}/Calls.json`);
      expect(req.headers.authorization).toBe('Basic ' + Buffer.from(`${SID}:${TOKEN}`).toString('base64'));
      const f = Object.fromEntries(new URLSearchParams(req.body));
      expectDocumentedShape(f, { example: fx.callExample, required: fx.callRequired });
      expect(f).toMatchObject({ To: '+15558675310', From: FROM });
      expect(f.Twiml).toBe(
        '<Response><Gather input="dtmf" numDigits="1" timeout="10" method="POST" action="https://klaxon.example/integrations/twilio/voice/eyJpIjoiaW5jLTdmM2E5YyJ9.c2lnbmF0dXJl">' +
          '<Say voice="alice" language="en-US">Klaxon alert. Critical. HighLatency on api (2 alerts). Press 1 to acknowledge.</Say><Pause length="1"/>' +
          '<Say voice="alice" language="en-US">Klaxon alert. Critical. HighLatency on api (2 alerts). Press 1 to acknowledge.</Say></Gather>' +
          '<Say voice="alice" language="en-US">No key pressed. Goodbye.</Say></Response>',
      );
      expect(res.thread).toEqual({ sids: expect.stringMatching(/^CA\d{32}$/), to: '+15558675310' });
    });

    it('escapes the title for XML and keeps TwiML under 4,000 characters however long the title', async () => {
      const inc = { ...withAck(), title: `<script> & "quotes" ${'x'.repeat(5000)}` };
      await twilioVoiceNotifier.send(voice(), message('firing', inc), ctx());
      const twiml = fake.calls[0].get('Twiml')!;
      expect(twiml.length).toBeLessThanOrEqual(TWIML_MAX);
      expect(twiml).toContain('&lt;script&gt; &amp; &quot;quotes&quot;');
      expect(twiml).not.toContain('<script>');
    });

    it('without signed links the call only tells (no keypress that could act)', async () => {
      await twilioVoiceNotifier.send(voice(), message('firing', incident()), ctx());
      const twiml = fake.calls[0].get('Twiml')!;
      expect(twiml).not.toContain('<Gather');
      expect(twiml).toContain('Acknowledge in Klaxon.');
    });

    it('acknowledge, resolve and partial resolves place no call', async () => {
      for (const kind of ['acknowledged', 'resolved', 'updated'] as const) {
        const res = await twilioVoiceNotifier.send(voice(), { ...message(kind), thread: { sids: 'CA1', to: '+15558675310' } }, ctx());
        expect(res.skipped).toBe(true);
      }
      expect(vendor.requests).toHaveLength(0);
    });

    it('a refused call (400) is final; 503 is retried; the token never shows', async () => {
      const bad = await deliveryError(() => twilioVoiceNotifier.send(voice(), message('firing', incident(), { recipient: { id: 'x', name: 'X', phone: '12345' } }), ctx()));
      expect(bad).toMatchObject({ retryable: false, opts: { status: 400 } });
      vendor.replyOnce({ status: 503, headers: { 'retry-after': '2' }, body: fx.responses.internal });
      const down = await deliveryError(() => twilioVoiceNotifier.send(voice(), message(), ctx()));
      expect(down).toMatchObject({ retryable: true, opts: { retryAfterMs: 2000 } });
      expectNoSecrets(down, [TOKEN]);
    });
  });

  describe('X-Twilio-Signature', () => {
    it("reproduces Twilio's documented example signature", () => {
      const { authToken, url, params, signature } = fx.signatureExample;
      expect(twilioSignature(authToken, url, params)).toBe(signature);
      expect(verifyTwilioSignature(authToken, url, new URLSearchParams(params), signature)).toBe(true);
    });

    it('refuses a changed parameter, URL or token, and a missing header', () => {
      const { authToken, url, params, signature } = fx.signatureExample;
      expect(verifyTwilioSignature(authToken, url, new URLSearchParams({ ...params, Digits: '1' }), signature)).toBe(false);
      expect(verifyTwilioSignature(authToken, url.replace('https', 'http'), new URLSearchParams(params), signature)).toBe(false);
      expect(verifyTwilioSignature('54321', url, new URLSearchParams(params), signature)).toBe(false);
      expect(verifyTwilioSignature(authToken, url, new URLSearchParams(params), undefined)).toBe(false);
    });
  });

  it('SMS replies: "ack 4821" in any case and spacing is an ack; anything else is not', () => {
    for (const text of ['ack 4821', 'ACK 4821', ' Ack #4821. ', 'ack4821']) expect(parseSmsAck(text)).toBe('4821');
    for (const text of ['ack', 'ack 48', 'yes 4821', 'ack 4821 and more', 'ack 48211']) expect(parseSmsAck(text)).toBeUndefined();
    expect(smsAckCode('inc-7f3a9c')).toMatch(/^\d{4}$/);
    expect(smsAckCode('inc-7f3a9c')).toBe(smsAckCode('inc-7f3a9c'));
  });

  it('bad config names the field: a malformed Account SID, a number not in E.164, an inline token', () => {
    const parse = (raw: Record<string, unknown>) => withEnv({ TW: TOKEN }, () => receiverSchema.safeParse({ type: 'twilio-sms', accountSid: SID, authToken: '${TW}', from: FROM, ...raw }));
    const issues = (raw: Record<string, unknown>) => {
      const r = parse(raw);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ accountSid: 'AC123' })).toEqual(['accountSid: a Twilio Account SID is AC followed by 32 hex digits']);
    expect(issues({ to: ['0151 123'] })).toEqual(['to.0: use E.164, e.g. +14155550100']);
    expect(issues({ authToken: TOKEN })).toEqual(['authToken: secrets must be an ${ENV_VAR} reference, not written inline']);
  });
});
