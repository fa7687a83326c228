import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ConfigStore } from '../config/store';
import type { TenantConfig } from '../config/schema';
import type { Claim, NotificationLedger } from './ledger';
import { nextTry, type FailedAttempt, type NotificationAttempts } from './attempts';
import type { IncidentView } from '../incident/view';
import type { NotificationMessage, NotifierContext, Recipient, ThreadRef } from '../notifiers/types';
import { messageLinks, type LinkSettings } from '../links/messageLinks';
import { deliver, type ReceiverLimits } from '../notifiers/deliver';
import { DeliveryError } from '../notifiers/errors';
import { renderMessage, TemplateError, type RenderedMessage } from '../templates/render';
import { HEARTBEAT_EVERY_MS, LEASE_MARGIN_MS } from './policy';
import type { SendAudit } from './outcome';
import { SendAuditAttempt, type SendAuditWriter } from './sendAudit';

export interface NotifyArgs {
  tenant: string;
  receiver: string;
  kind: NotificationMessage['kind'];
  incident: IncidentView;
  idempotencyKey: string;
  /** What the first send to this receiver returned: resolve/ack updates go to the same thread. */
  thread?: ThreadRef;
  /** A person paged through this receiver (DM, mail to, mention). */
  recipient?: Recipient;
  /** A page of a run whose sends write their own outcome row (src/delivery/outcome.ts). */
  audit?: SendAudit;
}

export interface NotifyResult {
  receiver: string;
  recipient?: Recipient;
  thread?: ThreadRef;
  response?: string;
  /** The receiver that delivered, when a fallback took the message instead of `receiver`. */
  deliveredBy?: string;
  /** True when the ledger showed this key was already delivered (a retry or replay): nothing was sent. */
  duplicate?: boolean;
  /** When the send wrote its outcome row (the row's `at`), with the rows it carried; absent: it did not. */
  auditedAt?: string;
}

/**
 * The person's push address (users.<u>.push: an ntfy topic or Pushover user key) from the config at
 * send time, not from the activity's arguments: arguments are stored in the workflow's history, and
 * on ntfy.sh a topic name is all it takes to read or post to it.
 */
function withPushAddress(tenant: TenantConfig, recipient: Recipient | undefined): Recipient | undefined {
  const push = recipient && tenant.users[recipient.id]?.push;
  return push ? { ...recipient, push } : recipient;
}

/**
 * Sends one message to one receiver, at most once per idempotency key: the send holds a lease on
 * the key in the ledger while it talks to the vendor (renewed while the attempt is alive), and
 * marks it sent after. It heartbeats all along, so a cancellation (ack, resolve) aborts the request
 * within about a second. Failures are classified for Temporal's retry policy: Retry-After becomes
 * the next retry delay; a vendor's 4xx is not retried. Every try that does not deliver is recorded
 * for the incident's timeline (`notify.attempt`).
 */
export function createNotifyActivity(deps: { config: ConfigStore; ledger: NotificationLedger; attempts: NotificationAttempts; notifier: NotifierContext; limits?: ReceiverLimits; audit?: SendAuditWriter }) {
  return async function notify(args: NotifyArgs): Promise<NotifyResult> {
    const tenant = deps.config.tenant(args.tenant);
    const receiver = tenant?.receivers[args.receiver];
    if (!tenant || !receiver) {
      throw ApplicationFailure.nonRetryable(`receiver ${args.tenant}/${args.receiver} is not configured`, 'UnknownReceiver');
    }
    const ctx = Context.current();
    const info = ctx.info;
    const owner = `${info.workflowExecution?.runId ?? 'local'}/${info.activityId}/${info.attempt}`;
    const leaseMs = receiver.timeout + LEASE_MARGIN_MS;
    // Until when this attempt surely holds the lease, by its own clock (which runs on while the
    // process is paused; the lease in Postgres expires meanwhile and a retry may take it).
    let heldUntil = Date.now() + leaseMs;
    // A page that writes its own audit rows (src/delivery/sendAudit.ts).
    const audit = args.audit && deps.audit ? new SendAuditAttempt(args.audit, args.incident, deps.audit, ctx.log, info.currentAttemptScheduledTimestampMs) : undefined;
    // Best effort and not awaited: the page's next try must never wait for (or fail on) the audit
    // store, which may be down or hanging; a lost row only leaves a gap in the timeline.
    const recordFailure = (a: Pick<FailedAttempt, 'status' | 'reason' | 'retryInMs' | 'final'>) =>
      void deps.attempts
        .record({ idempotencyKey: args.idempotencyKey, attemptId: owner, incidentId: args.incident.id, tenant: args.tenant, receiver: args.receiver, kind: args.kind, attempt: info.attempt, at: new Date().toISOString(), ...a })
        .catch((err: Error) => ctx.log.warn('could not record a failed notification attempt', { key: args.idempotencyKey, error: err.message }));
    // Paging must not depend on the audit store: with the ledger unreachable the send goes out
    // unguarded, carrying the key as the vendor's dedup key (README "Delivery guarantee").
    const claim: Claim = await deps.ledger
      .claim(args.idempotencyKey, { incidentId: args.incident.id, tenant: args.tenant, receiver: args.receiver, kind: args.kind }, { owner, ms: leaseMs })
      .catch((err: Error) => {
        ctx.log.warn('ledger unreachable: sending without a lease', { key: args.idempotencyKey, error: err.message });
        heldUntil = Infinity;
        return { outcome: 'acquired', status: 'sending', attempts: info.attempt, thread: null, response: null, deliveredBy: null } as const;
      });
    if (claim.outcome === 'sent') {
      audit?.leaveToWorkflow();
      return {
        receiver: args.receiver,
        recipient: args.recipient,
        thread: claim.thread ?? undefined,
        response: claim.response ?? undefined,
        deliveredBy: claim.deliveredBy ?? undefined,
        duplicate: true,
      };
    }
    if (claim.outcome === 'held') {
      // Another attempt may be talking to the vendor right now: sending too would double the page.
      const message = `${args.receiver}: another attempt holds this notification's lease (${claim.owner}); trying again when it ends`;
      const retryInMs = Math.max(claim.retryInMs, 1000);
      // Recorded: when the holder's worker died mid-request, it left no row of its own, and this
      // wait (up to the receiver's timeout + the lease margin) is the only trace of the delay.
      recordFailure({ reason: message, ...nextTry(info, retryInMs) });
      audit?.notDelivered();
      throw ApplicationFailure.create({ message, type: 'SendInProgress', nextRetryDelay: retryInMs });
    }

    const rendered = render(args, receiver.type, tenant.templates, deps.config.config.server);
    // Heartbeats carry cancellation to this attempt; lease renewals keep a live attempt's key locked.
    let renewedAt = Date.now();
    const beat = setInterval(() => {
      if (!info.isLocal) ctx.heartbeat();
      if (Date.now() - renewedAt > leaseMs / 3) {
        const at = (renewedAt = Date.now());
        deps.ledger.renew(args.idempotencyKey, owner, leaseMs).then((held) => held && heldUntil !== Infinity && (heldUntil = at + leaseMs), () => undefined);
      }
    }, HEARTBEAT_EVERY_MS);
    try {
      const result = await deliver(
        {
          tenant: args.tenant,
          receiverName: args.receiver,
          receiver,
          // With a thread: follow-ups and re-pages continue the conversation (deliver decides per channel).
          mode: args.thread ? 'update' : 'send',
          message: { kind: args.kind, incident: rendered.incident, title: rendered.title, text: rendered.text, layout: rendered.layout, idempotencyKey: args.idempotencyKey, thread: args.thread, recipient: withPushAddress(tenant, args.recipient) },
          receivers: tenant.receivers,
        },
        deps.notifier,
        {
          ...deps.limits,
          signal: ctx.cancellationSignal,
          beforeRequest: () => {
            // Paused past the lease (SIGSTOP, a long GC, a frozen VM): a retry may own the key now.
            if (Date.now() > heldUntil - LEASE_MARGIN_MS / 2) throw new DeliveryError(`${args.receiver}: this attempt's lease on the notification ran out before its request was sent`, { retryable: true });
          },
        },
      );
      clearInterval(beat);
      // Delivered: a ledger write that fails now must not fail the send (a retry would page again);
      // the activity's result in Temporal's history is what the workflow records.
      await deps.ledger.markSent(args.idempotencyKey, result).catch((err: Error) => ctx.log.warn('ledger: could not mark a delivered notification sent', { key: args.idempotencyKey, error: err.message }));
      const sent: NotifyResult = { receiver: args.receiver, recipient: args.recipient, thread: result.thread, response: result.response, deliveredBy: result.deliveredBy };
      const auditedAt = await audit?.delivered(sent, { kind: args.kind, receiver: args.receiver, recipient: args.recipient });
      return auditedAt ? { ...sent, auditedAt } : sent;
    } catch (err) {
      clearInterval(beat);
      audit?.notDelivered();
      // deliver() turns every failure into a DeliveryError; anything else is a bug in Klaxon, left
      // to the worker's log (its message was never scrubbed of secrets, so it is not recorded).
      if (!(err instanceof DeliveryError)) {
        await deps.ledger.release(args.idempotencyKey, owner, (err as Error).message).catch(() => undefined);
        throw err;
      }
      // Cancelled (an ack or resolve; the workflow records `notify.cancelled`) or the worker is
      // shutting down (the next try's row or `notified` follows): not a failure of the vendor.
      const cancelled = ctx.cancellationSignal.aborted;
      if (!err.retryable) {
        if (!cancelled) recordFailure({ status: err.opts.status, reason: err.message, final: true });
        await deps.ledger.markFailed(args.idempotencyKey, err.message).catch(() => undefined);
        throw ApplicationFailure.create({ message: err.message, type: 'DeliveryRejected', nonRetryable: true });
      }
      // The vendor said when to come back; Temporal's backoff would otherwise guess.
      const nextRetryDelay = err.opts.retryAfterMs !== undefined ? Math.max(err.opts.retryAfterMs, 1000) : undefined;
      if (!cancelled) recordFailure({ status: err.opts.status, reason: err.message, ...nextTry(info, nextRetryDelay) });
      await deps.ledger.release(args.idempotencyKey, owner, err.message).catch(() => undefined);
      throw ApplicationFailure.create({
        message: err.message,
        type: 'DeliveryFailed',
        // Also in the details: a local activity's failure reaches the workflow without nextRetryDelay.
        details: [{ status: err.opts.status, attempt: info.attempt, retryAfterMs: err.opts.retryAfterMs }],
        nextRetryDelay,
      });
    }
  };
}

/**
 * Title and text for the message, with its links (incident page, one-click ack). A template that
 * fails at render time (a label the group lacks) falls back to the default template: a plain page
 * beats silence.
 */
function render(args: NotifyArgs, type: string, overrides: Record<string, string>, server: LinkSettings): RenderedMessage & { incident: IncidentView } {
  const incident = { ...args.incident, links: messageLinks(args.incident, args, server) };
  const ctx = { kind: args.kind, incident, now: new Date().toISOString(), recipient: args.recipient };
  try {
    return { incident, ...renderMessage(type, overrides, ctx) };
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    const plain = renderMessage(type, {}, ctx);
    const note = `(the tenant's template failed: ${err.message})`;
    // The note is a footer line: truncation keeps it with the incident link.
    return { incident, title: plain.title, text: `${plain.text}\n${note}`, layout: plain.layout && { ...plain.layout, footer: [...plain.layout.footer, note] } };
  }
}

