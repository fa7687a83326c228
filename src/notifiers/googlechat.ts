import type { ReceiverOf } from '../config/receivers';
import type { NotificationMessage, Notifier, NotifierContext } from './types';
import { escapeHtml, facts, headline, withQuery } from './format';
import { fitMessageText } from './fitMessage';

/**
 * Google Chat space webhooks with a cardsV2 card. Every message of an incident carries
 * thread.threadKey = incident id and messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD, so
 * ack/resolve and partial resolves land in the page's thread (or start one if it is gone;
 * https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces.messages/create).
 */

type GoogleChatConfig = ReceiverOf<'googlechat'>;

/** Chat messages hold 4,096 characters of text; cards live within the 32 KB message limit. */
const TEXT_MAX = 4000;

export function googleChatMessage(m: NotificationMessage) {
  const inc = m.incident;
  const buttons = [{ text: 'Open incident', onClick: { openLink: { url: inc.links.incident } } }];
  if (inc.links.runbook) buttons.push({ text: 'Runbook', onClick: { openLink: { url: inc.links.runbook } } });
  return {
    text: headline(m),
    cardsV2: [
      {
        cardId: `klaxon-${m.kind}`,
        card: {
          header: { title: headline(m), subtitle: facts(inc, m).map(([k, v]) => `${k}: ${v}`).join(' · ') },
          sections: [
            {
              widgets: [
                // textParagraph renders a small HTML subset, so the alert text is escaped.
                { textParagraph: { text: fitMessageText(m, TEXT_MAX, { escape: escapeHtml, orTitle: true }).replace(/\n/g, '<br>') } },
                { buttonList: { buttons } },
              ],
            },
          ],
        },
      },
    ],
    thread: { threadKey: inc.id },
  };
}

async function post(c: GoogleChatConfig, m: NotificationMessage, ctx: NotifierContext) {
  const url = c.url.reveal();
  const res = await ctx.http.send({
    url: withQuery(url, { messageReplyOption: 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD' }),
    headers: { 'content-type': 'application/json; charset=UTF-8' },
    body: googleChatMessage(m),
    timeoutMs: c.timeout,
    secrets: [url, ...[...new URL(url).searchParams.values()]],
  });
  const out = res.json<{ name?: string; thread?: { name?: string } }>();
  return { thread: { threadKey: m.incident.id, ...(out.thread?.name ? { threadName: out.thread.name } : {}) }, response: `posted ${out.name ?? ''}`.trim() };
}

export const googlechatNotifier: Notifier<'googlechat'> = {
  type: 'googlechat',
  directMessages: true,
  repageInThread: true,
  maxTextLength: TEXT_MAX,
  // Google Chat: one message per second per space.
  defaultRateLimit: { per: 1, everyMs: 1000 },
  send: post,
  update: post,
};
