import type { IncidentView } from '../incident/view';

/**
 * The dedup key for vendors that collapse events by key (PagerDuty dedup_key, Opsgenie alias).
 * One key per paging cycle: while an alert is acknowledged at the vendor, a new trigger with its
 * key wakes nobody (PagerDuty: "while an incident is acknowledged, it won't generate any additional
 * notifications, even if it receives new trigger events" — Events API v2, event_action), so a
 * re-page after an ack timeout must use a new key. Within a cycle every step shares the key.
 */
export function vendorKey(inc: Pick<IncidentView, 'id' | 'cycle'>, max: number, cycle = inc.cycle ?? 0): string {
  const suffix = cycle > 0 ? `~${cycle}` : '';
  return inc.id.slice(0, max - suffix.length) + suffix;
}

/** Every key the incident has used so far: a resolve closes all of them. */
export function allVendorKeys(inc: Pick<IncidentView, 'id' | 'cycle'>, max: number): string[] {
  return Array.from({ length: (inc.cycle ?? 0) + 1 }, (_, c) => vendorKey(inc, max, c));
}
