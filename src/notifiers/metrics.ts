import { register, Counter, Histogram, Gauge } from 'prom-client';

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
