import { register, Counter, Histogram, Gauge } from 'prom-client';
import { integrationRequests } from '../metrics';

/**
 * Delivery metrics on prom-client's default registry (served by the lead's /metrics route).
 * getSingleMetric guards against double registration when the module is loaded twice.
 */

export type DeliveryOutcome = 'success' | 'retryable_error' | 'failed' | 'circuit_open' | 'fallback';

function counter() {
  const name = 'klaxon_notifications_total';
  return (
    (register.getSingleMetric(name) as Counter<'tenant' | 'channel' | 'outcome'> | undefined) ??
    new Counter({ name, help: 'Notification deliveries by tenant, channel and outcome', labelNames: ['tenant', 'channel', 'outcome'] as const })
  );
}

function histogram() {
  const name = 'klaxon_notification_duration_seconds';
  return (
    (register.getSingleMetric(name) as Histogram<'channel'> | undefined) ??
    new Histogram({
      name,
      help: 'Time to deliver one notification to the vendor (excluding rate-limit queueing)',
      labelNames: ['channel'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    })
  );
}

function gauge() {
  const name = 'klaxon_receiver_up';
  return (
    (register.getSingleMetric(name) as Gauge<'tenant' | 'receiver'> | undefined) ??
    new Gauge({ name, help: '1 while the receiver circuit breaker lets deliveries through, 0 while it is open', labelNames: ['tenant', 'receiver'] as const })
  );
}

export const notificationsTotal = counter();
export const notificationDuration = histogram();
export const receiverUp = gauge();

export function recordDelivery(tenant: string, channel: string, outcome: DeliveryOutcome, seconds?: number): void {
  notificationsTotal.inc({ tenant, channel, outcome });
  if (seconds !== undefined) notificationDuration.observe({ channel }, seconds);
}

export function recordReceiverUp(tenant: string, receiver: string, up: boolean): void {
  receiverUp.set({ tenant, receiver }, up ? 1 : 0);
}

export type IntegrationOutcome = 'success' | 'rate_limited' | 'client_error' | 'server_error' | 'network_error' | 'cancelled';

/** What a vendor request came to, from the status it answered (none: it never answered). */
export function integrationOutcome(status: number | undefined, cancelled = false): IntegrationOutcome {
  if (cancelled) return 'cancelled';
  if (status === undefined) return 'network_error';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  if (status >= 400) return 'client_error';
  return 'success';
}

/** One request to a receiver's vendor (each try counts: this is the vendor's view, not the page's). */
export function recordIntegrationRequest(receiverType: string, outcome: IntegrationOutcome): void {
  integrationRequests.inc({ receiver_type: receiverType, outcome });
}
