import type { ReceiverOf } from '../config/receivers';
import type { DeliveryResult, NotificationMessage, Notifier, NotifierContext } from './types';
import { DeliveryError } from './errors';
import { statusTitle } from './format';
import { fitMessageText } from './fitMessage';
import { cutWithEllipsis } from './truncate';
import { ackTokenUnder, PUSHOVER_CALLBACK_ROUTE } from '../links/ackRoutes';

/**
 * Pushover Message API (https://pushover.net/api): POST /1/messages.json with token, user, title,
 * message, url, priority. A page at priority 2 (emergency) "is repeated until the notification is
 * acknowledged by the user", every `retry` seconds until `expire` (https://pushover.net/api#priority),
 * and carries a `callback` URL that Pushover POSTs when the user acknowledges
 * (https://pushover.net/api/receipts#callback): Klaxon's signed route acknowledges the incident
 * (src/server/plugins/pushover.ts). Acknowledge and resolve cancel the emergency's repeats
 * (POST /1/receipts/{receipt}/cancel.json) and send a quiet notice.
 */

type PushoverConfig = ReceiverOf<'pushover'>;

/** "Messages are currently limited to 1,024 4-byte UTF-8 characters … titles 250 … URL 512" (https://pushover.net/api#limits). */
export const PUSHOVER_MESSAGE_MAX = 1024;
const TITLE_MAX = 250;
const URL_MAX = 512;
/** Notices: "-1 to always send as a quiet notification" (https://pushover.net/api#priority). */
const NOTICE_PRIORITY = -1;
const DEFAULT_PRIORITY = { critical: 2, warning: 1, info: 0 } as const;

type Answer = { status?: number; request?: string; receipt?: string; errors?: string[] };

async function call(c: PushoverConfig, path: string, form: Record<string, string>, ctx: NotifierContext): Promise<Answer> {
  const token = c.token.reveal();
  const res = await ctx.http.send({
    url: `${c.apiUrl.replace(/\/+$/, '')}${path}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, ...form }).toString(),
    timeoutMs: c.timeout,
    secrets: [token],
  });
  // "If the POST request was valid, our API will return an HTTP 200 status code and a JSON object
  // with a status key of 1" — a 4xx is a refusal with `errors` (http.ts: final), 5xx is retried
  // (https://pushover.net/api#response).
  const out = res.json<Answer>();
  if (out.status !== 1) throw new DeliveryError(`pushover refused: ${(out.errors ?? []).join('; ') || res.text.slice(0, 200)}`, { retryable: false, status: res.status });
  return out;
}

export function pushoverForm(c: PushoverConfig, m: NotificationMessage): Record<string, string> {
  const inc = m.incident;
  const page = m.kind === 'firing' || m.kind === 'escalated' || m.kind === 'test';
  const priority = page ? c.priority[inc.severity] ?? DEFAULT_PRIORITY[inc.severity] : NOTICE_PRIORITY;
  const form: Record<string, string> = {
    // A person reached through userChannels.push gets it on their own user key; the receiver's otherwise.
    user: m.recipient?.push ?? c.user,
    title: cutWithEllipsis(statusTitle(m), TITLE_MAX),
    message: fitMessageText(m, PUSHOVER_MESSAGE_MAX, { orTitle: true }),
    priority: String(priority),
  };
  // "a Unix timestamp of a time to display instead of when our API received it": when it started.
  if (m.kind === 'firing' && !Number.isNaN(Date.parse(inc.startedAt))) form.timestamp = String(Math.floor(Date.parse(inc.startedAt) / 1000));
  if (inc.links.incident.length <= URL_MAX) Object.assign(form, { url: inc.links.incident, url_title: 'Open incident' });
  if (c.device) form.device = c.device;
  if (c.sound) form.sound = c.sound;
  if (priority === 2) {
    // "retry … must be at least 30 seconds"; "expire … maximum value of 10800 seconds (3 hours)".
    form.retry = String(Math.round(c.retry / 1000));
    form.expire = String(Math.round(c.expire / 1000));
    const callback = ackTokenUnder(inc.links.ack, PUSHOVER_CALLBACK_ROUTE);
    if (callback) form.callback = callback;
  }
  return form;
}

async function push(c: PushoverConfig, m: NotificationMessage, ctx: NotifierContext): Promise<DeliveryResult> {
  if (m.kind === 'updated') return { thread: m.thread, skipped: true, response: 'not sent: Pushover cannot add to an earlier notification, and a partial resolve is not worth a new one' };
  const out = await call(c, '/1/messages.json', pushoverForm(c, m), ctx);
  const thread = { ...m.thread, ...(out.receipt ? { receipt: out.receipt } : {}), ...(!m.thread && out.request ? { request: out.request } : {}) };
  return { thread, response: `${m.kind} ${out.receipt ? `receipt ${out.receipt}` : `request ${out.request ?? ''}`}` };
}

async function followUp(c: PushoverConfig, m: NotificationMessage & { thread: Record<string, string> }, ctx: NotifierContext): Promise<DeliveryResult> {
  if ((m.kind === 'acknowledged' || m.kind === 'resolved') && m.thread.receipt) {
    // Stop the emergency's repeats. A receipt already acknowledged or expired may be refused
    // (4xx): the repeats have stopped anyway, so the notice still goes.
    await call(c, `/1/receipts/${encodeURIComponent(m.thread.receipt)}/cancel.json`, {}, ctx).catch((err: unknown) => {
      if (!(err instanceof DeliveryError) || err.retryable) throw err;
    });
  }
  return push(c, m, ctx);
}

export const pushoverNotifier: Notifier<'pushover'> = {
  type: 'pushover',
  maxTextLength: PUSHOVER_MESSAGE_MAX,
  // "applications are limited to sending 10,000 messages per month" with no per-second rule; two
  // a second keeps a storm from burning the month's quota in a minute.
  defaultRateLimit: { per: 2, everyMs: 1000 },
  send: push,
  update: followUp,
};
