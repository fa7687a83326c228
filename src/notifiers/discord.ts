import type { ReceiverOf } from '../config/receivers';
import type { NotificationMessage, Notifier, NotifierContext } from './types';
import { appendPath, colorOf, facts, headline, withQuery } from './format';
import { cutWithEllipsis } from './truncate';
import { fitMessageText } from './fitMessage';

/**
 * Discord webhooks with one embed. `?wait=true` makes Discord answer with the created message, whose
 * id lets ack/resolve and partial resolves edit it in place (PATCH /webhooks/{id}/{token}/messages/{message_id},
 * https://discord.com/developers/docs/resources/webhook#edit-webhook-message): the page shows the
 * incident as it is now, and an edit pings nobody (allowed_mentions stays empty).
 */

type DiscordConfig = ReceiverOf<'discord'>;

/** Discord's documented limits (characters). */
export const DISCORD_LIMITS = { content: 2000, title: 256, description: 4096, fieldName: 256, fieldValue: 1024, footer: 2048, embedTotal: 6000 };

export function discordEmbed(m: NotificationMessage) {
  const inc = m.incident;
  const title = cutWithEllipsis(headline(m), DISCORD_LIMITS.title);
  const fields = facts(inc, m).map(([name, value]) => ({
    name: cutWithEllipsis(name, DISCORD_LIMITS.fieldName),
    value: cutWithEllipsis(value, DISCORD_LIMITS.fieldValue),
    inline: true,
  }));
  const footer = { text: cutWithEllipsis(`Klaxon · incident ${inc.id}`, DISCORD_LIMITS.footer) };
  // The 6,000 total covers title, description, field names/values and footer together.
  const used = title.length + footer.text.length + fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
  const room = Math.min(DISCORD_LIMITS.description, DISCORD_LIMITS.embedTotal - used);
  return {
    title,
    url: inc.links.incident,
    description: fitMessageText(m, room, { orTitle: true }),
    color: colorOf(m),
    fields,
    footer,
    timestamp: inc.startedAt,
  };
}

function body(c: DiscordConfig, m: NotificationMessage) {
  return {
    content: '',
    embeds: [discordEmbed(m)],
    // Alert text must never ping @everyone or roles.
    allowed_mentions: { parse: [] },
    ...(c.username ? { username: c.username } : {}),
    ...(c.avatarUrl ? { avatar_url: c.avatarUrl } : {}),
  };
}

/** Discord's 429 body: {"message":"You are being rate limited.","retry_after":0.5,"global":false} (seconds). */
function retryAfterFromBody(text: string): number | undefined {
  try {
    const v = (JSON.parse(text) as { retry_after?: number }).retry_after;
    return typeof v === 'number' ? Math.ceil(v * 1000) : undefined;
  } catch {
    return undefined;
  }
}

async function post(c: DiscordConfig, m: NotificationMessage, ctx: NotifierContext) {
  const url = c.url.reveal();
  const res = await ctx.http.send({ url: withQuery(url, { wait: 'true' }), body: body(c, m), timeoutMs: c.timeout, secrets: [url], retryAfterFromBody });
  const msg = res.json<{ id: string; channel_id?: string }>();
  return { thread: { messageId: msg.id }, response: `posted ${msg.id}` };
}

export const discordNotifier: Notifier<'discord'> = {
  type: 'discord',
  directMessages: true,
  maxTextLength: DISCORD_LIMITS.description,
  // Discord webhooks allow about 5 requests per 2 seconds.
  defaultRateLimit: { per: 5, everyMs: 2000 },
  send: post,
  async update(c, m, ctx) {
    const url = c.url.reveal();
    const { content: _content, ...edit } = body(c, m);
    await ctx.http.send({
      method: 'PATCH',
      url: appendPath(url, 'messages', m.thread.messageId),
      body: { embeds: edit.embeds, allowed_mentions: edit.allowed_mentions },
      timeoutMs: c.timeout,
      secrets: [url],
      retryAfterFromBody,
    });
    return { thread: m.thread, response: `edited ${m.thread.messageId}` };
  },
};
