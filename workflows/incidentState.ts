import type { AlertView, IncidentStatus, IncidentView, Severity, TimelineEntry } from '../src/incident/view';
import { maxSeverity, severityOf } from '../src/incident/severity';
import { incidentId } from '../src/incident/ids';
import type { IncidentInput, Links } from './definitions';

/**
 * The incident's state and its timeline, kept apart from the workflow's control flow. Pure and
 * deterministic: time comes from the caller (the workflow sandbox's replay-safe clock).
 */
export class IncidentState {
  readonly id: string;
  status: IncidentStatus = 'firing';
  acknowledgedBy?: string;
  resolvedAt?: string;
  severity: Severity;
  readonly alerts = new Map<string, AlertView>();
  readonly timeline: Array<TimelineEntry & { seq: number }> = [];
  /** Events not yet written to the audit store. */
  pending: Array<TimelineEntry & { seq: number }> = [];
  links: Links = { publicUrl: '', temporalUiUrl: '', namespace: 'default' };
  private nextSeq: number;

  constructor(
    readonly input: IncidentInput,
    readonly workflowId: string,
    readonly runId: string,
    readonly startedAt: string,
  ) {
    this.id = incidentId(input.tenant, workflowId, runId);
    for (const a of input.alerts) this.alerts.set(a.fingerprint, a);
    this.severity = this.declaredSeverity;
    this.nextSeq = input.carried?.nextSeq ?? 1;
    if (input.carried) {
      this.status = input.carried.status;
      this.acknowledgedBy = input.carried.acknowledgedBy;
      this.severity = input.carried.severity;
    }
  }

  get declaredSeverity(): Severity {
    return maxSeverity([...this.alerts.values()].map((a) => severityOf(a.labels)));
  }

  get firingCount(): number {
    return [...this.alerts.values()].filter((a) => a.status === 'firing').length;
  }

  get allResolved(): boolean {
    return this.firingCount === 0;
  }

  record(at: Date, kind: string, actor: string, details: Record<string, unknown> = {}): void {
    const e = { seq: this.nextSeq++, at: at.toISOString(), kind, actor, details };
    this.timeline.push(e);
    this.pending.push(e);
  }

  takePending(): Array<TimelineEntry & { seq: number }> {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /**
   * Merges a re-sent group. Returns what changed, so unchanged re-sends leave no trace and a
   * severity raise can re-route.
   */
  applyAlerts(alerts: AlertView[], at: Date): { added: string[]; resolved: string[]; refired: string[] } {
    const added: string[] = [];
    const resolved: string[] = [];
    const refired: string[] = [];
    for (const a of alerts) {
      const prev = this.alerts.get(a.fingerprint);
      if (!prev) added.push(a.fingerprint);
      else if (prev.status !== a.status) (a.status === 'resolved' ? resolved : refired).push(a.fingerprint);
      this.alerts.set(a.fingerprint, a);
    }
    if (added.length || resolved.length || refired.length) {
      this.record(at, 'alerts.updated', 'alertmanager', { added, resolved, refired, firing: this.firingCount });
    }
    return { added, resolved, refired };
  }

  acknowledge(actor: string, at: Date, note?: string): void {
    this.status = 'acknowledged';
    this.acknowledgedBy = actor;
    this.record(at, 'acknowledged', actor, note ? { note } : {});
  }

  resolve(actor: string, at: Date, reason: string): void {
    this.status = 'resolved';
    this.resolvedAt = at.toISOString();
    this.record(at, 'resolved', actor, { reason });
  }

  view(): IncidentView {
    const alerts = [...this.alerts.values()];
    const labels = this.input.commonLabels;
    const alertname = labels.alertname ?? alerts[0]?.labels.alertname ?? 'alert';
    const service = labels.service ?? alerts[0]?.labels.service ?? '';
    const incidentPath = `/api/v1/incidents/${encodeURIComponent(this.id)}`;
    const runbook = alerts.find((a) => a.annotations.runbook_url)?.annotations.runbook_url;
    return {
      id: this.id,
      tenant: this.input.tenant,
      workflowId: this.workflowId,
      runId: this.runId,
      title: `${alertname}${service ? ` (${service})` : ''}${alerts.length > 1 ? ` ×${alerts.length}` : ''}`,
      status: this.status,
      severity: this.severity,
      declaredSeverity: this.declaredSeverity,
      alertname,
      service,
      startedAt: this.startedAt,
      acknowledgedBy: this.acknowledgedBy,
      resolvedAt: this.resolvedAt,
      commonLabels: labels,
      alerts,
      links: {
        incident: this.links.publicUrl + incidentPath,
        workflow: `${this.links.temporalUiUrl}/namespaces/${this.links.namespace}/workflows/${encodeURIComponent(this.workflowId)}/${this.runId}/history`,
        ...(runbook ? { runbook } : {}),
      },
      timeline: this.timeline.map(({ seq: _seq, ...e }) => e),
    };
  }
}
