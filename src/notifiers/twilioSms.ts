import type { ReceiverOf } from '../config/receivers';
import type { DeliveryResult, NotificationMessage, Notifier, NotifierContext } from './types';
import { statusTitle } from './format';
import { fitMessageText } from './fitMessage';
import { cutWithEllipsis } from './truncate';
import { phonesFor, sidOf, smsAckCode, twilioPost } from './twilio';

/**
 * Twilio SMS (Messages API, https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource):
 * POST …/Messages.json with To, From, Body. One SMS per page and per number; the page says which
 * reply acknowledges ("ack 4821", answered by src/server/plugins/twilio.ts). SMS has no thread, so
 * acknowledge and resolve are new, short SMS to the numbers the page reached.
 */

type SmsConfig = ReceiverOf<'twilio-sms'>;

/** "The text of the message you want to send. Can be up to 1,600 characters in length." (Body, same page). */
export const SMS_BODY_MAX = 1600;

/** No emoji: one would switch the whole SMS to UCS-2 (70 characters a segment instead of 160). */
export function smsBody(m: NotificationMessage): string {
  const inc = m.incident;
  if (m.kind === 'acknowledged') return cutWithEllipsis(`Klaxon ACKNOWLEDGED${inc.acknowledgedBy ? ` by ${inc.acknowledgedBy}` : ''}: ${inc.title}`, SMS_BODY_MAX);
  if (m.kind === 'resolved') return cutWithEllipsis(`Klaxon RESOLVED: ${inc.title}`, SMS_BODY_MAX);
  const head = `Klaxon ${statusTitle(m)} (${inc.severity})`;
  const tail = [`Reply "ack ${smsAckCode(inc.id)}" to acknowledge.`, inc.links.incident].join('\n');
  const room = SMS_BODY_MAX - head.length - tail.length - 2;
  if (room < 40) return cutWithEllipsis(`${head}\n${tail}`, SMS_BODY_MAX);
  const body = m.text ? fitMessageText(m, room) : '';
  return [head, ...(body ? [body] : []), tail].join('\n');
}

async function sendSms(c: SmsConfig, m: NotificationMessage, ctx: NotifierContext): Promise<DeliveryResult> {
  // A partial resolve is news, not a page, and an SMS cannot arrive quietly.
  if (m.kind === 'updated') return { thread: m.thread, skipped: true, response: 'not sent: an SMS for a partial resolve would wake someone for news' };
  const to = phonesFor(c, m);
  const Body = smsBody(m);
  const sids: string[] = [];
  for (const number of to) sids.push(sidOf(await twilioPost(c, 'Messages', { To: number, From: c.from, Body }, ctx), 'message'));
  // Follow-ups go to the same numbers; the first page's sids stay the reference.
  return { thread: m.thread ?? { sids: sids.join(','), to: to.join(',') }, response: `${m.kind} sms ${sids.join(', ')}` };
}

export const twilioSmsNotifier: Notifier<'twilio-sms'> = {
  type: 'twilio-sms',
  maxTextLength: SMS_BODY_MAX,
  // Twilio queues what it accepts and paces it per sender number itself; this only keeps a storm
  // from tripping the account's API concurrency limit (429, code 20429).
  defaultRateLimit: { per: 10, everyMs: 1000 },
  send: sendSms,
  update: sendSms,
};
