import type { ReceiverOf } from '../config/receivers';
import type { DeliveryResult, NotificationMessage, Notifier, NotifierContext } from './types';
import { cutWithEllipsis } from './truncate';
import { escapeXml, phonesFor, sidOf, twilioPost } from './twilio';
import { ackTokenUnder, TWILIO_VOICE_ROUTE } from '../links/ackRoutes';

/**
 * Twilio voice (Calls API with inline TwiML, https://www.twilio.com/docs/voice/api/call-resource#create-a-call-resource):
 * POST …/Calls.json with To, From and `Twiml`. The call reads the incident's title and asks for a
 * keypress in a `<Gather numDigits="1">` whose `action` is Klaxon's signed keypress route
 * (src/server/plugins/twilio.ts): pressing 1 acknowledges as the person called. A call is a page:
 * acknowledge, resolve and partial resolves place none.
 */

type VoiceConfig = ReceiverOf<'twilio-voice'>;

/** "The maximum length of TwiML instructions is 4,000 characters" (Twiml parameter, same page). */
export const TWIML_MAX = 4000;
/** Read aloud, a long title is noise: the first 300 characters say what is burning. */
const SPOKEN_TITLE_MAX = 300;

const SEVERITY_WORDS: Record<string, string> = { critical: 'Critical', warning: 'Warning', info: 'Info' };

export function callTwiml(c: VoiceConfig, m: NotificationMessage): string {
  const inc = m.incident;
  const say = (text: string) => `<Say voice="${escapeXml(c.voice)}" language="${escapeXml(c.language)}">${escapeXml(text)}</Say>`;
  const intro = `Klaxon ${m.kind === 'test' ? 'test call' : 'alert'}. ${SEVERITY_WORDS[inc.severity] ?? inc.severity}. ${cutWithEllipsis(inc.title, SPOKEN_TITLE_MAX)}.`;
  const action = ackTokenUnder(inc.links.ack, TWILIO_VOICE_ROUTE);
  // Without signed links there is nothing a keypress could safely act on: the call only tells.
  if (!action) return `<Response>${say(`${intro} Acknowledge in Klaxon.`)}</Response>`;
  // Read twice (a half-awake person misses the first time); no keypress within 10s after that ends the call.
  const prompt = say(`${intro} Press 1 to acknowledge.`);
  return (
    `<Response><Gather input="dtmf" numDigits="1" timeout="10" method="POST" action="${escapeXml(action)}">${prompt}<Pause length="1"/>${prompt}</Gather>` +
    `${say('No key pressed. Goodbye.')}</Response>`
  );
}

async function call(c: VoiceConfig, m: NotificationMessage, ctx: NotifierContext): Promise<DeliveryResult> {
  if (m.kind !== 'firing' && m.kind !== 'escalated' && m.kind !== 'test') {
    return { thread: m.thread, skipped: true, response: `not sent: a call for a ${m.kind} message would wake someone for news` };
  }
  const to = phonesFor(c, m);
  const Twiml = callTwiml(c, m);
  const sids: string[] = [];
  for (const number of to) sids.push(sidOf(await twilioPost(c, 'Calls', { To: number, From: c.from, Twiml }, ctx), 'call'));
  return { thread: m.thread ?? { sids: sids.join(','), to: to.join(',') }, response: `call ${sids.join(', ')}` };
}

export const twilioVoiceNotifier: Notifier<'twilio-voice'> = {
  type: 'twilio-voice',
  // "Calls initiated via the REST API are rate-limited to one per second" (https://www.twilio.com/docs/voice/make-calls).
  defaultRateLimit: { per: 1, everyMs: 1000 },
  send: call,
};
