import type { Notifier } from './types';
import { DeliveryError } from './errors';
import { headline } from './format';
import { legacyAttachment } from './attachment';

/**
 * Rocket.Chat incoming webhooks (POST /hooks/{id}/{token}): text plus a Slack-compatible attachment.
 * Answers {"success":true}; a script error in the integration comes back as {"success":false,…}.
 */

const TEXT_MAX = 5000;

export const rocketchatNotifier: Notifier<'rocketchat'> = {
  type: 'rocketchat',
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
        ...(c.alias ? { alias: c.alias } : {}),
      },
      timeoutMs: c.timeout,
      secrets: [url],
    });
    const out = res.json<{ success?: boolean; error?: string }>();
    if (out.success === false) throw new DeliveryError(`rocket.chat refused the message: ${out.error ?? 'unknown error'}`, { retryable: false, status: res.status, vendorMessage: out.error });
    return { response: `${res.status}` };
  },
};
