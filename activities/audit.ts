import type { IncidentStore, StoredEvent } from '../src/store/incidents';
import type { IncidentView } from '../src/incident/view';
import type { ConfigStore } from '../src/config/store';
import { DEFAULT_TIER } from '../src/config/sla';
import { countIncidentEvents } from '../src/incident/metrics';

/** Writes the incident summary and new timeline events; idempotent by (incident, seq), and so are the metrics it counts. */
export function createAuditActivity(deps: { incidents: IncidentStore; config?: ConfigStore }) {
  return async function recordIncident(args: { incident: IncidentView & { groupKey: string }; events: StoredEvent[] }): Promise<number> {
    return deps.incidents.record(args.incident, args.events, (inserted) =>
      countIncidentEvents(args.incident, deps.config?.tenant(args.incident.tenant)?.tier ?? DEFAULT_TIER, inserted),
    );
  };
}
