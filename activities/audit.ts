import type { IncidentStore, StoredEvent } from '../src/store/incidents';
import type { IncidentView } from '../src/incident/view';
import type { ConfigStore } from '../src/config/store';
import { DEFAULT_TIER } from '../src/config/sla';
import { countIncidentEvents } from '../src/incident/metrics';

/** Writes the incident summary and new timeline events; idempotent by (incident, seq), and so are the metrics it counts. */
export function createAuditActivity(deps: { incidents: IncidentStore; config?: ConfigStore }) {
  const write = createAuditWrite(deps);
  return async function recordIncident(args: { incident: IncidentView & { groupKey: string }; events: StoredEvent[] }): Promise<number> {
    return write(args.incident, args.events);
  };
}

/** The write itself, shared with the pages that write their own rows (src/delivery/notifyActivity.ts). */
export function createAuditWrite(deps: { incidents: IncidentStore; config?: ConfigStore }) {
  return (incident: IncidentView & { groupKey: string }, events: StoredEvent[], opts?: { summary?: 'always' | 'while-firing' }): Promise<number> =>
    deps.incidents.record(incident, events, (inserted) => countIncidentEvents(incident, deps.config?.tenant(incident.tenant)?.tier ?? DEFAULT_TIER, inserted), opts);
}
