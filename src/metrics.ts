import { Counter, Histogram, collectDefaultMetrics, register } from 'prom-client';

/** Klaxon's own Prometheus metrics; channel metrics live beside the notifiers. */
let defaultsStarted = false;
export function startDefaultMetrics(): void {
  if (defaultsStarted) return;
  defaultsStarted = true;
  collectDefaultMetrics();
}

export const alertsReceived = new Counter({
  name: 'klaxon_alerts_received_total',
  help: 'Alerts received on the webhook, by tenant and alert status',
  labelNames: ['tenant', 'status'] as const,
});

export const webhookDuration = new Histogram({
  name: 'klaxon_webhook_duration_seconds',
  help: 'Time to accept an Alertmanager webhook (validation, grouping, Temporal signal/start)',
  labelNames: ['tenant', 'code'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
});

export const intakeRejected = new Counter({
  name: 'klaxon_intake_rejected_total',
  help: 'Webhook and heartbeat requests refused before their body was read: unauthorized (bad token or unknown tenant, alike) or rate-limited',
  // No tenant label: an unauthenticated caller must not be able to add label values.
  labelNames: ['route', 'reason'] as const,
});

export const incidentsStarted = new Counter({
  name: 'klaxon_incidents_started_total',
  help: 'Incident workflows started',
  labelNames: ['tenant'] as const,
});

export const runbookRuns = new Counter({
  name: 'klaxon_runbook_runs_total',
  help: 'Runbook runs that ended, by tenant, runbook and outcome (succeeded, failed, denied, cancelled, timed out)',
  labelNames: ['tenant', 'runbook', 'outcome'] as const,
});

export const runbookDuration = new Histogram({
  name: 'klaxon_runbook_run_duration_seconds',
  help: 'From a runbook run start (incl. waiting for approval) to its end',
  labelNames: ['tenant', 'runbook', 'outcome'] as const,
  buckets: [1, 5, 15, 60, 300, 900, 1800, 3600, 7200],
});

export { register };
