import type { ReceiverOf } from '../config/receivers';
import { allVendorKeys, vendorKey } from './vendorKey';
import type { NotificationMessage, Notifier, NotifierContext } from './types';
import { appendPath, withQuery } from './format';
import { cutWithEllipsis } from './truncate';
import { fitMessageText } from './fitMessage';

/**
 * Opsgenie Alert API v2. The alert is created with `alias` = incident id, then acknowledged, noted
 * (partial resolves) and closed by alias (`?identifierType=alias`), so nothing needs to be stored
 * between calls.
 * Requests are processed asynchronously: 202 {"result":"Request will be processed","requestId":…}.
 */

type OpsgenieConfig = ReceiverOf<'opsgenie'>;

const BASE = { us: 'https://api.opsgenie.com', eu: 'https://api.eu.opsgenie.com' } as const;
/** Documented field limits. */
const LIMITS = { message: 130, alias: 512, description: 15_000, detailsTotal: 8000 };

export function opsgenieBaseUrl(c: OpsgenieConfig): string {
  return c.apiUrl ?? BASE[c.region];
}

export function opsgenieCreateBody(c: OpsgenieConfig, m: NotificationMessage) {
  const inc = m.incident;
  const details: Record<string, string> = { klaxonIncident: inc.links.incident, tenant: inc.tenant, alerts: String(inc.alerts.length) };
  let size = Object.entries(details).reduce((n, [k, v]) => n + k.length + v.length, 0);
  for (const [k, v] of Object.entries(inc.commonLabels)) {
    if (size + k.length + v.length > LIMITS.detailsTotal) break;
    details[k] = v;
    size += k.length + v.length;
  }
  return {
    message: cutWithEllipsis(m.title, LIMITS.message),
    alias: vendorKey(inc, LIMITS.alias),
    description: fitMessageText(m, LIMITS.description),
    responders: c.responders,
    tags: c.tags,
    details,
    entity: c.entity ?? inc.service,
    source: 'klaxon',
    priority: c.priority[inc.severity] ?? 'P3',
  };
}

async function call(c: OpsgenieConfig, url: string, body: unknown, ctx: NotifierContext) {
  const key = c.apiKey.reveal();
  const res = await ctx.http.send({ url, headers: { authorization: `GenieKey ${key}` }, body, timeoutMs: c.timeout, secrets: [key] });
  const out = res.json<{ result?: string; requestId?: string }>();
  return out.requestId ?? '';
}

function alertUrl(c: OpsgenieConfig, alias: string, action: 'acknowledge' | 'close' | 'notes'): string {
  return withQuery(appendPath(opsgenieBaseUrl(c), 'v2', 'alerts', alias, action), { identifierType: 'alias' });
}

async function deliver(c: OpsgenieConfig, m: NotificationMessage, ctx: NotifierContext) {
  // One alias per paging cycle (vendorKey.ts): an acknowledged Opsgenie alert only counts up on a
  // re-create with its alias, it does not notify anyone again.
  const alias = vendorKey(m.incident, LIMITS.alias);
  const note = fitMessageText(m, 25_000, { prefix: `${m.title}\n` });
  if (m.kind === 'resolved') {
    // Earlier cycles' alerts were acknowledged, not closed: close every one.
    let id = '';
    for (const a of allVendorKeys(m.incident, LIMITS.alias)) id = await call(c, alertUrl(c, a, 'close'), { user: 'Klaxon', source: 'klaxon', note }, ctx);
    return { thread: { alias }, response: `close requested ${id}` };
  }
  if (m.kind === 'updated') {
    // A partial resolve is a note on the open alert, which changes neither its state nor its count
    // (a create with the same alias would count up). Alert API "Add Note to Alert":
    // POST /v2/alerts/{identifier}/notes?identifierType=alias, {user?, source?, note (≤ 25,000)},
    // answered 202 like the other actions (https://docs.opsgenie.com/docs/alert-api#add-note-to-alert).
    const id = await call(c, alertUrl(c, alias, 'notes'), { user: 'Klaxon', source: 'klaxon', note }, ctx);
    return { thread: { alias }, response: `note requested ${id}` };
  }
  if (m.kind === 'acknowledged') {
    const user = m.incident.acknowledgedBy ?? 'Klaxon';
    const id = await call(c, alertUrl(c, alias, 'acknowledge'), { user, source: 'klaxon', note }, ctx);
    return { thread: { alias }, response: `acknowledge requested ${id}` };
  }
  // Firing/escalated: Opsgenie de-duplicates an open alert with the same alias (count goes up).
  const id = await call(c, appendPath(opsgenieBaseUrl(c), 'v2', 'alerts'), opsgenieCreateBody(c, m), ctx);
  return { thread: { alias }, response: `create requested ${id}` };
}

export const opsgenieNotifier: Notifier<'opsgenie'> = {
  type: 'opsgenie',
  repageInThread: true,
  maxTextLength: LIMITS.description,
  send: deliver,
  update: deliver,
};
