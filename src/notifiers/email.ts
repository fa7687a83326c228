import nodemailer from 'nodemailer';
import type { ReceiverOf } from '../config/receivers';
import type { NotificationMessage, Notifier, ThreadRef } from './types';
import { DeliveryError } from './errors';
import { escapeHtml, facts, hexColor, colorOf, statusTitle } from './format';
import { fitMessageText } from './fitMessage';

/**
 * Email over SMTP (nodemailer): a text and an HTML part. The first mail of an incident gets a
 * Message-ID derived from its idempotency key (a retried send keeps the same id, so mail clients
 * de-duplicate it); later mails carry In-Reply-To/References with it and a "Re:" subject, so the
 * ack, partial resolves and resolve land in the same conversation (RFC 5322 §3.6.4).
 */

type EmailConfig = ReceiverOf<'email'>;

const TEXT_MAX = 200_000;

function domainOf(from: string): string {
  return /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'klaxon.invalid';
}

export function messageIdFor(m: NotificationMessage, from: string): string {
  return `<klaxon.${m.idempotencyKey.replace(/[^A-Za-z0-9.-]/g, '-')}@${domainOf(from)}>`;
}

export function emailSubject(c: EmailConfig, m: NotificationMessage): string {
  // The status once: the default title already starts with "[FIRING:2]".
  return `${c.subjectPrefix ? c.subjectPrefix + ' ' : ''}${statusTitle(m).replace(/\s*\n\s*/g, ' ')}`;
}

export function emailText(m: NotificationMessage): string {
  const lines = facts(m.incident, m).map(([k, v]) => `${k}: ${v}`);
  return `${m.title}\n\n${lines.join('\n')}\n\n${fitMessageText(m, TEXT_MAX)}\n\nIncident: ${m.incident.links.incident}\n`;
}

export function emailHtml(m: NotificationMessage): string {
  const rows = facts(m.incident, m)
    .map(([k, v]) => `<tr><th align="left" style="padding-right:12px">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('');
  return [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<h2 style="border-left:6px solid ${hexColor(colorOf(m))};padding-left:8px">${escapeHtml(statusTitle(m))}</h2>`,
    `<table>${rows}</table>`,
    `<pre style="white-space:pre-wrap;font-family:inherit">${escapeHtml(fitMessageText(m, TEXT_MAX))}</pre>`,
    `<p><a href="${escapeHtml(m.incident.links.incident)}">Open incident</a></p>`,
    '</body></html>',
  ].join('\n');
}

/** SMTP 4xx and connection trouble are transient; 5xx, auth and envelope errors are not. */
function classify(err: unknown, secrets: string[]): DeliveryError {
  const e = err as Error & { code?: string; responseCode?: number; response?: string };
  let text = e.message;
  for (const s of secrets) if (s) text = text.split(s).join('[redacted]');
  const code = e.responseCode;
  const retryable = code !== undefined ? code >= 400 && code < 500 : !['EAUTH', 'EENVELOPE', 'EMESSAGE'].includes(e.code ?? '');
  return new DeliveryError(`smtp: ${text}`, { retryable, status: code, vendorMessage: e.response ?? text });
}

async function sendMail(c: EmailConfig, m: NotificationMessage, replyTo?: ThreadRef) {
  const password = c.smtp.password?.reveal();
  const transport = nodemailer.createTransport({
    host: c.smtp.host,
    port: c.smtp.port,
    secure: c.smtp.secure,
    requireTLS: c.smtp.requireTLS,
    ...(c.smtp.username ? { auth: { user: c.smtp.username, pass: password ?? '' } } : {}),
    connectionTimeout: c.timeout,
    greetingTimeout: c.timeout,
    socketTimeout: c.timeout,
  });
  const messageId = messageIdFor(m, c.from);
  try {
    const info = await transport.sendMail({
      from: c.from,
      // A person paged through this receiver gets the mail; otherwise the configured list.
      to: m.recipient?.email ? [m.recipient.email] : c.to,
      subject: replyTo ? `Re: ${replyTo.subject}` : emailSubject(c, m),
      text: emailText(m),
      html: emailHtml(m),
      messageId,
      ...(replyTo ? { inReplyTo: replyTo.messageId, references: [replyTo.messageId] } : {}),
      headers: { 'X-Klaxon-Incident': m.incident.id },
    });
    return { messageId: (info.messageId as string | undefined) ?? messageId, response: String(info.response ?? '') };
  } catch (err) {
    throw classify(err, password ? [password] : []);
  } finally {
    transport.close();
  }
}

export const emailNotifier: Notifier<'email'> = {
  type: 'email',
  directMessages: true,
  repageInThread: true,
  maxTextLength: TEXT_MAX,
  async send(c, m) {
    const sent = await sendMail(c, m);
    return { thread: { messageId: sent.messageId, subject: emailSubject(c, m) }, response: sent.response.slice(0, 200) };
  },
  async update(c, m) {
    const sent = await sendMail(c, m, m.thread);
    return { thread: m.thread, response: `reply ${sent.messageId}: ${sent.response.slice(0, 150)}` };
  },
};
