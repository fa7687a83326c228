import type { ReceiverOf } from '../config/receivers';
import type { NotificationMessage, Notifier, NotifierContext, ThreadRef } from './types';
import { DeliveryError } from './errors';
import { escapeHtml, headline, statusLabel } from './format';
import { fitMessageText } from './fitMessage';

/**
 * Telegram Bot API sendMessage in HTML parse mode. Ack/resolve and partial resolves are sent as
 * replies to the first message (`reply_parameters`), so the chat shows them threaded under the page.
 */

type TelegramConfig = ReceiverOf<'telegram'>;

/** sendMessage accepts 1–4,096 characters after entity parsing (tags don't count, &lt; counts 1). */
export const TELEGRAM_TEXT_MAX = 4096;

/**
 * The visible text is what counts toward the limit, so the budget is computed on unescaped text
 * and escaping happens after truncation.
 */
export function telegramHtml(m: NotificationMessage): string {
  const inc = m.incident;
  const head = headline(m);
  const footer = `Severity: ${inc.severity} · Service: ${inc.service || '—'}`;
  const link = 'Open incident';
  const budget = TELEGRAM_TEXT_MAX - head.length - footer.length - link.length - 4;
  const body = fitMessageText(m, Math.max(budget, 20));
  return [`<b>${escapeHtml(head)}</b>`, escapeHtml(body), `<i>${escapeHtml(footer)}</i>`, `<a href="${escapeHtml(inc.links.incident)}">${link}</a>`].join('\n');
}

/** Telegram's 429 body carries {"parameters":{"retry_after":N}} (seconds). */
function retryAfterFromBody(text: string): number | undefined {
  try {
    const v = (JSON.parse(text) as { parameters?: { retry_after?: number } }).parameters?.retry_after;
    return typeof v === 'number' ? v * 1000 : undefined;
  } catch {
    return undefined;
  }
}

async function sendMessage(c: TelegramConfig, m: NotificationMessage, ctx: NotifierContext, replyTo?: ThreadRef): Promise<ThreadRef> {
  const token = c.botToken.reveal();
  const res = await ctx.http.send({
    url: `${c.apiUrl.replace(/\/+$/, '')}/bot${token}/sendMessage`,
    body: {
      chat_id: c.chatId,
      text: telegramHtml(m),
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
      // Resolves and partial resolves are news, not pages: "Sends the message silently. Users will
      // receive a notification with no sound." (https://core.telegram.org/bots/api#sendmessage)
      disable_notification: c.disableNotification || m.kind === 'resolved' || m.kind === 'updated',
      ...(c.messageThreadId !== undefined ? { message_thread_id: c.messageThreadId } : {}),
      ...(replyTo?.messageId ? { reply_parameters: { message_id: Number(replyTo.messageId), allow_sending_without_reply: true } } : {}),
    },
    timeoutMs: c.timeout,
    secrets: [token],
    retryAfterFromBody,
  });
  const out = res.json<{ ok: boolean; description?: string; result?: { message_id: number; chat?: { id: number } } }>();
  if (!out.ok || !out.result) throw new DeliveryError(`telegram sendMessage failed: ${out.description ?? 'no result'}`, { retryable: false, vendorMessage: out.description });
  return { messageId: String(out.result.message_id), chatId: String(out.result.chat?.id ?? c.chatId) };
}

export const telegramNotifier: Notifier<'telegram'> = {
  type: 'telegram',
  directMessages: true,
  repageInThread: true,
  maxTextLength: TELEGRAM_TEXT_MAX,
  // Telegram: avoid more than one message per second in a chat.
  defaultRateLimit: { per: 1, everyMs: 1000 },
  async send(c, m, ctx) {
    const thread = await sendMessage(c, m, ctx);
    return { thread, response: `sent ${thread.messageId}` };
  },
  async update(c, m, ctx) {
    const reply = await sendMessage(c, m, ctx, m.thread);
    // Keep pointing at the first message: later updates reply to the page, not to each other.
    return { thread: m.thread, response: `${statusLabel(m.kind).toLowerCase()} reply ${reply.messageId}` };
  },
};
