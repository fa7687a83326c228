import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AlertView, IncidentStatus, IncidentView, Severity } from '../src/incident/view';

/** Messages the incident workflow understands, shared by the workflow, the API and the CLI. */

export interface IncidentInput {
  tenant: string;
  /** Alertmanager groupKey, or the alert fingerprint for tenants grouping by fingerprint. */
  groupKey: string;
  alerts: AlertView[];
  commonLabels: Record<string, string>;
  receivedAt: string;
  /** Present when the workflow continued as new: what the previous run had established. */
  carried?: { nextSeq: number; status: IncidentStatus; acknowledgedBy?: string; severity: Severity };
}

export interface AlertsUpdate {
  alerts: AlertView[];
  receivedAt: string;
}

export interface ActorNote {
  actor: string;
  note?: string;
}

export interface Links {
  publicUrl: string;
  temporalUiUrl: string;
  namespace: string;
}

export const alertsSignal = defineSignal<[AlertsUpdate]>('alerts');
export const stateQuery = defineQuery<IncidentView>('state');
export const acknowledgeUpdate = defineUpdate<IncidentView, [ActorNote]>('acknowledge');
export const resolveUpdate = defineUpdate<IncidentView, [ActorNote]>('resolve');

export const INCIDENT_WORKFLOW = 'incidentWorkflow';
