import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ConfigStore } from '../src/config/store';
import type { NotificationLedger } from '../src/store/notifications';
import type { IncidentView } from '../src/incident/view';
import type { NotificationMessage, NotifierContext, Recipient, ThreadRef } from '../src/notifiers/types';
import { signLink } from '../src/links/oneClick';
import { deliver } from '../src/notifiers/deliver';
import { DeliveryError } from '../src/notifiers/errors';
import { renderMessage, TemplateError } from '../src/templates/render';

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
}

export interface NotifyResult {
  receiver: string;
  recipient?: Recipient;
  thread?: ThreadRef;
  response?: string;
  /** True when the ledger showed this key was already delivered (a retry or replay): nothing was sent. */
  duplicate?: boolean;
}

/**
 * Sends one message to one receiver, exactly once per idempotency key: the ledger is checked before
 * sending and written after. Failures are classified for Temporal's retry policy: Retry-After becomes
 * the next retry delay; a vendor's 4xx is not retried.
 */
export function createNotifyActivity(deps: { config: ConfigStore; ledger: NotificationLedger; notifier: NotifierContext }) {
  return async function notify(args: NotifyArgs): Promise<NotifyResult> {
    const tenant = deps.config.tenant(args.tenant);
    const receiver = tenant?.receivers[args.receiver];
    if (!tenant || !receiver) {
      throw ApplicationFailure.nonRetryable(`receiver ${args.tenant}/${args.receiver} is not configured`, 'UnknownReceiver');
    }
    const claim = await deps.ledger.claim(args.idempotencyKey, {
      incidentId: args.incident.id,
      tenant: args.tenant,
      receiver: args.receiver,
      kind: args.kind,
    });
    if (claim.status === 'sent') {
      return { receiver: args.receiver, recipient: args.recipient, thread: claim.thread ?? undefined, response: claim.response ?? undefined, duplicate: true };
    }
    const server = deps.config.config.server;
    const incident = { ...args.incident, links: { ...args.incident.links } };
    if (server.linkSigningKey && args.kind !== 'resolved') {
      const claims = { i: incident.id, t: args.tenant, a: 'ack' as const, e: Math.floor((Date.now() + server.linkTtl) / 1000), ...(args.recipient ? { u: args.recipient.id } : {}) };
      incident.links.ack = `${server.publicUrl}/a/${signLink(claims, server.linkSigningKey.reveal())}`;
    }
    let rendered: { title: string; text: string };
    try {
      rendered = renderMessage(receiver.type, tenant.templates, { kind: args.kind, incident, now: new Date().toISOString(), recipient: args.recipient });
    } catch (err) {
      if (err instanceof TemplateError) {
        await deps.ledger.markFailed(args.idempotencyKey, err.message);
        throw ApplicationFailure.nonRetryable(err.message, 'TemplateError');
      }
      throw err;
    }
    try {
      const result = await deliver(
        {
          tenant: args.tenant,
          receiverName: args.receiver,
          receiver,
          mode: args.thread && args.kind !== 'firing' ? 'update' : 'send',
          message: { kind: args.kind, incident, ...rendered, idempotencyKey: args.idempotencyKey, thread: args.thread, recipient: args.recipient },
          receivers: tenant.receivers,
        },
        deps.notifier,
        // Queued behind a rate limit: keep heartbeating so the activity is not timed out, stop if cancelled.
        {
          signal: Context.current().cancellationSignal,
          // Local activities (the fast first try) cannot heartbeat; their short timeout bounds the wait instead.
          heartbeat: (queuedForMs) => {
            if (!Context.current().info.isLocal) Context.current().heartbeat({ queuedForMs });
          },
        },
      );
      await deps.ledger.markSent(args.idempotencyKey, result);
      return { receiver: args.receiver, recipient: args.recipient, thread: result.thread, response: result.response };
    } catch (err) {
      if (!(err instanceof DeliveryError)) throw err;
      if (!err.retryable) {
        await deps.ledger.markFailed(args.idempotencyKey, err.message);
        throw ApplicationFailure.create({ message: err.message, type: 'DeliveryRejected', nonRetryable: true });
      }
      const attempt = Context.current().info.attempt;
      throw ApplicationFailure.create({
        message: err.message,
        type: 'DeliveryFailed',
        // Also in the details: a local activity's failure reaches the workflow without nextRetryDelay.
        details: [{ status: err.opts.status, attempt, retryAfterMs: err.opts.retryAfterMs }],
        // The vendor said when to come back; Temporal's backoff would otherwise guess.
        nextRetryDelay: err.opts.retryAfterMs !== undefined ? Math.max(err.opts.retryAfterMs, 1000) : undefined,
      });
    }
  };
}
