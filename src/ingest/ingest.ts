import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import type { AlertmanagerAlert, AlertmanagerPayload } from '../alertmanager/payload';
import type { TenantConfig } from '../config/schema';
import type { AlertView } from '../incident/view';
import { incidentId, incidentWorkflowId } from '../incident/ids';
import { maxSeverity, severityOf } from '../incident/severity';
import { KlaxonAlertName, KlaxonService, KlaxonSeverity, KlaxonStatus, KlaxonTenant } from '../temporal/searchAttributes';
import { alertsSignal, INCIDENT_WORKFLOW, type AlertsUpdate } from '../../workflows/definitions';
import type { incidentWorkflow } from '../../workflows/incident';
import { alertsReceived, incidentsStarted } from '../metrics';
import { groupDigest, Lru } from './digest';

export interface IngestedIncident {
  incidentId?: string;
  workflowId: string;
  /** started: a new incident; updated: signalled; unchanged: a re-send, nothing written; no-incident: resolved with nothing open. */
  outcome: 'started' | 'updated' | 'unchanged' | 'no-incident';
}

interface Group {
  key: string;
  alerts: AlertView[];
  commonLabels: Record<string, string>;
  truncatedAlerts?: number;
}

function toView(a: AlertmanagerAlert): AlertView {
  return {
    fingerprint: a.fingerprint,
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.startsAt,
    endsAt: a.endsAt,
    generatorURL: a.generatorURL,
  };
}

/** Splits a payload into incidents according to the tenant's grouping. */
export function groupsOf(payload: AlertmanagerPayload, groupBy: TenantConfig['groupBy']): Group[] {
  if (groupBy === 'fingerprint') {
    return payload.alerts.map((a) => ({ key: a.fingerprint, alerts: [toView(a)], commonLabels: a.labels }));
  }
  return [{ key: payload.groupKey, alerts: payload.alerts.map(toView), commonLabels: payload.commonLabels, truncatedAlerts: payload.truncatedAlerts || undefined }];
}

/**
 * Turns a validated Alertmanager payload into incident workflows: starts one per new group,
 * signals the running one when the group changed, and does nothing for an unchanged re-send.
 */
export class IngestService {
  private readonly seen = new Lru<{ digest: string; incidentId?: string }>(100_000);

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  async ingest(tenantName: string, tenant: TenantConfig, payload: AlertmanagerPayload): Promise<IngestedIncident[]> {
    for (const a of payload.alerts) alertsReceived.inc({ tenant: tenantName, status: a.status });
    return Promise.all(groupsOf(payload, tenant.groupBy).map((g) => this.ingestGroup(tenantName, g)));
  }

  private async ingestGroup(tenant: string, group: Group): Promise<IngestedIncident> {
    const workflowId = incidentWorkflowId(tenant, group.key);
    const digest = groupDigest(group.alerts);
    const known = this.seen.get(workflowId);
    if (known?.digest === digest) return { workflowId, incidentId: known.incidentId, outcome: 'unchanged' };

    const receivedAt = new Date().toISOString();
    const firing = group.alerts.some((a) => a.status === 'firing');
    if (!firing) {
      // Resolving something that is not open must not open an incident just to close it.
      try {
        const handle = this.client.workflow.getHandle(workflowId);
        await handle.signal(alertsSignal, { alerts: group.alerts, receivedAt });
        const runId = (await handle.describe()).runId;
        const id = incidentId(tenant, workflowId, runId);
        this.seen.set(workflowId, { digest, incidentId: id });
        return { workflowId, incidentId: id, outcome: 'updated' };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) {
          this.seen.set(workflowId, { digest });
          return { workflowId, outcome: 'no-incident' };
        }
        throw err;
      }
    }

    const update: AlertsUpdate = { alerts: group.alerts, receivedAt };
    const handle = this.client.workflow.getHandle(workflowId);
    // Known and open: the group changed, hand the change to the running incident.
    if (known?.incidentId) {
      try {
        await handle.signal(alertsSignal, update);
        this.seen.set(workflowId, { digest, incidentId: known.incidentId });
        return { workflowId, incidentId: known.incidentId, outcome: 'updated' };
      } catch (err) {
        // Its run has completed (resolved): this firing is a new incident.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    // A plain start is the cheapest write for a new incident (no signal event, no extra task);
    // a run we did not know of (restart, another replica) answers "already started" and gets the signal.
    let id: string;
    let outcome: IngestedIncident['outcome'];
    try {
      const started = await this.client.workflow.start<typeof incidentWorkflow>(INCIDENT_WORKFLOW, {
        workflowId,
        taskQueue: this.taskQueue,
        args: [{ tenant, groupKey: group.key, alerts: group.alerts, commonLabels: group.commonLabels, receivedAt, truncatedAlerts: group.truncatedAlerts }],
        typedSearchAttributes: searchAttributesFor(tenant, group),
      });
      id = incidentId(tenant, workflowId, started.firstExecutionRunId);
      outcome = 'started';
      incidentsStarted.inc({ tenant });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      await handle.signal(alertsSignal, update);
      id = incidentId(tenant, workflowId, (await handle.describe()).runId);
      outcome = 'updated';
    }
    this.seen.set(workflowId, { digest, incidentId: id });
    return { workflowId, incidentId: id, outcome };
  }
}

/** Short keyword values only: Web UI filters, no free text, no secrets. */
function searchAttributesFor(tenant: string, group: Group): SearchAttributePair[] {
  const labels = group.commonLabels;
  const first = group.alerts[0].labels;
  return [
    { key: KlaxonTenant, value: tenant },
    { key: KlaxonAlertName, value: labels.alertname ?? first.alertname ?? '' },
    { key: KlaxonService, value: labels.service ?? first.service ?? '' },
    { key: KlaxonSeverity, value: maxSeverity(group.alerts.map((a) => severityOf(a.labels))) },
    { key: KlaxonStatus, value: 'firing' },
  ];
}
