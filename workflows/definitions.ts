import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AlertView, IncidentStatus, IncidentView, Severity, TimelineEntry } from '../src/incident/view';
import type { Plan } from '../activities/plan';
import type { Paged, PendingSend } from '../src/delivery/pager';
import type { Recipient } from '../src/notifiers/types';
import type { NotifyArgs } from '../src/delivery/notifyActivity';

/** Messages the incident workflow understands, shared by the workflow, the API and the CLI. */

export interface IncidentInput {
  tenant: string;
  /** Alertmanager groupKey, or the alert fingerprint for tenants grouping by fingerprint. */
  groupKey: string;
  alerts: AlertView[];
  commonLabels: Record<string, string>;
  receivedAt: string;
  /** Alerts Alertmanager left out of the payload (max_alerts); the incident is bigger than it looks. */
  truncatedAlerts?: number;
  /** Present when the workflow continued as new: everything the previous run had established. */
  carried?: CarriedState;
  /** History length after which the run continues as new (default 4000 events; tests lower it). */
  continueAsNewAfterEvents?: number;
  /**
   * Some runbook may start by itself (auto or suggest ones are loaded where the alert arrived):
   * only then does the incident ask which (one activity fewer per incident without runbooks).
   */
  runbooks?: boolean;
}

/** A receiver (and person) that was paged, kept so "resolved" reaches exactly them, in their thread. */
export type Notified = Paged;

export interface CarriedState {
  id: string;
  startedAt: string;
  nextSeq: number;
  status: IncidentStatus;
  acknowledgedBy?: string;
  acknowledgedAt?: string;
  snoozedUntil?: string;
  assignee?: string;
  severity: Severity;
  cursor: number;
  repeats: Record<number, number>;
  sendNo: number;
  /** Acknowledgements so far (absent in runs that predate ack announcements). */
  acks?: number;
  lastDeclared?: Severity;
  anomaly?: { mode: string; score?: number; modelVersion?: number; reason: string; hold: boolean };
  notified: Notified[];
  /** Sends still running when the previous run continued as new: restarted with the same keys. */
  inFlight?: PendingSend[];
  plan: Plan;
  /** The most recent timeline entries (the full timeline is in the audit store). */
  timeline: Array<TimelineEntry & { seq: number }>;
  /** Set by a person or an alert change and not yet acted on when the run continued as new. */
  escalateNow?: boolean;
  reroute?: boolean;
  cycle?: number;
  acksAnnounced?: number;
  /** Partial resolves so far, and the last one told to the paged threads (see IncidentState). */
  partialResolves?: number;
  partialResolvesTold?: number;
  /** Runbook runs this incident started (child workflows, see workflows/runbook.ts). */
  runbooks?: RunbookRun[];
  /** SLA targets already breached (recorded once). */
  slaBreached?: Array<'ack' | 'resolve'>;
  /** The incident is flapping (see IncidentState.flapping). */
  flapping?: Flapping;
  /** Personal-rule sends still waiting for their time (see IncidentState.scheduled). */
  scheduled?: ScheduledSend[];
}

/** A send a person's notification rule puts off (SMS at 2m, a call at 5m), unless someone acts first. */
export interface ScheduledSend {
  send: { receiver: string; recipient?: Recipient };
  dueAt: string;
  key: string;
  step: number;
  kind: NotifyArgs['kind'];
}

/** A flapping incident: how often its group fired within the window, and since when all its alerts are resolved. */
export interface Flapping {
  windowMs: number;
  count: number;
  quietSince?: string;
}

/** A runbook run an incident started, and how it ended when it has. */
export interface RunbookRun {
  runId: string;
  runbook: string;
  onResolve: 'cancel' | 'continue';
  outcome?: string;
  endedAt?: string;
}

export interface RunRunbookRequest extends ActorNote {
  runbook: string;
  /** Parameter values; the rest come from the incident's labels and the runbook's defaults. */
  params?: Record<string, string>;
}

export interface AlertsUpdate {
  alerts: AlertView[];
  receivedAt: string;
}

export interface ActorNote {
  actor: string;
  note?: string;
  /**
   * The incident the caller means. Actions address the workflow id's latest run (continue-as-new
   * keeps an incident going in a new run); a run that belongs to a later incident refuses them.
   */
  incidentId?: string;
}

/** Longest snooze: a month. Beyond it, resolve the incident or fix the alert. */
export const MAX_SNOOZE_MS = 30 * 86_400_000;

export interface SnoozeRequest extends ActorNote {
  /** How long to pause escalation, in milliseconds. */
  durationMs: number;
}

export interface ReassignRequest extends ActorNote {
  /** User id (from the tenant's `users`) to page now. */
  user: string;
}

export interface Links {
  publicUrl: string;
  temporalUiUrl: string;
  namespace: string;
  /** Klaxon's signed, read-only incident page (only when links are signed), for the Web UI's current details. */
  incidentPage?: string;
}

export const alertsSignal = defineSignal<[AlertsUpdate]>('alerts');
/** An incident that may inhibit this one opened or resolved: look at the hold again. */
export const recheckHoldSignal = defineSignal('recheckHold');
export const stateQuery = defineQuery<IncidentView>('state');
export const acknowledgeUpdate = defineUpdate<IncidentView, [ActorNote]>('acknowledge');
export const unacknowledgeUpdate = defineUpdate<IncidentView, [ActorNote]>('unacknowledge');
export const resolveUpdate = defineUpdate<IncidentView, [ActorNote]>('resolve');
export const snoozeUpdate = defineUpdate<IncidentView, [SnoozeRequest]>('snooze');
export const escalateUpdate = defineUpdate<IncidentView, [ActorNote]>('escalate');
export const reassignUpdate = defineUpdate<IncidentView, [ReassignRequest]>('reassign');
/** Starts a runbook for this incident now (any mode); answers the run's id. */
export const runRunbookUpdate = defineUpdate<{ runId: string }, [RunRunbookRequest]>('runRunbook');

export const INCIDENT_WORKFLOW = 'incidentWorkflow';
/** Rejections of an update carry this type; the API maps it to 409. */
export const CONFLICT = 'IncidentStateConflict';
