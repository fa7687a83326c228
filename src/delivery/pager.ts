import { ActivityCancellationType, ApplicationFailure, CancellationScope, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { NotifyArgs, NotifyResult } from './notifyActivity';
import type { Recipient, ThreadRef } from '../notifiers/types';
import type { IncidentView } from '../incident/view';
import { NOTICE_RETRY, PAGE_RETRY, REFUSED_TYPES, SEND_HEARTBEAT_TIMEOUT_MS, SEND_START_TO_CLOSE } from './policy';
import { notifiedDetails, type SendAudit } from './outcome';

/**
 * The workflow's side of delivery (workflow code: deterministic, no I/O). Sends run in the
 * background, so a policy's timers never wait for a vendor; who was (or may have been) paged is
 * recorded before the send starts, so acks and resolves reach everyone a page may have reached.
 */

type Notify = { notify(args: NotifyArgs): Promise<NotifyResult> };
// TRY_CANCEL: an ack is answered at once; the attempt learns of it on its next heartbeat and aborts its request.
const common = { startToCloseTimeout: SEND_START_TO_CLOSE, heartbeatTimeout: SEND_HEARTBEAT_TIMEOUT_MS, cancellationType: ActivityCancellationType.TRY_CANCEL };
const { notify: sendPage } = proxyActivities<Notify>({ ...common, retry: { ...PAGE_RETRY, nonRetryableErrorTypes: [...REFUSED_TYPES] } });
const { notify: sendNotice } = proxyActivities<Notify>({ ...common, retry: { ...NOTICE_RETRY, nonRetryableErrorTypes: [...REFUSED_TYPES] } });

/** A receiver (and person) that was paged, kept so "resolved" reaches exactly them, in their thread. */
export interface Paged {
  receiver: string;
  recipient?: Recipient;
  thread?: ThreadRef;
  /** The page's outcome is not known yet (in flight, or cancelled mid-request): it may have arrived. */
  unconfirmed?: boolean;
}

export type SendKind = NotifyArgs['kind'];

/** One send the pager is running; carried across continue-as-new so none is forgotten. */
export interface PendingSend {
  key: string;
  kind: SendKind;
  receiver: string;
  recipient?: Recipient;
  thread?: ThreadRef;
  /** Pages retry until someone acts; notices (ack, resolve) have a bounded budget. */
  purpose: 'page' | 'notice';
  step?: number;
  /** This send added the receiver to the paged set (so a refusal takes it out again). */
  addedPaged?: boolean;
  /**
   * What an update is about beyond the incident's state (a runbook's approval request or note).
   * Kept with the send: a retry after continue-as-new builds the same message, not a bare update.
   */
  about?: Pick<IncidentView, 'approval' | 'note'>;
  /** A page's outcome row's sequence number (runs whose sends write their outcomes); carried too. */
  outcomeSeq?: number;
}

/** What the pager needs from an incident. */
export interface PagerHost {
  readonly paged: Map<string, Paged>;
  record(kind: string, details: Record<string, unknown>): void;
  /** The notify activity's arguments for a message of `kind` to `to` (the incident as it is now). */
  message(to: Pick<PendingSend, 'receiver' | 'recipient' | 'about'>, kind: SendKind): Omit<NotifyArgs, 'idempotencyKey' | 'thread'>;
  /**
   * Present in runs whose pages write their own outcome row (and the rows recorded before them) to
   * the audit store: one workflow task and one audit activity fewer per page (issue #11).
   */
  outcomes?: SendOutcomes;
}

export interface SendOutcomes {
  groupKey: string;
  reserve(): number;
  /** Takes the rows not yet written, for the send `key` to write. */
  lend(key: string): SendAudit['events'];
  /** The send ended: `written`, its rows are in the store; otherwise the audit writer takes them back. */
  returnLent(key: string, written: boolean): void;
  recordAt(seq: number, at: string | undefined, kind: string, details: Record<string, unknown>, written: boolean): void;
}

export function pagedKey(p: { receiver: string; recipient?: { id: string } }): string {
  return `${p.receiver}|${p.recipient?.id ?? ''}`;
}

export class Pager {
  private readonly inFlight = new Map<string, { send: PendingSend; scope: CancellationScope }>();
  /** Sends another workflow now owns: their outcome is that workflow's to record, not this one's. */
  private readonly handedOver = new Set<string>();
  /** Sends whose outcome is in (they leave `inFlight` a microtask later). */
  private readonly settled = new Set<string>();

  constructor(private readonly host: PagerHost) {}

  /** Pages each receiver/person; returns at once (the sends go on in the background). */
  page(sends: Array<{ receiver: string; recipient?: Recipient }>, kind: SendKind, step: number, keyOf: (s: { receiver: string; recipient?: Recipient }) => string): void {
    for (const s of sends) this.start({ key: keyOf(s), kind, receiver: s.receiver, recipient: s.recipient, purpose: 'page', step });
  }

  /** Tells everyone paged so far (acknowledged, resolved), in their thread; returns at once. */
  notice(kind: SendKind, keyOf: (p: Paged) => string): void {
    for (const p of this.host.paged.values()) this.start({ key: keyOf(p), kind, receiver: p.receiver, recipient: p.recipient, thread: p.thread, purpose: 'notice' });
  }

  /**
   * An update for the conversations that exist (a partial resolve): only receivers that surely got
   * the page and gave back a thread; elsewhere a new message would read as another page.
   */
  update(kind: SendKind, keyOf: (p: Paged) => string, about?: PendingSend['about']): void {
    for (const p of this.host.paged.values()) {
      if (p.thread && !p.unconfirmed) this.start({ key: keyOf(p), kind, receiver: p.receiver, recipient: p.recipient, thread: p.thread, purpose: 'notice', ...(about ? { about } : {}) });
    }
  }

  /**
   * A message for people who are not (or not surely) in the conversation, e.g. a runbook's named
   * approvers: a new message to each, never a page (it does not join the paged set).
   */
  tell(sends: Array<{ receiver: string; recipient?: Recipient }>, kind: SendKind, keyOf: (s: { receiver: string; recipient?: Recipient }) => string, about?: PendingSend['about']): void {
    for (const s of sends) {
      const p = this.host.paged.get(pagedKey(s));
      // Already told in their thread by update().
      if (p?.thread && !p.unconfirmed) continue;
      this.start({ key: keyOf(s), kind, receiver: s.receiver, recipient: s.recipient, purpose: 'notice', ...(about ? { about } : {}) });
    }
  }

  /** Someone acted: pages still in flight are cancelled (their receivers stay "maybe paged"); notices go on. */
  cancelPages(): void {
    for (const { send, scope } of this.inFlight.values()) if (send.purpose === 'page') scope.cancel();
  }

  /** Sends not finished yet, for continue-as-new or a hand-over to the notices workflow. */
  pending(purpose?: PendingSend['purpose']): PendingSend[] {
    return [...this.inFlight.values()].map((f) => f.send).filter((s) => !purpose || s.purpose === purpose);
  }

  /**
   * Gives the unfinished sends of `purpose` to another workflow (the notices workflow), which
   * retries them under the same keys. Their attempts here run on (one may be mid-request), but what
   * they deliver is recorded once, by the new owner (the ledger makes its retry a duplicate).
   */
  handOver(purpose: PendingSend['purpose']): PendingSend[] {
    // A send that finished in this very activation has recorded its outcome: not handed over.
    const sends = this.pending(purpose).filter((s) => !this.settled.has(s.key));
    for (const s of sends) this.handedOver.add(s.key);
    return sends;
  }

  get idle(): boolean {
    return this.inFlight.size === 0;
  }

  /** Starts (or, after continue-as-new, restarts with the same key) one send in the background. */
  start(send: PendingSend): void {
    if (this.inFlight.has(send.key)) return;
    if (send.purpose === 'page' && send.addedPaged === undefined) {
      const k = pagedKey(send);
      const before = this.host.paged.get(k);
      send.addedPaged = !before;
      if (!before) this.host.paged.set(k, { receiver: send.receiver, recipient: send.recipient, unconfirmed: true });
      // Paged there before: the re-page continues that conversation (comment, thread reply).
      else if (!before.unconfirmed && before.thread) send.thread = before.thread;
    }
    const outcomes = send.purpose === 'page' ? this.host.outcomes : undefined;
    let audit: SendAudit | undefined;
    if (outcomes) {
      send.outcomeSeq ??= outcomes.reserve();
      audit = { seq: send.outcomeSeq, groupKey: outcomes.groupKey, ...(send.step !== undefined ? { step: send.step } : {}), events: outcomes.lend(send.key) };
    }
    const scope = new CancellationScope();
    this.inFlight.set(send.key, { send, scope });
    const run = send.purpose === 'page' ? sendPage : sendNotice;
    void scope
      .run(() => run.executeWithOptions({ summary: sendSummary(send, audit?.events) }, [{ ...this.host.message(send, send.kind), thread: send.thread, idempotencyKey: send.key, ...(audit ? { audit } : {}) }]))
      .then(
        (r) => this.settle(send) && this.delivered(send, r),
        (err) => this.settle(send) && this.failed(send, err),
      )
      .finally(() => {
        this.inFlight.delete(send.key);
        this.settled.delete(send.key);
      })
      // Nothing above throws; if it ever did, an unhandled rejection would fail the workflow task.
      .catch(() => undefined);
  }

  /** Notes the outcome is in; false when another workflow owns the send (it records the outcome). */
  private settle(send: PendingSend): boolean {
    this.settled.add(send.key);
    return !this.handedOver.has(send.key);
  }

  private delivered(send: PendingSend, r: NotifyResult): void {
    const by = r.deliveredBy ?? send.receiver;
    if (send.purpose === 'page') {
      const asked = pagedKey(send);
      // Delivered by the fallback: follow-ups belong there, not to the receiver that never had it.
      if (by !== send.receiver && send.addedPaged) this.host.paged.delete(asked);
      const k = pagedKey({ receiver: by, recipient: send.recipient });
      const before = this.host.paged.get(k);
      // The first thread is the conversation; later pages to the same place keep pointing at it.
      this.host.paged.set(k, { receiver: by, recipient: send.recipient, thread: (before && !before.unconfirmed ? before.thread : undefined) ?? r.thread ?? before?.thread });
    }
    this.outcome(send, 'notified', notifiedDetails(send, r), r.auditedAt);
  }

  /** Records a send's outcome: at its reserved sequence number when it has one (`writtenAt`: the send wrote the row). */
  private outcome(send: PendingSend, kind: string, details: Record<string, unknown>, writtenAt?: string): void {
    const outcomes = this.host.outcomes;
    if (!outcomes || send.outcomeSeq === undefined) {
      this.host.record(kind, details);
      return;
    }
    outcomes.recordAt(send.outcomeSeq, writtenAt, kind, details, writtenAt !== undefined);
    outcomes.returnLent(send.key, writtenAt !== undefined);
  }

  private failed(send: PendingSend, err: unknown): void {
    const where = { ...(send.step !== undefined ? { step: send.step } : {}), kind: send.kind, receiver: send.receiver, user: send.recipient?.id };
    if (isCancellation(err)) {
      // Someone acted while this was in flight: it may have gone out, so the receiver stays paged.
      this.outcome(send, 'notify.cancelled', where);
      return;
    }
    if (send.purpose === 'page' && refused(err) && send.addedPaged && this.host.paged.get(pagedKey(send))?.unconfirmed) {
      // The vendor refused it: nothing arrived, so nothing should follow up there.
      this.host.paged.delete(pagedKey(send));
    }
    this.outcome(send, 'notify.failed', { ...where, error: failureMessage(err) });
  }
}

/** What the Web UI shows for a send: "page slack-ops, step 1", "notify resolved to ops → alice". */
export function sendSummary(send: Pick<PendingSend, 'purpose' | 'kind' | 'receiver' | 'recipient' | 'step'>, carries?: SendAudit['events']): string {
  const to = `${send.receiver}${send.recipient ? ` → ${send.recipient.id}` : ''}`;
  if (send.purpose === 'notice') return `notify ${send.kind} to ${to}`;
  // A page that writes audit rows it did not make itself says which (the opening rows, say).
  const rows = carries?.length ? `; audit ${[...new Set(carries.map((e) => e.kind))].join(', ')}` : '';
  if (send.kind === 'escalated') return `page ${to} (escalated)${rows}`.slice(0, 150);
  return `page ${to}${send.step !== undefined ? `, step ${send.step + 1}` : ''}${rows}`.slice(0, 150);
}

function refused(err: unknown): boolean {
  const cause = err instanceof ApplicationFailure ? err : (err as { cause?: unknown }).cause;
  return cause instanceof ApplicationFailure && (cause.nonRetryable || (REFUSED_TYPES as readonly string[]).includes(cause.type ?? ''));
}

/** An activity failure's own message is "Activity task failed"; the vendor's reason is its cause. */
export function failureMessage(err: unknown): string {
  const e = err as Error & { cause?: Error };
  return e.cause?.message ?? e.message;
}
