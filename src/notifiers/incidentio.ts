import type { ReceiverOf } from '../config/receivers';
import type { DeliveryResult, NotificationMessage, Notifier, NotifierContext } from './types';
import { alertmanagerBody } from './webhook';

/**
 * incident.io's Alertmanager alert source (https://docs.incident.io/integrations/alerts/alertmanager,
 * https://api-docs.incident.io/tag/Alert-Events-V2): POST
 * /v2/alert_events/alertmanager/{alert_source_config_id} with `Authorization: Bearer <token>` and
 * Alertmanager's own webhook body (the receiver Alertmanager 0.29 added), so incident.io dedups by
 * the alerts' fingerprints and resolves what Alertmanager would. Alertmanager has no acknowledge:
 * an ack sends nothing (it is acknowledged in incident.io itself).
 */

type IncidentioConfig = ReceiverOf<'incidentio'>;

/** The body; a resolve resolves every alert (a person may resolve while Alertmanager still says firing). */
export function incidentioBody(m: NotificationMessage) {
  const body = alertmanagerBody(m);
  if (m.kind !== 'resolved') return body;
  const endsAt = m.incident.resolvedAt ?? new Date().toISOString();
  return { ...body, status: 'resolved', alerts: body.alerts.map((a) => ({ ...a, status: 'resolved' as const, endsAt: a.status === 'resolved' ? a.endsAt : endsAt })) };
}

async function post(c: IncidentioConfig, m: NotificationMessage, ctx: NotifierContext): Promise<DeliveryResult> {
  if (m.kind === 'acknowledged') return { thread: m.thread, skipped: true, response: "not sent: Alertmanager's webhook has no acknowledge (acknowledge in incident.io)" };
  const token = c.token.reveal();
  const res = await ctx.http.send({
    url: `${c.apiUrl.replace(/\/+$/, '')}/v2/alert_events/alertmanager/${encodeURIComponent(c.alertSourceConfigId)}`,
    headers: { authorization: `Bearer ${token}` },
    body: incidentioBody(m),
    timeoutMs: c.timeout,
    secrets: [token],
  });
  // 202 {"status":"success","message":"Event accepted for processing","deduplication_key":"…"}
  const out = res.json<{ status?: string; message?: string; deduplication_key?: string }>();
  return { thread: { groupKey: m.incident.id, ...(out.deduplication_key ? { deduplicationKey: out.deduplication_key } : {}) }, response: `${m.kind} ${out.message ?? out.status ?? res.status}` };
}

export const incidentioNotifier: Notifier<'incidentio'> = {
  type: 'incidentio',
  repageInThread: true,
  send: post,
  update: post,
};
