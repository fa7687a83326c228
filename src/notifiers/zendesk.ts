import type { ReceiverOf } from '../config/receivers';
import type { NotificationMessage, Notifier, NotifierContext } from './types';
import { basicAuth } from './http';
import { appendPath, headline } from './format';
import { cutWithEllipsis } from './truncate';
import { fitMessageText } from './fitMessage';

/**
 * Zendesk Support tickets: POST /api/v2/tickets.json opens one per incident (external_id = incident
 * id), updates add an internal comment, resolve sets status "solved" with a comment. API-token auth
 * is Basic with "{email}/token:{token}".
 */

type ZendeskConfig = ReceiverOf<'zendesk'>;

const TEXT_MAX = 60_000;

async function call(c: ZendeskConfig, ctx: NotifierContext, method: 'POST' | 'PUT', url: string, body: unknown) {
  const token = c.apiToken.reveal();
  const res = await ctx.http.send({
    method,
    url,
    headers: { authorization: basicAuth(`${c.email}/token`, token), accept: 'application/json' },
    body,
    timeoutMs: c.timeout,
    secrets: [token],
  });
  return res.json<{ ticket: { id: number; status?: string } }>().ticket;
}

export function zendeskTicket(c: ZendeskConfig, m: NotificationMessage) {
  const inc = m.incident;
  return {
    ticket: {
      subject: cutWithEllipsis(m.title, 255),
      comment: { body: `${fitMessageText(m, TEXT_MAX)}\n\nKlaxon incident: ${inc.links.incident}`, public: false },
      priority: c.priority[inc.severity] ?? 'normal',
      type: 'incident',
      tags: c.tags,
      external_id: inc.id,
      ...(c.groupId !== undefined ? { group_id: c.groupId } : {}),
    },
  };
}

export const zendeskNotifier: Notifier<'zendesk'> = {
  type: 'zendesk',
  repageInThread: true,
  maxTextLength: TEXT_MAX,
  async send(c, m, ctx) {
    const t = await call(c, ctx, 'POST', appendPath(c.url, 'api', 'v2', 'tickets.json'), zendeskTicket(c, m));
    return { thread: { ticketId: String(t.id) }, response: `created ticket ${t.id}` };
  },
  async update(c, m, ctx) {
    const id = m.thread.ticketId;
    const comment = { body: fitMessageText(m, TEXT_MAX, { prefix: `${headline(m)}\n` }), public: false };
    // Only the resolve sets a status; anything else (ack, re-page, a partial resolve) is an internal
    // comment on the one ticket, a PUT with `comment` alone ("Update Ticket",
    // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket).
    const ticket = m.kind === 'resolved' ? { status: 'solved', comment } : { comment };
    const t = await call(c, ctx, 'PUT', appendPath(c.url, 'api', 'v2', 'tickets', `${id}.json`), { ticket });
    return { thread: m.thread, response: `updated ticket ${t.id}${t.status ? ` (${t.status})` : ''}` };
  },
};
