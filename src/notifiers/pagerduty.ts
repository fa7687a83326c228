import type { ReceiverOf } from '../config/receivers';
import type { DeliveryResult, NotificationMessage, Notifier, NotifierContext } from './types';
import { DeliveryError } from './errors';
import { cutWithEllipsis } from './truncate';
import { fitMessageText } from './fitMessage';
import { allVendorKeys, vendorKey } from './vendorKey';

/**
 * PagerDuty Events API v2 (POST /v2/enqueue). The dedup_key is the incident id (plus `~<cycle>`
 * after the first re-page cycle, see vendorKey.ts), so trigger, acknowledge and resolve address the
 * same PagerDuty alert without storing anything; a resolve resolves every cycle's alert.
 */

type PagerDutyConfig = ReceiverOf<'pagerduty'>;

/** payload.summary is limited to 1,024 characters, dedup_key to 255. */
const SUMMARY_MAX = 1024;
const DEDUP_MAX = 255;
/** custom_details text; the whole event must stay under 512 KB. */
const DETAILS_TEXT_MAX = 16_000;

/**
 * The event_action for a message, or undefined when PagerDuty has no event for it. Events API v2
 * knows only trigger, acknowledge and resolve
 * (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/, "event_action"); a partial
 * resolve (`updated`) sent as a trigger would re-open or re-page an alert, so nothing is sent.
 */
export function pagerdutyAction(m: NotificationMessage): 'trigger' | 'acknowledge' | 'resolve' | undefined {
  if (m.kind === 'resolved') return 'resolve';
  if (m.kind === 'acknowledged') return 'acknowledge';
  if (m.kind === 'updated') return undefined;
  return 'trigger';
}

export function pagerdutyEvent(c: PagerDutyConfig, m: NotificationMessage, dedupKey = vendorKey(m.incident, DEDUP_MAX)) {
  const inc = m.incident;
  const action = pagerdutyAction(m);
  if (!action) throw new Error(`pagerduty has no event for a ${m.kind} message`);
  const base = { routing_key: c.routingKey.reveal(), event_action: action, dedup_key: dedupKey };
  if (action !== 'trigger') return base;
  return {
    ...base,
    payload: {
      summary: cutWithEllipsis(m.title, SUMMARY_MAX),
      source: c.source ?? (inc.service || 'klaxon'),
      severity: c.severity[inc.severity] ?? 'critical',
      timestamp: inc.startedAt,
      ...(c.component ? { component: c.component } : {}),
      ...(c.group ? { group: c.group } : {}),
      ...(c.class ? { class: c.class } : {}),
      custom_details: {
        text: fitMessageText(m, DETAILS_TEXT_MAX),
        alerts: inc.alerts.length,
        labels: inc.commonLabels,
        tenant: inc.tenant,
      },
    },
    client: 'Klaxon',
    client_url: inc.links.incident,
    links: [
      { href: inc.links.incident, text: 'Klaxon incident' },
      ...(inc.links.runbook ? [{ href: inc.links.runbook, text: 'Runbook' }] : []),
    ],
  };
}

async function enqueue(c: PagerDutyConfig, m: NotificationMessage, ctx: NotifierContext): Promise<DeliveryResult> {
  const action = pagerdutyAction(m);
  if (!action) return { thread: m.thread, skipped: true, response: `not sent: PagerDuty Events API v2 has no update event (a ${m.kind} message would have to be a trigger, i.e. a re-page)` };
  // Earlier cycles' alerts were acknowledged at PagerDuty, not resolved: the resolve closes them too.
  if (action === 'resolve') {
    const keys = allVendorKeys(m.incident, DEDUP_MAX);
    for (const k of keys.slice(0, -1)) await enqueueOne(c, m, ctx, k);
    return enqueueOne(c, m, ctx, keys[keys.length - 1]);
  }
  return enqueueOne(c, m, ctx, vendorKey(m.incident, DEDUP_MAX));
}

async function enqueueOne(c: PagerDutyConfig, m: NotificationMessage, ctx: NotifierContext, dedupKey: string) {
  const key = c.routingKey.reveal();
  const res = await ctx.http.send({ url: c.apiUrl, body: pagerdutyEvent(c, m, dedupKey), timeoutMs: c.timeout, secrets: [key] });
  // 202 {"status":"success","message":"Event processed","dedup_key":"…"}
  const out = res.json<{ status?: string; message?: string; dedup_key?: string }>();
  if (out.status !== 'success') throw new DeliveryError(`pagerduty did not accept the event: ${out.message ?? res.text.slice(0, 200)}`, { retryable: false, status: res.status, vendorMessage: out.message });
  return { thread: { dedupKey: out.dedup_key ?? dedupKey }, response: `${pagerdutyAction(m)} ${out.message ?? 'accepted'}` };
}

export const pagerdutyNotifier: Notifier<'pagerduty'> = {
  type: 'pagerduty',
  repageInThread: true,
  // PagerDuty: 120 events per minute per integration key.
  defaultRateLimit: { per: 120, everyMs: 60_000 },
  send: enqueue,
  update: enqueue,
};
