import type { ReceiverOf } from '../config/receivers';
import type { DeliveryResult, NotificationMessage, Notifier, NotifierContext } from './types';
import { DeliveryError } from './errors';
import { basicAuth } from './http';
import { appendPath, statusTitle } from './format';
import { fitMessageText } from './fitMessage';

/**
 * ntfy (https://docs.ntfy.sh/publish/): POST <server>/<topic> with the text as body and the rest in
 * headers — Title, Priority, Tags, Click, Actions. A page carries an Acknowledge button: an `http`
 * action that POSTs the signed single-use ack link (`/a/<token>`, src/server/plugins/links.ts), so
 * the press acknowledges as the person the message was sent to. ntfy has no threads: acknowledge and
 * resolve are new, low-priority notifications; a partial resolve sends nothing.
 */

type NtfyConfig = ReceiverOf<'ntfy'>;

/** "the message size limit is 4,096 bytes" (https://docs.ntfy.sh/publish/#limitations); longer bodies become attachments. */
export const NTFY_MESSAGE_BYTES = 4096;
/** Priority of acknowledge/resolve notices: "2 = low: no vibration or sound" (https://docs.ntfy.sh/publish/#message-priority). */
const NOTICE_PRIORITY = 2;
const DEFAULT_PRIORITY = { critical: 5, warning: 4, info: 3 } as const;

const TAGS: Record<NotificationMessage['kind'], string> = {
  firing: 'rotating_light',
  escalated: 'loudspeaker',
  acknowledged: 'eyes',
  resolved: 'white_check_mark',
  test: 'test_tube',
  updated: 'arrows_counterclockwise',
};

/**
 * A header value is Latin-1 on the wire (undici refuses anything above U+00FF), so a non-ASCII
 * title or tag goes as an RFC 2047 encoded word, which the ntfy server decodes for every parameter
 * header (binwiederhier/ntfy server/util.go, maybeDecodeHeader → mime.WordDecoder).
 */
export function headerValue(text: string): string {
  const oneLine = text.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(oneLine) ? oneLine : `=?UTF-8?B?${Buffer.from(oneLine, 'utf8').toString('base64')}?=`;
}

/** The body, fitted to ntfy's byte limit (UTF-8: a character may take up to four). */
export function ntfyBody(m: NotificationMessage): string {
  let room = NTFY_MESSAGE_BYTES;
  let body = fitMessageText(m, room, { orTitle: true });
  while (Buffer.byteLength(body, 'utf8') > NTFY_MESSAGE_BYTES && room > 20) {
    room = Math.floor((room * NTFY_MESSAGE_BYTES) / Buffer.byteLength(body, 'utf8')) - 1;
    body = fitMessageText(m, room, { orTitle: true });
  }
  return body;
}

/**
 * Actions header, short form "<action>, <label>, <url>[, key=value…]" separated by ";"
 * (https://docs.ntfy.sh/publish/#action-buttons, "Using a header"); `http` actions POST by default,
 * and `clear=true` dismisses the notification once pressed.
 */
export function ntfyActions(m: NotificationMessage): string | undefined {
  const links = m.incident.links;
  const actions = [`view, Open incident, ${links.incident}`];
  const page = m.kind === 'firing' || m.kind === 'escalated' || m.kind === 'test';
  if (page && links.ack) actions.unshift(`http, Acknowledge, ${links.ack}, method=POST, clear=true`);
  return actions.join('; ');
}

export function ntfyHeaders(c: NtfyConfig, m: NotificationMessage): Record<string, string> {
  const page = m.kind === 'firing' || m.kind === 'escalated' || m.kind === 'test';
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    title: headerValue(statusTitle(m)),
    priority: String(page ? c.priority[m.incident.severity] ?? DEFAULT_PRIORITY[m.incident.severity] : NOTICE_PRIORITY),
    tags: headerValue([TAGS[m.kind], m.incident.severity, ...c.tags].join(',')),
    click: m.incident.links.incident,
    actions: ntfyActions(m)!,
  };
  if (c.token) headers.authorization = `Bearer ${c.token.reveal()}`;
  else if (c.username && c.password) headers.authorization = basicAuth(c.username, c.password.reveal());
  return headers;
}

async function publish(c: NtfyConfig, m: NotificationMessage, ctx: NotifierContext): Promise<DeliveryResult> {
  if (m.kind === 'updated') return { thread: m.thread, skipped: true, response: 'not sent: ntfy cannot add to an earlier notification, and a partial resolve is not worth a new one' };
  const res = await ctx.http.send({
    // A person reached through userChannels.push gets it on their own topic; the receiver's topic otherwise.
    url: appendPath(c.url, m.recipient?.push ?? c.topic),
    headers: ntfyHeaders(c, m),
    body: ntfyBody(m),
    timeoutMs: c.timeout,
    secrets: [c.token?.reveal() ?? '', c.password?.reveal() ?? ''],
  });
  // 200 {"id":"sPs71M8A2T","time":…,"event":"message","topic":"…",…}
  const out = res.json<{ id?: string; event?: string }>();
  if (!out.id) throw new DeliveryError(`ntfy answered ${res.status} without a message id`, { retryable: false, status: res.status });
  return { thread: m.thread ?? { id: out.id }, response: `${m.kind} ${out.id}` };
}

export const ntfyNotifier: Notifier<'ntfy'> = {
  type: 'ntfy',
  // ntfy.sh's default visitor limit: a burst of 60, then one message every 5 seconds
  // (https://docs.ntfy.sh/config/#rate-limiting, visitor-request-limit-burst / -replenish).
  defaultRateLimit: { per: 60, everyMs: 300_000 },
  send: publish,
  update: publish,
};
