import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  sleep,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { KlaxonActivities, NotifyArgs, NotifyResult, PlanStep, Send } from '../activities';
import type { NotifyTargets } from '../src/config/schema';
import { KlaxonSeverity, KlaxonStatus, KlaxonTenant } from '../src/temporal/searchAttributes';
import {
  acknowledgeUpdate,
  alertsSignal,
  CONFLICT,
  escalateUpdate,
  reassignUpdate,
  resolveUpdate,
  snoozeUpdate,
  stateQuery,
  unacknowledgeUpdate,
  type IncidentInput,
} from './definitions';
import { IncidentState } from './incidentState';

// Audit writes, planning and recipient lookup are local activities: fast, on the same worker, no
// task-queue round trip before the first page goes out.
const { recordIncident, planIncident, resolveRecipients } = proxyLocalActivities<KlaxonActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumInterval: '10s' },
});

// Scoring must never block paging: short timeout, one retry, then the declared severity stands.
const { classifyIncident } = proxyLocalActivities<KlaxonActivities>({
  startToCloseTimeout: '5s',
  retry: { initialInterval: '200ms', maximumAttempts: 2 },
});

// First try of a page: on the workflow's own task, with no activity task round trip. Any failure
// (vendor error, rate-limit queue, timeout) falls back to `notify` below with its full retry policy;
// the idempotency key keeps both tries one message.
const { notify: notifyFast } = proxyLocalActivities<KlaxonActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 1 },
});

// Vendor calls: retried with backoff; 429/503 Retry-After becomes the next retry delay (activities/notify.ts).
const { notify } = proxyActivities<KlaxonActivities>({
  startToCloseTimeout: '60s',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 12 },
});

/** patched() id: incident ids take the random tail of the run id (v7 run ids share their head). */
const INCIDENT_ID_TAIL = 'klaxon-incident-id-tail';

/** patched() id: anomaly classification sets the effective severity before routing. */
const ANOMALY_CLASSIFY = 'klaxon-anomaly-classify';

/** patched() id: a page's first try runs as a local activity (fewer history events, lower latency). */
const FAST_FIRST_TRY = 'klaxon-fast-first-try';

/** patched() id: acknowledgements are announced to the channels that were paged. */
const ACK_ANNOUNCEMENTS = 'klaxon-ack-announcements';

/** History length at which a long incident continues as new (well under Temporal's 50k-event limit). */
const CONTINUE_AS_NEW_AFTER_EVENTS = 4000;

/**
 * One incident, from first alert to resolution:
 * open → pick the escalation policy → run its steps (notify; wait until acked/resolved or the timer
 * fires; repeat) → when resolved, tell exactly those who were paged, in their thread.
 */
export async function incidentWorkflow(input: IncidentInput): Promise<void> {
  const info = workflowInfo();
  const incident = new IncidentState(input, info.workflowId, info.runId, new Date(), patched(INCIDENT_ID_TAIL) ? 'tail' : 'head');
  installHandlers(incident);

  if (!input.carried) {
    incident.record(new Date(), 'opened', 'alertmanager', {
      groupKey: input.groupKey,
      alerts: incident.alerts.size,
      severity: incident.severity,
      ...(input.truncatedAlerts ? { truncatedAlerts: input.truncatedAlerts } : {}),
    });
    await classify(incident);
    await choosePolicy(incident);
  }
  let done = false;
  const audit = keepAuditCurrent(incident, () => done);

  while (incident.status !== 'resolved') {
    if (incident.plan?.hold) await waitOutHold(incident);
    else if (incident.status === 'acknowledged') await waitWhileAcknowledged(incident);
    else if (incident.reroute) {
      incident.reroute = false;
      await classify(incident);
      await choosePolicy(incident);
      incident.cursor = 0;
      incident.repeats = {};
    } else if (incident.anomaly?.hold && !incident.escalateNow) {
      // Scored as routine for a pattern that was mostly noise (enforce mode): no page unless
      // the alerts get worse, a person escalates, or it resolves.
      await condition(() => incident.status !== 'firing' || incident.escalateNow || incident.reroute);
      if (incident.escalateNow) incident.anomaly.hold = false;
    } else await runStep(incident);

    if (historyIsLong(input.continueAsNewAfterEvents) && !isResolved(incident)) {
      await condition(allHandlersFinished);
      done = true;
      await audit;
      await continueAsNew<typeof incidentWorkflow>({ ...input, alerts: [...incident.alerts.values()], carried: incident.carry() });
    }
  }

  await notifyResolved(incident);
  await condition(allHandlersFinished);
  done = true;
  await audit;
}

/** Runs the step under the cursor and moves the cursor on. */
async function runStep(incident: IncidentState): Promise<void> {
  const steps = incident.plan!.steps;
  const interrupted = () => incident.status !== 'firing' || incident.escalateNow || incident.reroute;
  if (incident.escalateNow) {
    incident.escalateNow = false;
    const next = steps.findIndex((s, i) => i >= incident.cursor && (s.kind === 'notify' || s.kind === 'notifyIf'));
    incident.cursor = next >= 0 ? next : steps.length;
    if (next < 0) await page(incident, lastNotifyTargets(steps), 'escalated');
    return;
  }
  if (incident.cursor >= steps.length) {
    // Policy exhausted: nothing more to send until a person or Alertmanager changes something.
    await condition(interrupted);
    return;
  }
  const step = steps[incident.cursor];
  switch (step.kind) {
    case 'notify':
      await page(incident, step.targets);
      break;
    case 'notifyIf':
      await page(incident, step.targets, undefined, { name: step.window, outside: step.outside });
      break;
    case 'wait':
      // A durable timer racing ack/resolve/escalate: nothing is polled. Interrupted waits start over.
      if (await condition(interrupted, step.ms)) return;
      break;
    case 'repeat': {
      const done = incident.repeats[incident.cursor] ?? 0;
      if (done < step.times) {
        incident.repeats[incident.cursor] = done + 1;
        incident.record(new Date(), 'policy.repeat', 'klaxon', { from: step.from, time: done + 1, of: step.times });
        incident.cursor = step.from;
        return;
      }
      break;
    }
    case 'resolveAfter': {
      const changes = incident.alertChanges;
      const quiet = !(await condition(() => interrupted() || incident.alertChanges !== changes, step.ms));
      if (quiet) incident.resolve('klaxon', new Date(), `no change for ${Math.round(step.ms / 1000)}s (resolveAfter)`);
      return;
    }
  }
  incident.cursor++;
}

/**
 * One notify step: resolves who to page now, sends to all of them at once, and records each
 * result. An ack, resolve or snooze that arrives meanwhile cancels what is still in flight.
 */
async function page(incident: IncidentState, targets: NotifyTargets, kind: NotifyArgs['kind'] = 'firing', window?: { name: string; outside: boolean }): Promise<void> {
  const step = incident.cursor;
  const { sends, unreachable, skipped } = await resolveRecipients({ tenant: incident.input.tenant, targets, window, at: new Date().toISOString() });
  if (skipped) {
    incident.record(new Date(), 'notify.skipped', 'klaxon', { step, reason: skipped });
    return;
  }
  for (const u of unreachable) incident.record(new Date(), 'notify.unreachable', 'klaxon', { step, ...u });
  const sendNo = ++incident.sendNo;
  const stillFiring = () => incident.status === 'firing';
  let finished = false;
  await CancellationScope.cancellable(async () => {
    const scope = CancellationScope.current();
    // Resolves when the sends finish too, so no watcher outlives its step.
    void condition(() => !stillFiring() || finished).then(() => !finished && scope.cancel());
    await Promise.all(
      sends.map(async (send) => {
        try {
          const args = { ...sendArgs(incident, send, kind), idempotencyKey: keyFor(incident, String(sendNo), send) };
          const r = patched(FAST_FIRST_TRY) ? await notifyFast(args).catch((err) => retryAsActivity(err, args, stillFiring)) : await notify(args);
          incident.addNotified({ receiver: send.receiver, recipient: send.recipient, thread: r.thread });
          incident.record(new Date(), 'notified', 'klaxon', { step, kind, receiver: send.receiver, user: send.recipient?.id, response: r.response, duplicate: r.duplicate });
        } catch (err) {
          // Cancelled because someone acted: that is the point, not a failure.
          if (!stillFiring()) return;
          incident.record(new Date(), 'notify.failed', 'klaxon', { step, receiver: send.receiver, user: send.recipient?.id, error: failureMessage(err) });
        }
      }),
    );
    finished = true;
  }).catch((err) => {
    finished = true;
    if (stillFiring()) throw err;
  });
}

/**
 * After a failed fast first try: give up on what the vendor refused for good, wait out a
 * Retry-After on a durable timer, then hand the send to the retrying activity.
 */
async function retryAsActivity(err: unknown, args: NotifyArgs, stillFiring: () => boolean): Promise<NotifyResult> {
  // A local activity's failure arrives as the ApplicationFailure itself; a regular one wraps it.
  const cause = err instanceof ApplicationFailure ? err : (err as { cause?: unknown }).cause;
  if (!stillFiring() || !(cause instanceof ApplicationFailure) || cause.nonRetryable) throw err;
  const retryAfterMs = (cause.details?.[0] as { retryAfterMs?: number } | undefined)?.retryAfterMs;
  if (retryAfterMs !== undefined) await sleep(Math.max(retryAfterMs, 1000));
  return notify(args);
}

/** "Resolved" to exactly the receivers and people that were paged, once each, in their thread. */
async function notifyResolved(incident: IncidentState): Promise<void> {
  await tellPaged(incident, 'resolved', 'resolved');
}

/**
 * Updates what was paged (same thread, chat.update, PagerDuty acknowledge, …) for a moment of the
 * incident: acknowledged or resolved. Only those already paged hear of it.
 */
async function tellPaged(incident: IncidentState, kind: 'acknowledged' | 'resolved', which: string): Promise<void> {
  await Promise.all(
    [...incident.notified.values()].map(async (n) => {
      try {
        const r = await notify({ ...sendArgs(incident, n, kind), thread: n.thread, idempotencyKey: keyFor(incident, which, n) });
        incident.record(new Date(), 'notified', 'klaxon', { kind, receiver: n.receiver, user: n.recipient?.id, response: r.response, duplicate: r.duplicate });
      } catch (err) {
        incident.record(new Date(), 'notify.failed', 'klaxon', { kind, receiver: n.receiver, user: n.recipient?.id, error: failureMessage(err) });
      }
    }),
  );
}

function sendArgs(incident: IncidentState, send: Send, kind: NotifyArgs['kind']): Omit<NotifyArgs, 'idempotencyKey'> {
  // No timeline: messages never show it, and it would make every notify event in history grow
  // with the incident's age (the audit store has it).
  return { tenant: incident.input.tenant, receiver: send.receiver, recipient: send.recipient, kind, incident: { ...incident.view(), timeline: [] } };
}

/** Stable across retries, replays and continue-as-new: incident id + which send + where to. */
function keyFor(incident: IncidentState, which: string, send: Send): string {
  return `${incident.id}/${which}/${send.receiver}${send.recipient ? `/${send.recipient.id}` : ''}`;
}

function lastNotifyTargets(steps: PlanStep[]): NotifyTargets {
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i];
    if (s.kind === 'notify' || s.kind === 'notifyIf') return s.targets;
  }
  return { receivers: [], users: [], schedules: [] };
}

/**
 * Scores the incident with the tenant's anomaly model and sets the effective severity (which routes
 * and pages are based on). Added after the first release, hence patched().
 */
async function classify(incident: IncidentState): Promise<void> {
  if (!patched(ANOMALY_CLASSIFY)) return;
  const declared = incident.declaredSeverity;
  incident.lastDeclared = declared;
  const c = await classifyIncident({
    tenant: incident.input.tenant,
    incidentId: incident.id,
    alerts: [...incident.alerts.values()],
    commonLabels: incident.input.commonLabels,
    declaredSeverity: declared,
    at: new Date().toISOString(),
  }).catch((err: unknown) => {
    incident.record(new Date(), 'classify.failed', 'klaxon', { error: failureMessage(err) });
    return undefined;
  });
  if (!c) return;
  incident.severity = c.effectiveSeverity;
  incident.anomaly = { mode: c.mode, score: c.score, modelVersion: c.modelVersion, reason: c.reason, hold: c.hold };
  incident.record(new Date(), 'classified', 'klaxon', {
    mode: c.mode,
    score: c.score,
    modelVersion: c.modelVersion,
    declared,
    effective: c.effectiveSeverity,
    hold: c.hold,
    reason: c.reason,
    topFeatures: c.topFeatures,
  });
}

async function choosePolicy(incident: IncidentState): Promise<void> {
  const previous = incident.plan?.policyName;
  incident.plan = await planIncident({ tenant: incident.input.tenant, incidentId: incident.id, labels: incident.labels, at: new Date().toISOString() });
  const { policyName, route, hold } = incident.plan;
  incident.record(new Date(), previous ? 'policy.rerouted' : 'policy.selected', 'klaxon', { policy: policyName, route, ...(previous ? { previous } : {}) });
  if (hold) incident.record(new Date(), 'held', 'klaxon', { ...hold });
}

/** Held silently (maintenance, inhibition): wait until the hold may have ended, then look again. */
async function waitOutHold(incident: IncidentState): Promise<void> {
  const hold = incident.plan!.hold!;
  const ms = Math.max(1000, Date.parse(hold.until) - Date.now());
  await condition(() => incident.status === 'resolved' || incident.escalateNow, ms);
  if (incident.status === 'resolved') return;
  const wasHeld = hold.reason;
  incident.plan = await planIncident({ tenant: incident.input.tenant, incidentId: incident.id, labels: incident.labels, at: new Date().toISOString() });
  if (incident.escalateNow) delete incident.plan.hold;
  if (!incident.plan.hold) incident.record(new Date(), 'released', incident.escalateNow ? 'person' : 'klaxon', { was: wasHeld });
}

/** Acknowledged (or snoozed): nothing is sent until the snooze ends, the ack times out, or a person acts. */
async function waitWhileAcknowledged(incident: IncidentState): Promise<void> {
  // Added after the first release: running incidents without the patch keep their old behaviour.
  if (incident.acksAnnounced < incident.acks && patched(ACK_ANNOUNCEMENTS)) {
    incident.acksAnnounced = incident.acks;
    await tellPaged(incident, 'acknowledged', `ack${incident.acks}`);
    return;
  }
  const plan = incident.plan!;
  const ackedAt = Date.parse(incident.acknowledgedAt!);
  const until = incident.snoozedUntil ? Date.parse(incident.snoozedUntil) : plan.ackTimeoutMs ? ackedAt + plan.ackTimeoutMs : undefined;
  const status = () => incident.status !== 'acknowledged' || incident.escalateNow;
  const acted = until === undefined ? (await condition(status), true) : await condition(status, Math.max(0, until - Date.now()));
  if (acted || incident.status !== 'acknowledged') return;
  if (incident.snoozedUntil) incident.reopen('klaxon', new Date(), 'snooze.ended', { resumeAt: incident.cursor });
  // The ack timed out: page again from the top, as PagerDuty does.
  else incident.reopen('klaxon', new Date(), 'ack.timeout', { after: `${Math.round(plan.ackTimeoutMs! / 60000)}m` }, 0);
}

function installHandlers(incident: IncidentState): void {
  const conflict = (action: string, actor: string, message: string): never => {
    // A refused action still leaves an audit row: who tried what, when, and why it was refused.
    incident.record(new Date(), 'action.rejected', actor, { action, reason: message });
    throw ApplicationFailure.create({ message, type: CONFLICT, nonRetryable: true });
  };
  const open = (action: string, actor: string) => {
    if (incident.status === 'resolved') conflict(action, actor, 'incident is already resolved');
  };

  setHandler(stateQuery, () => incident.view());
  setHandler(alertsSignal, ({ alerts }) => incident.applyAlerts(alerts, new Date()));
  setHandler(acknowledgeUpdate, ({ actor, note }) => {
    open('acknowledge', actor);
    if (incident.status === 'acknowledged' && !incident.snoozedUntil) conflict('acknowledge', actor, `incident is already acknowledged by ${incident.acknowledgedBy}`);
    incident.snoozedUntil = undefined;
    incident.acknowledge(actor, new Date(), note);
    return incident.view();
  });
  setHandler(unacknowledgeUpdate, ({ actor, note }) => {
    open('unacknowledge', actor);
    if (incident.status !== 'acknowledged') conflict('unacknowledge', actor, 'incident is not acknowledged');
    incident.reopen(actor, new Date(), 'unacknowledged', note ? { note } : {});
    return incident.view();
  });
  setHandler(resolveUpdate, ({ actor, note }) => {
    open('resolve', actor);
    incident.resolve(actor, new Date(), note ?? 'resolved by a person');
    return incident.view();
  });
  setHandler(snoozeUpdate, ({ actor, note, durationMs }) => {
    open('snooze', actor);
    if (!(durationMs > 0)) conflict('snooze', actor, 'durationMs must be positive');
    incident.snooze(actor, new Date(), durationMs, note);
    return incident.view();
  });
  setHandler(escalateUpdate, ({ actor, note }) => {
    open('escalate', actor);
    if (incident.status === 'acknowledged') incident.reopen(actor, new Date(), 'unacknowledged', { reason: 'escalated' });
    incident.escalateNow = true;
    incident.record(new Date(), 'escalated', actor, note ? { note } : {});
    return incident.view();
  });
  setHandler(reassignUpdate, async ({ actor, note, user }) => {
    open('reassign', actor);
    incident.assignee = user;
    incident.record(new Date(), 'reassigned', actor, { user, ...(note ? { note } : {}) });
    if (incident.status === 'acknowledged') incident.reopen(actor, new Date(), 'unacknowledged', { reason: 'reassigned' });
    await page(incident, { receivers: [], users: [user], schedules: [] }, 'escalated');
    return incident.view();
  });
}

/**
 * Writes new timeline events (and the incident's summary) to the audit store as they happen, and
 * keeps the status/severity search attributes in step with the state.
 */
async function keepAuditCurrent(incident: IncidentState, finished: () => boolean): Promise<void> {
  // Only incidents started with Klaxon's search attributes keep them current (the time-skipping
  // test server has no custom attributes).
  const indexed = workflowInfo().typedSearchAttributes.get(KlaxonTenant) !== undefined;
  let shown = { status: incident.status, severity: incident.severity };
  for (;;) {
    await condition(() => incident.pending.length > 0 || finished());
    if (indexed && (incident.status !== shown.status || incident.severity !== shown.severity)) {
      shown = { status: incident.status, severity: incident.severity };
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

/** An activity failure's own message is "Activity task failed"; the vendor's reason is its cause. */
function failureMessage(err: unknown): string {
  const e = err as Error & { cause?: Error };
  return e.cause?.message ?? e.message;
}

// A function, not an inline comparison: the loop's handlers change status behind TypeScript's back.
function isResolved(incident: IncidentState): boolean {
  return incident.status === 'resolved';
}

function historyIsLong(limit = CONTINUE_AS_NEW_AFTER_EVENTS): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > limit;
}
