import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  getCurrentDetails,
  setCurrentDetails,
  startChild,
  sleep,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Classification, KlaxonActivities, NotifyArgs, NotifyResult, Plan, PlanStep, Send } from '../activities';
import type { Severity } from '../src/incident/view';
import type { NotifyTargets } from '../src/config/schema';
import type { Recipient, ThreadRef } from '../src/notifiers/types';
import { KlaxonSeverity, KlaxonStatus, KlaxonTenant } from '../src/temporal/searchAttributes';
import {
  acknowledgeUpdate,
  alertsSignal,
  recheckHoldSignal,
  CONFLICT,
  escalateUpdate,
  reassignUpdate,
  resolveUpdate,
  runRunbookUpdate,
  snoozeUpdate,
  MAX_SNOOZE_MS,
  stateQuery,
  unacknowledgeUpdate,
  type ActorNote,
  type IncidentInput,
  type ScheduledSend,
} from './definitions';
import { IncidentState } from './incidentState';
import { auditWriter, type RecordIncident } from './auditWriter';
import { AUDIT_AFTER_FIRST_PAGE, LEAN_OPEN, ONE_SLA_TIMER, RUNBOOK_MATCHES_FINISH, SENDS_WRITE_OUTCOMES, changed, startWithBaseline } from './patches';
import { formatDuration } from '../src/config/duration';
import { Pager, failureMessage, type PagerHost, type PendingSend } from '../src/delivery/pager';
import { runbookWorkflow } from './runbook';
import { currentDetails, describeStep, describeTargets, type NextStep } from '../src/incident/uiMetadata';
import { runbookApprovalSignal, runbookEndedSignal, runbookEscalateSignal, runbookNoteSignal } from './runbookDefinitions';
import type { RunbookStart } from '../activities';

// Planning and recipient lookup are local activities: fast, on the same worker, no task-queue
// round trip before the first page goes out. (Audit writes: workflows/auditWriter.ts.)
const { planIncident, resolveRecipients } = proxyLocalActivities<KlaxonActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumInterval: '10s' },
});

// The same lookups as regular activities, for coroutines that run beside the main loop: a local
// activity in the background can outlive a workflow task (an eviction, a slow store) and then
// waits out the 10 s task timeout, and its marker races the loop's commands on replay.
const { planIncident: planIncidentInBackground, resolveRecipients: resolveRecipientsInBackground } = proxyActivities<KlaxonActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumInterval: '10s' },
});

// Hands an ended incident's notices to their own workflow; a regular activity, so the hand-over
// is a recorded fact the run does not repeat on replay.
const { startIncidentNotices } = proxyActivities<KlaxonActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

// Telling muted incidents to look again is best effort (their periodic check is the safety net);
// a regular activity, so only a task that completed sends the signals.
const { recheckInhibited } = proxyActivities<KlaxonActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumAttempts: 3 },
});

// Which runbooks start (matching, limits, claims). A regular activity: it runs beside the first
// page's lookups and sends, and a local activity's result racing them replayed in another order
// (a child-workflow start met a timer in replay: non-determinism).
const { matchRunbooks, endRunbookRun } = proxyActivities<KlaxonActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumAttempts: 3 },
});

// Opening in one local activity (LEAN_OPEN runs): scoring (bounded inside it), plan, first recipients.
const { openIncident } = proxyLocalActivities<KlaxonActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '200ms', maximumInterval: '10s' },
});

// Scoring must never block paging: short timeout, one retry, then the declared severity stands.
const { classifyIncident } = proxyLocalActivities<KlaxonActivities>({
  startToCloseTimeout: '5s',
  retry: { initialInterval: '200ms', maximumAttempts: 2 },
});

// Legacy paging (runs started before PAGING_V2). Kept only so those runs replay and finish as they began.
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

/**
 * patched() id: paging runs in the background (src/delivery/pager.ts): sends never hold up a
 * policy step or a handler, an ack cancels in-flight pages at once, receivers that may have been
 * paged are followed up, fallbacks are recorded as such, and resolve notices are finished by a
 * detached workflow so a re-fire opens a new incident.
 */
const PAGING_V2 = 'klaxon-paging-v2';

/**
 * patched() id: an incident that can inhibit others tells the firing ones it mutes to look again
 * when it opens, re-routes and resolves (they decide from live state, not a 60 s poll).
 */
const INHIBITION_SIGNALS = 'klaxon-inhibition-signals';

/**
 * patched() id: notices handed to the notices workflow at resolve are recorded by it alone; the
 * incident's own attempt (still running) no longer records a second "notified" for the same key.
 */
const NOTICE_HANDOVER = 'klaxon-notice-handover';

/**
 * patched() id: when some of a paged incident's alerts resolve and others still fire, the threads
 * that were paged hear of it ("1 of 2 alerts resolved"), as a reply, never as another page.
 */
const PARTIAL_RESOLVE_UPDATES = 'klaxon-partial-resolve-updates';

/**
 * patched() id: an incident starts the runbooks that match it (auto, and suggest ones that ask for
 * approval), as child workflows, and cancels those that say so when it resolves.
 */
const RUNBOOKS = 'klaxon-runbooks';

/** patched() id: a runbook's approval request that names its approvers is also sent to each of them directly. */
const RUNBOOK_APPROVERS = 'klaxon-runbook-approvers';

/** patched() id: the tenant's SLA targets (ack within, resolve within) are watched; a breach is recorded and may notify. */
const SLA_TRACKING = 'klaxon-sla';

/** patched() id: a runbook's approval request or note waits for the pages in flight, so their receivers' conversations exist. */
const RUNBOOK_MESSAGES_AFTER_PAGES = 'klaxon-runbook-messages-after-pages';

/** patched() id: the inhibition re-check (a coroutine beside the main loop) looks up its plan with a regular activity, not a local one. */
const RECHECK_AS_ACTIVITY = 'klaxon-recheck-as-activity';

/** patched() id: a person's own notification rules put some of their sends off (SMS at 2m, a call at 5m) until someone acts. */
const PERSONAL_RULES = 'klaxon-personal-rules';

/** patched() id: a group that keeps resolving and firing again is one flapping incident (tenant `flapping:`). */
const FLAPPING = 'klaxon-flapping';

/** How long an incident's opening audit rows wait for its first pages' outcome, to be written together. */
const AUDIT_FIRST_WRITE_WAIT = '2s';

/** History length at which a long incident continues as new (well under Temporal's 50k-event limit). */
const CONTINUE_AS_NEW_AFTER_EVENTS = 4000;

/**
 * One incident, from first alert to resolution:
 * open → pick the escalation policy → run its steps (notify; wait until acked/resolved or the timer
 * fires; repeat) → when resolved, tell exactly those who were paged, in their thread.
 */
export async function incidentWorkflow(input: IncidentInput): Promise<void> {
  startWithBaseline();
  const info = workflowInfo();
  const incident = new IncidentState(input, info.workflowId, info.runId, new Date(), changed(INCIDENT_ID_TAIL) ? 'tail' : 'head');
  const pager = changed(PAGING_V2) ? new Pager(pagerHost(incident)) : undefined;
  const writer = auditWriter();
  // Before the handlers: alerts signalled before this first task must not come before "opened".
  if (pager && !input.carried) recordOpened(incident);
  installHandlers(incident, pager);
  if (pager) {
    for (const s of input.carried?.inFlight ?? []) pager.start(s);
    for (const p of incident.scheduled) void sendWhenDue(incident, pager, p);
    void cancelPagesWhenActedOn(incident, pager);
    void tellPartialResolves(incident, pager);
    void tellRunbookMessages(incident, pager);
    if (changed(SLA_TRACKING)) void watchSla(incident, pager);
  }
  void recheckHoldWhenSignalled(incident);

  if (!input.carried) {
    if (!pager) recordOpened(incident);
    if (pager && changed(LEAN_OPEN)) await open(incident);
    else {
      await classify(incident);
      await choosePolicy(incident);
    }
    const flap = incident.plan?.flapping;
    if (pager && flap && flap.firedInWindow >= flap.threshold && changed(FLAPPING)) {
      incident.flapping = { windowMs: flap.windowMs, count: flap.firedInWindow };
      incident.record(new Date(), 'flapping', 'klaxon', { count: flap.firedInWindow, threshold: flap.threshold, window: formatDuration(flap.windowMs) });
    }
    // In the background: the first page never waits for a runbook.
    if (pager && input.runbooks && changed(RUNBOOKS) && !(changed(LEAN_OPEN) && incident.plan?.runbooks === false)) void startRunbooks(incident, { tenant: incident.input.tenant, incidentId: incident.id, groupKey: incident.input.groupKey, labels: incident.labels });
  }
  if (incident.flapping) void resolveWhenQuiet(incident);
  let done = false;
  const audit = keepAuditCurrent(incident, pager, writer.write, () => done);

  while (incident.status !== 'resolved') {
    if (incident.plan?.hold) await waitOutHold(incident);
    else if (incident.status === 'acknowledged') await waitWhileAcknowledged(incident, pager);
    else if (incident.reroute) {
      incident.reroute = false;
      await classify(incident);
      await choosePolicy(incident);
      incident.cursor = 0;
      incident.repeats = {};
    } else if (incident.anomaly?.hold && !incident.escalateNow) {
      // Scored as routine for a pattern that was mostly noise (enforce mode): no page unless
      // the alerts get worse, a person escalates, or it resolves.
      await condition(() => incident.status !== 'firing' || incident.escalateNow || incident.reroute || mayContinueAsNew(incident, pager));
      if (incident.escalateNow) incident.anomaly.hold = false;
    } else if (incident.flapping?.quietSince) {
      // Flapping and quiet for now: no step runs; a re-fire resumes the policy, a quiet window resolves.
      await condition(() => !incident.flapping?.quietSince || incident.status !== 'firing' || incident.escalateNow || mayContinueAsNew(incident, pager));
    } else await runStep(incident, pager);
    // Looked up with the plan for the first step only: later steps (or a page after a hold) look again.
    incident.firstRecipients = undefined;

    if (historyIsLong(input.continueAsNewAfterEvents) && !isResolved(incident)) {
      await condition(allHandlersFinished);
      // A match's result would be lost with this run, and the runs it claimed with it.
      if (changed(RUNBOOK_MATCHES_FINISH)) await condition(() => incident.runbookMatches === 0);
      done = true;
      await audit;
      if (writer.afterCommit) await writeLastEvents(incident, writer.write);
      await continueAsNew<typeof incidentWorkflow>({ ...input, alerts: [...incident.alerts.values()], carried: incident.carry(pager?.pending()) });
    }
  }

  stopRunbooksOnResolve(incident);
  if (pager) await handOverNotices(incident, pager);
  else await notifyResolved(incident);
  await condition(allHandlersFinished);
  // A match still running ends its claims as cancelled (startRunbook) before the run completes.
  if (changed(RUNBOOK_MATCHES_FINISH)) await condition(() => incident.runbookMatches === 0);
  done = true;
  await audit;
  // After the audit write: the muted incidents must read this one as resolved.
  await tellInhibited(incident);
  if (writer.afterCommit) await writeLastEvents(incident, writer.write);
  if (pager && incident.refiredAfterResolve) {
    // Alerts fired again after the resolve: that is a new incident, with its own id and pages.
    const firing = [...incident.alerts.values()].filter((a) => a.status === 'firing');
    await continueAsNew<typeof incidentWorkflow>({ ...input, alerts: firing, receivedAt: new Date().toISOString(), carried: undefined, truncatedAlerts: undefined });
  }
}

function recordOpened(incident: IncidentState): void {
  const input = incident.input;
  incident.record(new Date(), 'opened', 'alertmanager', {
    groupKey: input.groupKey,
    alerts: incident.alerts.size,
    severity: incident.severity,
    ...(input.truncatedAlerts ? { truncatedAlerts: input.truncatedAlerts } : {}),
  });
}

function pagerHost(incident: IncidentState): PagerHost {
  return {
    paged: incident.notified,
    record: (kind, details) => incident.record(new Date(), kind, 'klaxon', details),
    message: (to, kind) => sendArgs(incident, to, kind),
    ...(changed(SENDS_WRITE_OUTCOMES)
      ? {
          outcomes: {
            groupKey: incident.input.groupKey,
            reserve: () => incident.reserveSeqs(1),
            lend: (key) => incident.lend(key),
            returnLent: (key, written) => incident.returnLent(key, written),
            recordAt: (seq, at, kind, details, written) => {
              incident.recordAt(seq, at ?? new Date(), kind, 'klaxon', details, written);
              // The audit writer, which refreshes the Web UI's current details, does not wake for a row the send wrote.
              if (written) showCurrentDetails(incident);
            },
          },
        }
      : {}),
  };
}

/**
 * The SLA clock, from the incident's start: not acknowledged within `ackWithin`, not resolved within
 * `resolveWithin`, each a breach, recorded once (also across continue-as-new). A breach while nobody
 * has acknowledged pages the policy's `onSlaBreach` targets; after an ack nothing pages, so a resolve
 * breach of an acknowledged incident is recorded and counted only.
 */
async function watchSla(incident: IncidentState, pager: Pager): Promise<void> {
  await condition(() => incident.plan !== undefined || incident.status === 'resolved');
  const sla = incident.plan?.sla;
  if (!sla) return;
  const started = Date.parse(incident.startedAt);
  // Held silently (maintenance, inhibition, routine noise): nobody was asked to acknowledge.
  const acked = () => incident.acks > 0 || incident.status === 'resolved' || !!incident.plan?.hold || !!incident.anomaly?.hold;
  const breach = async (target: 'ack' | 'resolve', withinMs: number) => {
    incident.slaBreached.push(target);
    incident.record(new Date(), 'sla.breached', 'klaxon', { target, within: formatDuration(withinMs), tier: sla.tier });
    if (sla.notify && incident.status === 'firing') await page(incident, pager, sla.notify, 'escalated', undefined, resolveRecipientsInBackground);
  };
  const targets = [
    { target: 'ack' as const, withinMs: sla.ackWithinMs, met: acked },
    { target: 'resolve' as const, withinMs: sla.resolveWithinMs, met: () => incident.status === 'resolved' },
  ];
  if (changed(ONE_SLA_TIMER)) {
    // One timer at a time, for the nearest target still open (each timer is server work, issue #11).
    // A target is watched until it is met once or breached, as each had its own timer before.
    let open = targets.filter((t) => !incident.slaBreached.includes(t.target));
    for (;;) {
      open = open.filter((t) => !t.met());
      if (open.length === 0) return;
      const next = open.reduce((a, b) => (b.withinMs < a.withinMs ? b : a));
      if (await condition(() => open.some((t) => t.met()), Math.max(1, started + next.withinMs - Date.now()), { summary: `SLA: ${next.target} within ${formatDuration(next.withinMs)}` })) continue;
      const due = open.filter((t) => started + t.withinMs <= Date.now());
      open = open.filter((t) => !due.includes(t));
      for (const t of due) await breach(t.target, t.withinMs);
    }
  }
  const watch = async ({ target, withinMs, met }: (typeof targets)[number]) => {
    if (incident.slaBreached.includes(target)) return;
    if (await condition(met, Math.max(1, started + withinMs - Date.now()), { summary: `SLA: ${target} within ${formatDuration(withinMs)}` })) return;
    await breach(target, withinMs);
  };
  await Promise.all(targets.map(watch));
}

/**
 * A flapping incident resolves once all its alerts stayed resolved for the whole flapping window;
 * a re-fire within it starts the wait over.
 */
async function resolveWhenQuiet(incident: IncidentState): Promise<void> {
  const flapping = incident.flapping!;
  const resolved = () => incident.status === 'resolved';
  for (;;) {
    await condition(() => !!flapping.quietSince || resolved());
    if (resolved()) return;
    const since = Date.parse(flapping.quietSince!);
    const broken = await condition(() => !flapping.quietSince || resolved(), Math.max(1, since + flapping.windowMs - Date.now()), { summary: `flapping: resolve after ${formatDuration(flapping.windowMs)} quiet` });
    if (resolved()) return;
    if (!broken) {
      incident.resolve('klaxon', new Date(), `quiet for ${formatDuration(flapping.windowMs)} after flapping (fired ${flapping.count} times)`);
      return;
    }
  }
}

/**
 * A personal rule's send at its time, unless someone acknowledged, snoozed or resolved first (then
 * it is dropped: nothing pages after an ack). A held incident sends nothing either.
 */
async function sendWhenDue(incident: IncidentState, pager: Pager, p: ScheduledSend): Promise<void> {
  const actedOn = await condition(() => incident.status !== 'firing', Math.max(1, Date.parse(p.dueAt) - Date.now()));
  incident.scheduled = incident.scheduled.filter((x) => x.key !== p.key);
  if (actedOn || incident.status !== 'firing' || incident.plan?.hold) {
    incident.record(new Date(), 'notify.dropped', 'klaxon', { step: p.step, receiver: p.send.receiver, user: p.send.recipient?.id, reason: incident.plan?.hold ? 'held' : incident.status });
    return;
  }
  pager.page([p.send], p.kind, p.step, () => p.key);
}

/** Whenever the incident stops firing (ack, snooze, resolve), pages still in flight are cancelled. */
async function cancelPagesWhenActedOn(incident: IncidentState, pager: Pager): Promise<void> {
  for (;;) {
    await condition(() => incident.status !== 'firing' && pager.pending('page').length > 0);
    pager.cancelPages();
    await condition(() => pager.pending('page').length === 0);
  }
}

/** Starts the runbooks the activity matched and claimed; refusals (limits, kill switch) are recorded. */
async function startRunbooks(incident: IncidentState, args: Parameters<typeof matchRunbooks>[0], params: Record<string, string> = {}): Promise<string[]> {
  incident.runbookMatches++;
  try {
    return await matchAndStart(incident, args, params);
  } finally {
    incident.runbookMatches--;
  }
}

async function matchAndStart(incident: IncidentState, args: Parameters<typeof matchRunbooks>[0], params: Record<string, string>): Promise<string[]> {
  const found = await matchRunbooks.executeWithOptions({ summary: args.only ? `match runbook ${args.only.runbook}` : 'match runbooks' }, [args]).catch((err: unknown) => {
    incident.record(new Date(), 'runbook.skipped', 'klaxon', { reason: `could not match runbooks: ${failureMessage(err)}` });
    return { start: [], skipped: [], firedInLastHour: undefined };
  });
  for (const s of found.skipped) incident.record(new Date(), 'runbook.skipped', 'klaxon', { ...s });
  const started: string[] = [];
  for (const s of found.start) if (await startRunbook(incident, s, args.only?.actor ?? 'klaxon', params, found.firedInLastHour ?? 1)) started.push(s.runId);
  return started;
}

async function startRunbook(incident: IncidentState, s: RunbookStart, requestedBy: string, params: Record<string, string>, firedInLastHour: number): Promise<boolean> {
  if (incident.status === 'resolved' && s.onResolve === 'cancel' && changed(RUNBOOK_MATCHES_FINISH)) {
    // Matched while the incident resolved: it would be cancelled at once; its claim is released.
    const reason = 'the incident resolved before it started';
    incident.record(new Date(), 'runbook.skipped', 'klaxon', { runbook: s.runbook, reason });
    await endRunbookRun({ runId: s.runId, outcome: 'cancelled', detail: reason }).catch(() => undefined);
    return false;
  }
  const first = [...incident.alerts.values()][0];
  try {
    await startChild(runbookWorkflow, {
      workflowId: s.runId,
      // Continue-as-new closes this run; the runbook must live on (it is cancelled explicitly on resolve).
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [
        {
          runbook: s.runbook,
          mode: s.mode,
          incident: { id: incident.id, tenant: incident.input.tenant, title: incident.view().title, severity: incident.severity, labels: incident.labels, annotations: first?.annotations ?? {}, firedInLastHour },
          incidentWorkflowId: incident.workflowId,
          params,
          requestedBy,
          timeoutMs: s.timeoutMs,
        },
      ],
    });
  } catch (err) {
    incident.record(new Date(), 'runbook.skipped', 'klaxon', { runbook: s.runbook, reason: `could not start: ${failureMessage(err)}` });
    return false;
  }
  incident.runbooks.push({ runId: s.runId, runbook: s.runbook, onResolve: s.onResolve });
  incident.record(new Date(), 'runbook.started', requestedBy, { runbook: s.runbook, runId: s.runId, mode: s.mode });
  return true;
}

/** Resolved: runs that end with their incident are cancelled (they record it and clean up). */
function stopRunbooksOnResolve(incident: IncidentState): void {
  for (const r of incident.runbooks) {
    if (r.outcome || r.onResolve !== 'cancel') continue;
    void getExternalWorkflowHandle(r.runId).cancel().catch(() => undefined);
  }
}

/**
 * Some alerts resolved, others fire on: the paged threads are updated, one update at a time (a
 * burst of partial resolves becomes one reply with the latest count, not one reply each).
 */
async function tellPartialResolves(incident: IncidentState, pager: Pager): Promise<void> {
  const updating = () => pager.pending('notice').some((s) => s.kind === 'updated');
  for (;;) {
    await condition(() => incident.partialResolvesTold < incident.partialResolves && incident.status !== 'resolved' && !updating());
    // Decided here, when the first update after the deploy is due: earlier runs replay unchanged.
    if (!changed(PARTIAL_RESOLVE_UPDATES)) {
      incident.partialResolvesTold = incident.partialResolves;
      continue;
    }
    const which = `update${(incident.partialResolvesTold = incident.partialResolves)}`;
    pager.update('updated', (p) => keyFor(incident, which, p));
  }
}

/** A runbook asks for approval or has a note: the paged conversations hear it, one message at a time. */
async function tellRunbookMessages(incident: IncidentState, pager: Pager): Promise<void> {
  for (;;) {
    await condition(() => incident.runbookMessages.length > 0 && incident.status !== 'resolved');
    // A page still on its way has no conversation yet: told now, its receiver would never hear it.
    if (pager.pending('page').length > 0 && changed(RUNBOOK_MESSAGES_AFTER_PAGES)) {
      await condition(() => pager.pending('page').length === 0 || incident.status === 'resolved');
      if (incident.status === 'resolved') continue;
    }
    const m = incident.runbookMessages.shift()!;
    const which = m.approval ? `approval/${m.approval.runId}` : `note/${m.note!.runId}/${m.note!.seq ?? 0}`;
    pager.update('updated', (p) => keyFor(incident, which, p), m);
    // Named approvers hear of it directly too, each with a link of their own.
    if (m.approval?.approvers?.length && changed(RUNBOOK_APPROVERS)) {
      const targets = { receivers: [], users: m.approval.approvers, schedules: [] };
      const { sends, unreachable } = await resolveRecipientsInBackground.executeWithOptions({ summary: `look up approvers ${describeTargets(targets)}` }, [{ tenant: incident.input.tenant, targets, at: new Date().toISOString() }]);
      for (const u of unreachable) incident.record(new Date(), 'notify.unreachable', 'klaxon', { ...u, approval: m.approval.runId });
      pager.tell(sends, 'updated', (s) => keyFor(incident, which, s), m);
    }
  }
}

/**
 * Resolved: "resolved" to everyone who was (or may have been) paged, plus any notice still running,
 * handed to a detached workflow so this run ends now and the group's next firing is a new incident.
 */
async function handOverNotices(incident: IncidentState, pager: Pager): Promise<void> {
  pager.cancelPages();
  const toResolved = (p: { receiver: string; recipient?: Recipient; thread?: ThreadRef }, which = 'resolved') =>
    ({ key: keyFor(incident, which, p), kind: 'resolved' as const, receiver: p.receiver, recipient: p.recipient, thread: p.thread, purpose: 'notice' as const });
  // An update still on its way is stale now: "resolved" follows in the same thread.
  const unfinished = (changed(NOTICE_HANDOVER) ? pager.handOver('notice') : pager.pending('notice')).filter((s) => s.kind !== 'updated');
  const sends = [...unfinished, ...[...incident.notified.values()].map((p) => toResolved(p))];
  // Fired and resolved before Klaxon paged anyone (a worker or Temporal outage, not a policy wait
  // or a hold): the first step's receivers hear of it once, rather than never.
  const unpaged = sends.length === 0 && missedByDelay(incident);
  if (unpaged) {
    const first = incident.plan!.steps[0] as Extract<PlanStep, { kind: 'notify' }>;
    const { sends: to } = await resolveRecipients.executeWithOptions({ summary: `look up ${describeTargets(first.targets)} for the resolved notice` }, [{ tenant: incident.input.tenant, targets: first.targets, at: new Date().toISOString() }]);
    sends.push(...to.map((s) => toResolved(s, 'unpaged')));
    incident.record(new Date(), 'notify.unpaged', 'klaxon', { receivers: to.map((s) => s.receiver) });
  }
  if (sends.length === 0) return;
  const firstSeq = incident.reserveSeqs(sends.length);
  await startIncidentNotices.executeWithOptions({ summary: `hand ${sends.length} resolved notice(s) to the notices workflow` }, [{
    workflowId: `${workflowInfo().workflowId}/notices/${incident.id}`,
    input: { tenant: incident.input.tenant, groupKey: incident.input.groupKey, incident: { ...incident.view(), timeline: [], ...(unpaged ? { unpaged } : {}) }, sends, firstSeq },
  }]);
}

/** Nobody acted, nothing was held, no step ran, and the policy starts by paging: Klaxon's own delay. */
function missedByDelay(incident: IncidentState): boolean {
  const plan = incident.plan;
  return !!plan && !plan.hold && !incident.anomaly?.hold && incident.sendNo === 0 && incident.acks === 0 && plan.steps[0]?.kind === 'notify';
}

/** Runs the step under the cursor and moves the cursor on. */
async function runStep(incident: IncidentState, pager: Pager | undefined): Promise<void> {
  const steps = incident.plan!.steps;
  // A hold can only start mid-step through a re-check (a source incident opened).
  const interrupted = () => incident.status !== 'firing' || incident.escalateNow || incident.reroute || !!incident.plan?.hold || !!incident.flapping?.quietSince;
  if (incident.escalateNow) {
    incident.escalateNow = false;
    const next = steps.findIndex((s, i) => i >= incident.cursor && (s.kind === 'notify' || s.kind === 'notifyIf'));
    incident.cursor = next >= 0 ? next : steps.length;
    if (next < 0) await page(incident, pager, lastNotifyTargets(steps), 'escalated');
    return;
  }
  if (incident.cursor >= steps.length) {
    // Policy exhausted: nothing more to send until a person or Alertmanager changes something
    // (or, with the pager, the history grows long enough to continue as new).
    await condition(() => interrupted() || mayContinueAsNew(incident, pager));
    return;
  }
  const step = steps[incident.cursor];
  switch (step.kind) {
    case 'notify':
      await page(incident, pager, step.targets);
      break;
    case 'notifyIf':
      await page(incident, pager, step.targets, undefined, { name: step.window, outside: step.outside });
      break;
    case 'wait': {
      // A durable timer racing ack/resolve/escalate: nothing is polled. Interrupted waits start over.
      const before = steps[incident.cursor + 1] ? `before step ${incident.cursor + 2}` : 'at the end of the policy';
      const next: NextStep = { kind: 'step', at: new Date(Date.now() + step.ms).toISOString(), cursor: incident.cursor + 1 };
      if (await showingNext(incident, next, () => condition(interrupted, step.ms, { summary: `wait ${formatDuration(step.ms)} ${before}` }))) return;
      break;
    }
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
      const next: NextStep = { kind: 'step', at: new Date(Date.now() + step.ms).toISOString(), cursor: incident.cursor };
      const quiet = !(await showingNext(incident, next, () => condition(() => interrupted() || incident.alertChanges !== changes, step.ms, { summary: describeStep(step, incident.cursor) })));
      if (quiet) incident.resolve('klaxon', new Date(), `no change for ${Math.round(step.ms / 1000)}s (resolveAfter)`);
      return;
    }
  }
  incident.cursor++;
}

/**
 * One notify step: resolves who to page now and starts a send to each of them. With the pager the
 * sends run in the background (the step is done once they have started); legacy runs wait for them.
 * An ack, resolve or snooze that arrives meanwhile cancels what is still in flight.
 */
async function page(
  incident: IncidentState,
  pager: Pager | undefined,
  targets: NotifyTargets,
  kind: NotifyArgs['kind'] = 'firing',
  window?: { name: string; outside: boolean },
  lookup: typeof resolveRecipients = resolveRecipients,
): Promise<void> {
  const step = incident.cursor;
  const summary = `look up ${describeTargets(targets)}${kind === 'escalated' ? ' (escalated)' : `, step ${step + 1}`}`;
  const s0 = incident.plan?.steps[0];
  const first = step === 0 && kind === 'firing' && !window && s0?.kind === 'notify' && s0.targets === targets ? incident.firstRecipients : undefined;
  incident.firstRecipients = undefined;
  const { sends, unreachable, skipped } = first ?? (await lookup.executeWithOptions({ summary }, [{ tenant: incident.input.tenant, targets, window, at: new Date().toISOString(), urgency: incident.plan?.urgency }]));
  if (skipped) {
    incident.record(new Date(), 'notify.skipped', 'klaxon', { step, reason: skipped });
    return;
  }
  for (const u of unreachable) incident.record(new Date(), 'notify.unreachable', 'klaxon', { step, ...u });
  if (pager) {
    // Acted on (or inhibited) while the recipients were looked up: nothing to page.
    if (incident.status !== 'firing' || incident.plan?.hold) return;
    const no = String(++incident.sendNo);
    // People with their own notification rules: what a rule puts off waits for its time.
    const later = sends.filter((s) => (s.afterMs ?? 0) > 0);
    const deferring = later.length > 0 && changed(PERSONAL_RULES);
    pager.page(deferring ? sends.filter((s) => !s.afterMs) : sends, kind, step, (s) => keyFor(incident, no, s));
    if (deferring) {
      for (const s of later) {
        const p: ScheduledSend = { send: { receiver: s.receiver, recipient: s.recipient }, dueAt: new Date(Date.now() + s.afterMs!).toISOString(), key: keyFor(incident, `${no}/after${s.afterMs}`, s), step, kind };
        incident.scheduled.push(p);
        incident.record(new Date(), 'notify.scheduled', 'klaxon', { step, receiver: s.receiver, user: s.recipient?.id, at: p.dueAt });
        void sendWhenDue(incident, pager, p);
      }
    }
    return;
  }
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
          const r = changed(FAST_FIRST_TRY) ? await notifyFast(args).catch((err) => retryAsActivity(err, args, stillFiring)) : await notify(args);
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

function sendArgs(incident: IncidentState, send: Send & Pick<PendingSend, 'about'>, kind: NotifyArgs['kind']): Omit<NotifyArgs, 'idempotencyKey'> {
  // No timeline: messages never show it, and it would make every notify event in history grow
  // with the incident's age (the audit store has it).
  return { tenant: incident.input.tenant, receiver: send.receiver, recipient: send.recipient, kind, incident: { ...incident.view(), ...send.about, timeline: [] } };
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
  if (!changed(ANOMALY_CLASSIFY)) return;
  const args = classifyArgs(incident);
  const c = await classifyIncident.executeWithOptions({ summary: 'score with the anomaly model' }, [args]).catch((err: unknown) => {
    incident.record(new Date(), 'classify.failed', 'klaxon', { error: failureMessage(err) });
    return undefined;
  });
  if (c) applyClassification(incident, c, args.declaredSeverity);
}

function classifyArgs(incident: IncidentState): Parameters<typeof classifyIncident>[0] {
  const declared = incident.declaredSeverity;
  incident.lastDeclared = declared;
  return { tenant: incident.input.tenant, incidentId: incident.id, alerts: [...incident.alerts.values()], commonLabels: incident.input.commonLabels, declaredSeverity: declared, at: new Date().toISOString() };
}

function applyClassification(incident: IncidentState, c: Classification, declared: Severity): void {
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

/**
 * A new incident opened in one local activity (LEAN_OPEN): scored, planned and its first step's
 * recipients looked up, recorded as the three separate steps record them.
 */
async function open(incident: IncidentState): Promise<void> {
  const classify = classifyArgs(incident);
  const o = await openIncident.executeWithOptions({ summary: 'score, plan the policy, look up the first step' }, [{
    classify,
    plan: { tenant: incident.input.tenant, incidentId: incident.id, commonLabels: incident.input.commonLabels, at: classify.at, groupKey: incident.input.groupKey },
  }]);
  if (o.classification) applyClassification(incident, o.classification, classify.declaredSeverity);
  else incident.record(new Date(), 'classify.failed', 'klaxon', { error: o.classifyError ?? 'no answer' });
  applyPlan(incident, o.plan);
  incident.firstRecipients = o.first;
}

async function choosePolicy(incident: IncidentState): Promise<void> {
  const previous = incident.plan?.policyName;
  applyPlan(incident, await planIncident.executeWithOptions({ summary: previous ? 'plan the policy again (alerts changed)' : 'plan the policy' }, [{ tenant: incident.input.tenant, incidentId: incident.id, labels: incident.labels, at: new Date().toISOString(), groupKey: incident.input.groupKey }]));
}

function applyPlan(incident: IncidentState, plan: Plan): void {
  const previous = incident.plan?.policyName;
  incident.plan = plan;
  const { policyName, route, hold } = incident.plan;
  incident.record(new Date(), previous ? 'policy.rerouted' : 'policy.selected', 'klaxon', { policy: policyName, route, ...(previous ? { previous } : {}) });
  if (hold) incident.record(new Date(), 'held', 'klaxon', { ...hold });
  // In the background: the first page must not wait for other incidents. The plan read how many
  // it mutes now: none, nobody to tell (the re-check activity is skipped).
  if (changed(LEAN_OPEN) && incident.plan.mutes === 0) return;
  void tellInhibited(incident);
}

/** This incident may mute others: they look at their holds again (see INHIBITION_SIGNALS). */
async function tellInhibited(incident: IncidentState): Promise<void> {
  if (!incident.plan?.mayInhibit || !changed(INHIBITION_SIGNALS)) return;
  await recheckInhibited.executeWithOptions({ summary: 'tell the incidents this one mutes to look again' }, [{ tenant: incident.input.tenant, incidentId: incident.id, labels: incident.labels }]).catch(() => undefined);
}

/**
 * A source incident opened or resolved (recheckHold signal): decide inhibition again from live
 * state. Holds that start here stop the policy; holds that end here release it at once.
 */
async function recheckHoldWhenSignalled(incident: IncidentState): Promise<void> {
  for (;;) {
    await condition(() => incident.recheckHold);
    incident.recheckHold = false;
    if (incident.status !== 'firing' || !incident.plan) continue;
    const args = { tenant: incident.input.tenant, incidentId: incident.id, labels: incident.labels, at: new Date().toISOString() };
    const lookup = changed(RECHECK_AS_ACTIVITY) ? planIncidentInBackground : planIncident;
    const { hold } = await lookup.executeWithOptions({ summary: 'check inhibition again' }, [args]);
    const plan = incident.plan;
    if (incident.status !== 'firing' || incident.escalateNow) continue;
    if (hold?.reason === 'inhibited' && !plan.hold) {
      plan.hold = hold;
      incident.record(new Date(), 'held', 'klaxon', { ...hold });
    } else if (!hold && plan.hold?.reason === 'inhibited') {
      delete plan.hold;
      incident.record(new Date(), 'released', 'klaxon', { was: 'inhibited' });
    }
  }
}

/** Held silently (maintenance, inhibition): wait until the hold may have ended, then look again. */
async function waitOutHold(incident: IncidentState): Promise<void> {
  const hold = incident.plan!.hold!;
  const ms = Math.max(1000, Date.parse(hold.until) - Date.now());
  await showingNext(incident, { kind: 'holdEnds', at: new Date(Date.now() + ms).toISOString() }, () =>
    condition(() => incident.status === 'resolved' || incident.escalateNow || incident.plan?.hold !== hold, ms, { summary: `held (${hold.reason}): look again in ${formatDuration(ms)}` }),
  );
  // Resolved, or released by a re-check (recheckHoldWhenSignalled recorded it).
  if (incident.status === 'resolved' || incident.plan?.hold !== hold) return;
  const wasHeld = hold.reason;
  incident.plan = await planIncident.executeWithOptions({ summary: 'plan the policy again (hold may have ended)' }, [{ tenant: incident.input.tenant, incidentId: incident.id, labels: incident.labels, at: new Date().toISOString() }]);
  if (incident.escalateNow) delete incident.plan.hold;
  if (!incident.plan.hold) incident.record(new Date(), 'released', incident.escalateNow ? 'person' : 'klaxon', { was: wasHeld });
}

/** Acknowledged (or snoozed): nothing is sent until the snooze ends, the ack times out, or a person acts. */
async function waitWhileAcknowledged(incident: IncidentState, pager: Pager | undefined): Promise<void> {
  // Added after the first release: running incidents without the patch keep their old behaviour.
  if (incident.acksAnnounced < incident.acks && (pager || changed(ACK_ANNOUNCEMENTS))) {
    incident.acksAnnounced = incident.acks;
    const which = `ack${incident.acks}`;
    if (pager) pager.notice('acknowledged', (p) => keyFor(incident, which, p));
    else await tellPaged(incident, 'acknowledged', which);
    return;
  }
  const plan = incident.plan!;
  const ackedAt = Date.parse(incident.acknowledgedAt!);
  const until = incident.snoozedUntil ? Date.parse(incident.snoozedUntil) : plan.ackTimeoutMs ? ackedAt + plan.ackTimeoutMs : undefined;
  // Deadlines are absolute times, so waking early to continue as new loses nothing.
  const status = () => incident.status !== 'acknowledged' || incident.escalateNow || mayContinueAsNew(incident, pager);
  const next: NextStep | undefined = until === undefined ? undefined : { kind: incident.snoozedUntil ? 'snoozeEnds' : 'ackTimeout', at: new Date(until).toISOString() };
  const summary = incident.snoozedUntil ? `snoozed until ${incident.snoozedUntil}` : `acknowledged: page again from step 1 after ${formatDuration(plan.ackTimeoutMs ?? 0)}`;
  const acted = await showingNext(incident, next, async () => (until === undefined ? (await condition(status), true) : await condition(status, Math.max(0, until - Date.now()), { summary })));
  if (acted || incident.status !== 'acknowledged') return;
  if (incident.snoozedUntil) incident.reopen('klaxon', new Date(), 'snooze.ended', { resumeAt: incident.cursor });
  // The ack timed out: page again from the top, as PagerDuty does.
  else incident.reopen('klaxon', new Date(), 'ack.timeout', { after: `${Math.round(plan.ackTimeoutMs! / 60000)}m` }, 0);
}

/**
 * An update handler whose unexpected error (a bug, a value no validator caught) refuses the update
 * instead of failing the workflow task, which would freeze the incident until a fix is deployed.
 */
function guarded<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  const refuse = (err: unknown): never => {
    if (err instanceof ApplicationFailure) throw err;
    throw ApplicationFailure.create({ message: `refused: ${(err as Error).message ?? String(err)}`, type: CONFLICT, nonRetryable: true });
  };
  // Synchronous handlers stay synchronous: the update's answer leaves in the same order as before.
  return (...args: A) => {
    try {
      const r = fn(...args);
      return (r instanceof Promise ? r.catch(refuse) : r) as R;
    } catch (err) {
      return refuse(err);
    }
  };
}

/** Refuses an action meant for another incident (an earlier one of the same alert group). */
function sameIncident<T extends ActorNote>(incident: IncidentState): (req: T) => void {
  return (req) => {
    if (req.incidentId && req.incidentId !== incident.id) {
      throw ApplicationFailure.create({ message: `incident ${req.incidentId} has ended (its alerts now belong to ${incident.id})`, type: CONFLICT, nonRetryable: true });
    }
  };
}

function validDuration(ms: number): void {
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_SNOOZE_MS) {
    throw ApplicationFailure.create({ message: `durationMs must be more than 0 and at most ${MAX_SNOOZE_MS} (30 days); got ${ms}`, type: CONFLICT, nonRetryable: true });
  }
}

function installHandlers(incident: IncidentState, pager: Pager | undefined): void {
  const conflict = (action: string, actor: string, message: string): never => {
    // A refused action still leaves an audit row: who tried what, when, and why it was refused.
    incident.record(new Date(), 'action.rejected', actor, { action, reason: message });
    throw ApplicationFailure.create({ message, type: CONFLICT, nonRetryable: true });
  };
  const open = (action: string, actor: string) => {
    if (incident.status === 'resolved') conflict(action, actor, 'incident is already resolved');
  };

  setHandler(stateQuery, () => incident.view());
  setHandler(recheckHoldSignal, () => {
    incident.recheckHold = true;
  });
  setHandler(runbookEscalateSignal, ({ runId, reason }) => {
    const run = incident.runbooks.find((r) => r.runId === runId);
    if (incident.status === 'resolved' || !run) return;
    const actor = `runbook:${run.runbook}`;
    if (incident.status === 'acknowledged') incident.reopen(actor, new Date(), 'unacknowledged', { reason: 'escalated' });
    incident.escalateNow = true;
    incident.record(new Date(), 'escalated', actor, { reason });
  });
  const fromOurRun = (runId: string) => incident.status !== 'resolved' && incident.runbooks.some((r) => r.runId === runId);
  setHandler(runbookApprovalSignal, (approval) => {
    if (fromOurRun(approval.runId)) incident.runbookMessages.push({ approval });
  });
  setHandler(runbookNoteSignal, (note) => {
    if (fromOurRun(note.runId)) incident.runbookMessages.push({ note });
  });
  setHandler(runbookEndedSignal, ({ runId, outcome, detail }) => {
    const run = incident.runbooks.find((r) => r.runId === runId);
    if (!run || run.outcome) return;
    run.outcome = outcome;
    run.endedAt = new Date().toISOString();
    incident.record(new Date(), 'runbook.ended', 'klaxon', { runbook: run.runbook, runId, outcome, ...(detail ? { detail } : {}) });
  });
  setHandler(
    runRunbookUpdate,
    guarded(async ({ actor, runbook, params }) => {
      open('run a runbook', actor);
      const started = await startRunbooks(incident, { tenant: incident.input.tenant, incidentId: incident.id, groupKey: incident.input.groupKey, labels: incident.labels, only: { runbook, actor } }, params ?? {});
      if (!started.length) {
        const why = [...incident.timeline].reverse().find((e) => e.kind === 'runbook.skipped' && e.details.runbook === runbook)?.details.reason;
        conflict('run a runbook', actor, `${runbook} did not start: ${why ?? 'refused'}`);
      }
      return { runId: started[0] };
    }),
    { validator: sameIncident(incident) },
  );
  setHandler(alertsSignal, (update) => {
    // A signal cannot be refused; a malformed one is audited and dropped, never a failed task.
    try {
      incident.applyAlerts(update.alerts, new Date());
    } catch (err) {
      incident.record(new Date(), 'alerts.rejected', 'alertmanager', { error: String((err as Error).message ?? err) });
    }
  });
  setHandler(acknowledgeUpdate, guarded(({ actor, note }) => {
    open('acknowledge', actor);
    if (incident.status === 'acknowledged' && !incident.snoozedUntil) conflict('acknowledge', actor, `incident is already acknowledged by ${incident.acknowledgedBy}`);
    incident.snoozedUntil = undefined;
    incident.acknowledge(actor, new Date(), note);
    return incident.view();
  }), { validator: sameIncident(incident) });
  setHandler(unacknowledgeUpdate, guarded(({ actor, note }) => {
    open('unacknowledge', actor);
    if (incident.status !== 'acknowledged') conflict('unacknowledge', actor, 'incident is not acknowledged');
    incident.reopen(actor, new Date(), 'unacknowledged', note ? { note } : {});
    return incident.view();
  }), { validator: sameIncident(incident) });
  setHandler(resolveUpdate, guarded(({ actor, note }) => {
    open('resolve', actor);
    incident.resolve(actor, new Date(), note ?? 'resolved by a person');
    return incident.view();
  }), { validator: sameIncident(incident) });
  setHandler(
    snoozeUpdate,
    guarded(({ actor, note, durationMs }) => {
      open('snooze', actor);
      if (!(durationMs > 0)) conflict('snooze', actor, 'durationMs must be positive');
      incident.snooze(actor, new Date(), durationMs, note);
      return incident.view();
    }),
    // Refused before it is accepted: nothing enters history, the incident runs on untouched.
    {
      validator: (req) => {
        sameIncident(incident)(req);
        validDuration(req.durationMs);
      },
    },
  );
  setHandler(escalateUpdate, guarded(({ actor, note }) => {
    open('escalate', actor);
    if (incident.status === 'acknowledged') incident.reopen(actor, new Date(), 'unacknowledged', { reason: 'escalated' });
    incident.escalateNow = true;
    incident.record(new Date(), 'escalated', actor, note ? { note } : {});
    return incident.view();
  }), { validator: sameIncident(incident) });
  setHandler(reassignUpdate, guarded(async ({ actor, note, user }) => {
    open('reassign', actor);
    incident.assignee = user;
    incident.record(new Date(), 'reassigned', actor, { user, ...(note ? { note } : {}) });
    if (incident.status === 'acknowledged') incident.reopen(actor, new Date(), 'unacknowledged', { reason: 'reassigned' });
    // With the pager this returns once the page has started: the caller is not held by a vendor.
    await page(incident, pager, { receivers: [], users: [user], schedules: [] }, 'escalated');
    return incident.view();
  }), { validator: sameIncident(incident) });
}

/**
 * Writes new timeline events (and the incident's summary) to the audit store as they happen, and
 * keeps the status/severity search attributes in step with the state.
 */
async function keepAuditCurrent(incident: IncidentState, pager: Pager | undefined, recordIncident: RecordIncident, finished: () => boolean): Promise<void> {
  // Only incidents started with Klaxon's search attributes keep them current (the time-skipping
  // test server has no custom attributes).
  const indexed = workflowInfo().typedSearchAttributes.get(KlaxonTenant) !== undefined;
  // What the attributes say now (set at start by ingest): an incident resolved within its first
  // task must still flip KlaxonStatus. Older runs compared with their first state, as before.
  const sa = workflowInfo().typedSearchAttributes;
  let shown = pager
    ? { status: sa.get(KlaxonStatus) ?? 'firing', severity: sa.get(KlaxonSeverity) ?? incident.severity }
    : { status: incident.status, severity: incident.severity };
  /** The status/severity search attributes and the Web UI's current details, as the state is now. */
  const showState = () => {
    // A flapping incident that is firing shows as `flapping` (Web UI: KlaxonStatus = "flapping").
    const status = incident.flapping && incident.status === 'firing' ? 'flapping' : incident.status;
    if (indexed && (status !== shown.status || incident.severity !== shown.severity)) {
      shown = { status, severity: incident.severity };
      upsertSearchAttributes([
        { key: KlaxonStatus, value: status },
        { key: KlaxonSeverity, value: incident.severity },
      ]);
    }
    showCurrentDetails(incident);
  };
  let first = pager !== undefined && !incident.input.carried && changed(AUDIT_AFTER_FIRST_PAGE);
  if (first && changed(SENDS_WRITE_OUTCOMES)) {
    first = false;
    // The opening rows go with the first page (its send writes them with its outcome: no audit
    // activity, no workflow task of its own). It starts in this same activation, right after open().
    if (incident.firstRecipients?.sends.some((s) => !s.afterMs)) await condition(() => finished() || incident.firstRecipients === undefined);
    // Scoring may have raised the severity (or flapping set the status) with nothing left to write.
    showState();
  }
  for (;;) {
    await condition(() => incident.writable.length > 0 || finished());
    if (first && pager) {
      first = false;
      // The opening rows wait for the first pages' outcome (at most AUDIT_FIRST_WRITE_WAIT), so one
      // audit write carries both: each write's completion is another workflow task (issue #11).
      // Other incidents find this one in the store meanwhile: ingest wrote its row when it accepted
      // the alerts (inhibition, flapping and runbook counts read that row, not the events).
      const settled = () =>
        finished() || incident.status !== 'firing' || !!incident.plan?.hold || !!incident.anomaly?.hold || (incident.sendNo > 0 && pager.pending('page').length === 0);
      // Not when it has settled already: a timer started and cancelled in one task is a wasted command.
      if (!settled()) await condition(settled, AUDIT_FIRST_WRITE_WAIT);
    }
    showState();
    const events = incident.takeWritable();
    if (events.length > 0) await recordIncident({ incident: { ...incident.view(), groupKey: incident.input.groupKey }, events });
    // Events a send still holds are written by it, or by writeLastEvents when the run ends.
    if (finished() && incident.writable.length === 0) return;
  }
}

/**
 * The Web UI's current details (status, who acknowledged, who is paged, what comes next and when).
 * Not a command: nothing enters history, so no patched() is needed; a query reads it.
 */
function showCurrentDetails(incident: IncidentState): void {
  const text = currentDetails(incident.console());
  if (text !== getCurrentDetails()) setCurrentDetails(text);
}

/** Runs a wait with the Web UI's current details saying what it waits for, and until when. */
async function showingNext<T>(incident: IncidentState, next: NextStep | undefined, wait: () => Promise<T>): Promise<T> {
  incident.next = next;
  showCurrentDetails(incident);
  try {
    return await wait();
  } finally {
    incident.next = undefined;
    showCurrentDetails(incident);
  }
}

/**
 * Events recorded while the run was ending (a refused late ack, say) are written before it ends:
 * nothing runs between the last check and the run's completion, so none is left behind.
 */
async function writeLastEvents(incident: IncidentState, write: RecordIncident): Promise<void> {
  while (incident.pending.length > 0) {
    await write({ incident: { ...incident.view(), groupKey: incident.input.groupKey }, events: incident.takePending() });
  }
}

// A function, not an inline comparison: the loop's handlers change status behind TypeScript's back.
function isResolved(incident: IncidentState): boolean {
  return incident.status === 'resolved';
}

/**
 * Waits without a timer wake up for this too (runs with the pager): an acknowledged incident whose
 * alerts keep changing would otherwise grow its history until Temporal terminates it.
 */
function mayContinueAsNew(incident: IncidentState, pager: Pager | undefined): boolean {
  return pager !== undefined && historyIsLong(incident.input.continueAsNewAfterEvents);
}

function historyIsLong(limit = CONTINUE_AS_NEW_AFTER_EVENTS): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > limit;
}
