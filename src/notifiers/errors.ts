/**
 * A failed delivery, classified so the notify activity can decide: retry (5xx, timeouts, network),
 * retry no sooner than the vendor asked (429/503 with Retry-After), or give up (other 4xx).
 * `message` is already scrubbed of secrets.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly opts: { retryable: boolean; status?: number; retryAfterMs?: number; vendorMessage?: string },
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
  get retryable(): boolean {
    return this.opts.retryable;
  }
}

/**
 * The receiver's circuit breaker is open and it has no usable fallback. Retryable: the activity's
 * next attempt (no sooner than the breaker's cool-down ends) may find it half-open.
 */
export class CircuitOpenError extends DeliveryError {
  constructor(readonly tenant: string, readonly receiver: string, retryAfterMs: number) {
    super(`receiver ${tenant}/${receiver} is failing; circuit open for another ${Math.ceil(retryAfterMs / 1000)}s`, {
      retryable: true,
      retryAfterMs,
    });
    this.name = 'CircuitOpenError';
  }
}

/** Parses Retry-After: either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}
