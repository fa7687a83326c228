import { Counter, Gauge, Histogram, collectDefaultMetrics, register } from 'prom-client';

/**
 * Klaxon's own Prometheus metrics; channel metrics live beside the notifiers
 * (src/notifiers/metrics.ts). Counters that follow audit rows are incremented where the row is
 * inserted, once (src/incident/metrics.ts), so an activity's retry never counts twice. Gauges
 * that describe stored state are read from the store when scraped (src/store/openIncidents.ts),
 * so they are right after a restart and agree between replicas.
 */
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

type Collector = () => Promise<void> | void;
const collectors = new Map<string, Collector>();

/**
 * Sets what fills a scrape-time gauge just before it is read: the process that owns the source
 * (the audit store, the circuit breakers) registers it; elsewhere the gauge stays empty.
 */
export function onScrape(metric: 'klaxon_incidents_open' | 'klaxon_receiver_circuit_state', collect: Collector | undefined): void {
  if (collect) collectors.set(metric, collect);
  else collectors.delete(metric);
}

export const incidentsOpen = new Gauge({
  name: 'klaxon_incidents_open',
  help: 'Incidents not resolved, by tenant, effective severity and status (firing, acknowledged), as the audit store has them',
  labelNames: ['tenant', 'severity', 'status'] as const,
  collect: () => collectors.get('klaxon_incidents_open')?.(),
});

/**
 * Created by the first scrape-time read of the store, so a process that does not read it (a
 * worker-only one) does not report a store that is "down".
 */
export function auditStoreUp(): Gauge {
  const name = 'klaxon_audit_store_up';
  return (
    (register.getSingleMetric(name) as Gauge | undefined) ??
    new Gauge({ name, help: '1 when the last scrape-time read of the audit store answered, 0 when it failed (klaxon_incidents_open then keeps its last values)' })
  );
}

export const escalationEvents = new Counter({
  name: 'klaxon_escalation_events_total',
  help: 'Incident timeline events recorded, by tenant and kind (opened, notified, notify.failed, acknowledged, escalated, resolved …); counted once per stored row',
  labelNames: ['tenant', 'kind'] as const,
});

export const timeToAck = new Histogram({
  name: 'klaxon_time_to_ack_seconds',
  help: "From an incident's start to its first acknowledgement",
  labelNames: ['tenant', 'tier'] as const,
  buckets: [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400],
});

export const timeToResolve = new Histogram({
  name: 'klaxon_time_to_resolve_seconds',
  help: "From an incident's start to its resolution (by Alertmanager, a person or resolveAfter)",
  labelNames: ['tenant', 'tier'] as const,
  buckets: [60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400, 259200],
});

/** Defined here so the dashboard and rules have it from day one; the SLA tracking work increments it when it records a breach. */
export const slaBreaches = new Counter({
  name: 'klaxon_sla_breaches_total',
  help: 'SLA targets missed, by tenant, tier and target (ack, resolve)',
  labelNames: ['tenant', 'tier', 'target'] as const,
});

export const integrationRequests = new Counter({
  name: 'klaxon_integration_requests_total',
  help: "Requests to a receiver's vendor, by receiver type and outcome (success, rate_limited, client_error, server_error, network_error)",
  labelNames: ['receiver_type', 'outcome'] as const,
});

/** Collected on scrape from the circuit breakers of the process that delivers (src/notifiers/circuitMetrics.ts). */
export const receiverCircuit = new Gauge({
  name: 'klaxon_receiver_circuit_state',
  help: "1 for the receiver's current circuit breaker state (closed, half-open, open), 0 for the others; every configured receiver is listed",
  labelNames: ['tenant', 'receiver', 'receiver_type', 'state'] as const,
  collect: () => collectors.get('klaxon_receiver_circuit_state')?.(),
});

export const anomalyScore = new Histogram({
  name: 'klaxon_anomaly_score',
  help: "Anomaly score of each classified incident (0 = usual, 1 = never seen), by tenant and the tenant's anomaly mode",
  labelNames: ['tenant', 'mode'] as const,
  buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1],
});

export const modelRetrains = new Counter({
  name: 'klaxon_model_retrains_total',
  help: 'Anomaly model retrains that ended, by tenant and outcome (promoted, rejected, failed)',
  labelNames: ['tenant', 'outcome'] as const,
});

export { register };
