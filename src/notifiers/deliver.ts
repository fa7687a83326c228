import type { ReceiverConfig } from '../config/receivers';
import { secretValues, redact } from '../config/secret';
import { notifierFor } from './registry';
import type { DeliveryResult, NotificationMessage, NotifierContext } from './types';
import { CircuitOpenError, DeliveryError } from './errors';
import { defaultRateLimiter, type Permit, type RateLimit, type RateLimiter } from './rateLimit';
import { defaultCircuitBreakers, DEFAULT_BREAKER, type BreakerSettings, type CircuitBreakers } from './circuitBreaker';
import { fitMessage } from './fitMessage';
import { integrationOutcome, recordDelivery, recordIntegrationRequest, recordReceiverUp } from './metrics';
import { secretVariants } from './secretVariants';

export interface DeliveryRequest {
  tenant: string;
  receiverName: string;
  receiver: ReceiverConfig;
  message: NotificationMessage;
  /** Update what an earlier send created (message.thread must be set) instead of posting anew. */
  mode: 'send' | 'update';
  /** The tenant's receivers, so an open circuit can hand the message to `receiver.fallback`. */
  receivers?: Record<string, ReceiverConfig>;
}

/** A receiver's rate limiter and circuit breakers, per process or shared between processes (sharedLimits.ts). */
export interface ReceiverLimits {
  rateLimiter: RateLimiter;
  breakers: CircuitBreakers;
}

/** Runtime hooks (not part of the serialisable request). */
export interface DeliverOptions {
  /** Aborts a wait in the rate-limit queue (activity cancelled). */
  signal?: AbortSignal;
  /** Called about once a second while queued behind the rate limit (ms queued so far), for activity heartbeats. */
  heartbeat?: (queuedForMs: number) => void;
  rateLimiter?: RateLimiter;
  breakers?: CircuitBreakers;
  /**
   * Runs right before each vendor request is written; throwing stops it unsent. The notify
   * activity checks here that its ledger lease still holds (a paused process must not send late).
   */
  beforeRequest?: () => void;
}

export function rateLimitOf(receiver: ReceiverConfig, fallback?: RateLimit): RateLimit | undefined {
  return receiver.rateLimit ? { per: receiver.rateLimit.per, everyMs: receiver.rateLimit.every } : fallback;
}

function breakerSettingsOf(receiver: ReceiverConfig): BreakerSettings {
  const cb = receiver.circuitBreaker;
  return cb ? { failures: cb.failures, cooldownMs: cb.cooldown } : DEFAULT_BREAKER;
}

/** Shortens the rendered text to the channel's limit (cut summaries, then "… and N more alerts"). */
function fitText(message: NotificationMessage, max: number | undefined): NotificationMessage {
  return max === undefined ? message : fitMessage(message, max);
}

/**
 * A message that only continues a conversation the receiver already has (an `updated`, i.e. a
 * partial resolve): posted anew it would be a new top-level message about an old page. Without the
 * thread, or on a channel that cannot change what it sent (Teams, Mattermost, Rocket.Chat), nothing
 * is sent.
 */
function onlyInThread(m: NotificationMessage): boolean {
  return m.kind === 'updated' && !personalRequest(m);
}

/** A runbook's approval request to a named approver who has no thread of the incident: a new message to them. */
function personalRequest(m: NotificationMessage): boolean {
  return m.kind === 'updated' && !!m.incident.approval && !!m.recipient && !m.thread;
}

/**
 * Delivers one message to one receiver: circuit breaker (or its fallback receiver), rate-limit
 * queue, the notifier's send or update, metrics; any error that escapes is a DeliveryError that
 * carries no secret of the receiver.
 */
export async function deliver(req: DeliveryRequest, ctx: NotifierContext, opts: DeliverOptions = {}): Promise<DeliveryResult & { deliveredBy?: string }> {
  // Every vendor request of this delivery is aborted when the caller cancels (an ack mid-send).
  const { signal, beforeRequest } = opts;
  const bound: NotifierContext =
    signal || beforeRequest
      ? {
          ...ctx,
          signal,
          beforeRequest,
          http: {
            send: (r) => {
              beforeRequest?.();
              return ctx.http.send({ ...r, signal: r.signal ?? signal });
            },
          },
        }
      : ctx;
  return deliverOnce(req, bound, opts, new Set());
}

async function deliverOnce(req: DeliveryRequest, ctx: NotifierContext, opts: DeliverOptions, visited: Set<string>): Promise<DeliveryResult & { deliveredBy?: string }> {
  const { tenant, receiverName, receiver } = req;
  const channel = receiver.type;
  const notifier = notifierFor(channel);
  const breakers = opts.breakers ?? defaultCircuitBreakers;
  const settings = breakerSettingsOf(receiver);
  const inThreadOnly = onlyInThread(req.message);
  if (inThreadOnly && !(req.message.thread && notifier.update)) {
    const why = req.message.thread ? `${channel} cannot change what it sent` : 'no thread from an earlier send';
    return { skipped: true, response: `not sent: no conversation to update (${why})` };
  }

  if (personalRequest(req.message) && !notifier.directMessages) {
    return { skipped: true, response: `not sent: a new ${channel} message would be another incident, not a request to a person` };
  }

  const admission = await breakers.admission(tenant, receiverName, settings);
  if (!admission.allowed) {
    visited.add(receiverName);
    const fallbackName = receiver.fallback;
    // The fallback has no thread of this incident, so it has no conversation to continue either:
    // an update waits for this receiver (CircuitOpenError is retried) instead.
    const fallback = fallbackName && !visited.has(fallbackName) && !inThreadOnly ? req.receivers?.[fallbackName] : undefined;
    if (fallbackName && fallback) {
      recordDelivery(tenant, channel, 'fallback');
      // The thread belongs to the primary's vendor, so the fallback posts anew; what it returns is
      // the fallback's thread, and `deliveredBy` says so (follow-ups go to the fallback, not here).
      const res = await deliverOnce(
        { ...req, receiverName: fallbackName, receiver: fallback, mode: 'send', message: { ...req.message, thread: undefined } },
        ctx,
        opts,
        visited,
      );
      return { thread: res.thread, deliveredBy: res.deliveredBy ?? fallbackName, response: `via fallback ${fallbackName}: ${res.response ?? 'delivered'}` };
    }
    recordDelivery(tenant, channel, 'circuit_open');
    throw new CircuitOpenError(tenant, receiverName, admission.retryAfterMs);
  }

  const secrets = secretVariants(secretValues(receiver));
  const limit = rateLimitOf(receiver, notifier.defaultRateLimit);
  let permit: Permit | undefined;
  if (limit) {
    try {
      permit = await (opts.rateLimiter ?? defaultRateLimiter).acquire(`${tenant}/${receiverName}`, limit, { signal: opts.signal, heartbeat: opts.heartbeat, maxSendMs: receiver.timeout });
    } catch (err) {
      breakers.release(tenant, receiverName);
      throw new DeliveryError(`${receiverName}: cancelled while queued behind the rate limit (${(err as Error).message})`, { retryable: true });
    }
  }

  const message = fitText(req.message, notifier.maxTextLength);
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  try {
    const repage = message.kind === 'firing' || message.kind === 'escalated';
    const viaUpdate = inThreadOnly || (req.mode === 'update' && (!repage || notifier.repageInThread));
    const result =
      viaUpdate && notifier.update && message.thread
        ? await notifier.update(receiver, { ...message, thread: message.thread }, ctx)
        : await notifier.send(receiver, message, ctx);
    if (result.skipped) {
      // The notifier chose to send nothing: the vendor was not asked, so this proves nothing about it.
      breakers.release(tenant, receiverName);
      return result;
    }
    breakers.recordSuccess(tenant, receiverName);
    recordIntegrationRequest(channel, 'success');
    recordDelivery(tenant, channel, 'success', seconds());
    recordReceiverUp(tenant, receiverName, true);
    return result;
  } catch (err) {
    const error = scrub(err, secrets, receiverName);
    // 429 means the vendor is up and asking us to slow down: not a reason to open the circuit.
    if (error.opts.status === 429) breakers.release(tenant, receiverName);
    else breakers.recordFailure(tenant, receiverName, error.message, settings);
    recordIntegrationRequest(channel, integrationOutcome(error.opts.status, opts.signal?.aborted));
    recordDelivery(tenant, channel, error.retryable ? 'retryable_error' : 'failed', seconds());
    recordReceiverUp(tenant, receiverName, breakers.stateOf(tenant, receiverName) !== 'open');
    throw error;
  } finally {
    // The token's window starts when the vendor has the message, not when we began sending it.
    permit?.release();
  }
}

function scrub(err: unknown, secrets: string[], receiverName: string): DeliveryError {
  if (err instanceof DeliveryError) {
    return new DeliveryError(redact(err.message, secrets), {
      ...err.opts,
      vendorMessage: err.opts.vendorMessage && redact(err.opts.vendorMessage, secrets),
    });
  }
  return new DeliveryError(redact(`${receiverName}: ${(err as Error).message}`, secrets), { retryable: true });
}
