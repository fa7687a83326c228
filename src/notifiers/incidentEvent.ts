import type { NotificationMessage } from './types';
import { fitMessageText } from './fitMessage';

/**
 * One incident change as a flat record, for the event and messaging integrations (Splunk, New Relic,
 * Azure Event Grid, GCP Pub/Sub): every attribute a string, number or boolean, so event stores that
 * refuse nested values (New Relic) index every field and the others can filter on them.
 */
export interface IncidentEvent {
  kind: NotificationMessage['kind'];
  incidentId: string;
  tenant: string;
  title: string;
  status: string;
  severity: string;
  service: string;
  alertname: string;
  startedAt: string;
  alerts: number;
  firingAlerts: number;
  cycle: number;
  url: string;
  text: string;
  idempotencyKey: string;
  acknowledgedBy?: string;
  resolvedAt?: string;
  /** Common labels, flattened (`label.team`), so each one is its own attribute. */
  [label: `label.${string}`]: string;
}

export function incidentEvent(m: NotificationMessage, textMax = 4000): IncidentEvent {
  const inc = m.incident;
  const labels = Object.fromEntries(Object.entries(inc.commonLabels).map(([k, v]) => [`label.${k}`, v])) as Record<`label.${string}`, string>;
  return {
    kind: m.kind,
    incidentId: inc.id,
    tenant: inc.tenant,
    title: m.title,
    status: inc.status,
    severity: inc.severity,
    service: inc.service,
    alertname: inc.alertname,
    startedAt: inc.startedAt,
    alerts: inc.alerts.length,
    firingAlerts: inc.alerts.filter((a) => a.status === 'firing').length,
    cycle: inc.cycle ?? 0,
    url: inc.links.incident,
    text: fitMessageText(m, textMax),
    idempotencyKey: m.idempotencyKey,
    ...(inc.acknowledgedBy ? { acknowledgedBy: inc.acknowledgedBy } : {}),
    ...(inc.resolvedAt ? { resolvedAt: inc.resolvedAt } : {}),
    ...labels,
  };
}
