/**
 * The incident as people and channels see it: the `state` query's answer, the REST API's body and
 * the context templates render. Plain data only, so workflow code can build it deterministically.
 */
export type IncidentStatus = 'firing' | 'acknowledged' | 'resolved';
export type Severity = 'info' | 'warning' | 'critical';

export interface AlertView {
  fingerprint: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
}

export interface TimelineEntry {
  at: string;
  kind: string;
  actor: string;
  details: Record<string, unknown>;
}

export interface IncidentView {
  id: string;
  tenant: string;
  workflowId: string;
  runId: string;
  title: string;
  status: IncidentStatus;
  /** Severity after classification (what pages are based on); `declaredSeverity` is the alert's own. */
  severity: Severity;
  declaredSeverity: Severity;
  /**
   * Paging cycles: 0 until the first acknowledgement; +1 each time the incident fires again after
   * one (ack timeout, unack, snooze end, escalate or reassign while acknowledged).
   */
  cycle?: number;
  /** Set on the one notice sent when an incident fired and resolved before Klaxon paged anyone. */
  unpaged?: boolean;
  alertname: string;
  service: string;
  startedAt: string;
  acknowledgedBy?: string;
  resolvedAt?: string;
  /** Escalation is paused until then (snooze); it resumes where it was. */
  snoozedUntil?: string;
  /** Who was last assigned by a person (reassign). */
  assignee?: string;
  /** Escalation policy in force and the step it is at (0-based). */
  policy?: string;
  step?: number;
  /** Why the incident is held silently, if it is (maintenance window, inhibition, noise). */
  held?: string;
  /** Anomaly scoring of this incident; `advise` is true when the tenant wants it shown in messages. */
  anomaly?: { mode: string; score?: number; modelVersion?: number; reason: string; advise: boolean };
  commonLabels: Record<string, string>;
  /**
   * Set on the message that asks for a runbook run's approval (kind `updated`); `approvers` (tenant
   * user ids) when only they may answer.
   */
  approval?: { runId: string; runbook: string; reason: string; until: string; approvers?: string[] };
  /** Set on a runbook's `notify` message to the paged conversations (kind `updated`). */
  note?: { runId: string; runbook: string; text: string; seq?: number };
  alerts: AlertView[];
  /**
   * `incident`: a page a person can open (set when a message is sent: src/links/messageLinks.ts);
   * `workflow`: the Temporal Web UI; `api`: the JSON API; `ack`: signed one-click acknowledge;
   * `approve`: a runbook's approval request, answered once (approve or deny).
   */
  links: { workflow: string; incident: string; api?: string; runbook?: string; ack?: string; approve?: string };
  timeline: TimelineEntry[];
}
