import type { ConfigStore } from '../src/config/store';
import type { IngestService } from '../src/ingest/ingest';
import type { AlertmanagerPayload } from '../src/alertmanager/payload';
import { HEARTBEAT_ALERTNAME } from '../src/config/heartbeats';
import { formatDuration } from '../src/config/duration';
import type { HeartbeatSettings } from '../workflows/heartbeatDefinitions';

export interface HeartbeatReport {
  tenant: string;
  name: string;
  status: 'firing' | 'resolved';
  lastBeatAt?: string;
  settings: HeartbeatSettings;
  why?: string;
}

/** The missed-beat alert, as Alertmanager would post it: one group per heartbeat, one fingerprint. */
export function heartbeatPayload(r: HeartbeatReport, h: { severity: string; labels: Record<string, string>; summary?: string } | undefined, now: Date): AlertmanagerPayload {
  const labels = { ...(h?.labels ?? {}), alertname: HEARTBEAT_ALERTNAME, heartbeat: r.name, severity: h?.severity ?? 'critical' };
  const every = formatDuration(r.settings.intervalMs);
  const summary = h?.summary ?? `No heartbeat from ${r.name} ${r.lastBeatAt ? `since ${r.lastBeatAt}` : 'since Klaxon started watching'} (expected every ${every}, grace ${formatDuration(r.settings.graceMs)})`;
  const startsAt = new Date(r.lastBeatAt ? Date.parse(r.lastBeatAt) + r.settings.intervalMs + r.settings.graceMs : now.getTime()).toISOString();
  return {
    version: '4',
    groupKey: `{}:{heartbeat="${r.name}"}`,
    truncatedAlerts: 0,
    status: r.status,
    receiver: 'klaxon-heartbeat',
    groupLabels: { heartbeat: r.name },
    commonLabels: labels,
    commonAnnotations: { summary },
    externalURL: '',
    alerts: [
      {
        status: r.status,
        labels,
        annotations: { summary, ...(r.why ? { resolvedBecause: r.why } : {}) },
        startsAt,
        endsAt: r.status === 'resolved' ? now.toISOString() : '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint: `heartbeat-${r.name}`.slice(0, 64),
      },
    ],
  };
}

/**
 * A heartbeat's missed beat (firing) and its return (resolved), handed to ingest like a webhook
 * post: the incident takes the tenant's routes, policies, inhibition and audit like any other.
 */
export function createHeartbeatActivities(deps: { config: ConfigStore; ingest?: IngestService }) {
  return {
    async reportHeartbeat(r: HeartbeatReport): Promise<{ incidentId?: string }> {
      const tenant = deps.config.tenant(r.tenant);
      if (!tenant) throw new Error(`unknown tenant ${r.tenant}`);
      if (!deps.ingest) throw new Error('this worker cannot open incidents (no ingest service)');
      const [out] = await deps.ingest.ingest(r.tenant, tenant, heartbeatPayload(r, tenant.heartbeats[r.name], new Date()));
      return { incidentId: out?.incidentId };
    },
  };
}
