import { startSmtp, header, type FakeSmtp } from '../../support/vendors/smtp';
import { deliveryError, expectNoSecrets, message, partlyResolved, receiver } from '../../support/vendors/messages';
import { emailHtml, emailNotifier } from '../../../src/notifiers/email';
import { createHttpDelivery } from '../../../src/notifiers/http';

const PASSWORD = 'smtp-app-password-7Hq2';
const ctx = { http: createHttpDelivery(), now: () => new Date() };

describe('email (against a real smtp-server)', () => {
  let smtp: FakeSmtp;
  beforeAll(async () => {
    smtp = await startSmtp({ user: 'klaxon', password: PASSWORD });
  });
  afterAll(() => smtp.close());
  beforeEach(() => {
    smtp.mails.length = 0;
  });
  const cfg = (password = PASSWORD) =>
    receiver(
      { type: 'email', to: ['oncall@example.com', 'sre@example.com'], from: 'Klaxon <klaxon@alerts.example.com>', smtp: { host: '127.0.0.1', port: smtp.port, username: 'klaxon', password: '${SMTP_PW}' } },
      { SMTP_PW: password },
    );

  it('sends HTML + text parts with a Message-ID, authenticated, to every recipient', async () => {
    const res = await emailNotifier.send(cfg(), message(), ctx);
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0];
    expect(mail.user).toBe('klaxon');
    expect(mail.from).toBe('klaxon@alerts.example.com');
    expect(mail.to).toEqual(['oncall@example.com', 'sre@example.com']);
    expect(header(mail.raw, 'Content-Type')).toMatch(/^multipart\/alternative/);
    expect(mail.raw).toMatch(/Content-Type: text\/plain/);
    expect(mail.raw).toMatch(/Content-Type: text\/html/);
    expect(header(mail.raw, 'Subject')).toBe('[Klaxon] [FIRING] HighLatency on api (2 alerts)');
    const messageId = header(mail.raw, 'Message-ID');
    expect(messageId).toMatch(/^<klaxon\..+@alerts\.example\.com>$/);
    expect(res.thread).toEqual({ messageId, subject: '[Klaxon] [FIRING] HighLatency on api (2 alerts)' });
  });

  it('resolve threads under the first mail: In-Reply-To and References equal its Message-ID', async () => {
    const first = await emailNotifier.send(cfg(), message(), ctx);
    await emailNotifier.update!(cfg(), { ...message('resolved', undefined, { idempotencyKey: 'inc-7f3a9c:run-1:resolve:rcv' }), thread: first.thread! }, ctx);
    const [sent, reply] = smtp.mails;
    const firstId = header(sent.raw, 'Message-ID');
    expect(header(reply.raw, 'In-Reply-To')).toBe(firstId);
    expect(header(reply.raw, 'References')).toBe(firstId);
    expect(header(reply.raw, 'Message-ID')).not.toBe(firstId);
    expect(header(reply.raw, 'Subject')).toBe(`Re: ${header(sent.raw, 'Subject')}`);
    expect(reply.raw).toContain('RESOLVED');
  });

  it('a partial resolve is a reply in the same conversation, its status shown once', async () => {
    const first = await emailNotifier.send(cfg(), message('firing', undefined, { title: '[FIRING:2] HighLatency on api' }), ctx);
    const update = message('updated', partlyResolved(), { title: '[FIRING:1] HighLatency on api', text: 'Update: 1 of 2 alerts resolved', idempotencyKey: 'inc-7f3a9c:run-1:updated-1:rcv' });
    await emailNotifier.update!(cfg(), { ...update, thread: first.thread! }, ctx);
    const [sent, reply] = smtp.mails;
    expect(header(sent.raw, 'Subject')).toBe('[Klaxon] [FIRING:2] HighLatency on api');
    expect(header(reply.raw, 'In-Reply-To')).toBe(header(sent.raw, 'Message-ID'));
    expect(header(reply.raw, 'References')).toBe(header(sent.raw, 'Message-ID'));
    expect(header(reply.raw, 'Subject')).toBe('Re: [Klaxon] [FIRING:2] HighLatency on api');
    expect(reply.raw).toContain('Update: 1 of 2 alerts resolved');
    // The text part starts with the title, which carries the status; the HTML heading shows it once too.
    expect(reply.raw).toMatch(/\r?\n\[FIRING:1\] HighLatency on api\r?\n\r?\nStatus: FIRING\r?\n/);
    expect(emailHtml(update)).toContain('>[FIRING:1] HighLatency on api</h2>');
  });

  it('mails the paged person when the message has a recipient', async () => {
    await emailNotifier.send(cfg(), message('firing', undefined, { recipient: { id: 'u1', name: 'Alice', email: 'alice@example.com' } }), ctx);
    expect(smtp.mails[0].to).toEqual(['alice@example.com']);
  });

  it('escapes alert text in the HTML part', async () => {
    await emailNotifier.send(cfg(), message('firing', undefined, { text: '<script>alert(1)</script>' }), ctx);
    const html = smtp.mails[0].raw.split('Content-Type: text/html')[1];
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('<script>');
  });

  it('SMTP 4xx is retryable, 5xx final; failed auth is final and hides the password', async () => {
    smtp.failNext(451, 'Temporary local problem');
    expect((await deliveryError(() => emailNotifier.send(cfg(), message(), ctx))).retryable).toBe(true);
    smtp.failNext(550, 'Mailbox unavailable');
    const final = await deliveryError(() => emailNotifier.send(cfg(), message(), ctx));
    expect(final.retryable).toBe(false);
    expect(final.opts.status).toBe(550);
    const wrong = 'not-the-password-xyz';
    const auth = await deliveryError(() => emailNotifier.send(cfg(wrong), message(), ctx));
    expect(auth.retryable).toBe(false);
    expectNoSecrets(auth, [wrong]);
  });

  it('an unreachable server is retryable', async () => {
    const c = receiver({ type: 'email', to: ['a@example.com'], from: 'k@example.com', timeout: '2s', smtp: { host: '127.0.0.1', port: 9 } }, {});
    expect((await deliveryError(() => emailNotifier.send(c, message(), ctx))).retryable).toBe(true);
  });
});
