import {
  ApplicationFailure,
  CancellationScope,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { KlaxonActivities, NotifyResult, PlanStep } from '../activities';
import type { ThreadRef } from '../src/notifiers/types';
import { KlaxonSeverity, KlaxonStatus } from '../src/temporal/searchAttributes';
import { acknowledgeUpdate, alertsSignal, resolveUpdate, stateQuery, type ActorNote, type IncidentInput } from './definitions';
import { IncidentState } from './incidentState';

// Audit writes and planning are local activities: fast, on the same worker, no task-queue round trip.
const { recordIncident, planIncident } = proxyLocalActivities<KlaxonActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumInterval: '10s' },
});

// Vendor calls: retried with backoff; 429/503 Retry-After becomes the next retry delay (see activities/notify.ts).
const { notify } = proxyActivities<KlaxonActivities>({
  startToCloseTimeout: '60s',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 12 },
});

/**
 * One incident, from first alert to resolution:
 * open → plan the escalation → run its steps (notify, wait until acked/resolved or the timer fires)
 * → wait for resolution → tell everyone who was paged that it is resolved.
 */
export async function incidentWorkflow(input: IncidentInput): Promise<void> {
  const info = workflowInfo();
  const incident = new IncidentState(input, info.workflowId, info.runId, new Date().toISOString());
  const notified = new Map<string, ThreadRef | undefined>();

  setHandler(stateQuery, () => incident.view());
  setHandler(alertsSignal, ({ alerts }) => {
    incident.applyAlerts(alerts, new Date());
    if (incident.allResolved && incident.status !== 'resolved') incident.resolve('alertmanager', new Date(), 'all alerts resolved');
  });
  setHandler(
    acknowledgeUpdate,
    ({ actor, note }) => {
      incident.acknowledge(actor, new Date(), note);
      return incident.view();
    },
    { validator: (_: ActorNote) => rejectUnless(incident.status === 'firing', `incident is already ${incident.status}`) },
  );
  setHandler(
    resolveUpdate,
    ({ actor, note }) => {
      incident.resolve(actor, new Date(), note ?? 'resolved by a person');
      return incident.view();
    },
    { validator: (_: ActorNote) => rejectUnless(incident.status !== 'resolved', 'incident is already resolved') },
  );

  incident.record(new Date(), 'opened', 'alertmanager', { groupKey: input.groupKey, alerts: incident.alerts.size, severity: incident.severity });
  const plan = await planIncident({ tenant: input.tenant, labels: input.commonLabels });
  incident.links = plan.links;
  incident.record(new Date(), 'policy.selected', 'klaxon', { policy: plan.policyName, route: plan.route });

  let done = false;
  const flusher = keepAuditCurrent(incident, () => done);
  let sent = 0;

  const stillOpen = () => incident.status === 'firing';
  for (const [stepIndex, step] of plan.steps.entries()) {
    if (!stillOpen()) break;
    if (step.kind === 'wait') {
      // A durable timer racing ack/resolve: nothing is polled.
      await condition(() => !stillOpen(), step.ms);
      continue;
    }
    const results = await notifyStep(incident, step, stepIndex, ++sent, stillOpen);
    for (const r of results) notified.set(r.receiver, r.thread);
  }

  await condition(() => incident.status === 'resolved');
  await Promise.all(
    [...notified].map(([receiver, thread]) =>
      notify({
        tenant: input.tenant,
        receiver,
        kind: 'resolved',
        incident: incident.view(),
        idempotencyKey: `${info.workflowId}/${info.runId}/resolved/${receiver}`,
        thread,
      }).then((r) => incident.record(new Date(), 'notified', 'klaxon', { receiver, kind: 'resolved', response: r.response, duplicate: r.duplicate })),
    ),
  );
  done = true;
  await flusher;
}

/** Sends one notify step to its receivers at once; an ack or resolve cancels what is still in flight. */
async function notifyStep(
  incident: IncidentState,
  step: Extract<PlanStep, { kind: 'notify' }>,
  stepIndex: number,
  sendNo: number,
  stillOpen: () => boolean,
): Promise<NotifyResult[]> {
  const { workflowId, runId } = workflowInfo();
  const results: NotifyResult[] = [];
  await CancellationScope.cancellable(async () => {
    const scope = CancellationScope.current();
    void condition(() => !stillOpen()).then(() => scope.cancel());
    await Promise.all(
      step.receivers.map(async (receiver) => {
        try {
          const r = await notify({
            tenant: incident.input.tenant,
            receiver,
            kind: 'firing',
            incident: incident.view(),
            idempotencyKey: `${workflowId}/${runId}/${sendNo}/${receiver}`,
          });
          results.push(r);
          incident.record(new Date(), 'notified', 'klaxon', { step: stepIndex, receiver, kind: 'firing', response: r.response, duplicate: r.duplicate });
        } catch (err) {
          if (!stillOpen()) return;
          incident.record(new Date(), 'notify.failed', 'klaxon', { step: stepIndex, receiver, error: (err as Error).message });
        }
      }),
    );
  }).catch((err) => {
    if (stillOpen()) throw err;
  });
  return results;
}

/**
 * Writes new timeline events (and the incident's summary) to the audit store as they happen, and
 * keeps the status search attribute in step with the state.
 */
async function keepAuditCurrent(incident: IncidentState, finished: () => boolean): Promise<void> {
  let lastStatus = incident.status;
  let lastSeverity = incident.severity;
  for (;;) {
    await condition(() => incident.pending.length > 0 || finished());
    if (incident.status !== lastStatus || incident.severity !== lastSeverity) {
      lastStatus = incident.status;
      lastSeverity = incident.severity;
      upsertSearchAttributes([
        { key: KlaxonStatus, value: incident.status },
        { key: KlaxonSeverity, value: incident.severity },
      ]);
    }
    const events = incident.takePending();
    if (events.length > 0) await recordIncident({ incident: { ...incident.view(), groupKey: incident.input.groupKey }, events });
    if (finished() && incident.pending.length === 0) return;
  }
}

function rejectUnless(ok: boolean, message: string): void {
  if (!ok) throw ApplicationFailure.nonRetryable(message, 'IncidentStateConflict');
}
