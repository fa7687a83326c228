import type { InsertedEvent } from '../store/incidents';
import { anomalyScore, escalationEvents, slaBreaches, timeToAck, timeToResolve } from '../metrics';

/**
 * Counts the timeline events the audit store has just inserted, once each (a retried write
 * inserts nothing and counts nothing): every event by kind, the first acknowledgement and the
 * resolution as durations since the incident started, SLA breaches, and the anomaly score of a
 * classification.
 */
export function countIncidentEvents(incident: { tenant: string; startedAt: string }, tier: string, events: InsertedEvent[]): void {
  const { tenant } = incident;
  const since = (at: string) => Math.max(0, (Date.parse(at) - Date.parse(incident.startedAt)) / 1000);
  for (const e of events) {
    escalationEvents.inc({ tenant, kind: e.kind });
    if (e.kind === 'acknowledged' && e.first) timeToAck.observe({ tenant, tier }, since(e.at));
    if (e.kind === 'resolved') timeToResolve.observe({ tenant, tier }, since(e.at));
    if (e.kind === 'sla.breached') slaBreaches.inc({ tenant, tier: String(e.details.tier ?? tier), target: String(e.details.target ?? 'unknown') });
    const score = e.kind === 'classified' ? e.details.score : undefined;
    if (typeof score === 'number' && Number.isFinite(score)) anomalyScore.observe({ tenant, mode: String(e.details.mode ?? 'unknown') }, score);
  }
}
