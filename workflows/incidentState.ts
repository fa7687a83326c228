import type { Recipients } from '../activities/recipients';
import type { AlertView, IncidentStatus, IncidentView, Severity, TimelineEntry } from '../src/incident/view';
import { maxSeverity, severityOf, severityRank } from '../src/incident/severity';
import { incidentId } from '../src/incident/ids';
import type { Plan } from '../activities/plan';
import type { CarriedState, Flapping, IncidentInput, Notified, RunbookRun, ScheduledSend } from './definitions';
import type { ConsoleState, NextStep } from '../src/incident/uiMetadata';

type Event = TimelineEntry & { seq: number };
/** Entries kept in memory (and in the query); older ones stay in the audit store. */
const TIMELINE_IN_MEMORY = 200;

/**
 * The incident's state and timeline, apart from the workflow's control flow. Pure and
 * deterministic: time always comes from the caller (the sandbox's replay-safe clock).
 */
export class IncidentState {
  readonly id: string;
  readonly startedAt: string;
  status: IncidentStatus = 'firing';
  acknowledgedBy?: string;
  acknowledgedAt?: string;
  snoozedUntil?: string;
  assignee?: string;
  resolvedAt?: string;
  severity: Severity;
  plan?: Plan;
  /** Position in the policy's steps, and how often each repeat step has looped. */
  cursor = 0;
  repeats: Record<number, number> = {};
  /** Counts notify steps executed; part of every idempotency key. */
  sendNo = 0;
  /** Paging cycles (see IncidentView.cycle): vendors that dedupe by key get a new key per cycle. */
  cycle = 0;
  /** Counts acknowledgements (and snoozes); the last one announced to the channels. */
  acks = 0;
  acksAnnounced = 0;
  readonly notified = new Map<string, Notified>();
  /** Set by handlers, consumed by the escalation loop. */
  escalateNow = false;
  reroute = false;
  /** The declared severity the last classification saw; a raise above it re-classifies and re-routes. */
  lastDeclared: Severity;
  /** Who the first step pages, looked up when the incident opened (never carried over). */
  firstRecipients?: Recipients;
  anomaly?: { mode: string; score?: number; modelVersion?: number; reason: string; hold: boolean };
  /** An alert fired again after the incident resolved (and before its run ended): open a new one. */
  refiredAfterResolve = false;
  /** A source incident opened or resolved: inhibition is decided again (not carried: the periodic check covers it). */
  recheckHold = false;
  /**
   * Bumped when some of the alerts resolve while others still fire; the paged threads hear of it
   * ("1 of 2 alerts resolved") up to `partialResolvesTold`.
   */
  partialResolves = 0;
  partialResolvesTold = 0;
  /** Runbook messages (approval requests, notes) not yet told to the paged conversations. */
  runbookMessages: Array<Pick<IncidentView, 'approval' | 'note'>> = [];
  /** Runbook runs started for this incident (carried across continue-as-new). */
  runbooks: RunbookRun[] = [];
  /** Runbook matches still running (their claims are this run's to start or end; not carried). */
  runbookMatches = 0;
  /** SLA targets breached so far (carried: a breach is recorded once). */
  slaBreached: Array<'ack' | 'resolve'> = [];
  /**
   * Set when the group fired `threshold` times within the tenant's flapping window: resolves and
   * re-fires fold into this incident (no new incident, no new page); it resolves after a quiet window.
   */
  flapping?: Flapping;
  /** Personal-rule sends waiting for their time (carried across continue-as-new). */
  scheduled: ScheduledSend[] = [];
  /** What the escalation waits for now, and until when (the Web UI's current details; not carried). */
  next?: NextStep;
  /** Bumped on every alert change; a resolveAfter step waits for quiet. */
  alertChanges = 0;
  readonly alerts = new Map<string, AlertView>();
  readonly timeline: Event[] = [];
  /** Events not yet written to the audit store. */
  pending: Event[] = [];
  private nextSeq: number;

  constructor(
    readonly input: IncidentInput,
    readonly workflowId: string,
    readonly runId: string,
    now: Date,
    idScheme: 'tail' | 'head' = 'tail',
  ) {
    for (const a of input.alerts) this.alerts.set(a.fingerprint, a);
    this.severity = this.declaredSeverity;
    this.lastDeclared = this.severity;
    const c = input.carried;
    this.id = c?.id ?? incidentId(input.tenant, workflowId, runId, idScheme);
    this.startedAt = c?.startedAt ?? now.toISOString();
    this.nextSeq = c?.nextSeq ?? 1;
    if (c) {
      Object.assign(this, {
        status: c.status,
        acknowledgedBy: c.acknowledgedBy,
        acknowledgedAt: c.acknowledgedAt,
        snoozedUntil: c.snoozedUntil,
        assignee: c.assignee,
        severity: c.severity,
        cursor: c.cursor,
        repeats: { ...c.repeats },
        sendNo: c.sendNo,
        plan: c.plan,
        acks: c.acks ?? 0,
        acksAnnounced: c.acksAnnounced ?? c.acks ?? 0,
        escalateNow: c.escalateNow ?? false,
        cycle: c.cycle ?? 0,
        reroute: c.reroute ?? false,
        lastDeclared: c.lastDeclared ?? c.severity,
        anomaly: c.anomaly,
        partialResolves: c.partialResolves ?? 0,
        partialResolvesTold: c.partialResolvesTold ?? c.partialResolves ?? 0,
        runbooks: c.runbooks ?? [],
        slaBreached: c.slaBreached ?? [],
        flapping: c.flapping,
        scheduled: c.scheduled ?? [],
      });
      for (const n of c.notified) this.notified.set(notifiedKey(n), n);
      this.timeline.push(...c.timeline);
    }
  }

  get declaredSeverity(): Severity {
    return maxSeverity([...this.alerts.values()].map((a) => severityOf(a.labels)));
  }

  get firingCount(): number {
    return [...this.alerts.values()].filter((a) => a.status === 'firing').length;
  }

  get labels(): Record<string, string> {
    return { ...this.input.commonLabels, severity: this.severity };
  }

  record(at: Date, kind: string, actor: string, details: Record<string, unknown> = {}): void {
    this.recordAt(this.nextSeq++, at, kind, actor, details, false);
  }

  /**
   * An event at a sequence number reserved earlier (a send's outcome, src/delivery/pager.ts);
   * `written`: the send wrote it to the audit store itself, so it is not pending.
   */
  recordAt(seq: number, at: Date | string, kind: string, actor: string, details: Record<string, unknown>, written: boolean): void {
    const e = { seq, at: typeof at === 'string' ? at : at.toISOString(), kind, actor, details };
    this.timeline.push(e);
    if (this.timeline.length > TIMELINE_IN_MEMORY) this.timeline.splice(0, this.timeline.length - TIMELINE_IN_MEMORY);
    if (!written) this.pending.push(e);
  }

  /** Pending events a send took to write with its outcome (seq → the send's key); not carried. */
  private readonly lent = new Map<number, string>();

  /** Pending events nobody is writing yet: what the audit writer takes. */
  get writable(): Event[] {
    return this.lent.size === 0 ? this.pending : this.pending.filter((e) => !this.lent.has(e.seq));
  }

  takeWritable(): Event[] {
    const out = this.writable;
    this.pending = this.lent.size === 0 ? [] : this.pending.filter((e) => this.lent.has(e.seq));
    return out;
  }

  /** Lends the writable events to the send `key`, which writes them with its outcome. */
  lend(key: string): Event[] {
    const out = this.writable;
    for (const e of out) this.lent.set(e.seq, key);
    return out;
  }

  /** The send `key` ended: what it wrote is no longer pending; what it did not is the writer's again. */
  returnLent(key: string, written: boolean): void {
    for (const [seq, k] of this.lent) {
      if (k !== key) continue;
      this.lent.delete(seq);
      if (written) this.pending = this.pending.filter((e) => e.seq !== seq);
    }
  }

  /** Reserves `n` audit sequence numbers for events written elsewhere (the notices workflow). */
  reserveSeqs(n: number): number {
    const first = this.nextSeq;
    this.nextSeq += n;
    return first;
  }

  /** Every pending event, lent or not (the last writes before the run ends: a rewrite is harmless). */
  takePending(): Event[] {
    const out = this.pending;
    this.pending = [];
    this.lent.clear();
    return out;
  }

  /**
   * Merges a re-sent group and reacts: all resolved → resolved; severity raised → re-route.
   * Unchanged re-sends leave no trace.
   */
  applyAlerts(alerts: AlertView[], at: Date): void {
    const added: string[] = [];
    const resolved: string[] = [];
    const refired: string[] = [];
    for (const raw of alerts) {
      // Ingest validates every alert; a signal sent straight to Temporal may not be. Skip what is
      // unusable and fill what is optional, so one bad signal cannot wedge the incident.
      if (!raw || typeof raw.fingerprint !== 'string' || (raw.status !== 'firing' && raw.status !== 'resolved')) continue;
      const a: AlertView = { ...raw, labels: raw.labels ?? {}, annotations: raw.annotations ?? {} };
      const prev = this.alerts.get(a.fingerprint);
      if (!prev) added.push(a.fingerprint);
      else if (prev.status !== a.status) (a.status === 'resolved' ? resolved : refired).push(a.fingerprint);
      this.alerts.set(a.fingerprint, a);
    }
    if (!added.length && !resolved.length && !refired.length) return;
    this.alertChanges++;
    this.record(at, 'alerts.updated', 'alertmanager', { added, resolved, refired, firing: this.firingCount });
    if (this.status === 'resolved') {
      if (this.firingCount > 0) this.refiredAfterResolve = true;
      return;
    }
    if (this.flapping) {
      // Flapping: the group's resolves and re-fires are this incident's; it resolves when quiet.
      if (this.firingCount === 0 && !this.flapping.quietSince) {
        this.flapping.quietSince = at.toISOString();
        this.record(at, 'flapping.quiet', 'alertmanager', { resolvesAfter: this.flapping.windowMs / 1000 });
        return;
      }
      if (this.firingCount > 0 && this.flapping.quietSince) {
        this.flapping.quietSince = undefined;
        this.flapping.count++;
        this.record(at, 'flapping.refired', 'alertmanager', { count: this.flapping.count });
      }
    } else if (this.firingCount === 0) {
      this.resolve('alertmanager', at, 'all alerts resolved');
      return;
    }
    if (resolved.length) this.partialResolves++;
    // Compared with what was declared before, not the effective severity: a classification that
    // lowered the incident must not be undone by every re-send of the same alerts.
    const declared = this.declaredSeverity;
    if (severityRank(declared) > severityRank(this.lastDeclared)) {
      this.record(at, 'severity.raised', 'alertmanager', { from: this.lastDeclared, to: declared });
      this.lastDeclared = declared;
      if (severityRank(declared) > severityRank(this.severity)) this.severity = declared;
      this.reroute = true;
    }
  }

  acknowledge(actor: string, at: Date, note?: string): void {
    this.acks++;
    this.status = 'acknowledged';
    this.acknowledgedBy = actor;
    this.acknowledgedAt = at.toISOString();
    this.record(at, 'acknowledged', actor, note ? { note } : {});
  }

  /** Back to firing: escalation resumes (from `fromStep` when given, e.g. after an ack timeout). */
  reopen(actor: string, at: Date, kind: string, details: Record<string, unknown> = {}, fromStep?: number): void {
    if (this.status === 'acknowledged') this.cycle++;
    this.status = 'firing';
    this.acknowledgedBy = undefined;
    this.acknowledgedAt = undefined;
    this.snoozedUntil = undefined;
    if (fromStep !== undefined) {
      this.cursor = fromStep;
      this.repeats = {};
    }
    this.record(at, kind, actor, details);
  }

  snooze(actor: string, at: Date, durationMs: number, note?: string): void {
    this.acks++;
    this.status = 'acknowledged';
    this.acknowledgedBy = actor;
    this.acknowledgedAt = at.toISOString();
    this.snoozedUntil = new Date(at.getTime() + durationMs).toISOString();
    this.record(at, 'snoozed', actor, { until: this.snoozedUntil, ...(note ? { note } : {}) });
  }

  resolve(actor: string, at: Date, reason: string): void {
    this.status = 'resolved';
    this.resolvedAt = at.toISOString();
    this.snoozedUntil = undefined;
    // Self-healing shows: resolved while, or within 30 minutes after, a runbook succeeded.
    const healer = this.runbooks.find((r) => !r.outcome || (r.outcome === 'succeeded' && at.getTime() - Date.parse(r.endedAt!) <= 30 * 60_000));
    this.record(at, 'resolved', actor, { reason, ...(healer ? { afterRunbook: healer.runbook } : {}) });
  }

  addNotified(n: Notified): void {
    this.notified.set(notifiedKey(n), n);
  }

  carry(inFlight?: CarriedState['inFlight']): CarriedState {
    return {
      id: this.id,
      startedAt: this.startedAt,
      nextSeq: this.nextSeq,
      status: this.status,
      acknowledgedBy: this.acknowledgedBy,
      acknowledgedAt: this.acknowledgedAt,
      snoozedUntil: this.snoozedUntil,
      assignee: this.assignee,
      severity: this.severity,
      cursor: this.cursor,
      repeats: this.repeats,
      sendNo: this.sendNo,
      acks: this.acks,
      lastDeclared: this.lastDeclared,
      anomaly: this.anomaly,
      notified: [...this.notified.values()],
      ...(inFlight?.length ? { inFlight } : {}),
      acksAnnounced: this.acksAnnounced,
      ...(this.cycle ? { cycle: this.cycle } : {}),
      ...(this.escalateNow ? { escalateNow: true } : {}),
      ...(this.reroute ? { reroute: true } : {}),
      ...(this.partialResolves ? { partialResolves: this.partialResolves, partialResolvesTold: this.partialResolvesTold } : {}),
      ...(this.runbooks.length ? { runbooks: this.runbooks } : {}),
      ...(this.slaBreached.length ? { slaBreached: this.slaBreached } : {}),
      ...(this.flapping ? { flapping: this.flapping } : {}),
      ...(this.scheduled.length ? { scheduled: this.scheduled } : {}),
      plan: this.plan!,
      timeline: this.timeline.slice(-50),
    };
  }

  /** The Web UI's current details: where the escalation stands (no alerts, no timeline: cheap). */
  console(): ConsoleState {
    const plan = this.plan;
    const at = (ms: number) => new Date(Date.parse(this.startedAt) + ms).toISOString();
    const flapping = this.flapping;
    return {
      view: {
        id: this.id,
        title: this.title([...this.alerts.values()]),
        status: this.status,
        severity: this.severity,
        acknowledgedBy: this.acknowledgedBy,
        snoozedUntil: this.snoozedUntil,
        assignee: this.assignee,
        policy: plan?.policyName,
        step: this.cursor,
        held: this.held,
        resolvedAt: this.resolvedAt,
      },
      paged: [...this.notified.values()].map((n) => ({ receiver: n.receiver, ...(n.recipient ? { user: n.recipient.id } : {}), ...(n.unconfirmed ? { unconfirmed: true } : {}) })),
      steps: plan?.steps,
      next: flapping?.quietSince ? { kind: 'quietResolves', at: new Date(Date.parse(flapping.quietSince) + flapping.windowMs).toISOString() } : this.next,
      ...(plan?.sla ? { sla: { tier: plan.sla.tier, ackDueAt: at(plan.sla.ackWithinMs), resolveDueAt: at(plan.sla.resolveWithinMs), breached: this.slaBreached } } : {}),
      ...(flapping ? { flapping } : {}),
      ...(plan ? { links: { api: `${plan.links.publicUrl}/api/v1/incidents/${encodeURIComponent(this.id)}`, ...(plan.links.incidentPage ? { page: plan.links.incidentPage } : {}) } } : {}),
    };
  }

  private get held(): string | undefined {
    return this.plan?.hold ? `${this.plan.hold.reason}: ${this.plan.hold.detail}` : this.anomaly?.hold && this.status === 'firing' ? `noise: ${this.anomaly.reason}` : undefined;
  }

  private title(alerts: AlertView[]): string {
    const labels = this.input.commonLabels;
    const alertname = labels.alertname ?? alerts[0]?.labels.alertname ?? 'alert';
    const service = labels.service ?? alerts[0]?.labels.service ?? '';
    return `${alertname}${service ? ` (${service})` : ''}${alerts.length > 1 ? ` ×${alerts.length}` : ''}${this.flapping ? ` [flapping: fired ${this.flapping.count} times]` : ''}`;
  }

  view(): IncidentView {
    const alerts = [...this.alerts.values()];
    const labels = this.input.commonLabels;
    const alertname = labels.alertname ?? alerts[0]?.labels.alertname ?? 'alert';
    const service = labels.service ?? alerts[0]?.labels.service ?? '';
    const links = this.plan?.links ?? { publicUrl: '', temporalUiUrl: '', namespace: 'default' };
    const runbook = alerts.find((a) => a.annotations.runbook_url)?.annotations.runbook_url;
    const workflowUrl = `${links.temporalUiUrl}/namespaces/${links.namespace}/workflows/${encodeURIComponent(this.workflowId)}/${this.runId}/history`;
    return {
      id: this.id,
      tenant: this.input.tenant,
      workflowId: this.workflowId,
      runId: this.runId,
      title: this.title(alerts),
      status: this.status,
      severity: this.severity,
      declaredSeverity: this.declaredSeverity,
      ...(this.cycle ? { cycle: this.cycle } : {}),
      alertname,
      service,
      startedAt: this.startedAt,
      acknowledgedBy: this.acknowledgedBy,
      resolvedAt: this.resolvedAt,
      snoozedUntil: this.snoozedUntil,
      assignee: this.assignee,
      policy: this.plan?.policyName,
      step: this.cursor,
      held: this.held,
      anomaly: {
        mode: this.anomaly?.mode ?? 'off',
        score: this.anomaly?.score,
        modelVersion: this.anomaly?.modelVersion,
        reason: this.anomaly?.reason ?? '',
        advise: this.anomaly?.mode === 'advise' || this.anomaly?.mode === 'enforce',
      },
      commonLabels: labels,
      alerts,
      // `incident` is a page a person can open without an API token; a message swaps in the signed
      // incident page when links are signed (src/links/messageLinks.ts).
      links: {
        incident: workflowUrl,
        workflow: workflowUrl,
        api: `${links.publicUrl}/api/v1/incidents/${encodeURIComponent(this.id)}`,
        ...(runbook ? { runbook } : {}),
      },
      timeline: this.timeline.map(({ seq: _seq, ...e }) => e),
    };
  }
}

function notifiedKey(n: Notified): string {
  return `${n.receiver}|${n.recipient?.id ?? ''}`;
}
