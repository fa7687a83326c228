import type { ReceiverOf } from '../config/receivers';
import type { NotificationMessage, Notifier, NotifierContext } from './types';
import { headline } from './format';
import { cutWithEllipsis } from './truncate';
import { fitMessageText } from './fitMessage';

/**
 * Datadog Events API v1 (POST /api/v1/events, DD-API-KEY). aggregation_key = incident id groups an
 * incident's events in the event stream; resolve posts a `success` event.
 */

type DatadogConfig = ReceiverOf<'datadog'>;

/** Event text is limited to 4,000 characters; aggregation_key to 100. */
const TEXT_MAX = 4000;
const AGGREGATION_KEY_MAX = 100;

export function datadogEventsUrl(c: DatadogConfig): string {
  return c.apiUrl ? `${c.apiUrl.replace(/\/+$/, '')}/api/v1/events` : `https://api.${c.site}/api/v1/events`;
}

export function datadogAlertType(m: NotificationMessage): 'error' | 'warning' | 'info' | 'success' {
  if (m.kind === 'resolved') return 'success';
  // A partial resolve is news in the incident's aggregation (same aggregation_key: "all events using
  // that key are grouped together"), not a new alert: `info`, so an event monitor on error/warning
  // events does not fire again (https://docs.datadoghq.com/api/latest/events/#post-an-event, alert_type).
  if (m.kind === 'acknowledged' || m.kind === 'test' || m.kind === 'updated') return 'info';
  return ({ critical: 'error', warning: 'warning', info: 'info' } as const)[m.incident.severity];
}

export function datadogEvent(c: DatadogConfig, m: NotificationMessage) {
  const inc = m.incident;
  const link = `\n\n[Klaxon incident](${inc.links.incident})`;
  return {
    title: cutWithEllipsis(headline(m), 500),
    text: fitMessageText(m, TEXT_MAX - link.length) + link,
    aggregation_key: inc.id.slice(0, AGGREGATION_KEY_MAX),
    alert_type: datadogAlertType(m),
    priority: c.priority,
    source_type_name: 'klaxon',
    tags: [...c.tags, `klaxon_tenant:${inc.tenant}`, `service:${inc.service}`, `severity:${inc.severity}`],
  };
}

async function post(c: DatadogConfig, m: NotificationMessage, ctx: NotifierContext) {
  const key = c.apiKey.reveal();
  const res = await ctx.http.send({ url: datadogEventsUrl(c), headers: { 'dd-api-key': key, accept: 'application/json' }, body: datadogEvent(c, m), timeoutMs: c.timeout, secrets: [key] });
  // 202 {"status":"ok","event":{"id":…,"url":…}}
  const out = res.json<{ status?: string; event?: { id?: number | string; id_str?: string } }>();
  const id = String(out.event?.id_str ?? out.event?.id ?? '');
  return { thread: { aggregationKey: m.incident.id.slice(0, AGGREGATION_KEY_MAX), ...(id ? { eventId: id } : {}) }, response: `event ${id || out.status}` };
}

export const datadogNotifier: Notifier<'datadog'> = {
  type: 'datadog',
  repageInThread: true,
  maxTextLength: TEXT_MAX,
  send: post,
  update: post,
};
