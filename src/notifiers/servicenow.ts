import type { ReceiverOf } from '../config/receivers';
import type { NotificationMessage, Notifier, NotifierContext } from './types';
import { basicAuth } from './http';
import { appendPath, headline } from './format';
import { cutWithEllipsis } from './truncate';
import { fitMessageText } from './fitMessage';

/**
 * ServiceNow Table API on the incident table: POST creates the incident, PATCH adds work notes on
 * updates, and resolve sets state 6 (Resolved) with close_code and close_notes.
 */

type ServiceNowConfig = ReceiverOf<'servicenow'>;

/** incident.short_description is a 160-character field. */
const SHORT_MAX = 160;
const TEXT_MAX = 30_000;
/** Klaxon severity → ServiceNow impact/urgency (1 high, 2 medium, 3 low). */
const LEVEL = { critical: '1', warning: '2', info: '3' } as const;
export const SERVICENOW_RESOLVED_STATE = '6';

function tableUrl(c: ServiceNowConfig, sysId?: string): string {
  return appendPath(c.instanceUrl, 'api', 'now', 'table', 'incident', ...(sysId ? [sysId] : []));
}

async function call(c: ServiceNowConfig, ctx: NotifierContext, method: 'POST' | 'PATCH', url: string, body: unknown) {
  const password = c.password.reveal();
  const res = await ctx.http.send({
    method,
    url,
    headers: { authorization: basicAuth(c.username, password), accept: 'application/json' },
    body,
    timeoutMs: c.timeout,
    secrets: [password],
  });
  return res.json<{ result: { sys_id: string; number?: string } }>().result;
}

export function servicenowCreateBody(c: ServiceNowConfig, m: NotificationMessage) {
  const inc = m.incident;
  return {
    short_description: cutWithEllipsis(m.title.replace(/\s*\n\s*/g, ' '), SHORT_MAX),
    description: `${fitMessageText(m, TEXT_MAX)}\n\nKlaxon incident: ${inc.links.incident}`,
    impact: LEVEL[inc.severity],
    urgency: LEVEL[inc.severity],
    correlation_id: inc.id,
    correlation_display: 'Klaxon',
    ...(c.assignmentGroup ? { assignment_group: c.assignmentGroup } : {}),
    ...(c.callerId ? { caller_id: c.callerId } : {}),
    ...(c.category ? { category: c.category } : {}),
  };
}

export const servicenowNotifier: Notifier<'servicenow'> = {
  type: 'servicenow',
  repageInThread: true,
  maxTextLength: TEXT_MAX,
  async send(c, m, ctx) {
    const rec = await call(c, ctx, 'POST', tableUrl(c), servicenowCreateBody(c, m));
    return { thread: { sysId: rec.sys_id, number: rec.number ?? '' }, response: `created ${rec.number ?? rec.sys_id}` };
  },
  async update(c, m, ctx) {
    const note = `${headline(m)}\n${m.text}`;
    // Only the resolve changes state; anything else (ack, re-page, a partial resolve) is a work note,
    // a PATCH of the one incident record with work_notes alone (Table API PATCH /api/now/table/{tableName}/{sys_id},
    // https://docs.servicenow.com/bundle/utah-api-reference/page/integrate/inbound-rest/concept/c_TableAPI.html).
    const body =
      m.kind === 'resolved'
        ? { state: SERVICENOW_RESOLVED_STATE, close_code: c.closeCode, close_notes: fitMessageText(m, 4000, { prefix: `${headline(m)}\n` }), work_notes: note }
        : { work_notes: note };
    await call(c, ctx, 'PATCH', tableUrl(c, m.thread.sysId), body);
    return { thread: m.thread, response: `${m.kind === 'resolved' ? 'resolved' : 'noted'} ${m.thread.number || m.thread.sysId}` };
  },
};
