import type { IncidentStore, StoredEvent } from '../src/store/incidents';
import type { IncidentView } from '../src/incident/view';

/** Writes the incident summary and new timeline events; idempotent by (incident, seq). */
export function createAuditActivity(deps: { incidents: IncidentStore }) {
  return async function recordIncident(args: { incident: IncidentView & { groupKey: string }; events: StoredEvent[] }): Promise<number> {
    return deps.incidents.record(args.incident, args.events);
  };
}
