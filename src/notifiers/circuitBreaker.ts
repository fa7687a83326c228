/**
 * Per-receiver circuit breaker. A receiver that keeps failing (vendor down, revoked token) would
 * otherwise eat every incident's retry budget; after `failures` consecutive failures its circuit
 * opens for `cooldownMs` (deliveries go to the fallback receiver or fail fast), then one trial
 * delivery is let through (half-open): success closes the circuit, failure reopens it.
 */

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface BreakerSettings {
  failures: number;
  cooldownMs: number;
}

export const DEFAULT_BREAKER: BreakerSettings = { failures: 5, cooldownMs: 60_000 };

export interface ReceiverHealth {
  tenant: string;
  receiver: string;
  state: CircuitState;
  /** Consecutive failures so far. */
  failures: number;
  /** ISO time the circuit last opened; absent while it never has. */
  openedAt?: string;
  lastError?: string;
}

export type StateChangeListener = (health: ReceiverHealth, previous: CircuitState) => void;

export interface Entry {
  tenant: string;
  receiver: string;
  state: CircuitState;
  failures: number;
  openedAt?: number;
  trialInFlight: boolean;
  lastError?: string;
}

/** Whether a delivery may go ahead now, or how long until the circuit lets one through. */
export type Admission = { allowed: true } | { allowed: false; retryAfterMs: number };

export class CircuitBreakers {
  protected readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<StateChangeListener>();

  constructor(protected readonly now: () => number = Date.now) {}

  protected entry(tenant: string, receiver: string): Entry {
    const key = `${tenant}/${receiver}`;
    let e = this.entries.get(key);
    if (!e) {
      e = { tenant, receiver, state: 'closed', failures: 0, trialInFlight: false };
      this.entries.set(key, e);
    }
    return e;
  }

  protected transition(e: Entry, to: CircuitState): void {
    if (e.state === to) return;
    const from = e.state;
    e.state = to;
    this.notify(e, from);
  }

  protected notify(e: Entry, from: CircuitState): void {
    const snapshot = toHealth(e);
    for (const l of this.listeners) l(snapshot, from);
  }

  admit(tenant: string, receiver: string, settings: BreakerSettings = DEFAULT_BREAKER): Admission {
    const e = this.entry(tenant, receiver);
    if (e.state === 'closed') return { allowed: true };
    const now = this.now();
    if (e.state === 'open') {
      const remaining = (e.openedAt ?? now) + settings.cooldownMs - now;
      if (remaining > 0) return { allowed: false, retryAfterMs: remaining };
      e.trialInFlight = true;
      this.transition(e, 'half-open');
      return { allowed: true };
    }
    // half-open: exactly one trial at a time.
    if (e.trialInFlight) return { allowed: false, retryAfterMs: Math.min(settings.cooldownMs, 1000) };
    e.trialInFlight = true;
    return { allowed: true };
  }

  /**
   * admit() as deliver() asks it: the same answer here, from the shared store when the breakers
   * are shared between processes (SharedCircuitBreakers), which may take a round trip.
   */
  admission(tenant: string, receiver: string, settings: BreakerSettings = DEFAULT_BREAKER): Promise<Admission> {
    return Promise.resolve(this.admit(tenant, receiver, settings));
  }

  recordSuccess(tenant: string, receiver: string): void {
    const e = this.entry(tenant, receiver);
    e.failures = 0;
    e.trialInFlight = false;
    e.lastError = undefined;
    this.transition(e, 'closed');
  }

  recordFailure(tenant: string, receiver: string, error: string, settings: BreakerSettings = DEFAULT_BREAKER): void {
    const e = this.entry(tenant, receiver);
    e.failures++;
    e.lastError = error;
    const trialFailed = e.state === 'half-open';
    e.trialInFlight = false;
    if (trialFailed || (e.state === 'closed' && e.failures >= settings.failures)) {
      e.openedAt = this.now();
      if (trialFailed) {
        // Re-opening: same state name, but listeners still want to hear the trial failed.
        e.state = 'open';
        this.notify(e, 'half-open');
      } else this.transition(e, 'open');
    }
  }

  /** A delivery was let through but never reached the vendor (e.g. cancelled while queued). */
  release(tenant: string, receiver: string): void {
    this.entry(tenant, receiver).trialInFlight = false;
  }

  stateOf(tenant: string, receiver: string): CircuitState {
    return this.entries.get(`${tenant}/${receiver}`)?.state ?? 'closed';
  }

  /** Snapshot for GET /api/v1/receivers/health and the klaxon_receiver_up gauge. */
  health(): ReceiverHealth[] {
    return [...this.entries.values()].map(toHealth).sort((a, b) => (a.tenant + a.receiver).localeCompare(b.tenant + b.receiver));
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onStateChange(listener: StateChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  reset(): void {
    this.entries.clear();
  }
}

function toHealth(e: Entry): ReceiverHealth {
  return {
    tenant: e.tenant,
    receiver: e.receiver,
    state: e.state,
    failures: e.failures,
    ...(e.openedAt !== undefined ? { openedAt: new Date(e.openedAt).toISOString() } : {}),
    ...(e.lastError ? { lastError: e.lastError } : {}),
  };
}

/** The breakers deliver() uses unless given others. */
export const defaultCircuitBreakers = new CircuitBreakers();

/** Health of every receiver that has been delivered to since start. */
export function receiverHealth(): ReceiverHealth[] {
  return defaultCircuitBreakers.health();
}

/** Hook for the lead's metrics/logging: called on every circuit state change. */
export function onStateChange(listener: StateChangeListener): () => void {
  return defaultCircuitBreakers.onStateChange(listener);
}
