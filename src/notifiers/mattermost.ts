import type { Notifier } from './types';
import { headline } from './format';
import { legacyAttachment } from './attachment';

/** Mattermost incoming webhooks: text plus a Slack-compatible attachment; answers 200 "ok". */

/** Mattermost posts hold 16,383 characters; leave room for the headline. */
const TEXT_MAX = 16_000;

export const mattermostNotifier: Notifier<'mattermost'> = {
  type: 'mattermost',
  directMessages: true,
  maxTextLength: TEXT_MAX,
  async send(c, m, ctx) {
    const url = c.url.reveal();
    const res = await ctx.http.send({
      url,
      body: {
        text: headline(m),
        attachments: [legacyAttachment(m, TEXT_MAX)],
        ...(c.channel ? { channel: c.channel } : {}),
        ...(c.username ? { username: c.username } : {}),
        ...(c.iconUrl ? { icon_url: c.iconUrl } : {}),
      },
      timeoutMs: c.timeout,
      secrets: [url],
    });
    return { response: `${res.status} ${res.text.slice(0, 50)}` };
  },
};
