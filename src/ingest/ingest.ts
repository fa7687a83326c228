import type { EndedFeed } from '../store/endedFeed';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import type { AlertmanagerAlert, AlertmanagerPayload } from '../alertmanager/payload';
import type { TenantConfig } from '../config/schema';
import type { AlertView, IncidentView } from '../incident/view';
import { incidentId, incidentWorkflowId } from '../incident/ids';
import { maxSeverity, severityOf } from '../incident/severity';
import { KlaxonAlertName, KlaxonService, KlaxonSeverity, KlaxonStatus, KlaxonTenant } from '../temporal/searchAttributes';
import { alertsSignal, INCIDENT_WORKFLOW, type AlertsUpdate, type IncidentInput } from '../../workflows/definitions';
import { IncidentState } from '../../workflows/incidentState';
import type { incidentWorkflow } from '../../workflows/incident';
import { alertsReceived, incidentsStarted } from '../metrics';
import { groupDigest, Lru } from './digest';
import { staticDetails, staticSummary } from '../incident/uiMetadata';

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
  /** Per group: its digest, incident, and each alert's status as last handed over (for deltas). */
  private readonly seen = new Lru<Seen>(100_000);

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    /**
     * Whether an incident has ended, from the shared audit store: the cache is this process's
     * memory, but a resolve may have happened anywhere (a person, resolveAfter, another replica).
     */
    private readonly hasEnded: (incidentId: string) => Promise<boolean> = async () => false,
    /** Records a new incident as accepted (the audit store), so its id answers before the worker runs. */
    private readonly accepted: (incident: IncidentView & { groupKey: string }) => Promise<void> = async () => undefined,
    /** Auto or suggest runbooks are loaded: new incidents look for the ones that match. */
    private readonly runbooks = false,
    /**
     * Temporal's time-skipping test server knows no custom search attributes: tests there turn them
     * off. `endings`: ends heard from the audit store (src/store/endedFeed.ts); a cached group
     * learned while it listens needs no store read per re-send.
     */
    private readonly opts: { searchAttributes?: boolean; endings?: Pick<EndedFeed, 'current' | 'trusted'> } = {},
  ) {}

  /** An incident ended (heard from the audit store): a re-send of its alerts is a new incident. */
  forget(workflowId: string, incidentId: string): void {
    if (this.seen.get(workflowId)?.incidentId === incidentId) this.seen.delete(workflowId);
    // An end heard before its group was cached (it resolved while being started or signalled).
    this.endedLately.add(incidentId);
    if (this.endedLately.size > ENDED_LATELY) this.endedLately.delete(this.endedLately.values().next().value!);
  }

  private readonly endedLately = new Set<string>();

  /** What the cache may store now: the listener's epoch, when one is listening. */
  private remember(workflowId: string, entry: Seen): void {
    entry.feedEpoch = entry.incidentId !== undefined && this.endedLately.has(entry.incidentId) ? undefined : this.opts.endings?.current();
    this.seen.set(workflowId, entry);
  }

  async ingest(tenantName: string, tenant: TenantConfig, payload: AlertmanagerPayload): Promise<IngestedIncident[]> {
    for (const a of payload.alerts) alertsReceived.inc({ tenant: tenantName, status: a.status });
    return Promise.all(groupsOf(payload, tenant.groupBy).map((g) => this.ingestGroup(tenantName, g)));
  }

  private async ingestGroup(tenant: string, group: Group): Promise<IngestedIncident> {
    const workflowId = incidentWorkflowId(tenant, group.key);
    const digest = groupDigest(group.alerts);
    let known = this.seen.get(workflowId);
    if (known?.digest === digest) {
      // A re-send costs no Temporal write. An incident that ended elsewhere while its alerts still
      // fire must open a new one, not be answered from a stale cache: the store says so, or, while
      // the ends feed has listened since this entry was made, the feed would have dropped it.
      const endings = this.opts.endings;
      let ended = false;
      if (known.incidentId !== undefined && firingIn(group) && !endings?.trusted(known.feedEpoch)) {
        const epoch = endings?.current();
        ended = await this.hasEnded(known.incidentId).catch(() => false);
        // Read after the feed was listening: from now on an end of it is heard.
        if (!ended && epoch !== undefined) known.feedEpoch = epoch;
      }
      if (!ended) return { workflowId, incidentId: known.incidentId, outcome: 'unchanged' };
      this.seen.delete(workflowId);
      known = undefined;
    }

    const receivedAt = new Date().toISOString();
    const firing = firingIn(group);
    if (!firing) {
      // Resolving something that is not open must not open an incident just to close it.
      try {
        const handle = this.client.workflow.getHandle(workflowId);
        await handle.signal(alertsSignal, { alerts: known?.incidentId ? changedSince(known, group.alerts) : group.alerts, receivedAt });
        const id = incidentId(tenant, workflowId, await incidentRunId(handle));
        this.remember(workflowId, remembered(digest, group.alerts, id));
        return { workflowId, incidentId: id, outcome: 'updated' };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) {
          this.remember(workflowId, { digest });
          return { workflowId, outcome: 'no-incident' };
        }
        throw err;
      }
    }

    const update: AlertsUpdate = { alerts: group.alerts, receivedAt };
    const handle = this.client.workflow.getHandle(workflowId);
    // Known and open: the group changed, hand the change to the running incident — only the alerts
    // that changed, so a large group does not put itself into history again on every change.
    if (known?.incidentId) {
      try {
        await handle.signal(alertsSignal, { alerts: changedSince(known, group.alerts), receivedAt });
        this.remember(workflowId, remembered(digest, group.alerts, known.incidentId));
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
      const input: IncidentInput = { tenant, groupKey: group.key, alerts: group.alerts, commonLabels: group.commonLabels, receivedAt, truncatedAlerts: group.truncatedAlerts, ...(this.runbooks ? { runbooks: true } : {}) };
      // What the Temporal Web UI lists and shows (user metadata, encrypted like the input). The run
      // id is the server's, so this view has none yet: the details name no incident id.
      const opening = new IncidentState(input, workflowId, '', new Date(receivedAt)).view();
      const started = await this.client.workflow.start<typeof incidentWorkflow>(INCIDENT_WORKFLOW, {
        workflowId,
        taskQueue: this.taskQueue,
        args: [input],
        staticSummary: staticSummary(opening),
        staticDetails: staticDetails(opening),
        ...(this.opts.searchAttributes !== false ? { typedSearchAttributes: searchAttributesFor(tenant, group) } : {}),
      });
      id = incidentId(tenant, workflowId, started.firstExecutionRunId);
      outcome = 'started';
      incidentsStarted.inc({ tenant });
      // The same view the workflow will write, from the same pure code; a store that is down only
      // delays readability, never the page.
      const view = new IncidentState(input, workflowId, started.firstExecutionRunId, new Date(receivedAt)).view();
      await this.accepted({ ...view, groupKey: group.key }).catch(() => undefined);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      await handle.signal(alertsSignal, update);
      id = incidentId(tenant, workflowId, await incidentRunId(handle));
      outcome = 'updated';
    }
    this.remember(workflowId, remembered(digest, group.alerts, id));
    return { workflowId, incidentId: id, outcome };
  }
}

/**
 * The run an incident id is made from: the first of its continue-as-new chain (a long incident's
 * later runs keep the id of the first).
 */
async function incidentRunId(handle: WorkflowHandle): Promise<string> {
  const d = await handle.describe();
  return d.raw.workflowExecutionInfo?.firstRunId || d.runId;
}

interface Seen {
  digest: string;
  incidentId?: string;
  /** fingerprint → status; absent for very large groups (they are then signalled whole). */
  statuses?: Map<string, string>;
  /** The ends feed's epoch when this was learned (src/store/endedFeed.ts). */
  feedEpoch?: number;
}

/** Ends remembered for groups not cached yet when their end was heard (IngestService.forget). */
const ENDED_LATELY = 10_000;

/** Statuses are kept for groups up to this size; beyond it memory matters more than history. */
const MAX_TRACKED_ALERTS = 5000;

function remembered(digest: string, alerts: AlertView[], incidentId?: string): Seen {
  return { digest, incidentId, statuses: alerts.length <= MAX_TRACKED_ALERTS ? new Map(alerts.map((a) => [a.fingerprint, a.status])) : undefined };
}

/** The alerts that are new or changed status since the group was last handed to its incident. */
function changedSince(known: Seen, alerts: AlertView[]): AlertView[] {
  return known.statuses ? alerts.filter((a) => known.statuses!.get(a.fingerprint) !== a.status) : alerts;
}

function firingIn(group: Group): boolean {
  return group.alerts.some((a) => a.status === 'firing');
}

/**
 * Search attributes are stored in plaintext (a payload codec cannot encrypt them, the server must
 * index them), so a label value goes in only when it looks like an identifier (`HighLatency`,
 * `payments-db`); anything else (spaces, `@`, long text) is left out rather than exposed.
 */
export function searchKeyword(value: string | undefined): string {
  return value && /^[A-Za-z0-9_.:/-]{1,100}$/.test(value) ? value : '';
}

/** Short keyword values only: Web UI filters, no free text, no secrets. */
function searchAttributesFor(tenant: string, group: Group): SearchAttributePair[] {
  const labels = group.commonLabels;
  const first = group.alerts[0].labels;
  return [
    { key: KlaxonTenant, value: tenant },
    { key: KlaxonAlertName, value: searchKeyword(labels.alertname ?? first.alertname) },
    { key: KlaxonService, value: searchKeyword(labels.service ?? first.service) },
    { key: KlaxonSeverity, value: maxSeverity(group.alerts.map((a) => severityOf(a.labels))) },
    { key: KlaxonStatus, value: 'firing' },
  ];
}
